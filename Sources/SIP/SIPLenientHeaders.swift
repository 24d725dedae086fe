/// A forgiving walk over a header section, for the two readers that must not depend on the whole message
/// parsing: the stream framer (looking for Content-Length) and the `400` builder (copying Via, From, To,
/// Call-ID and CSeq out of a message that failed to parse).
enum SIPLenientHeaders {
    /// Calls `visit(name, value)` for each header line in `range` (a header section, CRLF-separated), where a
    /// line that starts with SP or HTAB continues the one before it. `value` spans the raw value after the colon,
    /// folding included. Lines without a token and a colon are skipped.
    static func forEach(
        _ bytes: UnsafeBufferPointer<UInt8>,
        in range: Range<Int>,
        _ visit: (Range<Int>, Range<Int>) throws(SIPError) -> Void
    ) throws(SIPError) {
        var index = range.lowerBound
        while index < range.upperBound {
            var end = lineEnd(bytes, from: index, limit: range.upperBound)
            while end + 2 < range.upperBound, SIPGrammar.isWSP(bytes[end + 2]) {
                end = lineEnd(bytes, from: end + 2, limit: range.upperBound)
            }
            var cursor = index
            while cursor < end, SIPGrammar.isToken(bytes[cursor]) { cursor += 1 }
            let name = index..<cursor
            while cursor < end, SIPGrammar.isWSP(bytes[cursor]) { cursor += 1 }
            if !name.isEmpty, cursor < end, bytes[cursor] == SIPGrammar.colon {
                try visit(name, (cursor + 1)..<end)
            }
            index = end + 2
        }
    }

    /// The index of the next CRLF at or after `start`, or `limit`.
    static func lineEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, limit: Int) -> Int {
        var index = start
        while index + 1 < limit {
            if bytes[index] == SIPGrammar.cr && bytes[index + 1] == SIPGrammar.lf { return index }
            index += 1
        }
        return limit
    }

    /// `range` without SP, HTAB, CR or LF at either end.
    static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        func isSpace(_ byte: UInt8) -> Bool {
            SIPGrammar.isWSP(byte) || byte == SIPGrammar.cr || byte == SIPGrammar.lf
        }
        var low = range.lowerBound
        var high = range.upperBound
        while low < high, isSpace(bytes[low]) { low += 1 }
        while high > low, isSpace(bytes[high - 1]) { high -= 1 }
        return low..<high
    }

    /// Whether `name` is Content-Length or its compact form `l`.
    static func isContentLength(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        SIPGrammar.equalsIgnoringCase(name, "content-length") || SIPGrammar.equalsIgnoringCase(name, "l")
    }
}
