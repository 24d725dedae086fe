import Dispatch
import Foundation
import Logging
import Synchronization

/// Retention that shreds: finds recordings past their deadline and not on legal hold, and destroys them so that
/// no copy of the file can be opened again.
///
/// The order of a shred is what makes it hold across a crash at any point:
/// 1. the sealed data keys are destroyed in the catalog (committed, synced, and checked against a hold in the
///    same statement); from here on the file, and every backup copy of it, is noise;
/// 2. the file is unlinked and the directory synced;
/// 3. the row is marked `shredded` (metadata kept for the audit trail);
/// 4. the audit line is written.
/// A crash after step 1 leaves a row with no key that is still due, so the next sweep finishes steps 2-4. Doing it
/// the other way round (file first) could leave a key with no file that a restored backup would match.
///
/// ``sweep()`` runs on an injected clock, so tests move time instead of waiting; ``start(queue:every:)`` runs it on
/// a timer (hourly by default).
public final class RetentionSweeper: Sendable {
    /// How an outcome is reported: the row as it was before the shred, and what happened.
    public typealias Audit = @Sendable (RecordingRow, String) -> Void

    /// What ``shred(id:reason:)`` did.
    public enum ShredResult: Sendable, Equatable {
        /// Shredded now: the row as it is after.
        case shredded(RecordingRow)
        /// There is no recording with that id.
        case notFound
        /// Refused, with the reason (on hold, still recording, already shredded).
        case refused(String)
    }

    /// Rows taken per batch: a sweep after a long pause works through a backlog without loading it all.
    public static let batchSize = 500

    private let catalog: any RecordingCatalog
    private let store: any RecordingStore
    private let clock: @Sendable () -> Date
    private let audit: Audit
    private let logger: Logger
    private let timer = Mutex<TimerHandle?>(nil)

    /// A sweeper over `catalog` and `store`. `clock` gives the time deadlines are compared with; `audit` is called
    /// once per shredded recording (and per failure to finish one).
    public init(
        catalog: any RecordingCatalog, store: any RecordingStore, clock: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = Logger(label: "sotto.recording.retention"), audit: @escaping Audit
    ) {
        self.catalog = catalog
        self.store = store
        self.clock = clock
        self.logger = logger
        self.audit = audit
    }

    /// Shreds every recording past its deadline that is not on hold; returns their ids. Errors are logged and
    /// audited; what they stopped is retried by the next sweep.
    @discardableResult
    public func sweep() -> [String] {
        let now = clock()
        var shredded: [String] = []
        var attempted = Set<String>()
        var failures = 0
        let dates = ISO8601DateFormatter()
        while true {
            let batch: [RecordingRow]
            do {
                batch = try catalog.expired(now: now, limit: Self.batchSize)
            } catch {
                logger.error("retention: cannot list expired recordings: \(error)")
                break
            }
            // A row that failed this sweep comes back in the next batch; stop once a batch holds nothing new.
            let fresh = batch.filter { !attempted.contains($0.id) }
            if fresh.isEmpty { break }
            for row in fresh {
                attempted.insert(row.id)
                let why = "retention: deadline \(dates.string(from: row.deadline)) passed"
                switch shredOne(row, expiredAt: now, why: why) {
                case .shredded: shredded.append(row.id)
                case .kept: break
                case .failed(let what):
                    // Rate-limited: a read-only disk would otherwise log every due recording every hour.
                    failures += 1
                    if failures <= Self.loggedFailuresPerSweep {
                        logger.error("retention: recording \(row.id) could not be shredded: \(what)")
                    }
                }
            }
            if batch.count < Self.batchSize { break }
        }
        if failures > Self.loggedFailuresPerSweep {
            logger.error(
                "retention: \(failures - Self.loggedFailuresPerSweep) more recordings could not be shredded this sweep")
        }
        scrub()
        return shredded
    }

    /// Failures a sweep logs one by one; the rest are counted into one line.
    public static let loggedFailuresPerSweep = 5

    /// Shreds `id` now, for `recordings delete`: refused while on legal hold, while still recording, and when
    /// already shredded. The caller has checked the role and the reason; `reason` goes into the audit line.
    public func shred(id: String, reason: String) -> ShredResult {
        let row: RecordingRow?
        do {
            row = try catalog.row(id: id)
        } catch {
            return .refused("the index cannot be read: \(error)")
        }
        guard let row else { return .notFound }
        if row.legalHold { return .refused("recording \(id) is on legal hold; release it first") }
        if row.state == .recording { return .refused("recording \(id) is still being recorded") }
        if row.state == .shredded { return .refused("recording \(id) is already shredded") }
        let outcome = shredOne(row, expiredAt: nil, why: "deleted: \(reason)")
        scrub()
        switch outcome {
        case .shredded:
            let after = (try? catalog.row(id: id)) ?? nil
            return .shredded(after ?? row)
        case .kept:
            return .refused("recording \(id) was put on legal hold (or shredded) meanwhile")
        case .failed(let what):
            logger.error("retention: recording \(id) could not be deleted: \(what)")
            return .refused("recording \(id) could not be shredded: \(what)")
        }
    }

    /// How one shred went.
    private enum Outcome {
        /// All four steps done.
        case shredded
        /// Nothing destroyed: the row was put on hold, finished being due, or was shredded, since it was listed.
        case kept
        /// A step failed (what, in a sentence); if the key was destroyed, the sentence says so.
        case failed(String)
    }

    /// Steps 1-4 for one row.
    private func shredOne(_ row: RecordingRow, expiredAt: Date?, why: String) -> Outcome {
        do {
            guard try catalog.destroyKeys(id: row.id, expiredAt: expiredAt) else { return .kept }
        } catch {
            return .failed("the index refused to destroy its key (\(error)); nothing was destroyed")
        }
        do {
            try store.remove(row.fileName)
        } catch {
            // The key is gone, so the file is already noise; a sweep retries the unlink once the row is due. The
            // audit line is written once, when the key goes, not again at every retry.
            if row.sealedKeys != nil {
                audit(row, "\(why); key destroyed, file not removed (retried by the sweeper): \(error.reason)")
            }
            return .failed("its key is destroyed, but its file was not removed (\(error.reason))")
        }
        do {
            try catalog.markShredded(id: row.id, at: clock())
        } catch {
            return .failed("its key and file are destroyed, but the index was not updated (\(error))")
        }
        audit(row, "\(why); key destroyed, file removed")
        return .shredded
    }

    private func scrub() {
        do {
            try catalog.scrub()
        } catch {
            logger.warning("retention: cannot scrub the index: \(error)")
        }
    }

    /// Sweeps on `queue` now and then every `interval` until ``stop()``.
    public func start(queue: DispatchQueue, every interval: Duration = .seconds(3600)) {
        let source = DispatchSource.makeTimerSource(queue: queue)
        let (seconds, attoseconds) = interval.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        source.schedule(deadline: .now(), repeating: .nanoseconds(max(1_000_000, nanoseconds)), leeway: .seconds(1))
        source.setEventHandler { [weak self] in
            self?.sweep()
        }
        let previous = timer.withLock { timer in
            defer { timer = TimerHandle(source: source) }
            return timer
        }
        previous?.source.cancel()
        source.resume()
    }

    /// Stops the timer ``start(queue:every:)`` set.
    public func stop() {
        let source = timer.withLock { timer in
            defer { timer = nil }
            return timer
        }
        source?.source.cancel()
    }
}

/// A timer source that may be kept behind a lock: Dispatch sources are thread-safe objects (cancel may be called
/// from any thread), though their Swift type is not marked Sendable.
private struct TimerHandle: @unchecked Sendable {
    let source: DispatchSourceTimer
}
