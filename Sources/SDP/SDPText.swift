/// Small helpers over UTF-8 text shared by the line and field parsers. Internal: no Foundation, no regexes.
enum SDPText {
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")

    /// `text` without trailing spaces and tabs: phones leave them, RFC 4566 does not allow them.
    static func trimmingTrailingWhitespace(_ text: Substring) -> Substring {
        var end = text.endIndex
        while end > text.startIndex {
            let before = text.utf8.index(before: end)
            let byte = text.utf8[before]
            guard byte == space || byte == tab else { break }
            end = before
        }
        return text[text.startIndex..<end]
    }

    /// The fields of `text` separated by runs of spaces or tabs (RFC 4566 asks for one space; phones send more).
    /// Splits on UTF-8 bytes rather than Characters: cheaper, and a space or tab is always a scalar boundary.
    static func fields(_ text: Substring) -> [Substring] {
        var result: [Substring] = []
        let utf8 = text.utf8
        var index = utf8.startIndex
        while index < utf8.endIndex {
            while index < utf8.endIndex, utf8[index] == space || utf8[index] == tab { utf8.formIndex(after: &index) }
            guard index < utf8.endIndex else { break }
            let start = index
            while index < utf8.endIndex, utf8[index] != space, utf8[index] != tab { utf8.formIndex(after: &index) }
            result.append(text[start..<index])
        }
        return result
    }

    /// The byte offset of `part` inside `whole`; both must share the same base string.
    static func offset(of part: Substring, in whole: Substring) -> Int {
        whole.utf8.distance(from: whole.startIndex, to: part.startIndex)
    }

    /// The value of `text` if it is 1 to `maximumDigits` ASCII digits, else nil.
    static func decimal(_ text: Substring, maximumDigits: Int = 18) -> Int? {
        guard !text.isEmpty, text.utf8.count <= maximumDigits else { return nil }
        var value = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// Whether `text` is a non-empty run of ASCII digits.
    static func isDigits(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Whether `text` can stand as one field of a line: non-empty, no whitespace, no control character.
    static func isToken(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 > space && $0 != 0x7F }
    }

    /// Whether `text` can be written after `<type>=` without breaking the line: no CR, LF or NUL.
    static func isLineSafe(_ text: some StringProtocol) -> Bool {
        text.utf8.allSatisfy { $0 != cr && $0 != lf && $0 != 0 }
    }

    /// The offset of the first byte of `bytes` that is not part of well-formed UTF-8 (RFC 3629 §4), or nil.
    static func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: (length, low) = (3, 0xA0)
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: (length, high) = (3, 0x9F)
            case 0xF0: (length, low) = (4, 0x90)
            case 0xF1...0xF3: length = 4
            case 0xF4: (length, high) = (4, 0x8F)
            default: return index
            }
            guard count - index >= length else { return index }
            for continuation in 1..<length {
                let byte = bytes[index + continuation]
                let (min, max) = continuation == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
                guard byte >= min, byte <= max else { return index }
            }
            index += length
        }
        return nil
    }
}
