import AdminProtocol
import ArgumentParser

/// `sottoctl registrations`.
struct RegistrationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registrations",
        abstract: "List softphone registrations seen through sotto: AOR, contact, flow, source, expiry.")

    @OptionGroup var socket: SocketOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Sottoctl.run("registrations", as: [AdminRegistration].self, socket: socket, output: output) {
            RelayReport.registrations($0)
        }
    }
}

/// `sottoctl stats`.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show the totals: calls, packets, drops by reason, TLS connections, ports, loops.")

    @OptionGroup var socket: SocketOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Sottoctl.run("stats", as: AdminStats.self, socket: socket, output: output) { RelayReport.stats($0) }
    }
}

/// `sottoctl metrics`.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Print the counters in Prometheus text format (--json wraps the text in a JSON string).")

    @OptionGroup var socket: SocketOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Sottoctl.failing {
            let text = try AdminClient(path: socket.path).call("metrics", as: String.self)
            if output.json {
                Output.json(text)
            } else {
                Output.write(text.hasSuffix("\n") || text.isEmpty ? text : text + "\n")
            }
        }
    }
}

/// `sottoctl log-level LEVEL`.
struct LogLevelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-level", abstract: "Change sotto's log level at once (operator role; audited).")

    // The relay checks the level (and its refusal is audited like any attempt); the list is for --help only.
    @Argument(
        help: ArgumentHelp(
            "trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var level: String

    @OptionGroup var socket: SocketOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Sottoctl.run(
            "log-level", args: ["level": .string(level)], as: AdminDone.self, socket: socket, output: output
        ) { [$0.message] }
    }
}

/// `sottoctl config`.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the effective configuration, secrets left out (admin role).")

    @OptionGroup var socket: SocketOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Sottoctl.run("config", as: AdminConfig.self, socket: socket, output: output) {
            RelayReport.config($0)
        }
    }
}

/// `sottoctl version`.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Show the running relay's version and start time (and this sottoctl's version).")

    @OptionGroup var socket: SocketOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Sottoctl.run("version", as: AdminVersion.self, socket: socket, output: output) {
            RelayReport.version($0)
        }
    }
}
