import Admin
import AdminProtocol
import Foundation
import SottoTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The audit log's chain: written, continued, verified, and tampering found with its line number.
@Suite struct AuditLogTests {
    /// A log with `count` lines (`terminate` of ids 1...count).
    func makeLog(_ directory: TemporaryDirectory, count: Int) throws -> String {
        let path = directory.file("audit.log")
        let log = try AuditLog(path: path)
        for id in 1...count {
            try log.append(
                uid: 1000, role: .operator, command: "terminate", arguments: ["id": String(id)], result: "ok")
        }
        return path
    }

    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast().map(String.init)
    }

    func write(_ lines: [String], to path: String) throws {
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
    }

    @Test func linesHaveTheDocumentedShapeAndChain() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("audit.log")
        let log = try AuditLog(path: path)
        let head = try log.append(
            uid: 1000, role: .operator, command: "terminate", arguments: ["id": "3"], result: "ok",
            time: "2026-11-29T23:50:01.123Z")
        try log.append(uid: 1234, role: nil, command: "connect", arguments: [:], result: "forbidden")
        let text = try lines(path)
        #expect(
            text[0]
                == #"{"time":"2026-11-29T23:50:01.123Z","uid":1000,"role":"operator","cmd":"terminate","args":{"id":"3"},"result":"ok","prev":""#
                + String(repeating: "0", count: 64) + #""}"#)
        // The second line's prev is the SHA-256 of the first line's bytes, newline excluded (checked with
        // sha256sum, independently of the OpenSSL the log uses).
        #expect(parse(text[1])["prev"] as? String == head)
        #expect(parse(text[1])["role"] is NSNull)
        #expect(try await sha256Hex(text[0]) == head)
        #expect(AuditLog.verify(path: path) == .valid(lines: 2, head: log.head))
        var info = stat()
        stat(path, &info)
        #expect(info.st_mode & 0o777 == 0o600)
    }

    @Test func timestampsAreUTCWithMilliseconds() {
        let stamp = AuditLog.timestamp()
        #expect(stamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil, "\(stamp)")
    }

    @Test func reopeningContinuesTheChain() throws {
        let directory = try TemporaryDirectory()
        let path = try makeLog(directory, count: 2)
        do {
            let again = try AuditLog(path: path)
            try again.append(uid: 0, role: .admin, command: "log-level", arguments: ["level": "debug"], result: "ok")
        }
        guard case .valid(let count, _) = AuditLog.verify(path: path) else {
            Issue.record("\(AuditLog.verify(path: path))")
            return
        }
        #expect(count == 3)
    }

    @Test func aSecondWriterIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("audit.log")
        let first = try AuditLog(path: path)
        #expect(throws: AuditError(.openFailed, "")) { try AuditLog(path: path) }
        withExtendedLifetime(first) {}
    }

    @Test func anEditedLineIsFoundByTheLineAfterIt() throws {
        let directory = try TemporaryDirectory()
        let path = try makeLog(directory, count: 5)
        var text = try lines(path)
        text[1] = text[1].replacingOccurrences(of: #""id":"2""#, with: #""id":"4""#)
        let copy = directory.file("edited.log")
        try write(text, to: copy)
        guard case .invalid(let line, let reason) = AuditLog.verify(path: copy) else {
            Issue.record("the edit was not found")
            return
        }
        #expect(line == 3)
        #expect(reason.contains("prev"))
        #expect(AuditLog.verify(path: path).isValid)
    }

    @Test func aRemovedLineIsFound() throws {
        let directory = try TemporaryDirectory()
        let path = try makeLog(directory, count: 5)
        var text = try lines(path)
        text.remove(at: 2)
        let copy = directory.file("removed.log")
        try write(text, to: copy)
        guard case .invalid(let line, _) = AuditLog.verify(path: copy) else {
            Issue.record("the removal was not found")
            return
        }
        #expect(line == 3)
    }

    @Test func aRemovedFirstLineIsFound() throws {
        let directory = try TemporaryDirectory()
        let path = try makeLog(directory, count: 3)
        let copy = directory.file("removed.log")
        try write(Array(try lines(path).dropFirst()), to: copy)
        #expect(AuditLog.verify(path: copy).line == 1)
    }

    @Test func linesCutOffTheEndAreFoundAgainstTheRecordedHead() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("audit.log")
        let log = try AuditLog(path: path)
        for id in 1...4 {
            try log.append(uid: 0, role: .admin, command: "terminate", arguments: ["id": "\(id)"], result: "ok")
        }
        let copy = directory.file("cut.log")
        try write(Array(try lines(path).dropLast()), to: copy)
        #expect(AuditLog.verify(path: copy).isValid)
        #expect(AuditLog.verify(path: copy, expectedHead: log.head).line == 3)
        #expect(AuditLog.verify(path: path, expectedHead: log.head).isValid)
    }

    @Test func garbageAndACutShortLastLineAreInvalid() throws {
        let directory = try TemporaryDirectory()
        let path = try makeLog(directory, count: 2)
        let text = try lines(path)
        let garbage = directory.file("garbage.log")
        try write([text[0], "not json", text[1]], to: garbage)
        #expect(AuditLog.verify(path: garbage).line == 2)
        let cut = directory.file("cut.log")
        try (text[0] + "\n" + text[1].prefix(30)).write(toFile: cut, atomically: false, encoding: .utf8)
        #expect(AuditLog.verify(path: cut).line == 2)
        // Opened for writing, a cut-short file is repaired (AuditRecoveryTests), never chained onto as it is.
    }

    @Test func aFullDiskFailsTheCommandAndNothingHappens() throws {
        let running = try RunningServer(auditPath: "/dev/full")
        let client = try running.client()
        let terminate = try client.call(1, "terminate", ["id": 1])
        #expect(errorCode(terminate) == "audit_failed")
        #expect(running.backend.terminated.isEmpty)
        #expect(running.backend.liveIDs == [1, 2])
        #expect(errorCode(try client.call(2, "log-level", ["level": "trace"])) == "audit_failed")
        #expect(running.backend.logLevel == "info")
        // Read-only commands are not audited, so they still work.
        #expect(try client.result([AdminSession].self, 3, "sessions").count == 2)
    }

    @Test func theServerAuditsChangesAndRefusalsOnly() throws {
        let running = try RunningServer(
            access: AdminAccess(uids: [.operator: [getuid()]]))
        let client = try running.client()
        for (id, command) in ["version", "sessions", "stats", "metrics", "registrations", "help"].enumerated() {
            _ = try client.call(id, command)
        }
        _ = try client.call(10, "terminate", ["id": 2])
        _ = try client.call(11, "config")
        _ = try client.call(12, "log-level", ["level": "error"])
        _ = try client.call(13, "terminate", ["id": 77])
        _ = try client.call(14, "terminate")
        let records = try lines(running.auditPath).map(parse)
        #expect(records.map { $0["cmd"] as? String } == ["terminate", "config", "log-level", "terminate", "terminate"])
        #expect(
            records.map { $0["result"] as? String } == ["ok", "forbidden", "ok", "not_found", "bad_arguments"])
        #expect(AuditLog.verify(path: running.auditPath) == .valid(lines: 5, head: running.server.auditLog.head))
    }
}

extension AuditVerification {
    /// The bad line's number, or nil if the chain held.
    var line: Int? {
        if case .invalid(let line, _) = self { return line }
        return nil
    }
}

/// SHA-256 in hex by the `sha256sum` tool: an independent check of the chain's links.
func sha256Hex(_ text: String) async throws -> String {
    let result = try await ChildProcess.run("/usr/bin/sha256sum", input: Array(text.utf8))
    return String(result.stdout.prefix(64))
}
