public import TLS
public import Transport

extension SignallingServer {
    /// Where and how to connect to the PBX, and how an inbound connection proves it is the PBX.
    public struct Upstream: Sendable {
        /// The PBX's address.
        public var address: SocketAddress
        /// The name its certificate must carry.
        public var serverName: String
        /// The client-role TLS context (CA, optional client certificate); replaced on SIGHUP.
        public var context: TLSContext
        /// Inbound connections may be the PBX's only from these IPs (every address the PBX's name resolves to).
        public var trustedIPs: Set<String>
        /// ... and only with a verified certificate carrying one of these names (SAN URI, SAN DNS, SAN IP or
        /// subject CN); empty: no inbound connection is the PBX's.
        public var trustedNames: Set<String>
        /// Backoff between connection attempts: doubles from `reconnectMin` up to `reconnectMax`.
        public var reconnectMin: Duration
        public var reconnectMax: Duration
        /// CRLF keep-alive pings on the upstream connection (RFC 5626 §4.4.1).
        public var keepAlive: Duration
        /// Ciphertext that may wait on the upstream connection: above half of it softphones are no longer
        /// read until it falls below a quarter; above all of it the connection is closed.
        public var maxPendingOutputBytes: Int
        /// How long a softphone's message waits for the upstream connection when it is down; zero: not at all.
        public var connectWait: Duration

        /// Collects the settings.
        public init(
            address: SocketAddress, serverName: String, context: TLSContext, trustedIPs: Set<String>,
            trustedNames: Set<String> = [], reconnectMin: Duration, reconnectMax: Duration, keepAlive: Duration,
            maxPendingOutputBytes: Int = 4_194_304, connectWait: Duration = .milliseconds(2000)
        ) {
            self.address = address
            self.serverName = serverName
            self.context = context
            self.trustedIPs = trustedIPs
            self.trustedNames = trustedNames
            self.reconnectMin = reconnectMin
            self.reconnectMax = reconnectMax
            self.keepAlive = keepAlive
            self.maxPendingOutputBytes = maxPendingOutputBytes
            self.connectWait = connectWait
        }

        /// Whether an inbound connection from `ip` whose certificate shows `identity` is the PBX.
        ///
        /// Security: both must hold. A source address alone is shared by everything behind a NAT or on the PBX's
        /// host and says nothing about who holds the PBX's key; a certificate name alone would let anyone the CA
        /// certifies under that name (a softphone's CA is the same bundle) connect from anywhere as the PBX. A
        /// trusted address without the name is therefore an ordinary softphone: it gets no PBX privileges
        /// (addressing other phones' flows), only the limits and policy every phone gets.
        func isPBX(ip: String, identity: TLSPeerIdentity) -> Bool {
            guard trustedIPs.contains(ip), !trustedNames.isEmpty else { return false }
            let lowered = Set(trustedNames.map { $0.lowercased() })
            // DNS names and common names compare without case (RFC 4343); URIs and IP addresses exactly.
            return identity.uris.contains { trustedNames.contains($0) }
                || identity.ipAddresses.contains { trustedNames.contains($0) }
                || (identity.dnsNames + identity.commonNames).contains { lowered.contains($0.lowercased()) }
        }
    }
}
