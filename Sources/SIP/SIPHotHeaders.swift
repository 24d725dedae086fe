/// The headers read eagerly from every message, and the checks on them (RFC 3261 §8.1.1, §8.2.2, §20).
struct SIPHotHeaders: Sendable, Hashable {
    var via: [SIPVia] = []
    var from: SIPNameAddress
    var to: SIPNameAddress
    var callID: String
    var cseq: SIPCSeq
    var maxForwards: Int?
    var contentLength: Int?
    var contentType: SIPMediaType?

    /// Reads the hot headers. `offsets[i]` is where header `i`'s value starts in the message (nil for a message
    /// built or edited in memory, whose error offsets then count within the value).
    init(
        headers: [SIPHeader],
        offsets: [Int]?,
        sectionEnd: Int = 0,
        startLine: SIPStartLine,
        bodyCount: Int
    ) throws(SIPError) {
        var via: [SIPVia] = []
        var from: SIPNameAddress?
        var to: SIPNameAddress?
        var callID: String?
        var cseq: SIPCSeq?
        var maxForwards: Int?
        var contentLength: Int?
        var contentType: SIPMediaType?
        var seen = Set<String>()
        let end = sectionEnd

        for (index, header) in headers.enumerated() {
            let base = offsets?[index] ?? 0
            let key = header.canonicalName
            // RFC 3261 §7.3.1: only list headers may appear more than once.
            if Self.singleHeaders.contains(key) {
                guard seen.insert(key).inserted else {
                    throw SIPError(
                        .duplicateHeader, "the message has more than one \(header.name) header", offset: base,
                        expected: "a single \(header.name)")
                }
            }
            switch key {
            case "via":
                via += try SIPValueList.parseEach(header.value, base: base, what: "the Via") {
                    (cursor) throws(SIPError) in
                    try SIPVia.parse(cursor)
                }
            case "from":
                from = try Self.address(header.value, base: base, what: "the From header")
            case "to":
                to = try Self.address(header.value, base: base, what: "the To header")
            case "call-id":
                callID = try Self.callID(header.value, base: base)
            case "cseq":
                cseq = try withUTF8Bytes(header.value) { (bytes) throws(SIPError) in
                    try SIPCSeq.parse(SIPCursor(bytes, base: base))
                }
            case "max-forwards":
                // RFC 3261 §20.22 and RFC 4475 §3.1.2.3: a value above 255 is invalid.
                maxForwards = try Self.number(header.value, base: base, maximum: 255, what: "Max-Forwards")
            case "content-length":
                contentLength = try Self.number(
                    header.value, base: base, maximum: Int(Int32.max), what: "Content-Length")
            case "content-type":
                contentType = try withUTF8Bytes(header.value) { (bytes) throws(SIPError) in
                    try SIPMediaType.parse(SIPCursor(bytes, base: base))
                }
            default:
                break
            }
        }

        // RFC 3261 §8.1.1: To, From, CSeq, Call-ID and Via are mandatory. Max-Forwards is too for a UAC, but a
        // proxy adds it when missing (§16.6 step 3), so it is not required here.
        guard !via.isEmpty else { throw Self.missing("Via", end) }
        guard let from else { throw Self.missing("From", end) }
        guard let to else { throw Self.missing("To", end) }
        guard let callID else { throw Self.missing("Call-ID", end) }
        guard let cseq else { throw Self.missing("CSeq", end) }
        if case .request(let line) = startLine, line.method != cseq.method {
            let index = headers.firstIndex { $0.canonicalName == "cseq" } ?? 0
            throw SIPError(
                .methodMismatch,
                "the CSeq method \(cseq.method) does not match the request method \(line.method)",
                offset: offsets?[index] ?? 0,
                expected: "CSeq method \(line.method)"
            )
        }
        if let contentLength, contentLength != bodyCount {
            let index = headers.firstIndex { $0.canonicalName == "content-length" } ?? 0
            throw SIPError(
                .bodyLengthMismatch,
                "the Content-Length is \(contentLength) but the body has \(bodyCount) bytes",
                offset: offsets?[index] ?? 0,
                expected: "Content-Length \(bodyCount)"
            )
        }
        self.via = via
        self.from = from
        self.to = to
        self.callID = callID
        self.cseq = cseq
        self.maxForwards = maxForwards
        self.contentLength = contentLength
        self.contentType = contentType
    }

    /// Headers that may appear once only (RFC 3261 §7.3.1: the others are comma-separated lists).
    private static let singleHeaders: Set<String> = [
        "from", "to", "call-id", "cseq", "max-forwards", "content-length", "content-type",
    ]

    private static func missing(_ name: String, _ offset: Int) -> SIPError {
        SIPError(.missingHeader, "the message has no \(name) header", offset: offset, expected: "a \(name) header")
    }

    private static func address(_ value: String, base: Int, what: String) throws(SIPError) -> SIPNameAddress {
        try withUTF8Bytes(value) { (bytes) throws(SIPError) in
            try SIPNameAddress.parse(SIPCursor(bytes, base: base), what: what)
        }
    }

    /// callid = word [ "@" word ] (RFC 3261 §25.1).
    private static func callID(_ value: String, base: Int) throws(SIPError) -> String {
        try withUTF8Bytes(value) { (bytes) throws(SIPError) in
            var cursor = SIPCursor(bytes, base: base)
            let first = cursor.take(SIPGrammar.wordTable)
            guard !first.isEmpty else {
                throw cursor.error(
                    .malformedHeaderValue, "the Call-ID is empty or starts with a character it cannot",
                    "a Call-ID word")
            }
            if cursor.consume(SIPGrammar.at) {
                guard !cursor.take(SIPGrammar.wordTable).isEmpty else {
                    throw cursor.error(.malformedHeaderValue, "the Call-ID has nothing after '@'", "a Call-ID word")
                }
            }
            guard cursor.isAtEnd else {
                throw cursor.error(.malformedHeaderValue, "the Call-ID holds a character it cannot", "a Call-ID word")
            }
            return value
        }
    }

    /// 1*DIGIT up to `maximum`.
    private static func number(_ value: String, base: Int, maximum: Int, what: String) throws(SIPError) -> Int {
        try withUTF8Bytes(value) { (bytes) throws(SIPError) in
            guard let number = SIPGrammar.decimal(bytes, maximum: maximum) else {
                throw SIPError(
                    .invalidNumber, "the \(what) must be a decimal number from 0 to \(maximum)",
                    offset: base, expected: "a decimal number")
            }
            return number
        }
    }
}
