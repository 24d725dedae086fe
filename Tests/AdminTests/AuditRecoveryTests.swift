import Admin
import AdminProtocol
import Foundation
import SottoTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The audit log never stops the relay for what a crash leaves behind, never follows a link, rotates with the
/// chain carried across files, and keeps a broken chain as evidence.
@Suite struct AuditRecoveryTests {
    func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast().map(String.init)
    }

    /// The files in `directory` whose names start with `prefix`.
    func files(_ directory: TemporaryDirectory, _ prefix: String = "audit.log") throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(prefix) }.sorted()
            .map { directory.file($0) }
    }

    func fill(_ log: AuditLog, count: Int) throws {
        for id in 1...count {
            try log.append(uid: 1000, role: .operator, command: "terminate", arguments: ["id": "\(id)"], result: "ok")
        }
    }

    @Test func aTornLastLineIsMovedAsideAndTheChainGoesOn() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("audit.log")
        try fill(try AuditLog(path: path), count: 3)
        let torn = #"{"time":"2026-12-07T13:00:00.000Z","uid":1000,"role":"oper"#
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(torn.utf8))
        handle.closeFile()

        let log = try AuditLog(path: path)
        let text = try lines(path)
        try #require(text.count == 4)
        let record = parse(text[3])
        #expect(record["cmd"] as? String == "audit-recover")
        let args = try #require(record["args"] as? [String: String])
        #expect(args["torn_bytes"] == String(torn.utf8.count))
        #expect(args["lines"] == "3")
        // The torn bytes are kept, byte for byte, in the file the recovery line names, next to the log.
        let aside = try files(directory).filter { $0.contains(".torn-") }
        try #require(aside.count == 1)
        #expect(aside.map { ($0 as NSString).lastPathComponent } == [args["torn_file"] ?? "?"])
        #expect(try String(contentsOfFile: aside[0], encoding: .utf8) == torn)
        #expect(AuditFiles.kind(of: aside[0]) != .live)
        try log.append(uid: 0, role: .admin, command: "log-level", arguments: ["level": "debug"], result: "ok")
        #expect(AuditLog.verify(path: path) == .valid(lines: 5, head: log.head))
    }

    @Test func aChainBrokenInTheMiddleIsKeptAsEvidenceAndANewChainRecordsIt() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("audit.log")
        try fill(try AuditLog(path: path), count: 5)
        var text = try lines(path)
        text[1] = text[1].replacingOccurrences(of: #""id":"2""#, with: #""id":"4""#)
        let tampered = text.joined(separator: "\n") + "\n"
        try tampered.write(toFile: path, atomically: false, encoding: .utf8)

        // The relay still starts ...
        let log = try AuditLog(path: path)
        try log.append(uid: 1000, role: .operator, command: "terminate", arguments: ["id": "9"], result: "ok")
        // ... the tampered file is kept exactly as it was ...
        let kept = try #require(try files(directory).first { $0.contains(".broken-") })
        #expect(try String(contentsOfFile: kept, encoding: .utf8) == tampered)
        #expect(AuditLog.verify(path: kept).line == 3)
        // ... and the new file's first line says where the old chain broke: verify reports it, loudly.
        let first = parse(try lines(path).first ?? "")
        #expect(first["cmd"] as? String == "audit-chain-break")
        #expect(first["result"] as? String == "chain_broken")
        let args = try #require(first["args"] as? [String: String])
        #expect(args["previous_file"] == (kept as NSString).lastPathComponent)
        #expect(args["line"] == "3")
        guard case .invalid(1, let reason) = AuditLog.verify(path: path) else {
            Issue.record("the break was not reported: \(AuditLog.verify(path: path))")
            return
        }
        #expect(reason.contains((kept as NSString).lastPathComponent))
        let report = AuditLog.verify(paths: AuditFiles.chainOrder(try files(directory)).chain)
        #expect(report.map(\.verification.isValid) == [false, false])
    }

    @Test func aSymbolicLinkAtThePathIsRefused() throws {
        let directory = try TemporaryDirectory()
        let target = directory.file("elsewhere")
        try "precious\n".write(toFile: target, atomically: false, encoding: .utf8)
        let path = directory.file("audit.log")
        #expect(symlink(target, path) == 0)
        #expect(throws: AuditError(.symbolicLink, "")) { try AuditLog(path: path) }
        do {
            _ = try AuditLog(path: path)
        } catch {
            #expect(error.reason.contains("symbolic link"))
        }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "precious\n")
    }

    @Test func bySizeTheLogRotatesAndTheChainRunsAcrossFiles() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("audit.log")
        let log = try AuditLog(path: path, maxBytes: 500)
        try fill(log, count: 12)
        let all = try files(directory)
        try #require(all.count >= 4, "\(all)")
        let (chain, skipped) = AuditFiles.chainOrder(all.reversed())
        #expect(skipped.isEmpty)
        #expect(chain.last == path)
        let reports = AuditLog.verify(paths: chain, expectedHead: log.head)
        #expect(reports.allSatisfy { $0.verification.isValid }, "\(reports)")
        // Every file after the first begins with a line naming the file before it.
        for (before, after) in zip(chain, chain.dropFirst()) {
            let first = parse(try lines(after).first ?? "")
            #expect(first["cmd"] as? String == "audit-rotate")
            #expect((first["args"] as? [String: String])?["previous_file"] == (before as NSString).lastPathComponent)
        }
        // Each file is about the size asked for: one line past it at most.
        for file in chain.dropLast() {
            let size = try #require(try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
            #expect(size >= 500 && size < 800, "\(file): \(size)")
        }
        var lineCount = 0
        for file in chain { lineCount += try lines(file).count }
        #expect(lineCount == 12 + chain.count - 1)
        // The live log alone: its link to the file before is noted, not checked.
        let alone = AuditLog.verify(paths: [path])
        try #require(alone.count == 1)
        #expect(alone[0].verification.isValid)
        #expect(alone[0].note?.contains("not given") == true)
    }

    @Test func aMissingOrEditedRotatedFileIsFoundAtTheNextFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("audit.log")
        try fill(try AuditLog(path: path, maxBytes: 500), count: 12)
        let chain = AuditFiles.chainOrder(try files(directory)).chain
        try #require(chain.count >= 4)

        var missing = chain
        missing.remove(at: 1)
        let gap = AuditLog.verify(paths: missing)
        #expect(gap[0].verification.isValid)
        #expect(gap[1].verification.line == 1)
        if case .invalid(_, let reason) = gap[1].verification {
            #expect(reason.contains((chain[1] as NSString).lastPathComponent), "\(reason)")
        }

        // The last line of the first file cut off: its own chain holds, the next file's link does not.
        let first = try lines(chain[0])
        try (first.dropLast().joined(separator: "\n") + "\n").write(
            toFile: chain[0], atomically: false, encoding: .utf8)
        let cut = AuditLog.verify(paths: chain)
        #expect(cut[0].verification.isValid)
        #expect(cut[1].verification.line == 1)
    }

    @Test func rotatingOnRequestNamesThePreviousFileWhereverItWent() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("audit.log")
        let log = try AuditLog(path: path)
        #expect(try log.rotate(reason: "signal") == nil)  // empty: nothing to rotate
        try fill(log, count: 2)
        let renamed = try #require(try log.rotate(reason: "signal"))
        #expect(AuditFiles.kind(of: renamed) != .live)
        try fill(log, count: 1)
        // Moved away by someone else first (logrotate): the new file names it where it is now.
        let moved = directory.file("audit.log.old")
        #expect(rename(path, moved) == 0)
        #expect(try log.rotate(reason: "signal") == moved)
        try fill(log, count: 1)
        let reports = AuditLog.verify(paths: [renamed, moved, path], expectedHead: log.head)
        #expect(reports.allSatisfy { $0.verification.isValid }, "\(reports)")
        #expect((parse(try lines(path).first ?? "")["args"] as? [String: String])?["reason"] == "signal")
    }

    @Test func namesBesideTheLogSortIntoChainOrder() {
        let live = "/var/log/sotto/admin-audit.jsonl"
        let names = [
            live, live + ".20261207T132645.123Z", live + ".torn-20261207T140000.000Z", live + ".20261201T000000.000Z",
            live + ".20261207T132645.123Z-2", live + ".broken-20261203T000000.000Z",
        ]
        let (chain, skipped) = AuditFiles.chainOrder(names)
        #expect(
            chain == [
                live + ".20261201T000000.000Z", live + ".broken-20261203T000000.000Z", live + ".20261207T132645.123Z",
                live + ".20261207T132645.123Z-2", live,
            ])
        #expect(skipped == [live + ".torn-20261207T140000.000Z"])
        #expect(AuditFiles.kind(of: live + ".old") == .live)
    }
}
