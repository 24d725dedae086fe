/// Whether a media section offers SRTP that Sotto can use, and if not, why not (docs/architecture.md, rule 1: no plain
/// leg).
///
/// The checks run in the order of the cases below; the first that fails gives the verdict.
public enum SDPSRTPVerdict: Sendable, Hashable {
    /// The `a=crypto` lines whose suite is allowed and whose every key parameter the caller found usable, in
    /// the order offered (RFC 4568 §7.1.1: the offerer lists them in order of preference).
    case usable([SDPCryptoAttribute])
    /// The protocol is not `RTP/SAVP` or `RTP/SAVPF` (RFC 3711 §12, RFC 5124 §6): plain RTP, or DTLS-SRTP, which
    /// carries no SDES keys.
    case notSecureProfile
    /// The section has no `a=crypto` line at all.
    case noCrypto
    /// No `a=crypto` line names a suite from the allow-list.
    case noAllowedSuite
    /// Every line with an allowed suite switches encryption or authentication off with a session
    /// parameter (RFC 4568 §6.3.2-6.3.3: `UNENCRYPTED_SRTP`, `UNENCRYPTED_SRTCP`, `UNAUTHENTICATED_SRTP`).
    /// That would be a plain leg in disguise, so it is refused like one.
    case protectionDisabled
    /// Some line names an allowed suite, but none parses with every key usable for its suite.
    case noUsableKey

    /// The usable lines; empty unless the verdict is ``usable(_:)``.
    public var usableAttributes: [SDPCryptoAttribute] {
        guard case .usable(let attributes) = self else { return [] }
        return attributes
    }
}
