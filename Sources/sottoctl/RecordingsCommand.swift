import AdminProtocol
import ArgumentParser

/// `sottoctl recordings ...`: the auditor's commands. Each is audited on the relay with the uid, the recording id
/// and the reason.
struct RecordingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recordings",
        abstract: "List, show, export, hold, release or delete recordings (auditor role; every use audited).",
        discussion: """
            Only the auditor role may run these: not viewers, operators or admins. hold, release, delete and \
            export need --reason, which goes into the relay's audit log with your uid and the recording id.
            """,
        subcommands: [
            RecordingsListCommand.self, RecordingsShowCommand.self, RecordingsExportCommand.self,
            RecordingsHoldCommand.self, RecordingsReleaseCommand.self, RecordingsDeleteCommand.self,
            RecordingsKeygenCommand.self,
        ])
}

/// `sottoctl recordings list [--from DATE] [--to DATE] [--party PATTERN]`.
struct RecordingsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the recordings in the index, oldest first.")

    @Option(
        help: ArgumentHelp(
            "Started at or after: a UTC date (2026-12-01) or time (2026-12-01T09:00:00Z).", valueName: "date"))
    var from: String?

    @Option(help: ArgumentHelp("Started before this UTC time; a date includes that whole day.", valueName: "date"))
    var to: String?

    @Option(
        help: ArgumentHelp(
            "Caller or callee: a pattern with * wildcards (whole URI), else a substring.", valueName: "pattern"))
    var party: String?

    @OptionGroup var socket: SocketOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        var args: [String: AdminValue] = [:]
        if let from { args["from"] = .string(from) }
        if let to { args["to"] = .string(to) }
        if let party { args["party"] = .string(party) }
        try Sottoctl.run(
            "recordings-list", args: args.isEmpty ? nil : args, as: [AdminRecording].self, socket: socket,
            output: output
        ) { RecordingReport.list($0) }
    }
}

/// `sottoctl recordings show ID`.
struct RecordingsShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one recording's index row.")

    @Argument(help: "The recording id (from `sottoctl recordings list`).")
    var id: String

    @OptionGroup var socket: SocketOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Sottoctl.run(
            "recordings-show", args: ["id": .string(id)], as: AdminRecording.self, socket: socket, output: output
        ) { RecordingReport.detail($0) }
    }
}

/// `--reason TEXT`, required by hold, release, delete and export.
struct ReasonOption: ParsableArguments {
    @Option(help: ArgumentHelp("Why (required; written to the relay's audit log).", valueName: "text"))
    var reason: String
}

/// `sottoctl recordings hold ID --reason TEXT`.
struct RecordingsHoldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold", abstract: "Put a recording on legal hold: retention does not shred it.")

    @Argument(help: "The recording id.")
    var id: String
    @OptionGroup var reason: ReasonOption
    @OptionGroup var socket: SocketOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try RecordingReport.change("recordings-hold", id: id, reason: reason, socket: socket, output: output) {
            "recording \($0.id) is on legal hold"
        }
    }
}

/// `sottoctl recordings release ID --reason TEXT`.
struct RecordingsReleaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "End a legal hold: retention shreds the recording once it is past its deadline.")

    @Argument(help: "The recording id.")
    var id: String
    @OptionGroup var reason: ReasonOption
    @OptionGroup var socket: SocketOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try RecordingReport.change("recordings-release", id: id, reason: reason, socket: socket, output: output) {
            "recording \($0.id) is no longer on legal hold (retention deadline \($0.deadline))"
        }
    }
}

/// `sottoctl recordings delete ID --reason TEXT`.
struct RecordingsDeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Shred a recording now: its sealed key, then its file (refused while it is on hold).")

    @Argument(help: "The recording id.")
    var id: String
    @OptionGroup var reason: ReasonOption
    @OptionGroup var socket: SocketOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try RecordingReport.change("recordings-delete", id: id, reason: reason, socket: socket, output: output) {
            "recording \($0.id) is shredded: its key and its file are gone, its index row stays"
        }
    }
}
