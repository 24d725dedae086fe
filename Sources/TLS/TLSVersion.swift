internal import COpenSSL

/// A TLS protocol version Sotto speaks. There is no case below TLS 1.2: Sotto is a security
/// product and TLS 1.0/1.1 are deprecated (RFC 8996), so no configuration can enable them.
public enum TLSVersion: String, Sendable, Hashable, CaseIterable, Comparable {
    /// TLS 1.2 (RFC 5246), with ECDHE and AEAD suites only.
    case v1_2 = "TLSv1.2"
    /// TLS 1.3 (RFC 8446), preferred.
    case v1_3 = "TLSv1.3"

    var openSSLValue: Int32 {
        switch self {
        case .v1_2: TLS1_2_VERSION
        case .v1_3: TLS1_3_VERSION
        }
    }

    private var order: Int {
        switch self {
        case .v1_2: 0
        case .v1_3: 1
        }
    }

    public static func < (lhs: TLSVersion, rhs: TLSVersion) -> Bool { lhs.order < rhs.order }
}
