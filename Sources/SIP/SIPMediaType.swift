/// A Content-Type value: a media type and its parameters (RFC 3261 §20.15, §25.1 media-type).
public struct SIPMediaType: Sendable, Hashable, CustomStringConvertible {
    /// The top-level type, e.g. `application` (as written; compare case-insensitively).
    public var type: String
    /// The subtype, e.g. `sdp` (as written; compare case-insensitively).
    public var subtype: String
    /// The parameters, e.g. `boundary`, in order.
    public var parameters: [SIPParameter]

    /// A media type.
    public init(type: String, subtype: String, parameters: [SIPParameter] = []) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
    }

    /// `application/sdp`.
    public static let sdp = SIPMediaType(type: "application", subtype: "sdp")

    /// Whether this is `application/sdp`, ignoring case and parameters.
    public var isSDP: Bool { type.lowercased() == "application" && subtype.lowercased() == "sdp" }

    /// `type/subtype;params`.
    public var description: String { "\(type)/\(subtype)" + parameters.wireText }

    /// media-type = m-type SLASH m-subtype *(SEMI m-parameter), with white space allowed around each separator.
    static func parse(_ start: SIPCursor) throws(SIPError) -> SIPMediaType {
        var cursor = start
        cursor.skipWhitespace()
        let type = try cursor.token("the media type")
        cursor.skipWhitespace()
        guard cursor.consume(SIPGrammar.slash) else {
            throw cursor.error(.malformedHeaderValue, "a media type must be type/subtype", "'/'")
        }
        cursor.skipWhitespace()
        let subtype = try cursor.token("the media subtype")
        let parameters = try SIPParameter.parseGeneric(&cursor, what: "the Content-Type")
        cursor.skipWhitespace()
        try cursor.expectEnd("the Content-Type")
        return SIPMediaType(type: cursor.string(type), subtype: cursor.string(subtype), parameters: parameters)
    }
}
