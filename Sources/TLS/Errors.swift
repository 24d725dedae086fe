/// An error from the TLS module: a configuration that cannot be loaded, a refused handshake, or a
/// connection that failed after it.
///
/// Modelled on ``SRTP``'s `SRTPError` (after swift-certificates): a ``code`` that callers match on,
/// a ``reason`` sentence for people that includes OpenSSL's own reason when OpenSSL gave one, and
/// where the error was raised. Equality compares the code only. There is no byte offset: the TLS
/// module parses no wire format itself, OpenSSL does, and OpenSSL reports no offset.
public struct TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Kind: Sendable, Hashable {
            case invalidConfiguration
            case certificateLoadFailed
            case privateKeyLoadFailed
            case trustStoreLoadFailed
            case contextCreationFailed
            case connectionCreationFailed
            case handshakeFailed
            case certificateVerificationFailed
            case closedByPeer
            case protocolError
            case connectionClosed
        }

        let kind: Kind

        /// A configuration that cannot work (a missing file name, a client without a server name, ...).
        public static let invalidConfiguration = Code(kind: .invalidConfiguration)
        /// The certificate chain file could not be read or parsed.
        public static let certificateLoadFailed = Code(kind: .certificateLoadFailed)
        /// The private key file could not be read, parsed, or does not match the certificate.
        public static let privateKeyLoadFailed = Code(kind: .privateKeyLoadFailed)
        /// The CA bundle could not be read or parsed.
        public static let trustStoreLoadFailed = Code(kind: .trustStoreLoadFailed)
        /// OpenSSL refused to create or set up an `SSL_CTX`.
        public static let contextCreationFailed = Code(kind: .contextCreationFailed)
        /// OpenSSL refused to create an `SSL` or its memory BIOs.
        public static let connectionCreationFailed = Code(kind: .connectionCreationFailed)
        /// The handshake failed (protocol version, cipher, alert, malformed record, ...).
        public static let handshakeFailed = Code(kind: .handshakeFailed)
        /// The peer's certificate did not verify: unknown issuer, expired, wrong host name, or absent
        /// when required.
        public static let certificateVerificationFailed = Code(kind: .certificateVerificationFailed)
        /// The peer sent close_notify: an orderly end, not an attack (RFC 8446 §6.1).
        public static let closedByPeer = Code(kind: .closedByPeer)
        /// A TLS failure after the handshake (a bad record, an alert).
        public static let protocolError = Code(kind: .protocolError)
        /// The connection was already closed or failed on this side.
        public static let connectionClosed = Code(kind: .connectionClosed)

        public var description: String { String(describing: kind) }
    }

    /// What kind of failure this is.
    public let code: Code
    /// One sentence saying what went wrong, for a person, with OpenSSL's reason when it gave one.
    public let reason: String
    /// OpenSSL's own reason strings (from its error queue and the verify result), when it gave any.
    public let openSSLReason: String?
    /// Where the error was raised.
    public let file: String
    /// Where the error was raised.
    public let line: UInt

    package init(
        _ code: Code,
        _ reason: String,
        openSSLReason: String? = nil,
        file: String = #fileID,
        line: UInt = #line
    ) {
        self.code = code
        self.reason = reason
        self.openSSLReason = openSSLReason
        self.file = file
        self.line = line
    }

    public static func == (lhs: TLSError, rhs: TLSError) -> Bool { lhs.code == rhs.code }

    public var description: String { "TLSError.\(code): \(reason)" }
}
