import Crypto
import Foundation
import Logging
import SottoTestSupport
import Synchronization
import Testing

@testable import Recording

/// The vault end to end on the relay's side: payloads through a capture ring, sealed chunks on disk, the index row,
/// and what an officer's identity reads back; a store that fails; and that nothing the relay keeps opens a finished
/// recording.
@Suite(.serialized) struct RecordingVaultTests {
    /// A monotonic clock the test moves by hand (nanoseconds).
    final class Clock: Sendable {
        let now = Atomic<UInt64>(1_000_000_000)
        func advance(milliseconds: UInt64) { now.add(milliseconds * 1_000_000, ordering: .relaxed) }
    }

    /// A store whose appends fail once `failing` is set, as a full disk's would: the vault's reaction to a write
    /// error, without filling a disk (the fault suite does that with a real tmpfs).
    final class FailingStore: RecordingStore, @unchecked Sendable {
        let inner: DirectoryStore
        let failing = Atomic<Bool>(false)
        /// Only the one-call sync of the whole file system fails (each file's own still works).
        let failingSyncAll = Atomic<Bool>(false)
        init(_ inner: DirectoryStore) { self.inner = inner }

        final class File: RecordingFile, @unchecked Sendable {
            let inner: any RecordingFile
            let store: FailingStore
            init(_ inner: any RecordingFile, _ store: FailingStore) {
                self.inner = inner
                self.store = store
            }
            func append(_ bytes: [UInt8]) throws(RecordingStoreError) {
                if store.failing.load(ordering: .relaxed) { throw DirectoryStore.failure("write", ENOSPC) }
                try inner.append(bytes)
            }
            func sync() throws(RecordingStoreError) { try inner.sync() }
            var size: Int { inner.size }
            func close() { inner.close() }
        }

        func create(_ name: String) throws(RecordingStoreError) -> any RecordingFile {
            File(try inner.create(name), self)
        }
        func read(_ name: String, maximumBytes: Int) throws(RecordingStoreError) -> [UInt8] {
            try inner.read(name, maximumBytes: maximumBytes)
        }
        func read(_ name: String, offset: Int, length: Int) throws(RecordingStoreError) -> [UInt8] {
            try inner.read(name, offset: offset, length: length)
        }
        func size(_ name: String) throws(RecordingStoreError) -> Int? { try inner.size(name) }
        func remove(_ name: String) throws(RecordingStoreError) -> Bool { try inner.remove(name) }
        func exists(_ name: String) -> Bool { inner.exists(name) }
        func syncAll() throws(RecordingStoreError) {
            if failing.load(ordering: .relaxed) || failingSyncAll.load(ordering: .relaxed) {
                throw DirectoryStore.failure("sync", EIO)
            }
            try inner.syncAll()
        }
    }

    final class Failures: Sendable {
        let list = Mutex<[(UInt32, String)]>([])
        func withLock<T>(_ body: (inout [(UInt32, String)]) -> T) -> T { list.withLock { body(&$0) } }
    }

    struct Fixture {
        let directory: TemporaryDirectory
        let identity = RecordingIdentity.generate()
        let ring = CaptureRing(bytes: 1 << 20)
        let clock = Clock()
        let index: RecordingIndex
        let store: FailingStore
        let vault: RecordingVault
        let failures = Failures()

        init() throws {
            directory = try TemporaryDirectory("sotto-vault")
            index = try RecordingIndex(directory: directory.path)
            store = FailingStore(try DirectoryStore(path: directory.path))
            var configuration = RecordingVault.Configuration()
            configuration.probeNanoseconds = 0
            let clock = clock
            let failures = failures
            vault = RecordingVault(
                configuration: configuration, rings: [ring], catalog: index, store: store,
                recipients: try RecipientSet([identity.recipient]), monotonic: { clock.now.load(ordering: .relaxed) },
                logger: Logger(label: "vault.test") { _ in SwiftLogNoOpLogHandler() },
                onFailure: { handle, reason in failures.withLock { $0.append((handle, reason)) } })
        }

        func open(callID: String = "call-1@test") throws -> RecordingVault.Opened {
            let result = Mutex<Result<RecordingVault.Opened, RecordingError>?>(nil)
            let call = RecordingVault.Call(
                callID: callID, caller: "sip:+441632960001@pbx.test", callee: "sip:agent7@pbx.test",
                requestURI: "sip:agent7@pbx.test",
                codecs: [[RecordedCodec(payloadType: 0, name: "PCMU", clockRate: 8000)]], retentionDays: 30)
            vault.begin(call) { outcome in result.withLock { $0 = outcome } }
            vault.queue.sync {}
            return try #require(result.withLock { $0 }).get()
        }

        func push(_ handle: UInt32, leg: RecordedLeg, sequence: UInt16, byte: UInt8) {
            clock.advance(milliseconds: 20)
            let payload = [UInt8](repeating: byte, count: 160)
            _ = payload.withUnsafeBytes {
                ring.push(
                    handle: handle, leg: leg, stream: 0, payloadType: 0, sequence: sequence,
                    timestamp: UInt32(sequence) * 160, ssrc: leg == .pbx ? 1 : 2,
                    arrival: clock.now.load(ordering: .relaxed), payload: $0)
            }
        }

        /// What the officer reads: the row, the verdict and the decoded entries.
        func read(_ id: String) throws -> (RecordingRow, ContainerVerdict, RecordingMetadata?, [RecordingEntry]) {
            let row = try #require(try index.row(id: id))
            let sealed = try JSONDecoder().decode([SealedDataKey].self, from: try #require(row.sealedKeys))
            let key = try DataKeySealing.open(sealed, identity: identity, recordingID: id)
            let file = try store.read(row.fileName, maximumBytes: 1 << 24)
            let result = ContainerReader.read(file, dataKey: key, expectedID: id)
            let decoded = try RecordingRecords.decode(result.plaintext)
            return (row, result.verdict, decoded.metadata, decoded.entries)
        }
    }

    @Test func aRecordingReadsBackWithTheOfficersKey() throws {
        let f = try Fixture()
        f.vault.start()
        let opened = try f.open()
        for sequence in UInt16(0)..<100 {
            f.push(opened.handle, leg: sequence % 2 == 0 ? .pbx : .softphone, sequence: sequence, byte: UInt8(sequence))
        }
        f.vault.note(.paused, handle: opened.handle)
        f.clock.advance(milliseconds: 500)
        f.vault.note(.resumed, handle: opened.handle)
        f.push(opened.handle, leg: .pbx, sequence: 100, byte: 0xEE)
        f.vault.end(opened.handle)
        f.vault.stop()

        let (row, verdict, metadata, entries) = try f.read(opened.id)
        #expect(verdict == .complete)
        #expect(row.state == .complete && row.codecs == "PCMU/8000" && row.retentionDays == 30)
        #expect(row.sizeBytes > 0 && row.sha256?.count == 64)
        #expect(metadata?.callID == "call-1@test" && metadata?.callee == "sip:agent7@pbx.test")
        let packets = entries.compactMap { entry -> RecordedPacket? in
            if case .packet(let packet) = entry { return packet }
            return nil
        }
        #expect(packets.count == 101)
        #expect(packets.first?.leg == .pbx && packets.first?.payload == [UInt8](repeating: 0, count: 160))
        #expect(packets[1].leg == .softphone && packets[1].arrival - packets[0].arrival == 20_000_000)
        let events = entries.compactMap { entry -> RecordedEventKind? in
            if case .event(let event) = entry { return event.kind }
            return nil
        }
        #expect(events == [.paused, .resumed, .stopped])
        // The file's hash is the index's: a copy can be checked against it.
        let file = try f.store.read(row.fileName, maximumBytes: 1 << 24)
        #expect(SHA256.hash(data: file).map { String(format: "%02x", $0) }.joined() == row.sha256)
    }

    /// A chunk is sealed once `chunk_s` have passed, before the call ends: what a crash would leave.
    @Test func chunksAreSealedOnTimeWhileTheCallGoesOn() throws {
        let f = try Fixture()
        let opened = try f.open()
        f.push(opened.handle, leg: .pbx, sequence: 1, byte: 1)
        f.vault.queue.sync { f.vault.tick() }
        #expect(f.vault.statistics().chunks == 0, "not yet: less than chunk_s")
        f.clock.advance(milliseconds: 2_000)
        f.vault.queue.sync { f.vault.tick() }
        #expect(f.vault.statistics().chunks == 1)
        let (_, verdict, _, entries) = try f.read(opened.id)
        guard case .cut(afterChunk: 0, _) = verdict else {
            Issue.record("a recording still open reads as cut after its last sealed chunk: \(verdict)")
            return
        }
        #expect(entries.count == 1)
        f.vault.end(opened.handle)
        f.vault.queue.sync {}
    }

    @Test func aWriteFailureCutsTheRecordingAndStopsNewOnesUntilAProbeSucceeds() throws {
        let f = try Fixture()
        let opened = try f.open()
        f.push(opened.handle, leg: .pbx, sequence: 1, byte: 1)
        f.store.failing.store(true, ordering: .relaxed)
        f.clock.advance(milliseconds: 2_000)
        f.vault.queue.sync { f.vault.tick() }
        #expect(f.failures.withLock { $0.map(\.0) } == [opened.handle])
        #expect(!f.vault.isAvailable)
        #expect(try f.index.row(id: opened.id)?.state == .cut)
        // Still failing: the probe fails too.
        f.vault.queue.sync { f.vault.tick() }
        #expect(!f.vault.isAvailable)
        // The disk has room again, but until a probe has shown it, no recording is opened (a call that must be
        // recorded is refused rather than started on a store that may fail again at once).
        f.store.failing.store(false, ordering: .relaxed)
        #expect(throws: RecordingError.self) { try f.open(callID: "call-2@test") }
        f.clock.advance(milliseconds: 10)
        f.vault.queue.sync { f.vault.tick() }
        #expect(f.vault.isAvailable)
        _ = try f.open(callID: "call-3@test")
    }

    /// A round's chunks are made durable by one sync of the file system; when that reports an error, each file is
    /// synced on its own, and a recording whose own sync works is not cut for it.
    @Test func aFailedSyncOfTheWholeFileSystemFallsBackToEachFile() throws {
        let f = try Fixture()
        let opened = try f.open()
        f.push(opened.handle, leg: .pbx, sequence: 1, byte: 1)
        f.store.failingSyncAll.store(true, ordering: .relaxed)
        f.clock.advance(milliseconds: 2_000)
        f.vault.queue.sync { f.vault.tick() }
        #expect(f.vault.statistics().chunks == 1)
        #expect(f.failures.withLock { $0.isEmpty } && f.vault.isAvailable)
        f.vault.end(opened.handle)
        f.vault.queue.sync {}
        #expect(try f.index.row(id: opened.id)?.state == .complete)
    }

    /// The relay's files (its recipients file, the index, the container) hold no key that opens a finished
    /// recording: every 32 bytes of them, tried as the officer's private key and as the data key, open nothing.
    @Test func nothingTheRelayKeepsOpensAFinishedRecording() throws {
        let f = try Fixture()
        f.vault.start()
        let opened = try f.open()
        for sequence in UInt16(0)..<20 { f.push(opened.handle, leg: .pbx, sequence: sequence, byte: 7) }
        f.vault.end(opened.handle)
        f.vault.stop()
        let row = try #require(try f.index.row(id: opened.id))
        let sealed = try JSONDecoder().decode([SealedDataKey].self, from: try #require(row.sealedKeys))
        let file = try f.store.read(row.fileName, maximumBytes: 1 << 24)
        try f.index.scrub()
        let recipients = Array(try RecipientSet([f.identity.recipient]).recipients[0].line.utf8)
        let indexBytes = Array(try Data(contentsOf: URL(fileURLWithPath: f.directory.file("index.sqlite"))))
        var tried = 0
        for bytes in [recipients, file, indexBytes] where bytes.count >= 32 {
            for start in stride(from: 0, through: bytes.count - 32, by: bytes.count > 20_000 ? 8 : 1) {
                let window = Array(bytes[start..<(start + 32)])
                tried += 1
                let asData = ContainerReader.read(file, dataKey: SymmetricKey(data: window), expectedID: opened.id)
                #expect(asData.plaintextChunks.isEmpty, "bytes at \(start) open the container")
                let line = RecordingIdentity.prefix + " " + Data(window).base64EncodedString()
                if let identity = try? RecordingIdentity.parse(line) {
                    #expect((try? DataKeySealing.open(sealed, identity: identity, recordingID: opened.id)) == nil)
                }
            }
        }
        #expect(tried > 1000)
        // The officer's identity does open it: the attempts above could have succeeded.
        #expect(try f.read(opened.id).1 == .complete)
    }
}
