import SIP

/// A softphone binding seen passing through Sotto (REGISTER from the phone, 2xx from the registrar).
public struct ProxyRegistration: Sendable, Hashable {
    /// The address of record (the REGISTER's To).
    public var aor: String
    /// The contact the phone registered.
    public var contact: String
    /// The phone's flow.
    public var flow: FlowID
    /// The phone's connection, `ip:port`.
    public var source: String
    /// When the binding expires, on the proxy's clock.
    public var expires: UInt64
}
