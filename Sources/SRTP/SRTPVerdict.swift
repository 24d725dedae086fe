/// Why a packet was not protected or unprotected. Every drop on the media path is one of these,
/// counted, never an exception.
public enum SRTPVerdict: UInt8, Sendable, CaseIterable, Hashable {
    /// The authentication tag did not verify: tampering, a wrong key, or plain RTP on an SRTP leg.
    case authFailed
    /// The packet index was seen before, or is older than the replay window (RFC 3711 §3.3.2).
    case replay
    /// Shorter than an RTP/RTCP header plus the SRTP trailer.
    case tooShort
    /// Longer than any UDP datagram can be.
    case tooLong
    /// Not RTP/RTCP version 2, or a header whose CSRC list or extension overruns the packet.
    case malformed
    /// The caller's buffer leaves no room for the SRTP trailer (a programming error upstream).
    case noTailroom
    /// The master key has protected as many packets as it may (RFC 3711 §9.2): re-key.
    case keyExhausted
    /// The packet's MKI names no key of this context.
    case unknownMKI
    /// Any other failure reported by libsrtp2 or the crypto underneath it.
    case cryptoFailure
}

/// The outcome of protecting or unprotecting one packet in place.
@frozen
public enum SRTPResult: Sendable, Hashable {
    /// Done: the packet now occupies this many bytes from the start of the buffer.
    case ok(length: Int)
    /// Not done; the buffer's contents must not be used (a failed GCM unprotect may have written
    /// unverified plaintext into it).
    case dropped(SRTPVerdict)

    /// The new length, or nil when the packet was dropped.
    @inlinable
    public var length: Int? {
        if case .ok(let length) = self { return length }
        return nil
    }
}
