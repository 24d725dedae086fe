import AdminProtocol
import Foundation
import SottoTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `sottoctl record` and `sottoctl recordings ...` as the real binary against the real admin server in
/// `admin-fixture-server`, with its canned recordings.
@Suite struct RecordingsCommandTests {
    static let complete = FakeRecordings.completeID

    /// A fixture where this process (root in the test container, or whoever runs it) is an auditor.
    static func auditorFixture() async throws -> Fixture {
        try await Fixture(roles: ["--auditor", "uid:\(getuid())"])
    }

    /// The audit log's lines, parsed.
    static func audit(_ fixture: Fixture) -> [[String: Any]] {
        let text = (try? String(contentsOfFile: fixture.auditPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    @Test func recordPausesACallAndSessionsShowsIt() async throws {
        let fixture = try await Fixture(roles: ["--operator", "uid:\(getuid())"])
        let paused = try await sottoctl(["record", "pause", "1"], on: fixture)
        #expect(paused.status == 0, "\(paused.stderr)")
        #expect(paused.stdout == "session 1: recording paused (a marked gap)\n")
        let sessions = try await sottoctl(["sessions"], on: fixture)
        let lines = sessions.stdout.split(separator: "\n").map(String.init)
        try #require(!lines.isEmpty)
        #expect(lines[0].hasSuffix("STATE      REC"))
        #expect(lines.contains { $0.hasPrefix(" 1  ") && $0.hasSuffix("confirmed  paused") }, "\(sessions.stdout)")
        #expect(lines.contains { $0.hasPrefix(" 2  ") && $0.hasSuffix("confirmed") })
        let json = try decode(
            [AdminSession].self, from: try await sottoctl(["sessions", "--json"], on: fixture).stdout)
        #expect(json.map(\.recording) == ["paused", nil])
        // A typo never reaches the relay; what the relay refuses is one sentence.
        let typo = try await sottoctl(["record", "rewind", "1"], on: fixture)
        #expect(typo.status == 64)
        let refused = try await sottoctl(["record", "pause", "2"], on: fixture)
        #expect(refused.status == 1)
        #expect(refused.stderr == "sottoctl: session 2 is not being recorded\n")
    }

    @Test func recordOnARelayWithoutRecordingSaysSo() async throws {
        let fixture = try await Fixture(roles: ["--operator", "uid:\(getuid())", "--no-recording"])
        let result = try await sottoctl(["record", "start", "2"], on: fixture)
        #expect(result.status == 1)
        #expect(result.stderr.contains("recording is not configured"), "\(result.stderr)")
    }

    @Test func listShowsTheIndexAndTakesItsFilters() async throws {
        let fixture = try await Self.auditorFixture()
        let all = try await sottoctl(["recordings", "list"], on: fixture)
        #expect(all.status == 0, "\(all.stderr)")
        let lines = all.stdout.split(separator: "\n").map(String.init)
        try #require(!lines.isEmpty)
        #expect(lines[0].hasPrefix("ID                          STARTED"))
        #expect(lines.count == 7)
        #expect(
            lines.contains {
                $0.hasPrefix(FakeRecordings.heldID) && $0.contains(" complete ") && $0.hasSuffix("  held")
            })
        #expect(
            lines.contains {
                $0.hasPrefix(Self.complete) && $0.contains("PCMU/8000") && $0.contains("585 KiB  complete")
            })
        let filtered = try await sottoctl(
            ["recordings", "list", "--from", "2026-12-01", "--to", "2026-12-02", "--party", "1001", "--json"],
            on: fixture)
        #expect(filtered.status == 0, "\(filtered.stderr)")
        #expect(try decode([AdminRecording].self, from: filtered.stdout).map(\.id) == [Self.complete])
        let bad = try await sottoctl(["recordings", "list", "--from", "last week"], on: fixture)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("\"from\" must be a UTC date"), "\(bad.stderr)")
        // The socket may come before the nested subcommand too.
        let before = try await run(["--socket", fixture.socketPath, "recordings", "list", "--json"])
        #expect(before.status == 0, "\(before.stderr)")
        let lines2 = Self.audit(fixture).map { $0["cmd"] as? String }
        #expect(lines2 == ["recordings-list", "recordings-list", "recordings-list", "recordings-list"])
    }

    @Test func showHoldReleaseDelete() async throws {
        let fixture = try await Self.auditorFixture()
        let show = try await sottoctl(["recordings", "show", Self.complete], on: fixture)
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.hasPrefix("recording \(Self.complete)\n"))
        #expect(show.stdout.contains("  codecs       PCMU/8000\n"))
        let hold = try await sottoctl(["recordings", "hold", Self.complete, "--reason", "litigation 99"], on: fixture)
        #expect(hold.stdout == "recording \(Self.complete) is on legal hold\n", "\(hold.stderr)")
        let refused = try await sottoctl(["recordings", "delete", Self.complete, "--reason", "tidy"], on: fixture)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("legal hold"))
        let release = try await sottoctl(
            ["recordings", "release", Self.complete, "--reason", "litigation over"], on: fixture)
        #expect(release.status == 0)
        #expect(release.stdout.hasPrefix("recording \(Self.complete) is no longer on legal hold"))
        let delete = try await sottoctl(
            ["recordings", "delete", Self.complete, "--reason", "erasure request", "--json"], on: fixture)
        #expect(delete.status == 0, "\(delete.stderr)")
        #expect(try decode(AdminRecording.self, from: delete.stdout).state == "shredded")
        let lines = Self.audit(fixture)
        #expect(lines.map { $0["result"] as? String } == ["ok", "ok", "refused", "ok", "ok"])
        try #require(lines.count == 5)
        let arguments = lines[4]["args"] as? [String: String]
        #expect(arguments == ["id": Self.complete, "reason": "erasure request"])
        #expect(lines[4]["uid"] as? Int == Int(getuid()))
    }

    @Test func aReasonIsRequired() async throws {
        let fixture = try await Self.auditorFixture()
        // Missing: the parser says so, and nothing reaches the relay.
        let missing = try await sottoctl(["recordings", "hold", Self.complete], on: fixture)
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("--reason"), "\(missing.stderr)")
        // Empty: the relay refuses it, and audits the refusal.
        let empty = try await sottoctl(["recordings", "hold", Self.complete, "--reason", ""], on: fixture)
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("a reason is required"), "\(empty.stderr)")
        #expect(Self.audit(fixture).map { $0["result"] as? String } == ["bad_arguments"])
    }

    @Test(arguments: ["--admin", "--operator", "--viewer"])
    func onlyAnAuditorMayUseRecordings(_ role: String) async throws {
        let fixture = try await Fixture(roles: [role, "uid:\(getuid())"])
        let result = try await sottoctl(["recordings", "list"], on: fixture)
        #expect(result.status == 1)
        #expect(result.stderr.contains("recordings-list needs the auditor role"), "\(result.stderr)")
        #expect(Self.audit(fixture).map { $0["result"] as? String } == ["forbidden"])
    }

    // MARK: - export

    @Test func exportFetchesTheWholeFileThenOpensItLocally() async throws {
        let fixture = try await Self.auditorFixture()
        let identity = try fixture.directory.write("officer.key", "SOTTO-RECORDING-SECRET-KEY-1 AAAA\n")
        chmod(identity, 0o600)
        let out = fixture.directory.file("call.ogg")
        let result = try await sottoctl(
            [
                "recordings", "export", Self.complete, "--reason", "subject access", "--identity", identity, "--out",
                out,
            ],
            on: fixture)
        // The fetch worked (600,000 bytes, checked against the index's SHA-256, or it would have stopped there);
        // the local export then opens the identity, which this one is not, so nothing is written.
        #expect(result.status == 1)
        #expect(result.stderr.contains("is not a recording identity"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        let lines = Self.audit(fixture)
        #expect(lines.map { $0["cmd"] as? String } == ["recordings-export"])
        #expect((lines.first?["args"] as? [String: String]) == ["id": Self.complete, "reason": "subject access"])
    }

    @Test func exportRefusesAFileThatIsNotTheOneTheIndexDescribes() async throws {
        let fixture = try await Self.auditorFixture()
        let identity = try fixture.directory.write("officer.key", "key\n")
        let result = try await sottoctl(
            [
                "recordings", "export", FakeRecordings.cutID, "--reason", "complaint", "--identity", identity,
                "--out", fixture.directory.file("call.wav"),
            ], on: fixture)
        #expect(result.status == 1)
        #expect(result.stderr.contains("does not match the index's SHA-256"), "\(result.stderr)")
    }

    @Test func exportRefusesAFileTooLargeToHoldInMemoryBeforeReadingIt() async throws {
        let fixture = try await Self.auditorFixture()
        let identity = try fixture.directory.write("officer.key", "key\n")
        let result = try await sottoctl(
            [
                "recordings", "export", FakeRecordings.hugeID, "--reason", "complaint", "--identity", identity,
                "--out", fixture.directory.file("call.wav"),
            ], on: fixture)
        #expect(result.status == 1)
        #expect(result.stderr.contains("is 3,000,000,000 bytes; sottoctl exports at most"), "\(result.stderr)")
        // The export was asked for (and audited); no read was.
        #expect(Self.audit(fixture).map { $0["cmd"] as? String } == ["recordings-export"])
    }

    @Test func exportChecksWhatItCanBeforeAskingTheRelay() async throws {
        let fixture = try await Self.auditorFixture()
        let identity = try fixture.directory.write("officer.key", "key\n")
        let existing = try fixture.directory.write("taken.ogg", "")
        let cases: [([String], String)] = [
            (["--identity", identity, "--out", existing], "exists"),
            (
                ["--identity", fixture.directory.file("missing.key"), "--out", fixture.directory.file("a.ogg")],
                "cannot read the identity file"
            ),
            (["--identity", identity, "--out", fixture.directory.file("a.mp3")], "cannot tell the format"),
            (
                ["--identity", identity, "--out", fixture.directory.file("a.ogg.age"), "--to-age", "ssh-ed25519 AAAA"],
                "age recipient"
            ),
            (["--identity", identity, "--out", fixture.directory.file("a.ogg"), "--format", "flac"], "ogg or wav"),
        ]
        for (options, message) in cases {
            let result = try await sottoctl(
                ["recordings", "export", Self.complete, "--reason", "complaint"] + options, on: fixture)
            #expect(result.status == 1, "\(options)")
            #expect(result.stderr.contains(message), "\(options): \(result.stderr)")
        }
        // None of them cost an audited export.
        #expect(Self.audit(fixture).isEmpty)
    }
}
