extension SottoConfig {
    /// `[sip]`: the TLS listener softphones connect to, and the limits on what they may send.
    public struct SIPSettings: Sendable, Equatable {
        /// `sip.listen`: the address and port of the SIP-over-TLS listener.
        public var listen = HostPort(host: "0.0.0.0", port: 5061)
        /// `sip.advertised_host`: the host written into Via, Record-Route and Path (IPv6 without
        /// brackets); empty means ``SottoConfig/sipAdvertisedHost`` works it out.
        public var advertisedHost = ""
        /// `sip.cert`: absolute path of the PEM server certificate chain; required.
        public var cert = ""
        /// `sip.key`: absolute path of the PEM private key for ``cert``; required.
        public var key = ""
        /// `sip.ca`: absolute path of the PEM CA bundle that verifies the PBX and, with mTLS,
        /// softphones; required.
        public var ca = ""
        /// `sip.require_client_cert`: whether softphones must present a certificate the CA bundle
        /// verifies (mTLS).
        public var requireClientCert = false
        /// `sip.max_connections`: TLS connections open at once, all peers together.
        public var maxConnections = 10_000
        /// `sip.max_connections_per_address`: TLS connections open at once from one IP address.
        public var maxConnectionsPerAddress = 64
        /// `sip.handshake_timeout_ms`: how long a TLS handshake may take before the connection is closed.
        public var handshakeTimeout: Duration = .milliseconds(5000)
        /// `sip.idle_timeout_s`: how long a connection may carry nothing before it is closed.
        public var idleTimeout: Duration = .seconds(600)
        /// `sip.max_message_bytes`: the largest SIP message accepted; a bigger one closes the stream.
        public var maxMessageBytes = 65_536
        /// `sip.max_transactions`: requests in progress from everyone together (0: no limit).
        public var maxTransactions = 50_000
        /// `sip.max_transactions_per_connection`: requests in progress from one softphone connection (0: no limit).
        public var maxTransactionsPerConnection = 64
        /// `sip.requests_per_second_per_connection`: steady request rate of one softphone connection (0: no limit).
        public var requestsPerSecondPerConnection = 20
        /// `sip.requests_per_second_per_address`: steady request rate of every softphone connection from one
        /// address (0: no limit).
        public var requestsPerSecondPerAddress = 500
        /// `sip.max_registrations_per_connection`: bindings one softphone connection may hold (0: no limit).
        public var maxRegistrationsPerConnection = 4
        /// `sip.dialogs_bound_to_connection`: a request for a call another softphone connection owns gets 403.
        public var dialogsBoundToConnection = true
        /// `sip.client_identity`: "none", "uri" or "user": how a softphone's certificate must name the address
        /// of record it registers and calls as (needs `require_client_cert`).
        public var clientIdentity = "none"
        /// `sip.forward_softphone_identity`: pass softphones' P-Asserted-Identity, P-Preferred-Identity and
        /// Remote-Party-ID on to the PBX; false removes them (RFC 3325 trust domain).
        public var forwardSoftphoneIdentity = false
        /// `sip.max_handshakes`: TLS handshakes under way at once, all peers together; a connection
        /// beyond it is closed at accept.
        public var maxHandshakes = 256
        /// `sip.accepts_per_second_per_address`: new connections one address may open per second (a
        /// token bucket refilled at that rate, holding that many or `max_connections_per_address`, whichever
        /// is more); beyond it a connection is closed at accept.
        public var acceptsPerSecondPerAddress = 20
        /// `sip.ipv6_prefix_length`: the leading bits of an IPv6 address that make one address for the
        /// per-address limits (64: a /64 is one host).
        public var ipv6PrefixLength = 64
        /// `sip.max_keepalive_only_s`: how long keep-alive pings alone, without a complete SIP message,
        /// keep restarting a softphone connection's idle timer.
        public var maxKeepAliveOnly: Duration = .seconds(7200)

        /// The defaults listed in `conf/sotto.toml`.
        public init() {}
    }
}
