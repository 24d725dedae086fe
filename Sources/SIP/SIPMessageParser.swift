/// Reads one complete message from bytes: start line, header section, body (RFC 3261 §7).
///
/// Strict where a lax reading could be exploited or would break the byte-for-byte round trip: every line ends in
/// CRLF, control characters other than HTAB are refused, the header section must be UTF-8. Tolerant where RFC
/// 3261 and RFC 4475 ask for tolerance: white space around the colon, folded lines, any case in header names,
/// compact forms.
enum SIPMessageParser {
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, limits: SIPLimits) throws(SIPError) -> SIPMessage {
        guard bytes.count <= limits.maxMessageSize else {
            throw SIPError(
                .messageTooLarge, "the message is larger than \(limits.maxMessageSize) bytes",
                offset: limits.maxMessageSize, expected: "at most \(limits.maxMessageSize) bytes")
        }
        let firstEnd = try lineEnd(bytes, from: 0, limits: limits)
        let startLine = try parseStartLine(bytes, end: firstEnd)
        var index = firstEnd + 2
        var headers: [SIPHeader] = []
        var offsets: [Int] = []
        headers.reserveCapacity(16)
        offsets.reserveCapacity(16)
        while true {
            guard index < bytes.count else {
                throw SIPError(
                    .truncated, "the message ends inside its header section", offset: index,
                    expected: "a header or the empty line that ends the header section")
            }
            if bytes[index] == SIPGrammar.cr || bytes[index] == SIPGrammar.lf {
                guard try lineEnd(bytes, from: index, limits: limits) == index else {
                    preconditionFailure("an empty line ends where it starts")
                }
                index += 2
                break
            }
            guard headers.count < limits.maxHeaderCount else {
                throw SIPError(
                    .tooManyHeaders, "the message has more than \(limits.maxHeaderCount) headers",
                    offset: index, expected: "at most \(limits.maxHeaderCount) headers")
            }
            let (header, valueOffset, next) = try parseHeader(bytes, at: index, limits: limits)
            headers.append(header)
            offsets.append(valueOffset)
            index = next
        }
        let body = Array(UnsafeBufferPointer(rebasing: bytes[index...]))
        return try SIPMessage(
            startLine: startLine, headers: headers, body: body, offsets: offsets,
            sectionEnd: index - 2)
    }

    /// The index of the CR that ends the line starting at `start`. Fails on a bare CR or LF, a control
    /// character, a line over the limit, or no line end at all.
    static func lineEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, limits: SIPLimits) throws(SIPError) -> Int
    {
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == SIPGrammar.cr {
                guard index + 1 < bytes.count, bytes[index + 1] == SIPGrammar.lf else {
                    throw SIPError(
                        .malformedHeader, "a line ends with CR not followed by LF", offset: index,
                        expected: "CRLF")
                }
                return index
            }
            if byte == SIPGrammar.lf {
                throw SIPError(.malformedHeader, "a line ends with LF alone", offset: index, expected: "CRLF")
            }
            if (byte < 0x20 && byte != SIPGrammar.tab) || byte == 0x7F {
                throw SIPError(
                    .malformedHeader, "a line holds a control character", offset: index,
                    expected: "text, SP or HTAB")
            }
            index += 1
            if index - start > limits.maxLineLength {
                throw SIPError(
                    .lineTooLong, "a line is longer than \(limits.maxLineLength) bytes", offset: index,
                    expected: "CRLF within \(limits.maxLineLength) bytes")
            }
        }
        throw SIPError(.truncated, "the message ends inside a line", offset: index, expected: "CRLF")
    }

    private static func text(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(SIPError) -> String {
        guard let text = String(validating: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) else {
            throw SIPError(
                .invalidUTF8, "a line is not valid UTF-8", offset: range.lowerBound,
                expected: "UTF-8 text")
        }
        return text
    }

    /// Request-Line = Method SP Request-URI SP SIP-Version CRLF; Status-Line = SIP-Version SP Status-Code SP
    /// Reason-Phrase CRLF (RFC 3261 §7.1, §7.2, §25.1). Exactly one SP between the parts.
    static func parseStartLine(_ bytes: UnsafeBufferPointer<UInt8>, end: Int) throws(SIPError) -> SIPStartLine {
        let line = UnsafeBufferPointer(rebasing: bytes[0..<end])
        var cursor = SIPCursor(line)
        if line.count >= 4, SIPGrammar.equalsIgnoringCase(UnsafeBufferPointer(rebasing: line[0..<4]), "SIP/") {
            while let byte = cursor.peek, byte != SIPGrammar.space { cursor.index += 1 }
            let version = 0..<cursor.index
            try checkVersion(cursor.slice(version), offset: 0)
            guard cursor.consume(SIPGrammar.space) else {
                throw cursor.error(.malformedStartLine, "the status line has no status code", "SP")
            }
            let digits = cursor.take(SIPGrammar.digitTable)
            guard digits.count == 3, let code = SIPGrammar.decimal(cursor.slice(digits), maximum: 699), code >= 100
            else {
                cursor.index = digits.lowerBound
                throw cursor.error(
                    .malformedStartLine, "the status code must be three digits from 100 to 699",
                    "a status code")
            }
            guard cursor.consume(SIPGrammar.space) else {
                throw cursor.error(.malformedStartLine, "the status code must be followed by SP", "SP")
            }
            var status = SIPStatusLine(statusCode: code, reasonPhrase: try text(line, cursor.index..<line.count))
            status.version = cursor.string(version)
            return .response(status)
        }
        let method = try cursor.token("the request method", code: .malformedStartLine)
        guard cursor.consume(SIPGrammar.space) else {
            throw cursor.error(.malformedStartLine, "the method must be followed by a single SP", "SP")
        }
        let uriStart = cursor.index
        while let byte = cursor.peek, !SIPGrammar.isWSP(byte) { cursor.index += 1 }
        let uriRange = uriStart..<cursor.index
        guard !uriRange.isEmpty else {
            throw cursor.error(.malformedStartLine, "the request line has no Request-URI", "a Request-URI")
        }
        guard cursor.consume(SIPGrammar.space) else {
            throw cursor.error(.malformedStartLine, "the Request-URI must be followed by a single SP", "SP")
        }
        let versionRange = cursor.index..<line.count
        let version = cursor.slice(versionRange)
        guard version.count >= 4, SIPGrammar.equalsIgnoringCase(UnsafeBufferPointer(rebasing: version[0..<4]), "SIP/")
        else {
            throw cursor.error(.malformedStartLine, "the request line must end with the SIP version", "SIP/2.0")
        }
        try checkVersion(version, offset: versionRange.lowerBound)
        let uri = try SIPURI.parse(SIPCursor(cursor.slice(uriRange), base: uriStart))
        return .request(
            SIPRequestLine(
                method: SIPMethod(cursor.string(method)),
                uri: uri,
                uriText: try text(line, uriRange),
                version: cursor.string(versionRange)
            )
        )
    }

    /// SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; only 2.0 is understood (RFC 3261 §7.1).
    private static func checkVersion(_ version: UnsafeBufferPointer<UInt8>, offset: Int) throws(SIPError) {
        guard !SIPGrammar.equalsIgnoringCase(version, "SIP/2.0") else { return }
        let number = version.dropFirst(4)
        let dot = number.firstIndex(of: 0x2E)
        let wellFormed =
            dot.map { dot in
                dot > number.startIndex && dot + 1 < number.endIndex
                    && number[..<dot].allSatisfy(SIPGrammar.isDigit)
                    && number[(dot + 1)...].allSatisfy(SIPGrammar.isDigit)
            } ?? false
        guard wellFormed else {
            throw SIPError(
                .malformedStartLine, "the SIP version is not of the form SIP/n.n", offset: offset,
                expected: "SIP/2.0")
        }
        throw SIPError(.unsupportedVersion, "the SIP version is not SIP/2.0", offset: offset, expected: "SIP/2.0")
    }

    /// message-header = field-name HCOLON field-value CRLF, the value continued on lines that start with SP or
    /// HTAB (RFC 3261 §7.3.1). Returns the header, where its value starts, and where the next line starts.
    private static func parseHeader(
        _ bytes: UnsafeBufferPointer<UInt8>,
        at start: Int,
        limits: SIPLimits
    ) throws(SIPError) -> (SIPHeader, Int, Int) {
        var index = start
        while index < bytes.count, SIPGrammar.isToken(bytes[index]) { index += 1 }
        let nameEnd = index
        guard nameEnd > start else {
            let what =
                SIPGrammar.isWSP(bytes[start])
                ? "a continuation line has no header before it" : "a header name holds a character a token cannot"
            throw SIPError(.malformedHeader, what, offset: start, expected: "a header name")
        }
        while index < bytes.count, SIPGrammar.isWSP(bytes[index]) { index += 1 }
        guard index < bytes.count, bytes[index] == SIPGrammar.colon else {
            throw SIPError(.malformedHeader, "a header name must be followed by ':'", offset: index, expected: "':'")
        }
        let colon = index
        // The physical lines of this header: the first, then every line that starts with SP or HTAB.
        var end = try lineEnd(bytes, from: colon + 1, limits: limits)
        var folded = false
        while end + 2 < bytes.count, SIPGrammar.isWSP(bytes[end + 2]) {
            folded = true
            end = try lineEnd(bytes, from: end + 2, limits: limits)
        }
        var valueStart = colon + 1
        while valueStart < end,
            SIPGrammar.isWSP(bytes[valueStart]) || bytes[valueStart] == SIPGrammar.cr
                || bytes[valueStart] == SIPGrammar.lf
        {
            valueStart += 1
        }
        var valueEnd = end
        while valueEnd > valueStart, SIPGrammar.isWSP(bytes[valueEnd - 1]) { valueEnd -= 1 }
        let name = try text(bytes, start..<nameEnd)
        let value: String
        if folded {
            value = try unfold(bytes, valueStart..<valueEnd)
        } else {
            value = try text(bytes, valueStart..<valueEnd)
        }
        // Keep the line only when `name: value` would not reproduce it.
        let usual =
            !folded && colon == nameEnd && valueStart == colon + 2 && bytes[colon + 1] == SIPGrammar.space
            && valueEnd == end
        let raw = usual ? nil : try text(bytes, start..<end)
        return (SIPHeader(name: name, value: value, raw: raw), valueStart, end + 2)
    }

    /// RFC 3261 §7.3.1: LWS = [*WSP CRLF] 1*WSP, and a header's folding is replaced by a single SP.
    private static func unfold(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(SIPError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = bytes[index]
            if byte == SIPGrammar.cr || SIPGrammar.isWSP(byte) {
                var next = index
                var sawBreak = false
                while next < range.upperBound,
                    SIPGrammar.isWSP(bytes[next]) || bytes[next] == SIPGrammar.cr || bytes[next] == SIPGrammar.lf
                {
                    if bytes[next] == SIPGrammar.cr { sawBreak = true }
                    next += 1
                }
                if sawBreak {
                    out.append(SIPGrammar.space)
                } else {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<next]))
                }
                index = next
            } else {
                out.append(byte)
                index += 1
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else {
            throw SIPError(
                .invalidUTF8, "a header value is not valid UTF-8", offset: range.lowerBound,
                expected: "UTF-8 text")
        }
        return text
    }
}

extension SIPMessage {
    /// Parses one complete message (as a stream framer emits it, or a datagram). A Content-Length, when present,
    /// must equal the body's length.
    public init(parsing bytes: [UInt8], limits: SIPLimits = .default) throws(SIPError) {
        let result = bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(SIPError) in try SIPMessageParser.parse(buffer, limits: limits) }
        }
        self = try result.get()
    }

    /// Parses one complete message from caller-owned bytes.
    public init(parsing bytes: UnsafeRawBufferPointer, limits: SIPLimits = .default) throws(SIPError) {
        self = try SIPMessageParser.parse(bytes.assumingMemoryBound(to: UInt8.self), limits: limits)
    }
}
