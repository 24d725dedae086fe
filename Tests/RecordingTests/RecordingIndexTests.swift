import Foundation
import Glibc
import SottoTestSupport
import Testing

@testable import Recording

/// The SQLite index: WAL, durability and scrubbing settings, the queries the admin commands and the sweeper use,
/// and what a crash leaves.
@Suite struct RecordingIndexTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func opensInWALModeWithFullSyncAndSecureDelete() throws {
        let directory = try TemporaryDirectory("sotto-index")
        let index = try RecordingIndex(directory: directory.path)
        #expect(try index.journalMode() == "wal")
        #expect(try index.pragma("synchronous") == "2")  // FULL
        #expect(try index.pragma("secure_delete") == "1")
        var info = stat()
        #expect(stat(directory.file("index.sqlite"), &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
    }

    @Test func aSymlinkInPlaceOfTheIndexIsRefused() throws {
        let directory = try TemporaryDirectory("sotto-index")
        let elsewhere = try directory.write("elsewhere.sqlite", "")
        #expect(symlink(elsewhere, directory.file("index.sqlite")) == 0)
        #expect(throws: RecordingIndexError.self) { try RecordingIndex(directory: directory.path) }
    }

    @Test func rowsRoundTripAndFinish() throws {
        let directory = try TemporaryDirectory("sotto-index")
        let index = try RecordingIndex(directory: directory.path)
        let row = indexRow(started: start, state: .recording)
        try index.insert(row)
        #expect(try index.row(id: row.id) == row)
        #expect(throws: (any Error).self) { try index.insert(row) }

        let ended = start.addingTimeInterval(125.5)
        #expect(try index.finish(id: row.id, state: .complete, ended: ended, sizeBytes: 4096, sha256: "ab" + "00"))
        let finished = try #require(try index.row(id: row.id))
        #expect(finished.state == .complete)
        #expect(finished.ended == ended)
        #expect(finished.durationSeconds == 125.5)
        #expect(finished.sizeBytes == 4096)
        #expect(finished.sha256 == "ab00")
        #expect(try !index.finish(id: "NOSUCHID", state: .cut, ended: ended, sizeBytes: 1, sha256: nil))

        // Reopened, the row is as it was left.
        try index.close()
        let reopened = try RecordingIndex(directory: directory.path)
        #expect(try reopened.row(id: row.id) == finished)
    }

    @Test func listFiltersByTimeAndParty() throws {
        let directory = try TemporaryDirectory("sotto-index")
        let index = try RecordingIndex(directory: directory.path)
        let first = indexRow(started: start, caller: "sip:+44207@pbx.example.com", callee: "sip:agent1@cc")
        let second = indexRow(
            started: start.addingTimeInterval(3600), caller: "sip:alice.axb@pbx.example.com", callee: "sip:agent2@cc")
        let third = indexRow(
            started: start.addingTimeInterval(7200), caller: "sip:a_b@pbx.example.com", callee: "sip:Agent1@cc")
        for row in [third, first, second] { try index.insert(row) }

        #expect(
            try index.list(from: nil, to: nil, party: nil, limit: 100).map(\.id) == [first, second, third].map(\.id))
        #expect(try index.list(from: nil, to: nil, party: nil, limit: 2).map(\.id) == [first, second].map(\.id))
        let window = try index.list(
            from: start.addingTimeInterval(1), to: start.addingTimeInterval(7200), party: nil, limit: 100)
        #expect(window.map(\.id) == [second.id])
        // A substring, either party, ASCII case ignored.
        #expect(Set(try index.list(from: nil, to: nil, party: "AGENT1", limit: 100).map(\.id)) == [first.id, third.id])
        #expect(try index.list(from: nil, to: nil, party: "alice", limit: 100).map(\.id) == [second.id])
        // A glob is matched against the whole URI.
        #expect(try index.list(from: nil, to: nil, party: "sip:+44*", limit: 100).map(\.id) == [first.id])
        #expect(try index.list(from: nil, to: nil, party: "+44*", limit: 100).isEmpty)
        // LIKE's own wildcards are plain characters: "a_b" does not match "axb".
        #expect(try index.list(from: nil, to: nil, party: "a_b", limit: 100).map(\.id) == [third.id])
        #expect(try index.list(from: nil, to: nil, party: "%", limit: 100).isEmpty)
    }

    @Test func expiredSkipsHeldShreddedAndUnfinishedRows() throws {
        let directory = try TemporaryDirectory("sotto-index")
        let index = try RecordingIndex(directory: directory.path)
        let due = indexRow(started: start, days: 1)
        let cut = indexRow(started: start, days: 2, state: .cut)
        let held = indexRow(started: start, days: 1)
        let recording = indexRow(started: start, days: 1, state: .recording)
        let notYet = indexRow(started: start, days: 30)
        for row in [due, cut, held, recording, notYet] { try index.insert(row) }
        #expect(try index.setHold(id: held.id, true)?.legalHold == true)
        #expect(try index.setHold(id: "NOSUCHID", true) == nil)

        let now = start.addingTimeInterval(3 * 86_400)
        #expect(try index.expired(now: now, limit: 100).map(\.id) == [due.id, cut.id])
        #expect(try index.expired(now: now, limit: 1).map(\.id) == [due.id])
        #expect(try index.destroyKeys(id: due.id, expiredAt: now))
        #expect(try index.markShredded(id: due.id, at: now))
        #expect(try index.expired(now: now, limit: 100).map(\.id) == [cut.id])
        let shredded = try #require(try index.row(id: due.id))
        #expect(shredded.state == .shredded && shredded.sealedKeys == nil && shredded.shreddedAt == now)
        #expect(shredded.caller == due.caller, "metadata is kept")
    }

    /// The hold is checked in the statement that destroys the key: a hold placed after the sweeper listed the row
    /// wins, and a key is never destroyed early.
    @Test func destroyKeysRespectsHoldDeadlineAndState() throws {
        let directory = try TemporaryDirectory("sotto-index")
        let index = try RecordingIndex(directory: directory.path)
        let held = indexRow(started: start, days: 1)
        let young = indexRow(started: start, days: 30)
        let live = indexRow(started: start, days: 1, state: .recording)
        for row in [held, young, live] { try index.insert(row) }
        try index.setHold(id: held.id, true)
        let now = start.addingTimeInterval(2 * 86_400)
        #expect(try !index.destroyKeys(id: held.id, expiredAt: now))
        #expect(try index.row(id: held.id)?.sealedKeys == held.sealedKeys)
        #expect(try !index.destroyKeys(id: young.id, expiredAt: now))
        #expect(try index.row(id: young.id)?.sealedKeys == young.sealedKeys)
        #expect(try !index.destroyKeys(id: live.id, expiredAt: nil))
        #expect(try index.row(id: live.id)?.sealedKeys == live.sealedKeys)
        // Deleting (no deadline) may destroy a young key.
        #expect(try index.destroyKeys(id: young.id, expiredAt: nil))
        #expect(try index.row(id: young.id)?.sealedKeys == nil)
    }

    @Test func recoverTurnsRowsLeftRecordingIntoCut() throws {
        let directory = try TemporaryDirectory("sotto-index")
        let index = try RecordingIndex(directory: directory.path)
        let left = indexRow(started: start, state: .recording)
        let done = indexRow(started: start, state: .complete)
        try index.insert(left)
        try index.insert(done)
        let recovered = try index.recover()
        #expect(recovered.map(\.id) == [left.id])
        #expect(recovered.first?.state == .cut)
        #expect(try index.row(id: left.id)?.state == .cut)
        #expect(try index.row(id: done.id)?.state == .complete)
        #expect(try index.recover().isEmpty)
    }

    /// After a shred and a scrub, the sealed key's bytes are in none of the index's files: not in a free page of
    /// the database, not in the write-ahead log.
    @Test func aDestroyedKeyLeavesNoBytesInTheIndexFiles() throws {
        let directory = try TemporaryDirectory("sotto-index")
        let index = try RecordingIndex(directory: directory.path)
        let keys = randomSealedKeys()
        let row = indexRow(started: start, days: 1, keys: keys)
        try index.insert(row)
        for _ in 0..<3 { try index.insert(indexRow(started: start)) }
        try index.scrub()  // the key is now in the database file itself
        #expect(try fileBytes(directory).contains { containsRun($0, Array(keys)) })

        let now = start.addingTimeInterval(2 * 86_400)
        #expect(try index.destroyKeys(id: row.id, expiredAt: now))
        try index.markShredded(id: row.id, at: now)
        try index.scrub()
        for (name, bytes) in try zip(indexFileNames(directory), fileBytes(directory)) {
            #expect(!containsRun(bytes, Array(keys)), "the destroyed key is still in \(name)")
        }
    }

    /// A process killed with -9 while inserting rows: every insert it reported done is in the index after
    /// reopening, and the database passes SQLite's integrity check.
    @Test func aRowCommittedBeforeKill9IsThereAfterReopen() async throws {
        let directory = try TemporaryDirectory("sotto-index")
        let child = try ChildProcess(BuildProducts.path("recording-index-child"), [directory.path])
        _ = await eventually(.seconds(60)) {
            child.stdout.split(separator: "\n").count >= 50 || !child.isRunning
        }
        child.signal(SIGKILL)
        #expect(try await child.exitStatus() == 128 + SIGKILL)
        let committed = child.stdout.split(separator: "\n").filter { $0.hasPrefix("committed ") }
            .map { String($0.dropFirst("committed ".count)) }
        #expect(committed.count >= 50, "\(child.stderr)")

        let index = try RecordingIndex(directory: directory.path)
        #expect(try index.pragma("integrity_check") == "ok")
        for id in committed {
            #expect(try index.row(id: id) != nil, "\(id) was reported committed")
        }
    }

    private func indexFileNames(_ directory: TemporaryDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("index.sqlite") }
            .sorted()
    }

    private func fileBytes(_ directory: TemporaryDirectory) throws -> [[UInt8]] {
        try indexFileNames(directory).map { Array(try Data(contentsOf: URL(fileURLWithPath: directory.file($0)))) }
    }
}
