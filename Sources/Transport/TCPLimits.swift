/// The limits that keep a slow, silent or hostile TCP peer from holding resources: exceeding any
/// one closes the connection (or refuses it at accept) and is counted by reason.
public struct TCPLimits: Sendable, Hashable {
    /// Connections a listener holds at once; the next one is accepted and closed at once.
    public var maxConnections: Int
    /// Connections one source address (IP, any port; an IPv6 prefix, see ``ipv6PrefixLength``)
    /// holds at once on a listener.
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
    /// TLS handshakes a listener runs at once, all peers together; a connection accepted beyond it
    /// is closed at once. Handshakes are the costly part of a connection (public-key operations), so
    /// this bounds what a burst of new connections can take from the loop they share.
    public var maxHandshakes: Int
    /// Connections one address (as ``maxConnectionsPerAddress`` counts them) may open per second:
    /// a token bucket refilled at this rate, holding this many tokens or ``maxConnectionsPerAddress``,
    /// whichever is more. Beyond it a connection is closed at accept, before any TLS work.
    public var acceptsPerSecondPerAddress: Int
    /// How many leading bits of an IPv6 address make "one address" for the per-address limits: one
    /// host usually holds a whole /64 (RFC 4291 §2.5.1), so keying on the full address would give it
    /// 2^64 separate allowances. 128 keys on the exact address. IPv4 is always the exact address.
    public var ipv6PrefixLength: Int
    /// When true, receiving bytes does not reset the idle timer: the owner resets it with
    /// ``TLSStream/markActive()`` when what arrived counts (a whole SIP message, say), so a peer
    /// trickling a byte now and then cannot hold the connection.
    public var idleResetByOwner: Bool

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
    ///   - maxHandshakes: 256 handshakes in progress.
    ///   - acceptsPerSecondPerAddress: 20 new connections per second from one address.
    ///   - ipv6PrefixLength: 64.
    ///   - idleResetByOwner: false, every byte received resets the idle timer.
    public init(
        maxConnections: Int = 10_000,
        maxConnectionsPerAddress: Int = 64,
        handshakeTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(900),
        maxInputBytes: Int = 65_536,
        maxOutputBytes: Int = 262_144,
        connectTimeout: Duration = .seconds(5),
        maxHandshakes: Int = 256,
        acceptsPerSecondPerAddress: Int = 20,
        ipv6PrefixLength: Int = 64,
        idleResetByOwner: Bool = false
    ) {
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
        self.handshakeTimeout = handshakeTimeout
        self.idleTimeout = idleTimeout
        self.maxInputBytes = maxInputBytes
        self.maxOutputBytes = maxOutputBytes
        self.connectTimeout = connectTimeout
        self.maxHandshakes = maxHandshakes
        self.acceptsPerSecondPerAddress = acceptsPerSecondPerAddress
        self.ipv6PrefixLength = ipv6PrefixLength
        self.idleResetByOwner = idleResetByOwner
    }
}
