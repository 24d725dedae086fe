/// The limits that keep a slow, silent or hostile TCP peer from holding resources: exceeding any
/// one closes the connection (or refuses it at accept) and is counted by reason.
public struct TCPLimits: Sendable, Hashable {
    /// Connections a listener holds at once; the next one is accepted and closed at once.
    public var maxConnections: Int
    /// Connections one source address (IP, any port) holds at once on a listener.
    public var maxConnectionsPerAddress: Int
    /// From accept (or connect) to a finished TLS handshake.
    public var handshakeTimeout: Duration
    /// Time with nothing received before the connection is closed.
    public var idleTimeout: Duration
    /// Plaintext received and not yet consumed by the handler (an unfinished SIP message, say).
    public var maxInputBytes: Int
    /// Ciphertext waiting for the peer to read it.
    public var maxOutputBytes: Int
    /// From starting an outbound connect to the TCP connection being established.
    public var connectTimeout: Duration

    /// Limits with defaults sized for a SIP-over-TLS edge.
    ///
    /// - Parameters:
    ///   - maxConnections: 10,000 softphones per listener.
    ///   - maxConnectionsPerAddress: 64, enough for a small office behind one NAT.
    ///   - handshakeTimeout: 10 s, generous for a phone on a poor mobile link.
    ///   - idleTimeout: 15 min: SIP outbound keep-alives (RFC 5626 §4.4.1) come every 2 min or so.
    ///   - maxInputBytes: 64 KiB, the largest SIP message Sotto accepts with room to spare.
    ///   - maxOutputBytes: 256 KiB of unsent ciphertext.
    ///   - connectTimeout: 5 s.
    public init(
        maxConnections: Int = 10_000,
        maxConnectionsPerAddress: Int = 64,
        handshakeTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(900),
        maxInputBytes: Int = 65_536,
        maxOutputBytes: Int = 262_144,
        connectTimeout: Duration = .seconds(5)
    ) {
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.handshakeTimeout = handshakeTimeout
        self.idleTimeout = idleTimeout
        self.maxInputBytes = maxInputBytes
        self.maxOutputBytes = maxOutputBytes
        self.connectTimeout = connectTimeout
    }
}
