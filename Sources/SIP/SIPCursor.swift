/// A read position in the UTF-8 bytes of one header value or URI, with the helpers the value grammars share.
///
/// `base` is the offset of the first byte in the whole message, so that errors carry message offsets.
struct SIPCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var index: Int
    let base: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, base: Int = 0) {
        self.bytes = bytes
        self.index = 0
        self.base = base
    }

    var isAtEnd: Bool { index >= bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    /// Skips SP and HTAB (values reach the grammars unfolded, so LWS is white space only).
    mutating func skipWhitespace() {
        while index < bytes.count, SIPGrammar.isWSP(bytes[index]) { index += 1 }
    }

    /// Consumes `byte` if it is next.
    mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// Consumes the longest run of bytes for which `table` is true.
    mutating func take(_ table: [Bool]) -> Range<Int> {
        let start = index
        while index < bytes.count, table[Int(bytes[index])] { index += 1 }
        return start..<index
    }

    /// Consumes a run of `table` bytes and `%HH` escapes (RFC 3261 §25.1 escaped).
    mutating func takeEscaped(_ table: [Bool], what: String) throws(SIPError) -> Range<Int> {
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if table[Int(byte)] {
                index += 1
            } else if byte == SIPGrammar.percent {
                guard index + 2 < bytes.count, SIPGrammar.isHex(bytes[index + 1]),
                    SIPGrammar.isHex(bytes[index + 2])
                else {
                    throw error(.malformedURI, "\(what) has a '%' that is not followed by two hex digits", "%HH")
                }
                index += 3
            } else {
                break
            }
        }
        return start..<index
    }

    /// Consumes a token (RFC 3261 §25.1), which must not be empty.
    mutating func token(_ what: String, code: SIPError.Code = .malformedHeaderValue) throws(SIPError) -> Range<Int> {
        let range = take(SIPGrammar.tokenTable)
        guard !range.isEmpty else { throw error(code, "\(what) is missing or has a character a token cannot", what) }
        return range
    }

    /// Consumes a quoted-string, quotes included; a backslash escapes the next byte (RFC 3261 §25.1).
    mutating func quotedString() throws(SIPError) -> Range<Int> {
        let start = index
        guard consume(SIPGrammar.quote) else {
            throw error(.malformedHeaderValue, "a quoted string must start with '\"'", "DQUOTE")
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == SIPGrammar.quote {
                index += 1
                return start..<index
            }
            if byte == SIPGrammar.backslash {
                // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
                guard index + 1 < bytes.count, bytes[index + 1] < 0x80, bytes[index + 1] != SIPGrammar.cr,
                    bytes[index + 1] != SIPGrammar.lf
                else {
                    throw error(
                        .malformedHeaderValue, "a backslash in a quoted string escapes nothing valid", "a quoted pair")
                }
                index += 2
            } else if byte < 0x20 && byte != SIPGrammar.tab || byte == 0x7F {
                throw error(.malformedHeaderValue, "a quoted string holds a control character", "qdtext")
            } else {
                index += 1
            }
        }
        index = start
        throw error(.malformedHeaderValue, "a quoted string is not closed", "a closing '\"'")
    }

    /// The bytes of `range` as a string (they are valid UTF-8: the parser checked the whole header section).
    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    func slice(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[range])
    }

    /// An error at the current position.
    func error(_ code: SIPError.Code, _ reason: String, _ expected: String) -> SIPError {
        SIPError(code, reason, offset: base + index, expected: expected)
    }

    /// Fails unless the whole value was read.
    func expectEnd(_ what: String) throws(SIPError) {
        guard isAtEnd else {
            throw error(.malformedHeaderValue, "\(what) has unexpected text after its end", "the end of the value")
        }
    }
}

/// Runs `body` over the UTF-8 bytes of `text`, with errors kept typed.
func withUTF8Bytes<R>(
    _ text: String,
    _ body: (UnsafeBufferPointer<UInt8>) throws(SIPError) -> R
) throws(SIPError) -> R {
    var text = text
    let result = text.withUTF8 { bytes in Result { () throws(SIPError) -> R in try body(bytes) } }
    return try result.get()
}
