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

        /// The defaults listed in `conf/sotto.toml`.
        public init() {}
    }
}
