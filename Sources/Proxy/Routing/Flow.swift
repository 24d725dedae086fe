import TLS

/// A TLS connection the proxy sends and receives SIP on, by number.
public typealias FlowID = UInt64

/// Which side a connection belongs to. Requests from a softphone always go to the PBX; only the PBX may
/// address a softphone's flow (by the token in a Route).
public enum FlowKind: String, Sendable, Hashable {
    /// An agent's softphone: one connection, one flow token (RFC 5626 style).
    case softphone
    /// The PBX: Sotto's own upstream connection, or an inbound one from a trusted PBX address.
    case pbx
}

/// One connection as the proxy knows it.
struct Flow {
    let id: FlowID
    let kind: FlowKind
    /// `ip:port` of the peer, for Via `received`/`rport` and logs.
    let peerIP: String
    let peerPort: UInt16
    /// The random token written into Path and Record-Route for this flow (softphones only).
    let token: String
    /// The names in the peer's verified TLS certificate (empty without one): what the connection proved it is.
    var peerIdentity: TLSPeerIdentity = .none

    var peerDescription: String { peerIP.contains(":") ? "[\(peerIP)]:\(peerPort)" : "\(peerIP):\(peerPort)" }
}
