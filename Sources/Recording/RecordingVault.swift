import Crypto
import Dispatch
import Logging
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The relay's side of the vault: it drains the media loops' capture rings, keeps one plaintext buffer per
/// recording, seals a chunk of it at least every `chunk_s` (or 64 KiB) into the recording's container,
/// writes and syncs it, and keeps the index up to date. Everything runs on its own serial queue, never on a
/// media loop or the signalling loop (docs/recording.md, "Capture").
///
/// Each recording gets a fresh 256-bit data key, sealed at once to the recipients' public keys; only the sealed
/// form is written anywhere. The data key lives in this process's memory while the recording is open and is
/// dropped when it ends, so nothing the relay keeps opens a finished recording.
public final class RecordingVault: @unchecked Sendable {
    /// How the vault works.
    public struct Configuration: Sendable {
        /// A chunk is sealed and synced at least this often while a recording has data (`recording.chunk_s`):
        /// the most a crash can lose.
        public var chunkNanoseconds: UInt64 = 2_000_000_000
        /// A chunk is sealed as soon as this much plaintext is waiting.
        public var chunkBytes = 64 * 1024
        /// How often the rings are drained.
        public var drainNanoseconds: UInt64 = 20_000_000
        /// How often a vault that failed to write tries again (a probe file), to take new recordings.
        public var probeNanoseconds: UInt64 = 5_000_000_000

        /// Defaults.
        public init() {}
    }

    /// One call to record.
    public struct Call: Sendable {
        public var callID: String
        public var caller: String
        public var callee: String
        public var requestURI: String
        /// Per media stream, its codecs.
        public var codecs: [[RecordedCodec]]
        public var retentionDays: Int

        /// A call.
        public init(
            callID: String, caller: String, callee: String, requestURI: String, codecs: [[RecordedCodec]],
            retentionDays: Int
        ) {
            self.callID = callID
            self.caller = caller
            self.callee = callee
            self.requestURI = requestURI
            self.codecs = codecs
            self.retentionDays = retentionDays
        }
    }

    /// A recording that is open: what ``begin(_:)`` gives back.
    public struct Opened: Sendable, Equatable {
        /// What the capture rings carry for it.
        public var handle: UInt32
        /// Its id (index row, container, `sottoctl recordings`).
        public var id: String
    }

    /// Counters since start.
    public struct Statistics: Sendable, Equatable {
        public var started: UInt64 = 0
        public var completed: UInt64 = 0
        /// Recordings that ended early because their container could not be written (disk full, I/O error).
        public var failed: UInt64 = 0
        public var packets: UInt64 = 0
        public var chunks: UInt64 = 0
        public var bytesWritten: UInt64 = 0
        /// Packets the rings had no room for.
        public var overruns: UInt64 = 0
        /// Packets for a recording that had already ended (the last few of a call, after its stop).
        public var late: UInt64 = 0
        /// Recordings open now.
        public var open: Int = 0
        /// Whether the vault takes new recordings (false after a write failed, until a probe succeeds).
        public var available = true
    }

    private final class Active {
        let id: String
        let writer: ContainerWriter
        let file: any RecordingFile
        let started: UInt64
        var plaintext: [UInt8] = []
        var hasher = SHA256()
        var size: Int64 = 0

        init(id: String, writer: ContainerWriter, file: any RecordingFile, started: UInt64) {
            self.id = id
            self.writer = writer
            self.file = file
            self.started = started
            plaintext.reserveCapacity(80 * 1024)
        }
    }

    let configuration: Configuration
    let rings: [CaptureRing]
    let catalog: any RecordingCatalog
    let store: any RecordingStore
    let recipients: RecipientSet
    /// Monotonic nanoseconds: the media loops' clock, which capture stamps arrivals with.
    let monotonic: @Sendable () -> UInt64
    let wallClock: @Sendable () -> Date
    let logger: Logger
    let queue = DispatchQueue(label: "sotto.recording")
    /// Called on the vault's queue when a recording stops by itself (its container could not be written): the
    /// owner stops capture for it and, for a call that must be recorded, ends the call.
    private let onFailure = Mutex<(@Sendable (UInt32, String) -> Void)?>(nil)

    private var active: [UInt32: Active] = [:]
    private var nextHandle: UInt32 = 1
    private var timer: DispatchSourceTimer?
    private var lastOverruns: UInt64 = 0
    private var lastOverrunAlert: UInt64 = 0
    private var lastProbe: UInt64 = 0
    /// When the last sealing round ran (every `chunk_s`).
    private var lastRound: UInt64
    private let stats = Mutex(Statistics())
    private let available = Atomic<Bool>(true)

    /// A vault over its index and store; nothing runs until ``start()``.
    public init(
        configuration: Configuration, rings: [CaptureRing], catalog: any RecordingCatalog, store: any RecordingStore,
        recipients: RecipientSet, monotonic: @escaping @Sendable () -> UInt64,
        wallClock: @escaping @Sendable () -> Date = { Date() }, logger: Logger,
        onFailure: (@Sendable (UInt32, String) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.rings = rings
        self.catalog = catalog
        self.store = store
        self.recipients = recipients
        self.monotonic = monotonic
        self.lastRound = monotonic()
        self.wallClock = wallClock
        self.logger = logger
        self.onFailure.withLock { $0 = onFailure }
    }

    /// Where recordings that stop by themselves are reported (replaces the one given at init).
    public func setFailureHandler(_ handler: @escaping @Sendable (UInt32, String) -> Void) {
        onFailure.withLock { $0 = handler }
    }

    private func failureHandler(_ handle: UInt32, _ reason: String) {
        onFailure.withLock { $0 }?(handle, reason)
    }

    /// Starts draining the rings.
    public func start() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let interval = DispatchTimeInterval.nanoseconds(Int(configuration.drainNanoseconds))
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(5))
        timer.setEventHandler { [weak self] in self?.tick() }
        self.timer = timer
        timer.resume()
    }

    /// Ends every open recording (as complete) and stops. For shutdown.
    public func stop() {
        queue.sync {
            timer?.cancel()
            timer = nil
            drain()
            for handle in Array(active.keys) { finish(handle, state: .complete, reason: nil) }
        }
    }

    /// Whether a new recording can be opened now: false after a write failed, until a probe write succeeds. A
    /// call that must be recorded is refused (`503`) while this is false.
    public var isAvailable: Bool { available.load(ordering: .relaxed) }

    /// Counters.
    public func statistics() -> Statistics {
        var copy = stats.withLock { $0 }
        copy.overruns = rings.reduce(0) { $0 &+ $1.overruns }
        copy.available = isAvailable
        return copy
    }

    /// Opens a recording for `call`: a data key, sealed to the recipients; the container's header; the index row.
    /// On the vault's queue; the result comes back there.
    public func begin(_ call: Call, then done: @escaping @Sendable (Result<Opened, RecordingError>) -> Void) {
        queue.async { [self] in done(open(call)) }
    }

    /// An event (pause, resume, a masked span) in recording `handle`, at the time of the call.
    public func note(_ kind: RecordedEventKind, handle: UInt32) {
        let now = monotonic()
        queue.async { [self] in
            drain()
            guard let recording = active[handle] else { return }
            RecordingRecords.encode(
                .event(RecordedEvent(kind: kind, at: now &- recording.started)), into: &recording.plaintext)
        }
    }

    /// Ends recording `handle`: what its rings hold is drained, the last chunk sealed as final, the file synced
    /// and its index row completed. Call it once capture for it has stopped on the loops.
    public func end(_ handle: UInt32) {
        let now = monotonic()
        queue.async { [self] in
            drain()
            guard let recording = active[handle] else { return }
            RecordingRecords.encode(
                .event(RecordedEvent(kind: .stopped, at: now &- recording.started)), into: &recording.plaintext)
            finish(handle, state: .complete, reason: nil)
        }
    }

    // MARK: On the queue

    private func open(_ call: Call) -> Result<Opened, RecordingError> {
        guard isAvailable else {
            return .failure(RecordingError("the recording store failed to write and has not recovered yet"))
        }
        let id = RecordingRow.newID()
        let dataKey = SymmetricKey(size: .bits256)
        let now = monotonic()
        let wall = wallClock()
        do {
            let sealed = try DataKeySealing.seal(dataKey: dataKey, to: recipients, recordingID: id)
            let writer = try ContainerWriter(recordingID: id, keyID: recipients.keyIDs, dataKey: dataKey)
            let row = RecordingRow(
                id: id, callID: call.callID, caller: call.caller, callee: call.callee, requestURI: call.requestURI,
                started: wall, codecs: Self.codecText(call.codecs), sealedKeys: try JSONEncoder().encode(sealed),
                recipientKeyIDs: recipients.keyIDs, retentionDays: call.retentionDays)
            let file = try store.create(row.fileName)
            let recording = Active(id: id, writer: writer, file: file, started: now)
            let header = writer.header()
            try file.append(header)
            recording.hasher.update(data: header)
            recording.size = Int64(header.count)
            try catalog.insert(row)
            let metadata = RecordingMetadata(
                id: id, callID: call.callID, caller: call.caller, callee: call.callee, requestURI: call.requestURI,
                codecs: call.codecs, started: wall.timeIntervalSince1970)
            try RecordingRecords.encode(metadata: metadata, into: &recording.plaintext)
            let handle = nextHandle
            nextHandle = nextHandle == UInt32.max - 1 ? 1 : nextHandle + 1
            active[handle] = recording
            stats.withLock {
                $0.started += 1
                $0.open = active.count
            }
            return .success(Opened(handle: handle, id: id))
        } catch {
            writeFailed("could not open recording \(id): \(error)")
            return .failure(RecordingError("could not open a recording: \(error)"))
        }
    }

    /// One round of the writer's timer (internal: tests drive it by hand). On the queue.
    func tick() {
        drain()
        let now = monotonic()
        // Every `chunk_s` one round seals what every recording holds, appends each chunk, and makes them all
        // durable with one sync of the file system; in between, a recording whose buffer is full has its chunk
        // appended at once and made durable by the next round. Either way a crash loses at most `chunk_s`.
        let round = now &- lastRound >= configuration.chunkNanoseconds
        if round { lastRound = now }
        var written: [UInt32] = []
        for (handle, recording) in active
        where recording.plaintext.count >= configuration.chunkBytes || (round && !recording.plaintext.isEmpty) {
            if let failure = seal(recording, final: false, sync: false) {
                fail(handle, failure)
            } else {
                written.append(handle)
            }
        }
        if round && !written.isEmpty { syncRound(written) }
        let overruns = rings.reduce(0) { $0 &+ $1.overruns }
        if overruns != lastOverruns {
            // Alerted at most every 10 s; every lost packet is counted (`recordingOverrun` in stats).
            if lastOverrunAlert == 0 || now &- lastOverrunAlert >= 10_000_000_000 {
                logger.error(
                    "ALERT recording overrun: the capture rings were full, \(overruns - lastOverruns) packets not recorded",
                    metadata: ["alert": "recording_overrun", "total": "\(overruns)"])
                lastOverrunAlert = now
                lastOverruns = overruns
            }
        }
        if !isAvailable, now &- lastProbe >= configuration.probeNanoseconds {
            lastProbe = now
            if probe() {
                available.store(true, ordering: .relaxed)
                logger.notice("recording store writable again; new recordings are taken")
            }
        }
    }

    /// Makes a round's chunks durable: one sync of the file system, or, when that reports an error (it cannot say
    /// for which file), each file's own, so that only the recordings that really failed are cut.
    private func syncRound(_ handles: [UInt32]) {
        do throws(RecordingStoreError) {
            try store.syncAll()
            return
        } catch {
            logger.warning("recording store: a sync of the whole file system failed (\(error)); syncing file by file")
        }
        for handle in handles {
            guard let recording = active[handle] else { continue }
            do throws(RecordingStoreError) {
                try recording.file.sync()
            } catch {
                let reason = "recording \(recording.id) could not be synced: \(error)"
                writeFailed(reason)
                fail(handle, reason)
            }
        }
    }

    /// A recording that could not be written: finished as cut, and its owner told.
    private func fail(_ handle: UInt32, _ reason: String) {
        finish(handle, state: .cut, reason: reason)
        failureHandler(handle, reason)
    }

    /// Moves everything the rings hold into the recordings' plaintext buffers.
    private func drain() {
        var packets: UInt64 = 0
        var late: UInt64 = 0
        for ring in rings {
            _ = ring.drain { packet in
                guard let recording = active[packet.handle] else {
                    late += 1
                    return
                }
                let arrival = packet.arrival >= recording.started ? packet.arrival - recording.started : 0
                if RecordingRecords.encodePacket(
                    leg: packet.leg, stream: packet.stream, payloadType: packet.payloadType,
                    sequence: packet.sequence, timestamp: packet.timestamp, ssrc: packet.ssrc, arrival: arrival,
                    payload: packet.payload, into: &recording.plaintext)
                {
                    packets += 1
                }
            }
        }
        if packets > 0 || late > 0 {
            stats.withLock {
                $0.packets &+= packets
                $0.late &+= late
            }
        }
    }

    /// Seals what `recording` holds as its next chunk and appends it, syncing the file with `sync` (a recording's
    /// final chunk; a round's are synced together); the reason when that failed (the vault then takes no new
    /// recording until a probe succeeds).
    private func seal(_ recording: Active, final: Bool, sync: Bool) -> String? {
        do {
            let chunk = try recording.writer.seal(chunk: recording.plaintext, final: final)
            try recording.file.append(chunk)
            if sync { try recording.file.sync() }
            recording.hasher.update(data: chunk)
            recording.size += Int64(chunk.count)
            recording.plaintext.removeAll(keepingCapacity: true)
            stats.withLock {
                $0.chunks += 1
                $0.bytesWritten &+= UInt64(chunk.count)
            }
            return nil
        } catch {
            let reason = "recording \(recording.id) could not be written: \(error)"
            writeFailed(reason)
            return reason
        }
    }

    private func finish(_ handle: UInt32, state: RecordingState, reason: String?) {
        guard let recording = active.removeValue(forKey: handle) else { return }
        let failure = reason == nil ? seal(recording, final: true, sync: true) : reason
        if let failure, reason == nil { failureHandler(handle, failure) }
        let ended = wallClock()
        let finalState: RecordingState = failure == nil ? state : .cut
        recording.file.close()
        let digest = Self.hex(recording.hasher.finalize())
        do {
            _ = try catalog.finish(
                id: recording.id, state: finalState, ended: ended, sizeBytes: recording.size, sha256: digest)
        } catch {
            logger.error("recording \(recording.id): its index row could not be completed: \(error)")
        }
        stats.withLock {
            if finalState == .complete { $0.completed += 1 } else { $0.failed += 1 }
            $0.open = active.count
        }
    }

    /// Whether the store takes a write again: a small file written, synced and removed.
    private func probe() -> Bool {
        _ = try? store.remove("probe.tmp")
        do throws(RecordingStoreError) {
            let file = try store.create("probe.tmp")
            defer { file.close() }
            try file.append([UInt8](repeating: 0, count: 16_384))
            try file.sync()
            _ = try store.remove("probe.tmp")
            return true
        } catch {
            _ = try? store.remove("probe.tmp")
            return false
        }
    }

    private func writeFailed(_ reason: String) {
        if available.exchange(false, ordering: .relaxed) {
            lastProbe = monotonic()
            logger.critical(
                "ALERT recording store failed: \(reason); calls go on unrecorded (refused when recording is required)",
                metadata: ["alert": "recording_failed"])
        }
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    static func codecText(_ codecs: [[RecordedCodec]]) -> String {
        codecs.map { stream in
            stream.filter { $0.name.lowercased() != "telephone-event" }.map { "\($0.name)/\($0.clockRate)" }.joined(
                separator: " ")
        }.joined(separator: ", ")
    }
}

/// Why the vault could not do what was asked.
public struct RecordingError: Error, Sendable, CustomStringConvertible {
    public var reason: String
    /// An error.
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
