import Foundation
import SottoTestSupport
import Testing

@testable import sottoctl

/// `sottoctl audit verify` on audit logs the real admin server wrote (through sottoctl itself).
@Suite struct AuditVerifyTests {
    /// A fixture whose audit log holds three lines: terminate 1, log-level debug, terminate 42 (refused).
    static func auditedFixture() async throws -> Fixture {
        let fixture = try await Fixture()
        #expect(try await sottoctl(["terminate", "1"], on: fixture).status == 0)
        #expect(try await sottoctl(["log-level", "debug"], on: fixture).status == 0)
        #expect(try await sottoctl(["terminate", "42"], on: fixture).status == 1)
        return fixture
    }

    @Test func anUntouchedLogIsIntact() async throws {
        let fixture = try await Self.auditedFixture()
        let result = try await run(["audit", "verify", fixture.auditPath])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout == "\(fixture.auditPath): 3 lines, chain intact\n")

        let json = try await run(["audit", "verify", "--json", fixture.auditPath])
        let report = try decode(AuditVerifyCommand.Report.self, from: json.stdout)
        #expect(report.intact && report.lines == 3)
        // The head a relay logs pins the end of the file too.
        let pinned = try await run(["audit", "verify", "--head", report.head ?? "", fixture.auditPath])
        #expect(pinned.status == 0)
    }

    @Test func anEditedLineBreaksTheChainAtTheNextLine() async throws {
        let fixture = try await Self.auditedFixture()
        let text = try String(contentsOfFile: fixture.auditPath, encoding: .utf8)
        #expect(text.contains("\"level\":\"debug\""))
        try text.replacingOccurrences(of: "\"level\":\"debug\"", with: "\"level\":\"error\"")
            .write(toFile: fixture.auditPath, atomically: false, encoding: .utf8)
        let result = try await run(["audit", "verify", fixture.auditPath])
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("\(fixture.auditPath): line 3: "), "\(result.stdout)")
        #expect(result.stdout.split(separator: "\n").count == 1)

        let json = try await run(["audit", "verify", "--json", fixture.auditPath])
        #expect(json.status == 1)
        let report = try decode(AuditVerifyCommand.Report.self, from: json.stdout)
        #expect(!report.intact && report.line == 3)
    }

    @Test func aRemovedFirstLineIsCaught() async throws {
        let fixture = try await Self.auditedFixture()
        let lines = try String(contentsOfFile: fixture.auditPath, encoding: .utf8).split(separator: "\n")
        try (lines.dropFirst().joined(separator: "\n") + "\n").write(
            toFile: fixture.auditPath, atomically: false, encoding: .utf8)
        let result = try await run(["audit", "verify", fixture.auditPath])
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("\(fixture.auditPath): line 1: "), "\(result.stdout)")
    }

    @Test func aTruncatedLogFailsAgainstItsHead() async throws {
        let fixture = try await Self.auditedFixture()
        let head = try decode(
            AuditVerifyCommand.Report.self,
            from: try await run(["audit", "verify", "--json", fixture.auditPath]).stdout
        ).head
        let lines = try String(contentsOfFile: fixture.auditPath, encoding: .utf8).split(separator: "\n")
        try (lines.dropLast().joined(separator: "\n") + "\n").write(
            toFile: fixture.auditPath, atomically: false, encoding: .utf8)
        #expect(try await run(["audit", "verify", fixture.auditPath]).status == 0)
        let result = try await run(["audit", "verify", "--head", head ?? "", fixture.auditPath])
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("\(fixture.auditPath): line 2: "), "\(result.stdout)")
    }

    @Test func aMissingFileIsAnError() async throws {
        let directory = try TemporaryDirectory("sottoctl-test")
        let result = try await run(["audit", "verify", directory.path + "/none.log"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("sottoctl: \(directory.path)/none.log could not be opened"), "\(result.stderr)")
    }
}

/// `sottoctl audit verify FILE...` over a log the fixture rotated by size.
@Suite struct AuditVerifyRotatedTests {
    /// A fixture rotating its audit log every ~400 bytes, after eight audited commands; its audit files.
    static func rotatedFixture() async throws -> (Fixture, [String]) {
        let fixture = try await Fixture(roles: ["--admin", "uid:0", "--audit-max-bytes", "400"])
        for level in ["debug", "info", "notice", "warning", "error", "critical", "trace", "info"] {
            #expect(try await sottoctl(["log-level", level], on: fixture).status == 0)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path)
        return (fixture, names.filter { $0.hasPrefix("audit.log") }.map { fixture.directory.file($0) })
    }

    @Test func theChainIsFollowedOverRotatedFilesGivenInAnyOrder() async throws {
        let (fixture, files) = try await Self.rotatedFixture()
        #expect(files.count >= 3, "\(files)")
        let result = try await run(["audit", "verify"] + files.shuffled())
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == files.count)
        #expect(lines.allSatisfy { $0.contains("chain intact") })
        // Oldest first, the live log last.
        #expect(lines.last?.hasPrefix(fixture.auditPath + ":") == true, "\(lines)")

        let json = try await run(["audit", "verify", "--json"] + files)
        let reports = try decode([AuditVerifyCommand.Report].self, from: json.stdout)
        #expect(reports.count == files.count && reports.allSatisfy(\.intact))
    }

    @Test func aMissingRotatedFileIsReportedWhereTheChainBreaks() async throws {
        let (fixture, files) = try await Self.rotatedFixture()
        let rotated = files.filter { $0 != fixture.auditPath }.sorted()
        #expect(rotated.count >= 2)
        let missing = rotated[1]  // the oldest one missing cannot be told from the start of the chain
        let result = try await run(["audit", "verify"] + files.filter { $0 != missing })
        #expect(result.status == 1)
        let broken = result.stdout.split(separator: "\n").filter { $0.contains(": line 1: ") }
        #expect(broken.count == 1, "\(result.stdout)")
        #expect(broken.first?.contains((missing as NSString).lastPathComponent) == true, "\(result.stdout)")
    }
}
