/// A SIP request or response: start line, header fields in order, body (RFC 3261 §7).
///
/// The headers every message needs (Via, From, To, Call-ID, CSeq) and the ones a proxy reads for every message
/// (Max-Forwards, Content-Length, Content-Type) are parsed when the message is made, so a `SIPMessage` always has
/// them and they are valid. Every other header is kept as written and parsed on request (``routes()``,
/// ``contacts()``, ...). An unchanged parsed message serialises back byte for byte; edits keep that invariant:
/// they fail, leaving the message as it was, when they would make it invalid.
public struct SIPMessage: Sendable, Hashable {
    /// The request line or status line.
    public internal(set) var startLine: SIPStartLine
    /// Every header field, in order, unknown ones included verbatim.
    public internal(set) var headers: [SIPHeader]
    /// The body (its length is Content-Length when that header is present).
    public internal(set) var body: [UInt8]
    /// The hot headers, read from ``headers``.
    private var hot: SIPHotHeaders

    /// A message from its parts; fails if a required header is missing or a hot header does not parse.
    public init(startLine: SIPStartLine, headers: [SIPHeader], body: [UInt8] = []) throws(SIPError) {
        for header in headers { try header.validateForInsertion() }
        try self.init(startLine: startLine, headers: headers, body: body, offsets: nil)
    }

    init(
        startLine: SIPStartLine,
        headers: [SIPHeader],
        body: [UInt8],
        offsets: [Int]?,
        sectionEnd: Int = 0
    ) throws(SIPError) {
        self.startLine = startLine
        self.headers = headers
        self.body = body
        self.hot = try SIPHotHeaders(
            headers: headers,
            offsets: offsets,
            sectionEnd: sectionEnd,
            startLine: startLine,
            bodyCount: body.count
        )
    }

    /// Whether this is a request.
    public var isRequest: Bool {
        if case .request = startLine { return true }
        return false
    }

    /// The request line of a request, nil for a response.
    public var requestLine: SIPRequestLine? {
        if case .request(let line) = startLine { return line }
        return nil
    }

    /// The status line of a response, nil for a request.
    public var statusLine: SIPStatusLine? {
        if case .response(let line) = startLine { return line }
        return nil
    }

    /// The request method, or for a response the method in CSeq.
    public var method: SIPMethod { requestLine?.method ?? hot.cseq.method }

    /// Every Via value, top first, across all Via headers (RFC 3261 §20.42).
    public var via: [SIPVia] { hot.via }
    /// The From header (RFC 3261 §20.20).
    public var from: SIPNameAddress { hot.from }
    /// The To header (RFC 3261 §20.39).
    public var to: SIPNameAddress { hot.to }
    /// The Call-ID (RFC 3261 §20.8).
    public var callID: String { hot.callID }
    /// The CSeq (RFC 3261 §20.16).
    public var cseq: SIPCSeq { hot.cseq }
    /// Max-Forwards, if present (RFC 3261 §20.22).
    public var maxForwards: Int? { hot.maxForwards }
    /// Content-Length, if present (RFC 3261 §20.14).
    public var contentLength: Int? { hot.contentLength }
    /// Content-Type, if present (RFC 3261 §20.15).
    public var contentType: SIPMediaType? { hot.contentType }

    /// Replaces the whole state after an edit, or leaves it untouched when the edit breaks the message.
    mutating func commit(startLine: SIPStartLine? = nil, headers: [SIPHeader], body: [UInt8]? = nil) throws(SIPError) {
        let line = startLine ?? self.startLine
        let newBody = body ?? self.body
        do {
            let hot = try SIPHotHeaders(headers: headers, offsets: nil, startLine: line, bodyCount: newBody.count)
            self.startLine = line
            self.headers = headers
            self.body = newBody
            self.hot = hot
        } catch {
            throw SIPError(
                .invalidEdit, "the edit would break the message: \(error.reason)", offset: error.offset,
                expected: error.expected)
        }
    }
}
