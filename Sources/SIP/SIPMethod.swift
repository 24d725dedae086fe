/// A request method: a case-sensitive token (RFC 3261 §7.1, §25.1 Method), with the common ones named.
public struct SIPMethod: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The method as written.
    public let rawValue: String

    /// A method from its token.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// A method from a string literal.
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    /// RFC 3261 §13.
    public static let invite = SIPMethod("INVITE")
    /// RFC 3261 §17.1.1.3.
    public static let ack = SIPMethod("ACK")
    /// RFC 3261 §15.
    public static let bye = SIPMethod("BYE")
    /// RFC 3261 §9.
    public static let cancel = SIPMethod("CANCEL")
    /// RFC 3261 §10.
    public static let register = SIPMethod("REGISTER")
    /// RFC 3261 §11.
    public static let options = SIPMethod("OPTIONS")
    /// RFC 3262.
    public static let prack = SIPMethod("PRACK")
    /// RFC 3311.
    public static let update = SIPMethod("UPDATE")
    /// RFC 6086.
    public static let info = SIPMethod("INFO")
    /// RFC 6665.
    public static let subscribe = SIPMethod("SUBSCRIBE")
    /// RFC 6665.
    public static let notify = SIPMethod("NOTIFY")
    /// RFC 3515.
    public static let refer = SIPMethod("REFER")
    /// RFC 3428.
    public static let message = SIPMethod("MESSAGE")
    /// RFC 3903.
    public static let publish = SIPMethod("PUBLISH")
}
