/// A SIP, SIPS or tel URI, or a URI of another scheme kept opaque (RFC 3261 §19.1, RFC 3966, RFC 5118).
///
/// Components are kept as written (escapes included), so ``description`` writes back what was read for a URI in
/// the usual form; ``decodedUser`` undoes the escapes.
public struct SIPURI: Sendable, Hashable, CustomStringConvertible {
    /// The scheme, lower-cased: `sip`, `sips`, `tel`, or another scheme.
    public var scheme: String
    /// The user part of a SIP/SIPS URI or the number of a tel URI, escapes kept.
    public var user: String?
    /// The password of a SIP/SIPS URI's userinfo (RFC 3261 §19.1.1, deprecated but legal).
    public var password: String?
    /// The host as written: a name, an IPv4 address, or an IPv6 reference in brackets (RFC 5118 §4.1). Empty for
    /// tel and opaque URIs.
    public var host: String
    /// The port, if one was written.
    public var port: Int?
    /// The `;name=value` parameters, in order.
    public var parameters: [SIPParameter]
    /// The `?name=value&...` headers of a SIP/SIPS URI, in order.
    public var headers: [SIPParameter]
    /// Everything after `scheme:` for a scheme other than sip, sips and tel.
    public var opaque: String?

    /// A SIP or SIPS URI from its parts.
    public init(
        scheme: String = "sip",
        user: String? = nil,
        host: String,
        port: Int? = nil,
        parameters: [SIPParameter] = [],
        headers: [SIPParameter] = []
    ) {
        self.scheme = scheme.lowercased()
        self.user = user
        self.password = nil
        self.host = host
        self.port = port
        self.parameters = parameters
        self.headers = headers
        self.opaque = nil
    }

    /// Parses a URI on its own; error offsets count from its first byte.
    public init(parsing text: String) throws(SIPError) {
        self = try withUTF8Bytes(text) { (bytes) throws(SIPError) -> SIPURI in
            try SIPURI.parse(SIPCursor(bytes))
        }
    }

    /// Whether this is a SIPS URI, which asks for TLS on every hop (RFC 3261 §19.1).
    public var isSecure: Bool { scheme == "sips" }

    /// Whether the URI carries `;lr`, the mark of a loose router (RFC 3261 §19.1.1, §16.12).
    public var isLooseRoute: Bool { parameters.contains(parameterNamed: "lr") }

    /// The `transport` parameter, if any.
    public var transport: String? { parameters.value(ofParameterNamed: "transport") ?? nil }

    /// The user part with `%HH` escapes decoded (RFC 3261 §19.1.2).
    public var decodedUser: String? {
        guard let user else { return nil }
        var out: [UInt8] = []
        var bytes = Array(user.utf8)[...]
        while let byte = bytes.popFirst() {
            if byte == SIPGrammar.percent, bytes.count >= 2, SIPGrammar.isHex(bytes[bytes.startIndex]),
                SIPGrammar.isHex(bytes[bytes.startIndex + 1])
            {
                let high = bytes.removeFirst()
                let low = bytes.removeFirst()
                out.append(SIPGrammar.hexValue(high) << 4 | SIPGrammar.hexValue(low))
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The URI in its wire form.
    public var description: String {
        if let opaque { return "\(scheme):\(opaque)" }
        var text = scheme + ":"
        if let user {
            text += user
            if let password { text += ":" + password }
            if scheme != "tel" { text += "@" }
        }
        text += host
        if let port { text += ":\(port)" }
        text += parameters.wireText
        for (index, header) in headers.enumerated() {
            text += index == 0 ? "?" : "&"
            text += "\(header.name)=\(header.value ?? "")"
        }
        return text
    }

    /// Reads a whole URI from `cursor` (which spans exactly the URI's bytes).
    static func parse(_ start: SIPCursor) throws(SIPError) -> SIPURI {
        var cursor = start
        // RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
        guard let first = cursor.peek, SIPGrammar.isAlpha(first) else {
            throw cursor.error(.malformedURI, "a URI must start with a scheme", "a URI scheme")
        }
        while let byte = cursor.peek,
            SIPGrammar.isAlpha(byte) || SIPGrammar.isDigit(byte) || byte == 0x2B || byte == 0x2D || byte == 0x2E
        {
            cursor.index += 1
        }
        let schemeRange = 0..<cursor.index
        guard cursor.consume(SIPGrammar.colon) else {
            throw cursor.error(.malformedURI, "a URI scheme must be followed by ':'", "':'")
        }
        let scheme = cursor.string(schemeRange).lowercased()
        switch scheme {
        case "sip", "sips": return try parseSIP(&cursor, scheme: scheme)
        case "tel": return try parseTel(&cursor)
        default: return try parseOpaque(&cursor, scheme: scheme)
        }
    }

    /// RFC 3261 §25.1: SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]
    private static func parseSIP(_ cursor: inout SIPCursor, scheme: String) throws(SIPError) -> SIPURI {
        var uri = SIPURI(scheme: scheme, host: "")
        // userinfo ends at the first '@': no other part of a SIP URI may hold an unescaped '@'.
        if cursor.slice(cursor.index..<cursor.bytes.count).contains(SIPGrammar.at) {
            let user = try cursor.takeEscaped(SIPGrammar.userTable, what: "the user part")
            guard !user.isEmpty else {
                throw cursor.error(.malformedURI, "the user part of the URI is empty", "a user")
            }
            uri.user = cursor.string(user)
            if cursor.consume(SIPGrammar.colon) {
                uri.password = cursor.string(try cursor.takeEscaped(SIPGrammar.passwordTable, what: "the password"))
            }
            guard cursor.consume(SIPGrammar.at) else {
                throw cursor.error(.malformedURI, "the user part of the URI holds a character it cannot", "'@'")
            }
        }
        uri.host = try parseHost(&cursor, what: "the URI's host")
        if cursor.consume(SIPGrammar.colon) {
            uri.port = try parsePort(&cursor, code: .malformedURI)
        }
        while cursor.consume(SIPGrammar.semicolon) {
            let name = try cursor.takeEscaped(SIPGrammar.paramTable, what: "a URI parameter")
            guard !name.isEmpty else { throw cursor.error(.malformedURI, "a URI parameter has no name", "a name") }
            var value: String?
            if cursor.consume(SIPGrammar.equals) {
                let range = try cursor.takeEscaped(SIPGrammar.paramTable, what: "a URI parameter")
                guard !range.isEmpty else {
                    throw cursor.error(.malformedURI, "a URI parameter has '=' but no value", "a value")
                }
                value = cursor.string(range)
            }
            uri.parameters.append(SIPParameter(name: cursor.string(name), value: value))
        }
        if cursor.consume(SIPGrammar.question) {
            repeat {
                let name = try cursor.takeEscaped(SIPGrammar.headerTable, what: "a URI header")
                guard !name.isEmpty, cursor.consume(SIPGrammar.equals) else {
                    throw cursor.error(.malformedURI, "a URI header must be name=value", "a URI header")
                }
                let value = try cursor.takeEscaped(SIPGrammar.headerTable, what: "a URI header")
                uri.headers.append(SIPParameter(name: cursor.string(name), value: cursor.string(value)))
            } while cursor.consume(SIPGrammar.ampersand)
        }
        guard cursor.isAtEnd else {
            throw cursor.error(.malformedURI, "the URI holds a character it cannot", "';', '?' or the end of the URI")
        }
        return uri
    }

    /// RFC 3966 §3: telephone-subscriber with its parameters; the number is checked loosely (digits, hex,
    /// visual separators, `*`, `#`, `+`).
    private static func parseTel(_ cursor: inout SIPCursor) throws(SIPError) -> SIPURI {
        let start = cursor.index
        while let byte = cursor.peek, SIPGrammar.isHex(byte) || "*#+-.()".utf8.contains(byte) { cursor.index += 1 }
        guard cursor.index > start else {
            throw cursor.error(.malformedURI, "a tel URI has no number", "a telephone number")
        }
        var uri = SIPURI(scheme: "tel", user: cursor.string(start..<cursor.index), host: "")
        while cursor.consume(SIPGrammar.semicolon) {
            let name = try cursor.takeEscaped(SIPGrammar.paramTable, what: "a tel URI parameter")
            guard !name.isEmpty else { throw cursor.error(.malformedURI, "a tel URI parameter has no name", "a name") }
            var value: String?
            if cursor.consume(SIPGrammar.equals) {
                value = cursor.string(try cursor.takeEscaped(SIPGrammar.paramTable, what: "a tel URI parameter"))
            }
            uri.parameters.append(SIPParameter(name: cursor.string(name), value: value))
        }
        guard cursor.isAtEnd else {
            throw cursor.error(.malformedURI, "the tel URI holds a character it cannot", "';' or the end of the URI")
        }
        return uri
    }

    /// Any other scheme (RFC 3261 §19.1 absoluteURI): kept opaque; a proxy answers 416 if it cannot route it.
    private static func parseOpaque(_ cursor: inout SIPCursor, scheme: String) throws(SIPError) -> SIPURI {
        let start = cursor.index
        while let byte = cursor.peek, byte > 0x20, byte != 0x7F, byte != SIPGrammar.lessThan,
            byte != SIPGrammar.greaterThan, byte != SIPGrammar.quote
        {
            cursor.index += 1
        }
        guard cursor.isAtEnd, cursor.index > start else {
            throw cursor.error(.malformedURI, "the \(scheme) URI is empty or holds a character it cannot", "a URI")
        }
        var uri = SIPURI(scheme: scheme, host: "")
        uri.opaque = cursor.string(start..<cursor.index)
        return uri
    }

    /// host = hostname / IPv4address / IPv6reference (RFC 3261 §25.1, RFC 5118 §4.1). Returned as written.
    static func parseHost(_ cursor: inout SIPCursor, what: String) throws(SIPError) -> String {
        let start = cursor.index
        if cursor.consume(SIPGrammar.openBracket) {
            var colons = 0
            while let byte = cursor.peek, SIPGrammar.isHex(byte) || byte == SIPGrammar.colon || byte == 0x2E {
                if byte == SIPGrammar.colon { colons += 1 }
                cursor.index += 1
            }
            guard colons >= 2, cursor.consume(SIPGrammar.closeBracket) else {
                throw cursor.error(.malformedURI, "\(what) is not a valid IPv6 reference", "an IPv6 address and ']'")
            }
            return cursor.string(start..<cursor.index)
        }
        let range = cursor.take(SIPGrammar.hostTable)
        guard !range.isEmpty else { throw cursor.error(.malformedURI, "\(what) is missing", "a host") }
        return cursor.string(range)
    }

    /// port = 1*DIGIT, at most 65535.
    static func parsePort(_ cursor: inout SIPCursor, code: SIPError.Code) throws(SIPError) -> Int {
        let range = cursor.take(SIPGrammar.digitTable)
        guard let port = SIPGrammar.decimal(cursor.slice(range), maximum: 65_535) else {
            cursor.index = range.lowerBound
            throw cursor.error(code, "a port must be a decimal number up to 65535", "a decimal port")
        }
        return port
    }
}
