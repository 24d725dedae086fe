/// Which way media flows on one leg, as that leg's peer declared it in SDP (RFC 3264 §5.1, §8.4): a call on
/// hold is a stream offered `a=sendonly` (or `a=inactive`) and answered `a=recvonly` (or `a=inactive`).
///
/// The relay does not enforce a direction (a peer that sends anyway is relayed as before); it uses it only to
/// pick the idle timeout: a session whose streams are all on hold may stay silent for much longer than one in
/// conversation (``MediaEngine/Configuration/holdTimeoutNanoseconds``).
public enum MediaDirection: String, Sendable, Hashable, CaseIterable {
    /// Both ways (the default when SDP says nothing).
    case sendrecv
    /// The peer sends and does not receive.
    case sendonly
    /// The peer receives and does not send.
    case recvonly
    /// Neither way.
    case inactive

    /// True for everything but `sendrecv`: media flows at most one way, so silence is expected.
    public var isHold: Bool { self != .sendrecv }

    /// Whether the peer that declared this direction sends media (`sendrecv` or `sendonly`).
    var peerSends: Bool { self == .sendrecv || self == .sendonly }

    /// Whether the peer that declared this direction receives media (`sendrecv` or `recvonly`).
    var peerReceives: Bool { self == .sendrecv || self == .recvonly }
}
