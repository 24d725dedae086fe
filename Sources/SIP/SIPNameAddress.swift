/// A `name-addr` or `addr-spec` with its header parameters: the value of From, To, Contact, Route,
/// Record-Route, Path and similar headers (RFC 3261 §20.10, §20.20, §20.39, §25.1).
public struct SIPNameAddress: Sendable, Hashable, CustomStringConvertible {
    /// The display name, unquoted and unescaped, if one was written.
    public var displayName: String?
    /// The address.
    public var uri: SIPURI
    /// The header parameters after the address (`tag`, `expires`, `q`, ...), in order.
    public var parameters: [SIPParameter]
    /// Whether the address was written in angle brackets (always so in ``description``).
    public var hasAngleBrackets: Bool

    /// An address with an optional display name and parameters.
    public init(displayName: String? = nil, uri: SIPURI, parameters: [SIPParameter] = []) {
        self.displayName = displayName
        self.uri = uri
        self.parameters = parameters
        self.hasAngleBrackets = true
    }

    /// Parses one name-addr or addr-spec with parameters; error offsets count from its first byte.
    public init(parsing text: String) throws(SIPError) {
        self = try withUTF8Bytes(text) { (bytes) throws(SIPError) -> SIPNameAddress in
            try SIPNameAddress.parse(SIPCursor(bytes), what: "the address")
        }
    }

    /// The `tag` parameter of From and To (RFC 3261 §19.3).
    public var tag: String? { parameters.value(ofParameterNamed: "tag") ?? nil }

    /// The value in its wire form: `"Display" <uri>;params`, the display name quoted and escaped.
    public var description: String {
        var text = ""
        if let displayName {
            text += "\""
            for character in displayName {
                if character == "\"" || character == "\\" { text += "\\" }
                text.append(character)
            }
            text += "\" "
        }
        text += "<\(uri)>" + parameters.wireText
        return text
    }

    /// Reads one element (the cursor spans exactly it). `requireBrackets` is for Route, Record-Route and Path,
    /// whose grammar allows name-addr only (RFC 3261 §25.1 rec-route, route-param; RFC 3327 §4).
    static func parse(_ start: SIPCursor, what: String, requireBrackets: Bool = false) throws(SIPError)
        -> SIPNameAddress
    {
        var cursor = start
        cursor.skipWhitespace()
        var displayName: String?
        if cursor.peek == SIPGrammar.quote {
            let range = try cursor.quotedString()
            displayName = unquote(cursor.slice(range))
            cursor.skipWhitespace()
            guard cursor.peek == SIPGrammar.lessThan else {
                throw cursor.error(.malformedHeaderValue, "in \(what), a display name must be followed by '<'", "'<'")
            }
        } else if cursor.peek != SIPGrammar.lessThan {
            // display-name = *(token LWS): only if a '<' follows the tokens; otherwise this is an addr-spec.
            let mark = cursor.index
            while let byte = cursor.peek, SIPGrammar.isToken(byte) || SIPGrammar.isWSP(byte) { cursor.index += 1 }
            if cursor.peek == SIPGrammar.lessThan, cursor.index > mark {
                var end = cursor.index
                while end > mark, SIPGrammar.isWSP(cursor.bytes[end - 1]) { end -= 1 }
                displayName = cursor.string(mark..<end)
            } else {
                cursor.index = mark
            }
        }
        let uri: SIPURI
        let bracketed = cursor.consume(SIPGrammar.lessThan)
        if bracketed {
            let uriStart = cursor.index
            while let byte = cursor.peek, byte != SIPGrammar.greaterThan { cursor.index += 1 }
            let uriEnd = cursor.index
            guard cursor.consume(SIPGrammar.greaterThan) else {
                throw cursor.error(.malformedHeaderValue, "in \(what), '<' has no matching '>'", "'>'")
            }
            uri = try SIPURI.parse(SIPCursor(cursor.slice(uriStart..<uriEnd), base: cursor.base + uriStart))
        } else {
            guard !requireBrackets else {
                throw cursor.error(.malformedHeaderValue, "\(what) must be a name-addr in angle brackets", "'<'")
            }
            // RFC 3261 §20.10: without brackets, parameters after ';' belong to the header, not the URI.
            let uriStart = cursor.index
            while let byte = cursor.peek, byte != SIPGrammar.semicolon, !SIPGrammar.isWSP(byte) { cursor.index += 1 }
            guard cursor.index > uriStart else {
                throw cursor.error(.malformedHeaderValue, "\(what) has no address", "a URI or '<'")
            }
            uri = try SIPURI.parse(SIPCursor(cursor.slice(uriStart..<cursor.index), base: cursor.base + uriStart))
        }
        let parameters = try SIPParameter.parseGeneric(&cursor, what: what)
        cursor.skipWhitespace()
        try cursor.expectEnd(what)
        var address = SIPNameAddress(displayName: displayName, uri: uri, parameters: parameters)
        address.hasAngleBrackets = bracketed
        return address
    }

    /// The content of a quoted string, its quoted pairs undone.
    static func unquote(_ quoted: UnsafeBufferPointer<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(quoted.count)
        var index = 1
        while index < quoted.count - 1 {
            if quoted[index] == SIPGrammar.backslash { index += 1 }
            out.append(quoted[index])
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
