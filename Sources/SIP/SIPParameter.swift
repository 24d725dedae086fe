/// One `;name[=value]` parameter of a URI or a header value, kept as written (RFC 3261 §19.1.1, §25.1
/// generic-param).
public struct SIPParameter: Sendable, Hashable, CustomStringConvertible {
    /// The name as written; names compare case-insensitively (RFC 3261 §19.1.4).
    public var name: String
    /// The value as written (a quoted value keeps its quotes), or nil for a flag such as `lr` or `rport`.
    public var value: String?

    /// A parameter with the given name and optional value.
    public init(name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }

    /// `name` or `name=value`.
    public var description: String { value.map { "\(name)=\($0)" } ?? name }

    /// Reads `*( SEMI generic-param )` (RFC 3261 §25.1): white space is allowed around `;` and `=`, a value is a
    /// token, a host (IPv6 references included) or a quoted string. Stops before anything else, e.g. a comma.
    static func parseGeneric(_ cursor: inout SIPCursor, what: String) throws(SIPError) -> [SIPParameter] {
        var parameters: [SIPParameter] = []
        while true {
            let mark = cursor.index
            cursor.skipWhitespace()
            guard cursor.consume(SIPGrammar.semicolon) else {
                cursor.index = mark
                return parameters
            }
            cursor.skipWhitespace()
            let name = try cursor.token("a parameter name in \(what)")
            let afterName = cursor.index
            cursor.skipWhitespace()
            var value: String?
            if cursor.consume(SIPGrammar.equals) {
                cursor.skipWhitespace()
                if cursor.peek == SIPGrammar.quote {
                    value = cursor.string(try cursor.quotedString())
                } else {
                    let range = cursor.take(SIPGrammar.genValueTable)
                    guard !range.isEmpty else {
                        throw cursor.error(
                            .malformedHeaderValue, "a parameter of \(what) has '=' but no value", "a value")
                    }
                    value = cursor.string(range)
                }
            } else {
                cursor.index = afterName
            }
            parameters.append(SIPParameter(name: cursor.string(name), value: value))
        }
    }
}

extension Array where Element == SIPParameter {
    /// Whether a parameter with this name (compared case-insensitively) is present.
    public func contains(parameterNamed name: String) -> Bool {
        contains { $0.name.lowercased() == name.lowercased() }
    }

    /// The value of the first parameter with this name (compared case-insensitively): `.some(nil)` for a flag,
    /// nil when absent.
    public func value(ofParameterNamed name: String) -> String?? {
        let lowered = name.lowercased()
        guard let parameter = first(where: { $0.name.lowercased() == lowered }) else { return nil }
        return .some(parameter.value)
    }

    /// `;a;b=c` as written on the wire.
    var wireText: String {
        var text = ""
        for parameter in self {
            text += ";"
            text += parameter.description
        }
        return text
    }
}
