/// An SRTP crypto suite, named as SDP security descriptions spell it (RFC 4568 §6.2, RFC 6188 §7.1,
/// RFC 7714 §14.1).
///
/// The table of lengths below is the whole difference between suites as far as Sotto is concerned;
/// libsrtp2 does the rest.
public enum SRTPProfile: String, Sendable, CaseIterable, Hashable {
    /// AES-128 counter mode, HMAC-SHA1 with an 80-bit tag (RFC 4568 §6.2.1).
    case aesCM128HMACSHA1_80 = "AES_CM_128_HMAC_SHA1_80"
    /// AES-128 counter mode, HMAC-SHA1 with a 32-bit SRTP tag; SRTCP keeps 80 bits (RFC 4568 §6.2.2).
    case aesCM128HMACSHA1_32 = "AES_CM_128_HMAC_SHA1_32"
    /// AES-256 counter mode, HMAC-SHA1 with an 80-bit tag (RFC 6188 §7.1).
    case aes256CMHMACSHA1_80 = "AES_256_CM_HMAC_SHA1_80"
    /// AES-256 counter mode, HMAC-SHA1 with a 32-bit SRTP tag; SRTCP keeps 80 bits (RFC 6188 §7.1).
    case aes256CMHMACSHA1_32 = "AES_256_CM_HMAC_SHA1_32"
    /// AES-128 GCM with a 128-bit tag (RFC 7714 §14.1).
    case aeadAES128GCM = "AEAD_AES_128_GCM"
    /// AES-256 GCM with a 128-bit tag (RFC 7714 §14.1).
    case aeadAES256GCM = "AEAD_AES_256_GCM"

    /// Octets of master key.
    public var masterKeyLength: Int {
        switch self {
        case .aesCM128HMACSHA1_80, .aesCM128HMACSHA1_32, .aeadAES128GCM: 16
        case .aes256CMHMACSHA1_80, .aes256CMHMACSHA1_32, .aeadAES256GCM: 32
        }
    }

    /// Octets of master salt: 112 bits for counter mode (RFC 3711 §8.2), 96 for GCM (RFC 7714 §12).
    public var masterSaltLength: Int { isAEAD ? 12 : 14 }

    /// Whether this is an AEAD (GCM) suite.
    public var isAEAD: Bool { self == .aeadAES128GCM || self == .aeadAES256GCM }

    /// Octets of authentication tag on each SRTP packet.
    public var rtpTagLength: Int {
        switch self {
        case .aesCM128HMACSHA1_80, .aes256CMHMACSHA1_80: 10
        case .aesCM128HMACSHA1_32, .aes256CMHMACSHA1_32: 4
        case .aeadAES128GCM, .aeadAES256GCM: 16
        }
    }

    /// Octets of authentication tag on each SRTCP packet (the `_32` suites keep 80 bits for SRTCP).
    public var rtcpTagLength: Int { isAEAD ? 16 : 10 }

    /// Whether keys for this suite may carry an MKI. Not for the `_32` suites: libsrtp2 2.5 looks
    /// for the MKI of an SRTCP packet at the SRTP tag length, so it cannot verify SRTCP with an MKI
    /// when the two tag lengths differ (its own types and Sotto's fail alike). SDES peers rarely
    /// send an MKI; such an offer is refused rather than half-working.
    public var supportsMKI: Bool { rtpTagLength == rtcpTagLength }

    /// The most packets one master key may protect (RFC 3711 §9.2 and RFC 4568 §6.1: 2^48 for SRTP).
    public static let maximumKeyLifetime: UInt64 = 1 << 48
}
