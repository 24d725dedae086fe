import AdminProtocol
import ArgumentParser

/// `sottoctl record start|stop|pause|resume SESSION`.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Start, stop, pause or resume recording a live call (operator role; audited).",
        discussion: """
            pause leaves a marked gap in the recording, not audio: use it while a customer reads out card \
            details, then resume. `sottoctl sessions` and `watch` show rec or paused in the REC column.
            """)

    /// What `record` does.
    enum Action: String, ExpressibleByArgument, CaseIterable {
        case start, stop, pause, resume
    }

    @Argument(help: ArgumentHelp("start, stop, pause or resume.", valueName: "action"))
    var action: Action

    @Argument(help: "The session id (from `sottoctl sessions`).")
    var session: UInt64

    @OptionGroup var socket: SocketOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Sottoctl.run(
            "record", args: ["id": .int(Int(truncatingIfNeeded: session)), "action": .string(action.rawValue)],
            as: AdminDone.self, socket: socket, output: output
        ) { [$0.message] }
    }
}
