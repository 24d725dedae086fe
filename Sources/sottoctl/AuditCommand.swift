import Admin
import ArgumentParser

/// `sottoctl audit`: the audit log's tools.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Work with audit log files.", subcommands: [AuditVerifyCommand.self])
}

/// `sottoctl audit verify FILE`: checks the hash chain of an audit log, locally (no socket, no role needed;
/// only read access to the file).
struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an audit log's hash chain: no line edited, removed or inserted.",
        discussion: """
            Prints FILE: N lines, chain intact, or FILE: line K: <why> and exits 1. Lines cut off the end \
            leave a consistent chain: pass the last head sotto logged with --head to catch that too.
            """)

    @Argument(help: "The audit log file.")
    var file: String

    @Option(name: .long, help: ArgumentHelp("The SHA-256 (hex) the last line must have.", valueName: "sha256"))
    var head: String?

    @OptionGroup var output: OutputOptions

    /// `--json` output.
    struct Report: Codable, Equatable {
        var file: String
        var intact: Bool
        var lines: Int?
        var head: String?
        var line: Int?
        var reason: String?
    }

    func run() throws {
        let verification = AuditLog.verify(path: file, expectedHead: head)
        // Line 0: the file could not be read at all, an error like any other (the reason names the file).
        if case .invalid(0, let reason) = verification {
            try Sottoctl.failing { throw SottoctlError(.audit, reason) }
        }
        let report = Self.report(file: file, verification: verification)
        if output.json {
            Output.json(report)
        } else {
            Output.lines([Self.sentence(report)])
        }
        if !report.intact { throw ExitCode.failure }
    }

    static func report(file: String, verification: AuditVerification) -> Report {
        switch verification {
        case .valid(let lines, let head):
            Report(file: file, intact: true, lines: lines, head: head)
        case .invalid(let line, let reason):
            Report(file: file, intact: false, line: line, reason: reason)
        }
    }

    /// `FILE: N lines, chain intact` or `FILE: line K: <why>`.
    static func sentence(_ report: Report) -> String {
        if report.intact {
            let lines = report.lines ?? 0
            return "\(report.file): \(lines) \(lines == 1 ? "line" : "lines"), chain intact"
        }
        return "\(report.file): line \(report.line ?? 0): \(report.reason ?? "the chain is broken")"
    }
}
