import AdminProtocol
import ArgumentParser

/// `sottoctl sessions`.
struct SessionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "List live sessions: both legs' peers, suites, packets, drops, loss and jitter.")

    @OptionGroup var socket: SocketOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Sottoctl.run("sessions", as: [AdminSession].self, socket: socket, output: output) {
            SessionReport.list($0)
        }
    }
}

/// `sottoctl session ID`.
struct SessionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session", abstract: "Show one session in full.")

    @Argument(help: "The session id (from `sottoctl sessions`).")
    var id: UInt64

    @OptionGroup var socket: SocketOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Sottoctl.run(
            "session", args: ["id": .int(Int(truncatingIfNeeded: id))], as: AdminSession.self, socket: socket,
            output: output
        ) { SessionReport.detail($0) }
    }
}

/// `sottoctl terminate ID`.
struct TerminateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "terminate",
        abstract: "End a call: BYE both ways, end reason admin (operator role; written to the audit log).")

    @Argument(help: "The session id (from `sottoctl sessions`).")
    var id: UInt64

    @OptionGroup var socket: SocketOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Sottoctl.run(
            "terminate", args: ["id": .int(Int(truncatingIfNeeded: id))], as: AdminDone.self, socket: socket,
            output: output
        ) { [$0.message] }
    }
}
