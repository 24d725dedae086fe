/// One Via header value: the sent-protocol, sent-by and parameters of one hop (RFC 3261 §20.42, §18.2.1,
/// RFC 3581 for `rport`, RFC 5118 §4.5 for IPv6).
public struct SIPVia: Sendable, Hashable, CustomStringConvertible {
    /// The protocol name, `SIP` (as written).
    public var protocolName: String
    /// The protocol version, `2.0` (as written).
    public var protocolVersion: String
    /// The transport, e.g. `TLS`, `TCP`, `UDP`, `WSS` (as written; compare case-insensitively).
    public var transport: String
    /// The sent-by host as written: a name, an IPv4 address or a bracketed IPv6 reference.
    public var host: String
    /// The sent-by port, if one was written.
    public var port: Int?
    /// The parameters (`branch`, `received`, `rport`, `maddr`, `ttl`, others), in order.
    public var parameters: [SIPParameter]

    /// A `SIP/2.0/<transport>` Via for the given sent-by and parameters.
    public init(transport: String, host: String, port: Int? = nil, parameters: [SIPParameter] = []) {
        self.protocolName = "SIP"
        self.protocolVersion = "2.0"
        self.transport = transport
        self.host = host
        self.port = port
        self.parameters = parameters
    }

    /// Parses one Via value; error offsets count from its first byte.
    public init(parsing text: String) throws(SIPError) {
        self = try withUTF8Bytes(text) { (bytes) throws(SIPError) -> SIPVia in try SIPVia.parse(SIPCursor(bytes)) }
    }

    /// The `branch` parameter: the transaction identifier (RFC 3261 §8.1.1.7, §17.2.3).
    public var branch: String? { parameters.value(ofParameterNamed: "branch") ?? nil }
    /// The `received` parameter: the source address the previous hop saw (RFC 3261 §18.2.1).
    public var received: String? { parameters.value(ofParameterNamed: "received") ?? nil }
    /// Whether `rport` is present, with or without a value (RFC 3581 §3, §4).
    public var hasRPort: Bool { parameters.contains(parameterNamed: "rport") }
    /// The `rport` value filled in by a server (RFC 3581 §4), nil when absent or empty.
    public var rport: Int? {
        guard let value = parameters.value(ofParameterNamed: "rport") ?? nil else { return nil }
        return Int(value)
    }

    /// The value in its wire form.
    public var description: String {
        var text = "\(protocolName)/\(protocolVersion)/\(transport) \(host)"
        if let port { text += ":\(port)" }
        return text + parameters.wireText
    }

    /// via-parm = sent-protocol LWS sent-by *( SEMI via-params ); sent-protocol = protocol-name SLASH
    /// protocol-version SLASH transport, with white space allowed around each SLASH (RFC 3261 §25.1).
    static func parse(_ start: SIPCursor) throws(SIPError) -> SIPVia {
        var cursor = start
        cursor.skipWhitespace()
        let name = try cursor.token("the Via protocol name")
        try slash(&cursor)
        let version = try cursor.token("the Via protocol version")
        try slash(&cursor)
        let transport = try cursor.token("the Via transport")
        let beforeSpace = cursor.index
        cursor.skipWhitespace()
        guard cursor.index > beforeSpace else {
            throw cursor.error(.malformedHeaderValue, "a Via transport must be followed by white space", "SP")
        }
        let host: String
        do {
            host = try SIPURI.parseHost(&cursor, what: "the Via sent-by host")
        } catch {
            throw SIPError(.malformedHeaderValue, error.reason, offset: error.offset, expected: error.expected)
        }
        var via = SIPVia(transport: cursor.string(transport), host: host)
        via.protocolName = cursor.string(name)
        via.protocolVersion = cursor.string(version)
        cursor.skipWhitespace()
        if cursor.consume(SIPGrammar.colon) {
            cursor.skipWhitespace()
            via.port = try SIPURI.parsePort(&cursor, code: .malformedHeaderValue)
        }
        let parametersStart = cursor.index
        via.parameters = try SIPParameter.parseGeneric(&cursor, what: "the Via")
        cursor.skipWhitespace()
        try cursor.expectEnd("the Via")
        if let rport = via.parameters.value(ofParameterNamed: "rport"), let value = rport,
            Int(value).map({ !(0...65_535).contains($0) }) ?? true
        {
            cursor.index = parametersStart
            throw cursor.error(.invalidNumber, "the Via rport is not a port number", "a decimal port")
        }
        return via
    }

    private static func slash(_ cursor: inout SIPCursor) throws(SIPError) {
        cursor.skipWhitespace()
        guard cursor.consume(SIPGrammar.slash) else {
            throw cursor.error(.malformedHeaderValue, "a Via sent-protocol must be name/version/transport", "'/'")
        }
        cursor.skipWhitespace()
    }
}
