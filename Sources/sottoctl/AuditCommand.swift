import Admin
import ArgumentParser

/// `sottoctl audit`: the audit log's tools.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Work with audit log files.", subcommands: [AuditVerifyCommand.self])
}

/// `sottoctl audit verify FILE...`: checks the hash chain of an audit log and its rotated files, locally (no
/// socket, no role needed; only read access to the files).
struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an audit log's hash chain: no line edited, removed or inserted, no file missing.",
        discussion: """
            Give the live log and its rotated files in any order (a glob such as admin-audit.jsonl*): they are \
            checked oldest first, by the stamp in their names, the live log last; each file after the first \
            must chain to the one before. Torn tails (*.torn-*) are skipped. Prints one line per file, \
            FILE: N lines, chain intact, or FILE: line K: <why>, and exits 1 if any is broken. Lines cut off the \
            end leave a consistent chain: pass the last head sotto logged with --head to catch that too.
            """)

    @Argument(help: "The audit log file, and its rotated files.")
    var files: [String]

    @Option(
        name: .long,
        help: ArgumentHelp("The SHA-256 (hex) the last file's last line must have.", valueName: "sha256"))
    var head: String?

    @OptionGroup var output: OutputOptions
    // `--socket` is a root option, so the parser accepts it on this line too; it is declared here (hidden from
    // the help) only to refuse it, since verify reads files and a socket given to it would be silently ignored.
    @OptionGroup(visibility: .private) var socket: SocketOptions

    func validate() throws {
        if socket.socket != nil {
            throw ValidationError("audit verify reads files, not the admin socket: leave out --socket.")
        }
    }

    /// `--json` output, one per file.
    struct Report: Codable, Equatable {
        var file: String
        var intact: Bool
        var lines: Int?
        var head: String?
        var line: Int?
        var reason: String?
        var note: String?
        var skipped: Bool?
    }

    func run() throws {
        let (chain, skipped) = AuditFiles.chainOrder(files)
        let results = AuditLog.verify(paths: chain, expectedHead: head)
        // One file that could not be read at all: an error like any other (the reason names the file).
        if files.count == 1, case .invalid(0, let reason) = results.first?.verification {
            try Sottoctl.failing { throw SottoctlError(.audit, reason) }
        }
        let reports =
            results.map { Self.report(file: $0.path, verification: $0.verification, note: $0.note) }
            + skipped.map {
                Report(file: $0, intact: true, note: "a torn tail moved aside: not part of the chain", skipped: true)
            }
        if output.json {
            if reports.count == 1 { Output.json(reports[0]) } else { Output.json(reports) }
        } else {
            Output.lines(reports.map(Self.sentence))
        }
        if reports.contains(where: { !$0.intact }) { throw ExitCode.failure }
    }

    static func report(file: String, verification: AuditVerification, note: String? = nil) -> Report {
        switch verification {
        case .valid(let lines, let head):
            Report(file: file, intact: true, lines: lines, head: head, note: note)
        case .invalid(let line, let reason):
            Report(file: file, intact: false, line: line, reason: reason)
        }
    }

    /// `FILE: N lines, chain intact`, `FILE: line K: <why>` or `FILE: skipped (<why>)`.
    static func sentence(_ report: Report) -> String {
        if report.skipped == true {
            return "\(report.file): skipped (\(report.note ?? "not part of the chain"))"
        }
        if report.intact {
            let lines = report.lines ?? 0
            let note = report.note.map { " (\($0))" } ?? ""
            return "\(report.file): \(lines) \(lines == 1 ? "line" : "lines"), chain intact\(note)"
        }
        if report.line == 0 { return report.reason ?? "\(report.file) could not be read" }
        return "\(report.file): line \(report.line ?? 0): \(report.reason ?? "the chain is broken")"
    }
}
