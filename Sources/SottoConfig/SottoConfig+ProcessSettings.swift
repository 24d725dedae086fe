extension SottoConfig {
    /// `[process]`: the account Sotto runs as once its sockets are bound.
    public struct ProcessSettings: Sendable, Equatable {
        /// `process.run_as_user`: the user (a name or a number) Sotto switches to once the SIP listener and the
        /// admin socket are bound and the audit log is open; empty means it stays the user it was started as.
        public var runAsUser = ""
        /// `process.run_as_group`: the group (a name or a number) Sotto switches to with ``runAsUser``; empty
        /// means that user's primary group. Its supplementary groups are dropped either way.
        public var runAsGroup = ""
        /// `process.allow_root`: whether Sotto may keep running as root. Without it, Sotto started as root with
        /// no ``runAsUser`` refuses to start, and ``runAsUser`` may not name root.
        public var allowRoot = false

        /// The defaults listed in `conf/sotto.toml`.
        public init() {}
    }
}
