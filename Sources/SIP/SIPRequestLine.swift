/// A request line (RFC 3261 §7.1).
public struct SIPRequestLine: Sendable, Hashable, CustomStringConvertible {
    /// The method.
    public var method: SIPMethod
    /// The Request-URI.
    public var uri: SIPURI {
        didSet { uriText = uri.description }
    }
    /// The Request-URI as written (kept so that an unchanged message serialises byte for byte).
    public private(set) var uriText: String
    /// The SIP-Version as written (`SIP/2.0`, letters in any case).
    public var version: String

    /// A request line for `uri`, version `SIP/2.0`.
    public init(method: SIPMethod, uri: SIPURI) {
        self.method = method
        self.uri = uri
        self.uriText = uri.description
        self.version = "SIP/2.0"
    }

    init(method: SIPMethod, uri: SIPURI, uriText: String, version: String) {
        self.method = method
        self.uri = uri
        self.uriText = uriText
        self.version = version
    }

    public var description: String { "\(method) \(uriText) \(version)" }
}
