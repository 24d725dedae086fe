extension SottoConfig {
    /// `[calls]`: limits on calls and how they end when Sotto stops.
    public struct CallSettings: Sendable, Equatable {
        /// `calls.drain_s`: on SIGTERM, how long calls in progress may go on before Sotto ends them.
        public var drain: Duration = .seconds(30)
        /// `calls.max_calls`: calls at once; 0 means no limit other than the media ports.
        public var maxCalls = 0

        /// The defaults listed in `conf/sotto.toml`.
        public init() {}
    }
}
