extension SottoConfig {
    /// `[log]`: what Sotto logs.
    public struct LogSettings: Sendable, Equatable {
        /// `log.level`: the lowest level logged.
        public var level = LogLevel.info

        /// The defaults listed in `conf/sotto.toml`.
        public init() {}
    }
}
