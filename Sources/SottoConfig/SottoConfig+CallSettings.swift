extension SottoConfig {
    /// `[calls]`: limits on calls and how they end when Sotto stops.
    public struct CallSettings: Sendable, Equatable {
        /// `calls.drain_s`: on SIGTERM, how long calls in progress may go on before Sotto ends them.
        public var drain: Duration = .seconds(30)
        /// `calls.max_calls`: calls at once; 0 means no limit other than the media ports.
        public var maxCalls = 0
        /// `calls.max_ringing_s`: how long a call may ring unanswered before Sotto gives it up.
        public var maxRinging: Duration = .seconds(300)
        /// `calls.max_streams_per_offer`: m= lines one offer may have.
        public var maxStreamsPerOffer = 4
        /// `calls.max_calls_per_connection`: calls on one softphone connection (0: no limit).
        public var maxCallsPerConnection = 32
        /// `calls.max_calls_per_address`: calls of every softphone connection from one address (0: no limit).
        public var maxCallsPerAddress = 1000
        /// `calls.max_calls_per_aor`: calls of one address of record (0: no limit).
        public var maxCallsPerAOR = 16

        /// The defaults listed in `conf/sotto.toml`.
        public init() {}
    }
}
