/// Cuts a reliable byte stream (TLS, TCP) into SIP messages and keep-alives (RFC 3261 §18.3, §7.5; RFC 5626
/// §4.4.1).
///
/// On a stream, a message ends where its Content-Length says, so Content-Length is required; CRLFs between
/// messages are keep-alives. The framer never holds more than ``SIPLimits/maxMessageSize`` bytes: a
/// Content-Length over the limits is refused before the body is read, and a header section that does not end
/// within the limit is refused as soon as the limit is reached. A stream that cannot be framed any more (no or
/// unreadable Content-Length, bytes that cannot start a message, a message too large) gets a
/// ``SIPFrame/fatal(_:)`` frame, after which the framer only repeats it: the transport closes the connection.
public struct SIPStreamFramer: Sendable {
    /// The answer to a ``SIPFrame/keepAlivePing``: one CRLF (RFC 5626 §4.4.1).
    public static let pong: [UInt8] = [SIPGrammar.cr, SIPGrammar.lf]

    /// The limits enforced.
    public let limits: SIPLimits
    /// Why the stream cannot be framed any more, once it cannot.
    public private(set) var failure: SIPError?

    private var buffer: [UInt8] = []
    /// Where the bytes not yet taken out start in ``buffer``.
    private var start = 0
    /// Where the search for the end of the header section resumes.
    private var searchFrom = 0
    /// The whole length of the current message, once its header section and Content-Length have been read.
    private var frameLength: Int?
    private var startLineChecked = false
    /// How many bytes of the stream were taken out before ``buffer``'s first byte: error offsets count from the
    /// stream's start.
    private var streamOffset = 0

    /// A framer with the given limits.
    public init(limits: SIPLimits = .default) {
        self.limits = limits
    }

    /// How many bytes are held, waiting for the rest of a message.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Takes the next bytes read from the stream and returns every frame they complete, in order.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [SIPFrame] {
        if let failure { return [.fatal(failure)] }
        var frames: [SIPFrame] = []
        var offset = 0
        while true {
            do {
                while let frame = try extract() { frames.append(frame) }
            } catch {
                failure = error
                buffer = []
                start = 0
                frames.append(.fatal(error))
                return frames
            }
            guard offset < bytes.count else { return frames }
            compact()
            // extract() fails rather than leave a full buffer, so there is room here.
            let take = min(limits.maxMessageSize - buffer.count, bytes.count - offset)
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + take)]))
            offset += take
        }
    }

    /// Takes the next bytes read from the stream and returns every frame they complete, in order.
    public mutating func feed(_ bytes: [UInt8]) -> [SIPFrame] {
        bytes.withUnsafeBytes { feed($0) }
    }

    private mutating func compact() {
        guard start > 0 else { return }
        buffer.removeSubrange(0..<start)
        streamOffset += start
        searchFrom = max(0, searchFrom - start)
        start = 0
    }

    private func fatal(_ code: SIPError.Code, _ reason: String, at index: Int, expected: String) -> SIPError {
        SIPError(code, reason, offset: streamOffset + index, expected: expected)
    }

    /// Nil: more bytes are needed, unless the buffer is already full, which is fatal.
    private func needMore() throws(SIPError) -> SIPFrame? {
        guard bufferedByteCount < limits.maxMessageSize else {
            throw fatal(
                .messageTooLarge, "no complete message within \(limits.maxMessageSize) bytes", at: start,
                expected: "a message of at most \(limits.maxMessageSize) bytes")
        }
        return nil
    }

    private mutating func extract() throws(SIPError) -> SIPFrame? {
        let available = bufferedByteCount
        guard available > 0 else { return nil }
        if frameLength == nil {
            if buffer[start] == SIPGrammar.cr {
                return try keepAlive(available)
            }
            if !startLineChecked {
                guard try checkStartLine(available) else { return try needMore() }
                startLineChecked = true
                searchFrom = start
            }
            guard let sectionEnd = findEmptyLine() else {
                searchFrom = max(start, buffer.count - 3)
                return try needMore()
            }
            let bodyLength = try contentLength(in: start..<(sectionEnd - 2))
            guard bodyLength <= limits.maxBodySize else {
                throw fatal(
                    .bodyTooLarge, "the Content-Length \(bodyLength) is over \(limits.maxBodySize) bytes",
                    at: start, expected: "a body of at most \(limits.maxBodySize) bytes")
            }
            let total = sectionEnd - start + bodyLength
            guard total <= limits.maxMessageSize else {
                throw fatal(
                    .messageTooLarge, "the message would be \(total) bytes, over \(limits.maxMessageSize)",
                    at: start, expected: "a message of at most \(limits.maxMessageSize) bytes")
            }
            frameLength = total
        }
        guard let length = frameLength, available >= length else { return try needMore() }
        let message = Array(buffer[start..<(start + length)])
        start += length
        frameLength = nil
        startLineChecked = false
        return .message(message)
    }

    /// CRLFs between messages: RFC 5626 §4.4.1 keep-alives, which RFC 3261 §7.5 says not to take as messages.
    private mutating func keepAlive(_ available: Int) throws(SIPError) -> SIPFrame? {
        guard available >= 2 else { return try needMore() }
        guard buffer[start + 1] == SIPGrammar.lf else {
            throw fatal(
                .framingLost, "a CR between messages is not followed by LF", at: start + 1,
                expected: "CRLF or a start line")
        }
        if available >= 4, buffer[start + 2] == SIPGrammar.cr, buffer[start + 3] == SIPGrammar.lf {
            start += 4
            return .keepAlivePing
        }
        if available == 3, buffer[start + 2] == SIPGrammar.cr { return nil }
        // A CRLF that ends the bytes read so far is a pong now: waiting for more could stall a client's keep-alive.
        // So a ping split after its first CRLF reads as two pongs; TLS delivers a 4-byte write in one record.
        start += 2
        return .keepAlivePong
    }

    /// Checks that the first line can be a request or status line, so that garbage closes the stream at once
    /// instead of after a full buffer. False: the line is not complete yet.
    private func checkStartLine(_ available: Int) throws(SIPError) -> Bool {
        guard SIPGrammar.isToken(buffer[start]) else {
            throw fatal(
                .framingLost, "the stream holds a byte that cannot start a SIP message", at: start,
                expected: "a request or status line")
        }
        let searchEnd = min(buffer.count, start + limits.maxLineLength + 2)
        return try buffer.withUnsafeBufferPointer { (bytes) throws(SIPError) -> Bool in
            let end = SIPLenientHeaders.lineEnd(bytes, from: start, limit: searchEnd)
            guard end < searchEnd else {
                guard available < limits.maxLineLength + 2 else {
                    throw fatal(
                        .lineTooLong, "the start line is longer than \(limits.maxLineLength) bytes",
                        at: start, expected: "CRLF")
                }
                return false
            }
            let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
            if line.count >= 4, SIPGrammar.equalsIgnoringCase(UnsafeBufferPointer(rebasing: line[0..<4]), "SIP/") {
                return true
            }
            // Method SP Request-URI SP "SIP/": anything else cannot be a request.
            var index = 0
            while index < line.count, SIPGrammar.isToken(line[index]) { index += 1 }
            let lastSpace = line.lastIndex(of: SIPGrammar.space) ?? 0
            guard index < line.count, line[index] == SIPGrammar.space, lastSpace > index, line.count - lastSpace > 4,
                SIPGrammar.equalsIgnoringCase(
                    UnsafeBufferPointer(rebasing: line[(lastSpace + 1)..<(lastSpace + 5)]),
                    "SIP/")
            else {
                throw fatal(
                    .framingLost, "the first line is neither a request line nor a status line", at: start,
                    expected: "a request or status line")
            }
            return true
        }
    }

    /// The index just past the CRLF CRLF that ends the header section, if it is buffered.
    private func findEmptyLine() -> Int? {
        var index = max(searchFrom, start)
        while index + 3 < buffer.count {
            if buffer[index] == SIPGrammar.cr, buffer[index + 1] == SIPGrammar.lf, buffer[index + 2] == SIPGrammar.cr,
                buffer[index + 3] == SIPGrammar.lf
            {
                return index + 4
            }
            index += 1
        }
        return nil
    }

    /// The Content-Length of the header section `section` (start line included): exactly one, decimal
    /// (RFC 3261 §18.3, §20.14).
    private func contentLength(in section: Range<Int>) throws(SIPError) -> Int {
        try buffer.withUnsafeBufferPointer { (bytes) throws(SIPError) -> Int in
            let firstLineEnd = SIPLenientHeaders.lineEnd(bytes, from: section.lowerBound, limit: section.upperBound)
            var found: Int?
            let headers = min(firstLineEnd + 2, section.upperBound)..<section.upperBound
            try SIPLenientHeaders.forEach(bytes, in: headers) { (name, value) throws(SIPError) in
                guard SIPLenientHeaders.isContentLength(UnsafeBufferPointer(rebasing: bytes[name])) else { return }
                guard found == nil else {
                    throw fatal(
                        .framingLost, "the message has more than one Content-Length", at: name.lowerBound,
                        expected: "a single Content-Length")
                }
                let digits = UnsafeBufferPointer(rebasing: bytes[SIPLenientHeaders.trimmed(bytes, value)])
                guard !digits.isEmpty, digits.allSatisfy(SIPGrammar.isDigit) else {
                    throw fatal(
                        .framingLost, "the Content-Length is not a decimal number", at: value.lowerBound,
                        expected: "1*DIGIT")
                }
                guard let length = SIPGrammar.decimal(digits, maximum: Int(Int32.max)) else {
                    throw fatal(
                        .bodyTooLarge, "the Content-Length is out of range", at: value.lowerBound,
                        expected: "a body of at most \(limits.maxBodySize) bytes")
                }
                found = length
            }
            guard let found else {
                throw fatal(
                    .missingContentLength, "a message on a stream has no Content-Length",
                    at: section.upperBound, expected: "a Content-Length header")
            }
            return found
        }
    }
}
