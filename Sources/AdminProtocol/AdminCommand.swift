/// The declarative command table: the server dispatches from it and `help` lists it, so a command cannot
/// exist without its role and help text.
public struct AdminCommand: Sendable, Equatable, Codable {
    /// One argument of a command.
    public struct Argument: Sendable, Equatable, Codable {
        public var name: String
        /// `string`, `int` or `bool`.
        public var type: String
        public var required: Bool
        public var help: String
    }

    public var name: String
    /// The least role that may run it.
    public var role: AdminRole
    public var arguments: [Argument]
    public var help: String
    /// Whether it changes state (and is therefore written to the audit log).
    public var changesState: Bool
    /// Whether each run of it, and each refusal, is written to the audit log: every command that changes state,
    /// and every command that reaches a recording even only to read it (an access to a recording is always
    /// traceable).
    public var audited: Bool
    /// Whether it takes a snapshot of the relay's loops (sessions, counters, registrations): such commands,
    /// and each `watch` frame, are limited per connection, since each one makes the media and signalling
    /// loops stop to answer.
    public var takesSnapshot: Bool

    /// A table row; `audited` defaults to `changesState`.
    public init(
        name: String, role: AdminRole, arguments: [Argument], help: String, changesState: Bool,
        takesSnapshot: Bool = false, audited: Bool? = nil
    ) {
        self.name = name
        self.role = role
        self.arguments = arguments
        self.help = help
        self.changesState = changesState
        self.takesSnapshot = takesSnapshot
        self.audited = audited ?? changesState
    }

    private enum CodingKeys: String, CodingKey {
        case name, role, arguments, help, changesState, takesSnapshot, audited
    }

    /// Decodes a row; one from a relay older than `audited` is audited when it changes state.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        role = try container.decode(AdminRole.self, forKey: .role)
        arguments = try container.decode([Argument].self, forKey: .arguments)
        help = try container.decode(String.self, forKey: .help)
        changesState = try container.decode(Bool.self, forKey: .changesState)
        takesSnapshot = try container.decode(Bool.self, forKey: .takesSnapshot)
        audited = try container.decodeIfPresent(Bool.self, forKey: .audited) ?? changesState
    }

    /// Whether it is one of the recordings commands (the auditor's alone).
    public var isRecordings: Bool { name.hasPrefix("recordings-") }

    /// Every command, in the order `help` lists them.
    public static let table: [AdminCommand] =
        [
            AdminCommand(name: "help", role: .viewer, arguments: [], help: "List the commands.", changesState: false),
            AdminCommand(
                name: "version", role: .viewer, arguments: [], help: "Sotto's version and start time.",
                changesState: false),
            AdminCommand(
                name: "sessions", role: .viewer, arguments: [],
                help: "Live sessions with both legs' addresses, suites, counters, drops, loss and jitter.",
                changesState: false, takesSnapshot: true),
            AdminCommand(
                name: "session", role: .viewer,
                arguments: [Argument(name: "id", type: "int", required: true, help: "the session id")],
                help: "One session in full.", changesState: false, takesSnapshot: true),
            AdminCommand(
                name: "terminate", role: .operator,
                arguments: [Argument(name: "id", type: "int", required: true, help: "the session id")],
                help: "End a call: BYE both ways, end reason admin.", changesState: true),
            AdminCommand(
                name: "registrations", role: .viewer, arguments: [],
                help: "Softphone registrations seen through Sotto: AOR, contact, flow, source, expiry.",
                changesState: false, takesSnapshot: true),
            AdminCommand(
                name: "stats", role: .viewer, arguments: [],
                help: "Totals, drops by reason, TLS connections and failures, ports, per-loop load.",
                changesState: false, takesSnapshot: true),
            AdminCommand(
                name: "watch", role: .viewer,
                arguments: [
                    Argument(
                        name: "interval_ms", type: "int", required: false, help: "between snapshots (default 1000)")
                ],
                help: "A snapshot of stats and sessions every interval until the client closes.", changesState: false,
                takesSnapshot: true),
            AdminCommand(
                name: "metrics", role: .viewer, arguments: [],
                help: "The stats in Prometheus text exposition format 0.0.4.", changesState: false, takesSnapshot: true),
            AdminCommand(
                name: "log-level", role: .operator,
                arguments: [
                    Argument(
                        name: "level", type: "string", required: true,
                        help: "trace, debug, info, notice, warning, error or critical")
                ],
                help: "Change the log level at once.", changesState: true),
            AdminCommand(
                name: "config", role: .admin, arguments: [], help: "The effective configuration, secrets left out.",
                changesState: false),
            AdminCommand(
                name: "record", role: .operator,
                arguments: [
                    Argument(name: "id", type: "int", required: true, help: "the session id"),
                    Argument(name: "action", type: "string", required: true, help: "start, stop, pause or resume"),
                ],
                help: "Start, stop, pause or resume recording a live call (pause: a marked gap, not audio).",
                changesState: true),
        ] + recordingsTable

    /// The recordings commands: the auditor's alone, each run and each refusal audited with the recording id and
    /// the reason.
    static let recordingsTable: [AdminCommand] = [
        AdminCommand(
            name: "recordings-list", role: .auditor,
            arguments: [
                Argument(
                    name: "from", type: "string", required: false,
                    help: "started at or after: a UTC date (2026-12-01) or time (2026-12-01T09:00:00Z)"),
                Argument(
                    name: "to", type: "string", required: false,
                    help: "started before: a UTC time, or a date (that whole day included)"),
                Argument(
                    name: "party", type: "string", required: false,
                    help: "caller or callee: a pattern with * wildcards, else a substring"),
            ],
            help: "The recordings in the index, oldest first.", changesState: false, audited: true),
        AdminCommand(
            name: "recordings-show", role: .auditor,
            arguments: [Argument(name: "id", type: "string", required: true, help: "the recording id")],
            help: "One recording's index row.", changesState: false, audited: true),
        AdminCommand(
            name: "recordings-export", role: .auditor,
            arguments: [
                Argument(name: "id", type: "string", required: true, help: "the recording id"),
                Argument(name: "reason", type: "string", required: true, help: "why it is exported"),
            ],
            help:
                "The row, the sealed data keys and the file's size, and a one-time token for recordings-read on "
                + "this connection.",
            changesState: false, audited: true),
        AdminCommand(
            name: "recordings-read", role: .auditor,
            arguments: [
                Argument(name: "token", type: "string", required: true, help: "from recordings-export"),
                Argument(name: "offset", type: "int", required: true, help: "the first byte"),
                Argument(name: "length", type: "int", required: true, help: "bytes, at most 262144"),
            ],
            help: "Bytes of an exported recording's sealed file, base64 (the export is audited, not each read).",
            changesState: false),
        AdminCommand(
            name: "recordings-hold", role: .auditor,
            arguments: [
                Argument(name: "id", type: "string", required: true, help: "the recording id"),
                Argument(name: "reason", type: "string", required: true, help: "why it is held"),
            ],
            help: "Put a recording on legal hold: retention does not shred it.", changesState: true),
        AdminCommand(
            name: "recordings-release", role: .auditor,
            arguments: [
                Argument(name: "id", type: "string", required: true, help: "the recording id"),
                Argument(name: "reason", type: "string", required: true, help: "why the hold ends"),
            ],
            help: "End a legal hold: retention shreds the recording once past its deadline.", changesState: true),
        AdminCommand(
            name: "recordings-delete", role: .auditor,
            arguments: [
                Argument(name: "id", type: "string", required: true, help: "the recording id"),
                Argument(name: "reason", type: "string", required: true, help: "why it is deleted"),
            ],
            help: "Shred a recording now (its sealed key, then its file); refused while it is on hold.",
            changesState: true),
    ]

    /// The command named `name`.
    public static func named(_ name: String) -> AdminCommand? { table.first { $0.name == name } }
}
