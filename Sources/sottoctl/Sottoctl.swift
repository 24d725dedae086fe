import AdminProtocol
import ArgumentParser

/// `sottoctl`: the admin client. Each subcommand is one admin-socket command (except `audit verify`, which
/// reads a file); tables for people by default, `--json` for scripts.
@main
struct Sottoctl: ParsableCommand {
    static let version = SottoVersion.current

    static let configuration = CommandConfiguration(
        commandName: "sottoctl",
        abstract: "Inspect and control a running sotto relay through its admin socket.",
        discussion: """
            The socket is --socket PATH, else $SOTTO_ADMIN_SOCKET, else /run/sotto/admin.sock. --socket and \
            --json may come before the subcommand or after it. What you may do depends on the role your uid \
            has in sotto's [admin] config: viewer, operator, admin, or auditor (the only role that may use the \
            recordings commands).
            Exit status: 0 on success, 1 with one sentence on stderr otherwise.
            """,
        version: version,
        subcommands: [
            SessionsCommand.self, SessionCommand.self, TerminateCommand.self, RegistrationsCommand.self,
            StatsCommand.self, MetricsCommand.self, LogLevelCommand.self, ConfigCommand.self, VersionCommand.self,
            AuditCommand.self, WatchCommand.self, RecordCommand.self, RecordingsCommand.self,
        ])

    // The shared options are declared here as well as on each subcommand, so `sottoctl --socket PATH sessions`
    // parses like `sottoctl sessions --socket PATH`: the parser reads the root's groups from anywhere on the
    // line and hands the values to the subcommand that declares the same group type. The root itself only
    // prints its help.
    @OptionGroup var socket: SocketOptions
    @OptionGroup var output: OutputOptions
}

/// The shared body of the socket subcommands: connect, run one command, print its result.
extension Sottoctl {
    /// Runs `body`; a ``SottoctlError`` becomes its sentence on stderr and exit status 1.
    static func failing(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as SottoctlError {
            Output.error(error.message)
            throw ExitCode.failure
        }
    }

    /// Runs `command` on the socket and prints its result: JSON with `json`, else the lines `human` makes.
    static func run<Result: Codable & Sendable>(
        _ command: String, args: [String: AdminValue]? = nil, as type: Result.Type, socket: SocketOptions,
        output: OutputOptions, human: (Result) -> [String]
    ) throws {
        try failing {
            let client = try AdminClient(path: socket.path)
            let result = try client.call(command, args: args, as: type)
            if output.json {
                Output.json(result)
            } else {
                Output.lines(human(result))
            }
        }
    }
}
