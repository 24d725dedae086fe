/// What one ``ByteStream`` allows a peer before it closes the stream, each with its own
/// ``TCPCloseReason/Kind``. A listener's connection counts are ``TCPLimits``'s, which also carries
/// these for TLS streams (``TCPLimits/streamLimits``).
public struct StreamLimits: Sendable, Hashable {
    /// Time with nothing received before the stream closes (``TCPCloseReason/Kind/idleTimeout``);
    /// nil for an owner that decides itself when a quiet peer has waited long enough.
    public var idleTimeout: Duration?
    /// Bytes received and not yet consumed by the handler (``TCPCloseReason/Kind/inputLimit``).
    public var maxInputBytes: Int
    /// Bytes waiting for the peer to read them (``TCPCloseReason/Kind/outputLimit``). Checked when
    /// bytes are sent while some already wait, so one send into an empty queue is taken whole: a
    /// reply larger than the bound still reaches a peer that keeps up.
    public var maxOutputBytes: Int
    /// From starting an outbound connect to the connection being established
    /// (``TCPCloseReason/Kind/connectTimeout``).
    public var connectTimeout: Duration
    /// When true, only the owner's ``ByteStream/markActive()`` resets the idle timer, not every
    /// byte received (see ``TCPLimits/idleResetByOwner``).
    public var idleResetByOwner: Bool

    /// Limits with the defaults of ``TCPLimits``, without an idle timeout.
    public init(
        idleTimeout: Duration? = nil,
        maxInputBytes: Int = 65_536,
        maxOutputBytes: Int = 262_144,
        connectTimeout: Duration = .seconds(5),
        idleResetByOwner: Bool = false
    ) {
        self.idleTimeout = idleTimeout
        self.maxInputBytes = maxInputBytes
        self.maxOutputBytes = maxOutputBytes
        self.connectTimeout = connectTimeout
        self.idleResetByOwner = idleResetByOwner
    }
}

extension TCPLimits {
    /// The part of these limits each stream enforces itself (the handshake timeout is the TLS
    /// layer's).
    public var streamLimits: StreamLimits {
        StreamLimits(
            idleTimeout: idleTimeout, maxInputBytes: maxInputBytes, maxOutputBytes: maxOutputBytes,
            connectTimeout: connectTimeout, idleResetByOwner: idleResetByOwner)
    }
}
