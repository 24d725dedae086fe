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
    /// Whether it takes a snapshot of the relay's loops (sessions, counters, registrations): such commands,
    /// and each `watch` frame, are limited per connection, since each one makes the media and signalling
    /// loops stop to answer.
    public var takesSnapshot: Bool

    /// A table row.
    public init(
        name: String, role: AdminRole, arguments: [Argument], help: String, changesState: Bool,
        takesSnapshot: Bool = false
    ) {
        self.name = name
        self.role = role
        self.arguments = arguments
        self.help = help
        self.changesState = changesState
        self.takesSnapshot = takesSnapshot
    }

    /// Every command, in the order `help` lists them.
    public static let table: [AdminCommand] = [
        AdminCommand(name: "help", role: .viewer, arguments: [], help: "List the commands.", changesState: false),
        AdminCommand(
            name: "version", role: .viewer, arguments: [], help: "Sotto's version and start time.", changesState: false),
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
                Argument(name: "interval_ms", type: "int", required: false, help: "between snapshots (default 1000)")
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
    ]

    /// The command named `name`.
    public static func named(_ name: String) -> AdminCommand? { table.first { $0.name == name } }
}
