extension SottoConfig {
    /// `[upstream]`: the PBX, which Sotto reaches only over TLS.
    public struct UpstreamSettings: Sendable, Equatable {
        /// `upstream.address`: where the PBX listens for SIP over TLS; required (nil until set).
        public var address: HostPort?
        /// `upstream.server_name`: the name checked against the PBX's certificate; empty means
        /// the host of ``address`` (see ``tlsServerName``).
        public var serverName = ""
        /// `upstream.client_cert`: absolute path of a PEM certificate chain for mTLS toward the PBX,
        /// or empty for none. Set together with ``clientKey``.
        public var clientCert = ""
        /// `upstream.client_key`: absolute path of the PEM private key for ``clientCert``, or empty.
        public var clientKey = ""
        /// `upstream.trusted_addresses`: IP addresses whose inbound TLS connections are the PBX rather
        /// than softphones; empty means the address(es) ``address`` resolves to at start.
        public var trustedAddresses: [String] = []
        /// `upstream.reconnect_min_ms`: the first wait before reconnecting to the PBX; it doubles per
        /// failure up to ``reconnectMax``.
        public var reconnectMin: Duration = .milliseconds(500)
        /// `upstream.reconnect_max_ms`: the longest wait between reconnection attempts.
        public var reconnectMax: Duration = .milliseconds(30_000)
        /// `upstream.keepalive_s`: how often Sotto sends a keep-alive on the PBX connection.
        public var keepalive: Duration = .seconds(30)
        /// `upstream.max_pending_output_bytes`: bytes waiting to be sent on the PBX connection; above half
        /// of it Sotto stops reading from softphones until it drains, and only above all of it is the
        /// connection closed.
        public var maxPendingOutputBytes = 4_194_304
        /// `upstream.trusted_names`: certificate names (SAN URI, SAN DNS, SAN IP or subject CN) of which an
        /// inbound connection from a trusted address must present one to count as the PBX; empty means
        /// ``tlsServerName`` (see ``effectiveTrustedNames``).
        public var trustedNames: [String] = []
        /// `upstream.connect_wait_ms`: how long a request waits for the PBX connection when it is down
        /// (an immediate connection attempt is made); 0 answers 503 at once.
        public var connectWait: Duration = .milliseconds(2000)

        /// The defaults listed in `conf/sotto.toml`.
        public init() {}

        /// The name to check the PBX's certificate against: ``serverName``, else the host of ``address``.
        public var tlsServerName: String? { serverName.isEmpty ? address?.host : serverName }

        /// The names an inbound PBX connection's certificate may carry: ``trustedNames``, else ``tlsServerName``.
        public var effectiveTrustedNames: [String] {
            trustedNames.isEmpty ? (tlsServerName.map { [$0] } ?? []) : trustedNames
        }
    }
}
