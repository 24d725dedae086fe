import Foundation
import Logging
import SottoTestSupport
import Synchronization
import Testing

@testable import Recording

/// Retention on a hand-moved clock: what is shredded, what is kept, and what a crash or a race leaves.
@Suite struct RetentionSweeperTests {
    /// An index and a store in one temporary directory, with a sweeper over them.
    struct Vault {
        let directory: TemporaryDirectory
        let index: RecordingIndex
        let store: DirectoryStore
        let clock = SweepClock()
        let audit = SweepAudit()

        init() throws {
            directory = try TemporaryDirectory("sotto-retention")
            store = try DirectoryStore(path: directory.file("recordings"))
            index = try RecordingIndex(directory: store.path)
        }

        func sweeper(catalog: (any RecordingCatalog)? = nil) -> RetentionSweeper {
            let audit = audit
            let clock = clock
            return RetentionSweeper(catalog: catalog ?? index, store: store, clock: { clock.now() }) { row, text in
                audit.record(row, text)
            }
        }

        /// A finished recording with a file, kept `days`.
        func record(days: Int) throws -> RecordingRow {
            let row = indexRow(started: clock.now(), days: days)
            let file = try store.create(row.fileName)
            try file.append(Array("sealed container of \(row.id)".utf8))
            try file.sync()
            file.close()
            try index.insert(row)
            return row
        }
    }

    @Test func expiredRecordingsAreShreddedAndTheRestKept() throws {
        let vault = try Vault()
        let due = try vault.record(days: 30)
        let held = try vault.record(days: 30)
        let young = try vault.record(days: 90)
        try vault.index.setHold(id: held.id, true)
        let sweeper = vault.sweeper()

        #expect(sweeper.sweep().isEmpty)
        vault.clock.advance(days: 31)
        #expect(sweeper.sweep() == [due.id])

        let shredded = try #require(try vault.index.row(id: due.id))
        #expect(shredded.state == .shredded)
        #expect(shredded.sealedKeys == nil)
        #expect(shredded.shreddedAt == vault.clock.now())
        #expect(shredded.callID == due.callID && shredded.caller == due.caller, "metadata is kept")
        #expect(!vault.store.exists(due.fileName))
        #expect(vault.audit.entries.map(\.id) == [due.id])
        #expect(vault.audit.entries.first?.text.contains("retention") == true)

        for kept in [held, young] {
            let row = try #require(try vault.index.row(id: kept.id))
            #expect(row.state == .complete && row.sealedKeys == kept.sealedKeys)
            #expect(vault.store.exists(kept.fileName))
        }
        // Released from hold, it goes at the next sweep.
        try vault.index.setHold(id: held.id, false)
        #expect(sweeper.sweep() == [held.id])
        #expect(sweeper.sweep().isEmpty)
    }

    /// A copy of the file restored from a backup after the shred is noise: the row stays shredded and keyless.
    @Test func restoringTheFileDoesNotBringTheKeyBack() throws {
        let vault = try Vault()
        let row = try vault.record(days: 1)
        let backup = try vault.store.read(row.fileName, maximumBytes: 1 << 20)
        vault.clock.advance(days: 2)
        #expect(vault.sweeper().sweep() == [row.id])

        let restored = try vault.store.create(row.fileName)
        try restored.append(backup)
        restored.close()
        #expect(vault.sweeper().sweep().isEmpty)
        let after = try #require(try vault.index.row(id: row.id))
        #expect(after.sealedKeys == nil && after.state == .shredded)
        // What an export needs from the index (the sealed keys) is not there for any row with this file.
        #expect(try vault.index.list(from: nil, to: nil, party: nil, limit: 10).allSatisfy { $0.sealedKeys == nil })
    }

    /// A crash after the key was destroyed but before the file was removed: the next sweep finishes the shred.
    @Test func aShredCutShortByACrashIsFinishedByTheNextSweep() throws {
        let vault = try Vault()
        let row = try vault.record(days: 1)
        vault.clock.advance(days: 2)
        #expect(try vault.index.destroyKeys(id: row.id, expiredAt: vault.clock.now()))
        #expect(vault.store.exists(row.fileName))

        #expect(vault.sweeper().sweep() == [row.id])
        #expect(!vault.store.exists(row.fileName))
        #expect(try vault.index.row(id: row.id)?.state == .shredded)
    }

    /// The key goes first: when the file cannot be removed, the key is destroyed all the same (the file is noise),
    /// the row stays due, and the next sweep finishes the shred.
    @Test func aFileThatCannotBeRemovedStillLosesItsKey() throws {
        let vault = try Vault()
        let row = try vault.record(days: 1)
        vault.clock.advance(days: 2)
        let failing = RetentionSweeper(
            catalog: vault.index, store: UnremovableStore(store: vault.store), clock: { vault.clock.now() }
        ) { row, text in vault.audit.record(row, text) }
        #expect(failing.sweep().isEmpty)
        let after = try #require(try vault.index.row(id: row.id))
        #expect(after.sealedKeys == nil)
        #expect(after.state == .complete)
        #expect(vault.store.exists(row.fileName))
        #expect(vault.audit.entries.last?.text.contains("file not removed") == true)

        // Still failing an hour later: no second audit line for the same key.
        #expect(failing.sweep().isEmpty)
        #expect(vault.audit.entries.count == 1)

        #expect(vault.sweeper().sweep() == [row.id])
        #expect(!vault.store.exists(row.fileName))
    }

    /// A sweep over many recordings that all fail (a read-only disk) logs a few by name and counts the rest into
    /// one line.
    @Test func failuresAreLoggedAFewAtATime() throws {
        let vault = try Vault()
        for _ in 0..<(RetentionSweeper.loggedFailuresPerSweep + 7) { _ = try vault.record(days: 1) }
        vault.clock.advance(days: 2)
        let lines = LogLines()
        let failing = RetentionSweeper(
            catalog: vault.index, store: UnremovableStore(store: vault.store), clock: { vault.clock.now() },
            logger: Logger(label: "retention-test") { _ in lines }
        ) { _, _ in }
        #expect(failing.sweep().isEmpty)
        let logged = lines.messages
        #expect(logged.count == RetentionSweeper.loggedFailuresPerSweep + 1, "\(logged)")
        #expect(logged.last == "retention: 7 more recordings could not be shredded this sweep")
    }

    /// An auditor's hold that lands after the sweeper listed a recording, but before it destroyed the key, wins.
    @Test func aHoldPlacedDuringTheSweepWins() throws {
        let vault = try Vault()
        let row = try vault.record(days: 1)
        vault.clock.advance(days: 2)
        let racing = HoldAfterListing(index: vault.index)
        #expect(vault.sweeper(catalog: racing).sweep().isEmpty)
        let after = try #require(try vault.index.row(id: row.id))
        #expect(after.legalHold && after.sealedKeys == row.sealedKeys && after.state == .complete)
        #expect(vault.store.exists(row.fileName))
    }

    @Test func deleteIsRefusedOnHoldWhileRecordingAndTwice() throws {
        let vault = try Vault()
        let sweeper = vault.sweeper()
        let held = try vault.record(days: 90)
        try vault.index.setHold(id: held.id, true)
        guard case .refused(let reason) = sweeper.shred(id: held.id, reason: "customer asked") else {
            Issue.record("a held recording was deleted")
            return
        }
        #expect(reason == "recording \(held.id) is on legal hold; release it first")
        #expect(vault.store.exists(held.fileName))

        let live = indexRow(started: vault.clock.now(), state: .recording)
        try vault.index.insert(live)
        guard case .refused(let liveReason) = sweeper.shred(id: live.id, reason: "x") else {
            Issue.record("a recording in progress was deleted")
            return
        }
        #expect(liveReason == "recording \(live.id) is still being recorded")
        #expect(try vault.index.row(id: live.id)?.sealedKeys == live.sealedKeys)
        #expect(sweeper.shred(id: "NOSUCHID", reason: "x") == .notFound)

        let young = try vault.record(days: 90)
        guard case .shredded(let row) = sweeper.shred(id: young.id, reason: "subject access erasure #42") else {
            Issue.record("an auditor's delete was refused")
            return
        }
        #expect(row.state == .shredded && row.sealedKeys == nil)
        #expect(!vault.store.exists(young.fileName))
        #expect(vault.audit.entries.last?.text.contains("subject access erasure #42") == true)
        guard case .refused = sweeper.shred(id: young.id, reason: "again") else {
            Issue.record("a shredded recording was shredded twice")
            return
        }
    }

    @Test func theTimerSweeps() async throws {
        let vault = try Vault()
        let row = try vault.record(days: 1)
        vault.clock.advance(days: 2)
        let sweeper = vault.sweeper()
        sweeper.start(queue: DispatchQueue(label: "retention-test"), every: .seconds(3600))
        defer { sweeper.stop() }
        let done = try await eventually(.seconds(30)) { try vault.index.row(id: row.id)?.state == .shredded }
        #expect(done)
    }
}

/// A catalog that, like an auditor racing the sweeper, puts every row it lists as expired on hold before handing
/// the list back.
final class HoldAfterListing: RecordingCatalog {
    let index: RecordingIndex

    init(index: RecordingIndex) {
        self.index = index
    }

    func expired(now: Date, limit: Int) throws -> [RecordingRow] {
        let rows = try index.expired(now: now, limit: limit)
        for row in rows { try index.setHold(id: row.id, true) }
        return rows
    }

    func insert(_ row: RecordingRow) throws { try index.insert(row) }
    func finish(id: String, state: RecordingState, ended: Date, sizeBytes: Int64, sha256: String?) throws -> Bool {
        try index.finish(id: id, state: state, ended: ended, sizeBytes: sizeBytes, sha256: sha256)
    }
    func list(from: Date?, to: Date?, party: String?, limit: Int) throws -> [RecordingRow] {
        try index.list(from: from, to: to, party: party, limit: limit)
    }
    func row(id: String) throws -> RecordingRow? { try index.row(id: id) }
    func setHold(id: String, _ hold: Bool) throws -> RecordingRow? { try index.setHold(id: id, hold) }
    func destroyKeys(id: String, expiredAt: Date?) throws -> Bool {
        try index.destroyKeys(id: id, expiredAt: expiredAt)
    }
    func markShredded(id: String, at: Date) throws -> Bool { try index.markShredded(id: id, at: at) }
    func scrub() throws { try index.scrub() }
    func recover() throws -> [RecordingRow] { try index.recover() }
}

/// A store whose files cannot be removed (a read-only remount, an I/O error).
final class UnremovableStore: RecordingStore {
    let store: DirectoryStore

    init(store: DirectoryStore) {
        self.store = store
    }

    func create(_ name: String) throws(RecordingStoreError) -> any RecordingFile { try store.create(name) }
    func read(_ name: String, maximumBytes: Int) throws(RecordingStoreError) -> [UInt8] {
        try store.read(name, maximumBytes: maximumBytes)
    }
    func read(_ name: String, offset: Int, length: Int) throws(RecordingStoreError) -> [UInt8] {
        try store.read(name, offset: offset, length: length)
    }
    func size(_ name: String) throws(RecordingStoreError) -> Int? { try store.size(name) }
    func remove(_ name: String) throws(RecordingStoreError) -> Bool {
        throw RecordingStoreError(.io, "cannot remove \(name): Read-only file system")
    }
    func exists(_ name: String) -> Bool { store.exists(name) }
    func syncAll() throws(RecordingStoreError) { try store.syncAll() }
}

/// A log handler that keeps the messages logged through it.
struct LogLines: LogHandler {
    /// Shared by the copies a Logger makes of its handler.
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
    }

    private let store = Lines()
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var messages: [String] { store.lines.withLock { $0 } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        store.lines.withLock { $0.append(event.message.description) }
    }
}
