import AdminProtocol
import Foundation
import SottoTestSupport
import Testing

/// `--socket` and `--json` before the subcommand as well as after it (`sottoctl --socket PATH sessions` was
/// refused with "Unknown option '--socket'"), and what a mistyped option still gets.
@Suite struct OptionOrderTests {
    @Test(arguments: ["sessions", "registrations", "stats", "config", "version"])
    func theSocketMayComeBeforeTheSubcommand(command: String) async throws {
        let fixture = try await Fixture()
        let before = try await run(["--socket", fixture.socketPath, command])
        #expect(before.status == 0, "\(before.stderr)")
        let after = try await run([command, "--socket", fixture.socketPath])
        #expect(after.status == 0, "\(after.stderr)")
        // The same report either way (ages and uptime move between the two runs; the layout does not).
        #expect(!before.stdout.isEmpty)
        #expect(before.stdout.split(separator: "\n").count == after.stdout.split(separator: "\n").count)
    }

    @Test func jsonMayComeBeforeOrAfterInAnyMix() async throws {
        let fixture = try await Fixture()
        for arguments in [
            ["--socket", fixture.socketPath, "--json", "sessions"],
            ["--json", "sessions", "--socket", fixture.socketPath],
            ["--socket", fixture.socketPath, "sessions", "--json"],
            ["sessions", "--json", "--socket", fixture.socketPath],
        ] {
            let result = try await run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(try decode([AdminSession].self, from: result.stdout).map(\.id) == [1, 2], "\(arguments)")
        }
    }

    @Test func aSubcommandWithAnArgumentTakesTheOptionsBeforeIt() async throws {
        let fixture = try await Fixture()
        let result = try await run(["--socket", fixture.socketPath, "--json", "session", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try decode(AdminSession.self, from: result.stdout).id == 1)
    }

    /// A mistyped option is still refused with the parser's sentence and the usage status (64), wherever it is.
    @Test(arguments: [["--sokcet", "/tmp/x.sock", "sessions"], ["sessions", "--sokcet", "/tmp/x.sock"]])
    func aWrongOptionIsStillAClearError(arguments: [String]) async throws {
        let result = try await run(arguments)
        #expect(result.status == 64)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("Error: Unknown option '--sokcet'"), "\(result.stderr)")
    }

    /// `audit verify` reads files: a socket given to it is refused rather than ignored.
    @Test(arguments: [
        ["--socket", "/tmp/x.sock", "audit", "verify", "f"], ["audit", "verify", "f", "--socket", "/tmp/x.sock"],
    ])
    func auditVerifyRefusesASocket(arguments: [String]) async throws {
        let result = try await run(arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains("audit verify reads files, not the admin socket"), "\(result.stderr)")
    }

    /// The shared options appear once in a subcommand's help, not once for the root and once for it.
    @Test func theHelpListsEachOptionOnce() async throws {
        for arguments in [["--help"], ["sessions", "--help"]] {
            let help = try await run(arguments)
            #expect(help.status == 0)
            #expect(help.stdout.components(separatedBy: "--socket <path>").count - 1 == 2, "\(help.stdout)")
            #expect(help.stdout.components(separatedBy: "  --json ").count - 1 == 1, "\(help.stdout)")
        }
    }
}
