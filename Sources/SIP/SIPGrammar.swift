/// Byte classes of the RFC 3261 §25.1 grammar, as tables so that each test is one load.
enum SIPGrammar {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let comma: UInt8 = 0x2C
    static let equals: UInt8 = 0x3D
    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let lessThan: UInt8 = 0x3C
    static let greaterThan: UInt8 = 0x3E
    static let slash: UInt8 = 0x2F
    static let at: UInt8 = 0x40
    static let percent: UInt8 = 0x25
    static let question: UInt8 = 0x3F
    static let ampersand: UInt8 = 0x26
    static let openBracket: UInt8 = 0x5B
    static let closeBracket: UInt8 = 0x5D

    private static func table(_ chars: String, alphanumeric: Bool) -> [Bool] {
        var table = [Bool](repeating: false, count: 256)
        if alphanumeric {
            for byte in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(byte)] = true }
            for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(byte)] = true }
            for byte in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(byte)] = true }
        }
        for byte in chars.utf8 { table[Int(byte)] = true }
        return table
    }

    /// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
    static let tokenTable = table("-.!%*_+`'~", alphanumeric: true)
    /// word: token characters plus ( ) < > : \ DQUOTE / [ ] ? { }  (Call-ID, RFC 3261 §25.1)
    static let wordTable = table("-.!%*_+`'~()<>:\\\"/[]?{}", alphanumeric: true)
    /// unreserved = alphanum / mark; mark = - _ . ! ~ * ' ( )
    static let unreservedTable = table("-_.!~*'()", alphanumeric: true)
    /// user = 1*( unreserved / escaped / user-unreserved ); user-unreserved = & = + $ , ; ? /
    static let userTable = table("-_.!~*'()&=+$,;?/", alphanumeric: true)
    /// password = *( unreserved / escaped / & = + $ , )
    static let passwordTable = table("-_.!~*'()&=+$,", alphanumeric: true)
    /// paramchar = param-unreserved / unreserved / escaped; param-unreserved = [ ] / : & + $
    static let paramTable = table("-_.!~*'()[]/:&+$", alphanumeric: true)
    /// hname / hvalue characters: hnv-unreserved / unreserved / escaped; hnv-unreserved = [ ] / ? : + $
    static let headerTable = table("-_.!~*'()[]/?:+$", alphanumeric: true)
    /// Characters of a host name, an IPv4 address, or (inside brackets) an IPv6 address.
    static let hostTable = table("-.", alphanumeric: true)
    /// gen-value for header parameters: token, host (IPv6 references included) or a quoted string.
    static let genValueTable = table("-.!%*_+`'~:[]", alphanumeric: true)

    /// DIGIT.
    static let digitTable: [Bool] = (0..<256).map { $0 >= 0x30 && $0 <= 0x39 }

    @inline(__always)  // one table load per byte on the parser's inner loops
    static func isToken(_ byte: UInt8) -> Bool { tokenTable[Int(byte)] }
    static func isWSP(_ byte: UInt8) -> Bool { byte == space || byte == tab }
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    static func isAlpha(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }
    static func isHex(_ byte: UInt8) -> Bool { isDigit(byte) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x66) }

    /// The value of a hex digit; 0 for anything else (callers check `isHex` first, and a hand-built
    /// value that was never checked must not trap).
    static func hexValue(_ byte: UInt8) -> UInt8 {
        if isDigit(byte) { return byte - 0x30 }
        return isHex(byte) ? (byte | 0x20) - 0x61 + 10 : 0
    }

    /// Whether `bytes` equals the ASCII `literal`, ignoring case (RFC 3261 §7.3.5: header names; §25: literals).
    static func equalsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let other = literal.utf8Start
        for index in 0..<bytes.count {
            let a = bytes[index]
            let b = other[index]
            // Only letters compare case-insensitively: "| 0x20" alone would also equate '@' and '`'.
            if a != b && !(isAlpha(a) && a | 0x20 == b | 0x20) { return false }
        }
        return true
    }

    /// Parses 1*DIGIT as a non-negative integer no greater than `maximum`, or nil.
    static func decimal(_ bytes: UnsafeBufferPointer<UInt8>, maximum: Int) -> Int? {
        guard !bytes.isEmpty else { return nil }
        var value = 0
        for byte in bytes {
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
            guard value <= maximum else { return nil }
        }
        return value
    }
}
