/// Splits a header value at the commas that separate its elements (RFC 3261 §7.3.1), skipping commas inside
/// quoted strings (with their backslash escapes) and inside `<...>`.
enum SIPValueList {
    /// The byte ranges of the elements of `bytes`, white space around each trimmed. An empty element (`a,,b`,
    /// or a value that is only white space) is an error: no list header allows one.
    static func split(_ cursor: SIPCursor, what: String) throws(SIPError) -> [Range<Int>] {
        let bytes = cursor.bytes
        var elements: [Range<Int>] = []
        var start = 0
        var index = 0
        var inQuotes = false
        var inAngle = false
        func append(_ end: Int) throws(SIPError) {
            var low = start
            var high = end
            while low < high, SIPGrammar.isWSP(bytes[low]) { low += 1 }
            while high > low, SIPGrammar.isWSP(bytes[high - 1]) { high -= 1 }
            guard low < high else {
                throw SIPError(
                    .malformedHeaderValue,
                    "\(what) has an empty element in its comma-separated list",
                    offset: cursor.base + end,
                    expected: "a list element"
                )
            }
            elements.append(low..<high)
        }
        while index < bytes.count {
            let byte = bytes[index]
            if inQuotes {
                if byte == SIPGrammar.backslash {
                    index += 1
                } else if byte == SIPGrammar.quote {
                    inQuotes = false
                }
            } else if byte == SIPGrammar.quote {
                inQuotes = true
            } else if byte == SIPGrammar.lessThan {
                inAngle = true
            } else if byte == SIPGrammar.greaterThan {
                inAngle = false
            } else if byte == SIPGrammar.comma && !inAngle {
                try append(index)
                start = index + 1
            }
            index += 1
        }
        try append(bytes.count)
        return elements
    }

    /// Runs `parse` on each element of a comma-separated header value.
    static func parseEach<T>(
        _ value: String,
        base: Int,
        what: String,
        _ parse: (SIPCursor) throws(SIPError) -> T
    ) throws(SIPError) -> [T] {
        try withUTF8Bytes(value) { (bytes) throws(SIPError) -> [T] in
            let whole = SIPCursor(bytes, base: base)
            var results: [T] = []
            for range in try split(whole, what: what) {
                results.append(
                    try parse(SIPCursor(UnsafeBufferPointer(rebasing: bytes[range]), base: base + range.lowerBound)))
            }
            return results
        }
    }
}
