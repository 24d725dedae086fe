/// A status line (RFC 3261 §7.2).
public struct SIPStatusLine: Sendable, Hashable, CustomStringConvertible {
    /// The SIP-Version as written.
    public var version: String
    /// The status code, 100 to 699.
    public var statusCode: Int
    /// The reason phrase as written; may be empty.
    public var reasonPhrase: String

    /// A status line, version `SIP/2.0`.
    public init(statusCode: Int, reasonPhrase: String) {
        self.version = "SIP/2.0"
        self.statusCode = statusCode
        self.reasonPhrase = reasonPhrase
    }

    public var description: String { "\(version) \(statusCode) \(reasonPhrase)" }
}
