/// Why a stream ended (a ``ByteStream`` over TCP or a Unix socket, or a ``TLSStream``): a kind to
/// count and match on, and a sentence for the log.
public struct TCPCloseReason: Sendable, Equatable, CustomStringConvertible {
    /// The kinds of ending, each counted separately in ``TransportCounters``.
    public enum Kind: Int, Sendable, Hashable, CaseIterable {
        /// The peer sent close_notify or closed its end of the stream.
        case closedByPeer
        /// Sotto closed it (``ByteStream/close()``, ``TLSStream/close()``, its owner, or the listener
        /// stopped).
        case closedLocally
        /// The TLS handshake failed: version, cipher, certificate, garbage.
        case handshakeFailed
        /// The TLS handshake did not finish within ``TCPLimits/handshakeTimeout``.
        case handshakeTimeout
        /// Nothing arrived within ``StreamLimits/idleTimeout`` (``TCPLimits/idleTimeout``).
        case idleTimeout
        /// Unconsumed input (plaintext, for TLS) exceeded ``StreamLimits/maxInputBytes``.
        case inputLimit
        /// Unsent bytes exceeded ``StreamLimits/maxOutputBytes`` (a peer that does not read).
        case outputLimit
        /// A TLS failure after the handshake (bad record, alert).
        case tlsError
        /// A socket error (reset, broken pipe, ...).
        case ioError
        /// An outbound connect was refused or failed.
        case connectFailed
        /// An outbound connect did not complete within ``StreamLimits/connectTimeout``.
        case connectTimeout
    }

    /// The kind of ending.
    public let kind: Kind
    /// One sentence naming the peer and the cause.
    public let detail: String

    /// Creates a reason.
    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    /// Compares kinds only: the sentence is for people.
    public static func == (lhs: TCPCloseReason, rhs: TCPCloseReason) -> Bool { lhs.kind == rhs.kind }

    public var description: String { "\(kind): \(detail)" }
}
