import Admin
import AdminProtocol
import Foundation
import SottoTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The recordings commands over a real socket: only the auditor reaches them, a reason is required, every use and
/// every refusal is an audit line with the uid, the recording id and the reason, export tokens are bound to their
/// connection, and reads are bounded.
@Suite struct AdminRecordingsTests {
    static let complete = FakeRecordings.completeID
    static let recordingsCommands = AdminCommand.table.filter(\.isRecordings).map(\.name)

    /// A server where this process is an auditor.
    static func auditor(_ configure: (inout AdminServerConfiguration) -> Void = { _ in }) throws -> RunningServer {
        try RunningServer(access: AdminAccess(uids: [.auditor: [getuid()]]), configure: configure)
    }

    /// Valid arguments for each recordings command (`recordings-read` with a made-up token).
    static func arguments(for command: String) -> [String: Any] {
        switch command {
        case "recordings-list": ["party": "1001"]
        case "recordings-show": ["id": complete]
        case "recordings-read": ["token": "00112233445566778899aabbccddeeff", "offset": 0, "length": 1024]
        default: ["id": complete, "reason": "case 4711: customer complaint"]
        }
    }

    /// The audit log's lines, parsed.
    static func audit(_ running: RunningServer) -> [[String: Any]] {
        let text = (try? String(contentsOfFile: running.auditPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map { parse(String($0)) }
    }

    static func args(_ line: [String: Any]) -> [String: String] { line["args"] as? [String: String] ?? [:] }

    // MARK: - Roles

    @Test(
        "viewer, operator and admin are refused every recordings command, and each refusal is audited",
        arguments: [AdminRole.viewer, .operator, .admin], recordingsCommands)
    func otherRolesAreRefused(_ role: AdminRole, _ command: String) throws {
        let running = try RunningServer(access: AdminAccess(uids: [role: [getuid()]]))
        let reply = try running.client().call(1, command, Self.arguments(for: command))
        #expect(errorCode(reply) == "forbidden")
        #expect(errorMessage(reply).contains("needs the auditor role"))
        #expect(running.backend.recordings.actions.isEmpty)
        #expect(running.backend.recordings.reads == 0)
        let lines = Self.audit(running)
        #expect(lines.count == 1)
        #expect(lines.first?["uid"] as? Int == Int(getuid()))
        #expect(lines.first?["role"] as? String == role.rawValue)
        #expect(lines.first?["cmd"] as? String == command)
        #expect(lines.first?["result"] as? String == "forbidden")
        let arguments = Self.args(lines.first ?? [:])
        if command != "recordings-list" && command != "recordings-read" {
            #expect(arguments["id"] == Self.complete)
        }
        if Self.arguments(for: command)["reason"] != nil {
            #expect(arguments["reason"] == "case 4711: customer complaint")
        }
        // A token never reaches the log.
        #expect(arguments["token"] == nil || arguments["token"] == "(withheld)")
    }

    @Test func theAuditorRunsEachRecordingsCommandAndEveryAccessIsAudited() throws {
        let running = try Self.auditor()
        let client = try running.client()
        let list = try client.result([AdminRecording].self, 1, "recordings-list")
        #expect(list.map(\.id).contains(Self.complete))
        #expect(
            try client.result(AdminRecording.self, 2, "recordings-show", ["id": Self.complete]).codecs == "PCMU/8000")
        let reason = "case 4711: customer complaint"
        let held = try client.result(
            AdminRecording.self, 3, "recordings-hold", ["id": Self.complete, "reason": reason])
        #expect(held.legalHold)
        let released = try client.result(
            AdminRecording.self, 4, "recordings-release", ["id": Self.complete, "reason": reason])
        #expect(!released.legalHold)
        let deleted = try client.result(
            AdminRecording.self, 5, "recordings-delete", ["id": FakeRecordings.cutID, "reason": "retention by hand"])
        #expect(deleted.state == "shredded")
        #expect(
            running.backend.recordings.actions == [
                "hold \(Self.complete)", "release \(Self.complete)", "delete \(FakeRecordings.cutID)",
            ])
        // Read-only or not, each access is one line with the uid, the recording id and the reason.
        let lines = Self.audit(running)
        #expect(
            lines.map { $0["cmd"] as? String } == [
                "recordings-list", "recordings-show", "recordings-hold", "recordings-release", "recordings-delete",
            ])
        #expect(lines.allSatisfy { $0["result"] as? String == "ok" && $0["uid"] as? Int == Int(getuid()) })
        #expect(lines.allSatisfy { $0["role"] as? String == "auditor" })
        try #require(lines.count == 5)
        #expect(Self.args(lines[1]) == ["id": Self.complete])
        #expect(Self.args(lines[2]) == ["id": Self.complete, "reason": reason])
        #expect(Self.args(lines[4]) == ["id": FakeRecordings.cutID, "reason": "retention by hand"])
    }

    @Test func theAuditorIsAViewerForEverythingElse() throws {
        let running = try Self.auditor()
        let client = try running.client()
        #expect(try client.result([AdminSession].self, 1, "sessions").count == 2)
        for (command, arguments) in [
            ("terminate", ["id": 1] as [String: Any]), ("config", [:]), ("log-level", ["level": "debug"]),
            ("record", ["id": 1, "action": "pause"]),
        ] {
            let reply = try client.call(2, command, arguments)
            #expect(errorCode(reply) == "forbidden", "\(command): \(reply)")
        }
        #expect(running.backend.terminated.isEmpty)
        #expect(running.backend.recordings.actions.isEmpty)
    }

    @Test func refusalsOfRecordingsCommandsAreWrittenPastTheAuditRefusalLimit() throws {
        let running = try RunningServer(access: AdminAccess(uids: [.viewer: [getuid()]])) {
            $0.auditRefusalLimit = AdminRateLimit(perSecond: 0.001, burst: 1)
            $0.refusalLimit = AdminRateLimit(perSecond: 1000, burst: 1000)
        }
        let client = try running.client()
        for id in 1...4 {
            #expect(errorCode(try client.call(id, "recordings-show", ["id": Self.complete])) == "forbidden")
        }
        // Other refusals past the limit are only counted: the one line the burst allows, then none.
        for id in 5...7 { #expect(errorCode(try client.call(id, "terminate", ["id": 1])) == "forbidden") }
        let lines = Self.audit(running)
        #expect(lines.filter { $0["cmd"] as? String == "recordings-show" }.count == 4)
        #expect(lines.filter { $0["cmd"] as? String == "terminate" }.count == 1)
        #expect(running.server.auditLinesSuppressed == 2)
    }

    // MARK: - Reasons

    @Test(
        "a missing, empty or blank reason is refused and the refusal audited",
        arguments: ["recordings-export", "recordings-hold", "recordings-release", "recordings-delete"],
        [nil, "", "   \t"])
    func aReasonIsRequired(_ command: String, _ reason: String?) throws {
        let running = try Self.auditor()
        var arguments: [String: Any] = ["id": Self.complete]
        if let reason { arguments["reason"] = reason }
        let reply = try running.client().call(1, command, arguments)
        #expect(errorCode(reply) == "bad_arguments")
        #expect(errorMessage(reply).contains("reason"))
        #expect(running.backend.recordings.actions.isEmpty)
        #expect(running.server.exportTokenCount == 0)
        let lines = Self.audit(running)
        #expect(lines.count == 1)
        #expect(lines.first?["cmd"] as? String == command)
        #expect(lines.first?["result"] as? String == "bad_arguments")
        #expect(Self.args(lines.first ?? [:])["id"] == Self.complete)
    }

    @Test func aReasonLongerThanTheAuditLogKeepsIsRefused() throws {
        let running = try Self.auditor()
        let reason = String(repeating: "x", count: 257)
        let reply = try running.client().call(1, "recordings-hold", ["id": Self.complete, "reason": reason])
        #expect(errorCode(reply) == "bad_arguments")
        #expect(errorMessage(reply).contains("257 bytes"))
        #expect(running.backend.recordings.actions.isEmpty)
    }

    @Test(
        "an id that is not a recording id is refused before the backend sees it",
        arguments: ["../../etc/passwd", "", String(repeating: "A", count: 65), "id with spaces"])
    func recordingIDsAreChecked(_ id: String) throws {
        let running = try Self.auditor()
        let reply = try running.client().call(1, "recordings-show", ["id": id])
        #expect(errorCode(reply) == "bad_arguments")
        #expect(Self.audit(running).first?["result"] as? String == "bad_arguments")
    }

    // MARK: - Hold and delete

    @Test func aHeldRecordingIsNotDeletedAndTheRefusalIsOneAuditLine() throws {
        let running = try Self.auditor()
        let client = try running.client()
        let reply = try client.call(1, "recordings-delete", ["id": FakeRecordings.heldID, "reason": "tidy up"])
        #expect(errorCode(reply) == "refused")
        #expect(errorMessage(reply).contains("legal hold"))
        #expect(running.backend.recordings.row(FakeRecordings.heldID)?.state == "complete")
        #expect(running.backend.recordings.actions.isEmpty)
        let lines = Self.audit(running)
        #expect(lines.map { $0["result"] as? String } == ["refused"])
        try #require(lines.count == 1)
        #expect(Self.args(lines[0]) == ["id": FakeRecordings.heldID, "reason": "tidy up"])
    }

    @Test func anUnknownRecordingIsNotFoundAndAudited() throws {
        let running = try Self.auditor()
        let client = try running.client()
        for (id, command) in ["recordings-show", "recordings-hold", "recordings-delete", "recordings-export"]
            .enumerated()
        {
            var arguments: [String: Any] = ["id": "NOSUCHRECORDING0000000000"]
            if command != "recordings-show" { arguments["reason"] = "looking" }
            let reply = try client.call(id, command, arguments)
            #expect(errorCode(reply) == "not_found", "\(command): \(reply)")
        }
        let lines = Self.audit(running)
        #expect(lines.count == 4)
        #expect(lines.allSatisfy { $0["result"] as? String == "not_found" })
        #expect(lines.allSatisfy { Self.args($0)["id"] == "NOSUCHRECORDING0000000000" })
    }

    // MARK: - Export and reads

    /// Exports `id` on `client` and reads the whole file in reads of `step` bytes.
    static func download(_ client: TestClient, _ id: String, step: Int = AdminRecordingBytes.maxLength) throws -> (
        AdminRecordingExportGrant, [UInt8]
    ) {
        let grant = try client.result(
            AdminRecordingExportGrant.self, 1, "recordings-export", ["id": id, "reason": "subject access request"])
        var bytes: [UInt8] = []
        var request = 2
        while true {
            let piece = try client.result(
                AdminRecordingBytes.self, request, "recordings-read",
                ["token": grant.token, "offset": bytes.count, "length": step])
            #expect(piece.offset == UInt64(bytes.count))
            bytes += [UInt8](Data(base64Encoded: piece.data) ?? Data())
            request += 1
            if piece.end { break }
        }
        return (grant, bytes)
    }

    @Test func anExportHandsOutTheKeysAndATokenThatReadsTheWholeFileOnce() throws {
        let running = try Self.auditor()
        let client = try running.client()
        let (grant, bytes) = try Self.download(client, Self.complete)
        #expect(grant.export.recording.id == Self.complete)
        #expect(grant.export.sealedKeys == FakeRecordings.sealedKeys)
        #expect(grant.export.sizeBytes == 600_000)
        #expect(grant.expiresInSeconds == 600)
        #expect(grant.maxReadBytes == 262_144)
        #expect(grant.token.count == 32)
        #expect(bytes == FakeRecordings.file(Self.complete))
        // 600,000 bytes in reads of at most 256 KiB: three reads.
        #expect(running.backend.recordings.reads == 3)
        // The pass is done: the token is spent.
        let again = try client.call(9, "recordings-read", ["token": grant.token, "offset": 0, "length": 1024])
        #expect(errorCode(again) == "forbidden")
        #expect(running.server.exportTokenCount == 0)
        // One line for the export with its reason; reads are not audited, the refused one is (without the token).
        let lines = Self.audit(running)
        #expect(lines.map { $0["cmd"] as? String } == ["recordings-export", "recordings-read"])
        try #require(lines.count == 2)
        #expect(Self.args(lines[0]) == ["id": Self.complete, "reason": "subject access request"])
        #expect(lines[1]["result"] as? String == "forbidden")
        #expect(!(try String(contentsOfFile: running.auditPath, encoding: .utf8)).contains(grant.token))
    }

    @Test func aTokenReadsNothingOnAnotherConnection() throws {
        let running = try Self.auditor()
        let owner = try running.client()
        let grant = try owner.result(
            AdminRecordingExportGrant.self, 1, "recordings-export", ["id": Self.complete, "reason": "complaint 12"])
        let other = try running.client()
        let stolen = try other.call(1, "recordings-read", ["token": grant.token, "offset": 0, "length": 1024])
        #expect(errorCode(stolen) == "forbidden")
        #expect(errorMessage(stolen).contains("connection"))
        #expect(running.backend.recordings.reads == 0)
        // The refusal is audited, without the token.
        let refusal = Self.audit(running).last ?? [:]
        #expect(refusal["cmd"] as? String == "recordings-read")
        #expect(refusal["result"] as? String == "forbidden")
        #expect(Self.args(refusal)["token"] == nil)
        // The owner still reads.
        let piece = try owner.result(
            AdminRecordingBytes.self, 2, "recordings-read", ["token": grant.token, "offset": 0, "length": 16])
        #expect(
            [UInt8](Data(base64Encoded: piece.data) ?? Data()) == Array(FakeRecordings.file(Self.complete).prefix(16)))
    }

    @Test func aConnectionsTokensEndWithIt() throws {
        let running = try Self.auditor()
        do {
            let client = try running.client()
            _ = try client.result(
                AdminRecordingExportGrant.self, 1, "recordings-export", ["id": Self.complete, "reason": "complaint 12"])
            #expect(running.server.exportTokenCount == 1)
        }
        #expect(eventually { running.server.exportTokenCount == 0 })
    }

    @Test func aTokenExpires() throws {
        let now = Atomic<UInt64>(1_000_000_000)
        let running = try Self.auditor {
            $0.exportTokenLifetime = .seconds(600)
            $0.exportClock = { now.load(ordering: .acquiring) }
        }
        let client = try running.client()
        let grant = try client.result(
            AdminRecordingExportGrant.self, 1, "recordings-export", ["id": Self.complete, "reason": "complaint 12"])
        now.add(599_000_000_000, ordering: .releasing)
        #expect(
            errorCode(try client.call(2, "recordings-read", ["token": grant.token, "offset": 0, "length": 8])) == nil)
        now.add(1_000_000_000, ordering: .releasing)
        let late = try client.call(3, "recordings-read", ["token": grant.token, "offset": 8, "length": 8])
        #expect(errorCode(late) == "forbidden")
        #expect(errorMessage(late).contains("expired"))
        #expect(running.backend.recordings.reads == 1)
    }

    @Test(
        "reads are bounded: at most 256 KiB, at least 1 byte, never past the end",
        arguments: [(0, 262_145, "length"), (0, 0, "length"), (600_001, 16, "past the end")])
    func readBounds(_ offset: Int, _ length: Int, _ message: String) throws {
        let running = try Self.auditor()
        let client = try running.client()
        let grant = try client.result(
            AdminRecordingExportGrant.self, 1, "recordings-export", ["id": Self.complete, "reason": "complaint 12"])
        let reply = try client.call(2, "recordings-read", ["token": grant.token, "offset": offset, "length": length])
        #expect(errorCode(reply) == "bad_arguments")
        #expect(errorMessage(reply).contains(message))
        #expect(running.backend.recordings.reads == 0)
        #expect(running.server.limitRefusals("read length") == (message == "length" ? 1 : 0))
        // The refusal names the recording in the audit log; the token is still good.
        #expect(Self.args(Self.audit(running).last ?? [:])["id"] == Self.complete)
        #expect(
            errorCode(try client.call(3, "recordings-read", ["token": grant.token, "offset": 0, "length": 8])) == nil)
    }

    @Test func aReadAtTheEndIsEmptyAndEndsThePass() throws {
        let running = try Self.auditor()
        let client = try running.client()
        let grant = try client.result(
            AdminRecordingExportGrant.self, 1, "recordings-export", ["id": Self.complete, "reason": "complaint 12"])
        let last = try client.result(
            AdminRecordingBytes.self, 2, "recordings-read", ["token": grant.token, "offset": 599_990, "length": 100])
        #expect(Data(base64Encoded: last.data)?.count == 10)
        #expect(last.end)
        #expect(running.server.exportTokenCount == 0)
    }

    @Test func exportTokensAreBoundedPerConnection() throws {
        let running = try Self.auditor { $0.maxExportsPerConnection = 2 }
        let client = try running.client()
        for id in 1...2 {
            _ = try client.result(
                AdminRecordingExportGrant.self, id, "recordings-export", ["id": Self.complete, "reason": "complaint"])
        }
        let third = try client.call(3, "recordings-export", ["id": Self.complete, "reason": "complaint"])
        #expect(errorCode(third) == "rate_limited")
        #expect(errorMessage(third).contains("2 export tokens"))
        #expect(running.server.exportTokenCount == 2)
        #expect(running.server.limitRefusals("exports") == 1)
        #expect(Self.audit(running).last?["result"] as? String == "rate_limited")
        // Another connection has its own allowance.
        _ = try running.client().result(
            AdminRecordingExportGrant.self, 1, "recordings-export", ["id": Self.complete, "reason": "complaint"])
    }

    @Test func aShreddedRecordingCannotBeExported() throws {
        let running = try Self.auditor()
        let reply = try running.client().call(
            1, "recordings-export", ["id": FakeRecordings.shreddedID, "reason": "court order"])
        #expect(errorCode(reply) == "refused")
        #expect(errorMessage(reply).contains("shredded"))
        #expect(running.server.exportTokenCount == 0)
        #expect(Self.audit(running).map { $0["result"] as? String } == ["refused"])
    }

    @Test func aRecordingStillBeingRecordedCannotBeExported() throws {
        let running = try Self.auditor()
        let reply = try running.client().call(
            1, "recordings-export", ["id": FakeRecordings.liveID, "reason": "court order"])
        #expect(errorCode(reply) == "refused")
        #expect(errorMessage(reply).contains("still being recorded"))
        #expect(running.server.exportTokenCount == 0)
    }

    @Test func exportTokensAreBoundedInAll() throws {
        let running = try Self.auditor { $0.maxExports = 2 }
        var clients: [TestClient] = []
        for _ in 0..<2 {
            let client = try running.client()
            _ = try client.result(
                AdminRecordingExportGrant.self, 1, "recordings-export", ["id": Self.complete, "reason": "complaint"])
            clients.append(client)
        }
        let third = try running.client().call(1, "recordings-export", ["id": Self.complete, "reason": "complaint"])
        #expect(errorCode(third) == "rate_limited")
        #expect(errorMessage(third).contains("the relay already holds 2 export tokens"))
        #expect(running.server.exportTokenCount == 2)
    }

    @Test func anAuditLogThatCannotBeWrittenHandsOutNothing() throws {
        let running = try RunningServer(
            access: AdminAccess(uids: [.auditor: [getuid()]]), auditPath: "/dev/full")
        let client = try running.client()
        let reason = "complaint"
        for (id, (command, arguments)) in [
            ("recordings-list", [:] as [String: Any]), ("recordings-show", ["id": Self.complete]),
            ("recordings-export", ["id": Self.complete, "reason": reason]),
            ("recordings-hold", ["id": Self.complete, "reason": reason]),
            ("recordings-delete", ["id": FakeRecordings.cutID, "reason": reason]),
        ].enumerated() {
            let reply = try client.call(id, command, arguments)
            #expect(errorCode(reply) == "audit_failed", "\(command): \(reply)")
            #expect(reply["result"] == nil)
        }
        #expect(running.server.exportTokenCount == 0)
        #expect(running.backend.recordings.actions.isEmpty)
        #expect(running.backend.recordings.row(Self.complete)?.legalHold == false)
    }

    // MARK: - List

    @Test func listFiltersByTimeAndParty() throws {
        let running = try Self.auditor()
        let client = try running.client()
        func ids(_ arguments: [String: Any]) throws -> [String] {
            try client.result([AdminRecording].self, 1, "recordings-list", arguments).map(\.id)
        }
        #expect(
            try ids([:]) == [
                FakeRecordings.shreddedID, FakeRecordings.hugeID, FakeRecordings.heldID, Self.complete,
                FakeRecordings.cutID, FakeRecordings.liveID,
            ])
        // A date as `to` includes that whole day; a time is exclusive.
        #expect(try ids(["from": "2026-12-01", "to": "2026-12-01"]) == [Self.complete])
        #expect(try ids(["from": "2026-11-01", "to": "2026-12-01T09:00:00Z"]) == [FakeRecordings.heldID])
        #expect(try ids(["party": "1001"]) == [Self.complete])
        #expect(try ids(["party": "sip:+33*"]) == [FakeRecordings.cutID])
        for (arguments, message) in [
            (["from": "2026-02-30"], "\"from\""), (["to": "yesterday"], "\"to\""),
            (["from": "2026-12-02", "to": "2026-12-01"], "before"),
        ] as [([String: Any], String)] {
            let reply = try client.call(2, "recordings-list", arguments)
            #expect(errorCode(reply) == "bad_arguments", "\(arguments)")
            #expect(errorMessage(reply).contains(message))
        }
        let lines = Self.audit(running)
        try #require(lines.count == 8)
        #expect(Self.args(lines[3]) == ["party": "1001"])
        #expect(lines.suffix(3).allSatisfy { $0["result"] as? String == "bad_arguments" })
    }

    // MARK: - record

    @Test func anOperatorPausesAndResumesARecordingAndSessionsShowIt() throws {
        let running = try RunningServer(access: AdminAccess(uids: [.operator: [getuid()]]))
        let client = try running.client()
        #expect(try client.result([AdminSession].self, 1, "sessions").map(\.recording) == ["recording", nil])
        let paused = try client.result(AdminDone.self, 2, "record", ["id": 1, "action": "pause"])
        #expect(paused.message == "session 1: recording paused (a marked gap)")
        #expect(try client.result(AdminSession.self, 3, "session", ["id": 1]).recording == "paused")
        _ = try client.result(AdminDone.self, 4, "record", ["id": 1, "action": "resume"])
        _ = try client.result(AdminDone.self, 5, "record", ["id": 2, "action": "start"])
        #expect(try client.result([AdminSession].self, 6, "sessions").map(\.recording) == ["recording", "recording"])
        #expect(running.backend.recordings.actions == ["record 1 pause", "record 1 resume", "record 2 start"])
        let lines = Self.audit(running)
        #expect(lines.map { $0["cmd"] as? String } == ["record", "record", "record"])
        try #require(lines.count == 3)
        #expect(Self.args(lines[0]) == ["id": "1", "action": "pause"])
        #expect(lines.allSatisfy { $0["result"] as? String == "ok" && $0["role"] as? String == "operator" })
    }

    @Test func recordRefusesBadActionsMissingSessionsAndWhatTheRelayRefuses() throws {
        let running = try RunningServer(access: AdminAccess(uids: [.operator: [getuid()]]))
        let client = try running.client()
        let bad = try client.call(1, "record", ["id": 1, "action": "rewind"])
        #expect(errorCode(bad) == "bad_arguments")
        #expect(errorMessage(bad).contains("start, stop, pause or resume"))
        #expect(errorCode(try client.call(2, "record", ["id": 9, "action": "start"])) == "not_found")
        let refused = try client.call(3, "record", ["id": 2, "action": "pause"])
        #expect(errorCode(refused) == "refused")
        #expect(errorMessage(refused).contains("not being recorded"))
        #expect(running.backend.recordings.actions.isEmpty)
        let results = Self.audit(running).map { $0["result"] as? String }
        // The relay's refusal comes after the line that let it through.
        #expect(results == ["bad_arguments", "not_found", "ok", "refused"])
    }
}
