extension SottoConfig {
    /// `[admin]`: the admin socket `sottoctl` talks to.
    public struct AdminSettings: Sendable, Equatable {
        /// `admin.socket`: the path of the admin Unix socket (absolute once loaded).
        public var socket = "/run/sotto/admin.sock"

        /// The defaults listed in `conf/sotto.toml`.
        public init() {}
    }
}
