/// The media direction attributes of RFC 4566 §6 (`a=sendrecv`, `a=sendonly`, `a=recvonly`, `a=inactive`),
/// which RFC 3264 §5.1 and §6.1 give offer/answer meaning.
public enum SDPDirection: String, Sendable, Hashable, CaseIterable {
    /// Send and receive; the default when no direction attribute is present (RFC 3264 §5.1).
    case sendrecv
    /// Send only.
    case sendonly
    /// Receive only.
    case recvonly
    /// Neither send nor receive (for example a call on hold).
    case inactive
}
