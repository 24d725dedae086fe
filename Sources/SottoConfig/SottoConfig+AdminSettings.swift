extension SottoConfig {
    /// `[admin]`: the admin socket `sottoctl` talks to, who may do what on it, and the audit log.
    public struct AdminSettings: Sendable, Equatable {
        /// `admin.socket`: the path of the admin Unix socket (absolute once loaded).
        public var socket = "/run/sotto/admin.sock"
        /// `admin.socket_group`: the group the socket is given (name or number); empty keeps Sotto's own.
        public var socketGroup = ""
        /// `admin.audit_log`: where state-changing commands and refusals are written (absolute once loaded).
        public var auditLog = "/var/log/sotto/admin-audit.jsonl"
        /// `admin.viewers`, `admin.operators`, `admin.admins`: who has each role, as `uid:N`, `gid:N`,
        /// `user:NAME` or `group:NAME`.
        public var viewers: [String] = []
        public var operators: [String] = []
        public var admins = ["uid:0"]
        /// `admin.audit_max_bytes`: the audit log is rotated once it reaches this size (the chain carries on
        /// into the new file); 0: only on SIGHUP.
        public var auditMaxBytes = 64 << 20
        /// `admin.max_connections`: admin connections open at once.
        public var maxConnections = 16
        /// `admin.reserved_connections`: the last connections, of `max_connections`, that only operators and
        /// admins may take.
        public var reservedConnections = 4
        /// `admin.max_connections_per_uid`: connections one uid may have open at once.
        public var maxConnectionsPerUID = 8
        /// `admin.snapshots_per_s`: commands that take a snapshot of the relay (and `watch` frames) per
        /// connection per second; twice as many may come in a burst.
        public var snapshotsPerSecond = 10
        /// `admin.refusals_per_s`: refused requests per connection per second (twice as many in a burst)
        /// before it is answered `rate_limited`.
        public var refusalsPerSecond = 5
        /// `admin.audit_refusals_per_min`: audit lines for refusals per minute, across all connections (as
        /// many in a burst); past it they are counted into one `audit-suppressed` line.
        public var auditRefusalsPerMinute = 60
        /// `admin.auditors`: who has the auditor role (compliance officers), the only role that may reach the
        /// recordings; same forms as the other roles.
        public var auditors: [String] = []

        /// The defaults listed in `conf/sotto.toml`.
        public init() {}
    }
}
