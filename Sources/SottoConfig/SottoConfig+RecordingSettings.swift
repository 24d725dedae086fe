extension SottoConfig {
    /// `[recording]`: the recording vault. Off by default; when on, the calls the mode and rules pick are captured,
    /// sealed to the recipients' public keys and kept for their retention period (docs/recording.md).
    public struct RecordingSettings: Sendable, Equatable {
        /// Which calls are recorded when recording is on.
        public enum Mode: String, Sendable, Equatable, CaseIterable {
            /// Every call, except those a rule with `record = false` exempts.
            case all
            /// Only calls a rule with `record = true` picks.
            case rules
        }

        /// `recording.enabled`: whether Sotto records at all.
        public var enabled = false
        /// `recording.mode`: which calls are recorded.
        public var mode = Mode.all
        /// `recording.directory`: where the sealed recordings and their index (`index.sqlite`) live (absolute once
        /// loaded). Created mode 0700 at start if absent; its parent must exist.
        public var directory = "/var/lib/sotto/recordings"
        /// `recording.recipients`: the file of recipients' public keys (`sotto-recording-key-1 ...` lines) every
        /// recording's data key is sealed to; absolute once loaded. Required when ``enabled``.
        public var recipients = ""
        /// `recording.retention_days`: days a recording is kept before retention shreds it, unless a rule says
        /// otherwise or it is on legal hold.
        public var retentionDays = 90
        /// `recording.required`: true: a call that must be recorded but cannot be (the vault is unavailable, the
        /// disk is full) is refused with 503 and an alert; false: it goes on unrecorded, with an alert.
        public var required = false
        /// `recording.chunk_s`: how often a recording's buffered media is sealed into a chunk and synced to
        /// disk: the most a crash can lose.
        public var chunkInterval: Duration = .seconds(2)
        /// `recording.ring_bytes`: the capture ring of each media loop, in bytes. Full, it loses recorded packets
        /// (counted as `recordingOverrun`), never relayed ones.
        public var ringBytes = 8 << 20
        /// `[[recording.rule]]`: the rules, in order; the first that matches a call decides.
        public var rules: [RecordingRule] = []

        /// The defaults listed in `conf/sotto.toml`.
        public init() {}

        /// Whether a call is recorded, and for how long it is kept: off when recording is off; else the first
        /// rule that matches decides; with no match, mode `all` records (with ``retentionDays``) and mode `rules`
        /// does not. `headerValues` gives the values of the named header in the INVITE (names compared ignoring
        /// case, as SIP does).
        public func decision(
            caller: String, callee: String, requestURI: String, headerValues: (String) -> [String]
        ) -> RecordingDecision {
            guard enabled else { return RecordingDecision(record: false, retentionDays: retentionDays, rule: nil) }
            for (index, rule) in rules.enumerated()
            where rule.matches(caller: caller, callee: callee, requestURI: requestURI, headerValues: headerValues) {
                return RecordingDecision(
                    record: rule.record, retentionDays: rule.retentionDays ?? retentionDays, rule: index + 1)
            }
            return RecordingDecision(record: mode == .all, retentionDays: retentionDays, rule: nil)
        }
    }
}

/// What ``SottoConfig/RecordingSettings/decision(caller:callee:requestURI:headerValues:)`` says about one call.
public struct RecordingDecision: Sendable, Equatable {
    /// Whether the call is recorded.
    public var record: Bool
    /// How long it is kept, in days.
    public var retentionDays: Int
    /// The 1-based number of the rule that decided, or nil when none matched (the mode decided).
    public var rule: Int?

    /// A decision.
    public init(record: Bool, retentionDays: Int, rule: Int?) {
        self.record = record
        self.retentionDays = retentionDays
        self.rule = rule
    }
}
