import Dispatch
import Synchronization
import Transport

/// Bounds the audit lines refusals may write, across all connections: each is a synced line on disk, and a
/// flood of refused commands (from many connections, or reconnecting ones) must not fill the disk or keep it
/// busy. Past the limit, refusals are counted instead of written, and one `audit-suppressed` line says how
/// many and between which times, written before the next line that is.
final class AuditRefusalThrottle: Sendable {
    /// What was left out since the last summary.
    struct Suppressed: Sendable, Equatable {
        var count: Int
        var first: String
        var last: String
    }

    private struct State {
        var bucket: TokenBucket
        var suppressed: Suppressed?
        var total = 0
    }

    private let state: Mutex<State>

    init(_ limit: AdminRateLimit, now: UInt64 = DispatchTime.now().uptimeNanoseconds) {
        state = Mutex(State(bucket: TokenBucket(limit, now: now)))
    }

    /// Whether a refusal's line may be written now; if not, it is counted for the next summary.
    func admit(time: String, now: UInt64 = DispatchTime.now().uptimeNanoseconds) -> Bool {
        state.withLock { state in
            if state.bucket.take(now: now) { return true }
            state.total += 1
            if state.suppressed == nil {
                state.suppressed = Suppressed(count: 1, first: time, last: time)
            } else {
                state.suppressed!.count += 1
                state.suppressed!.last = time
            }
            return false
        }
    }

    /// What was suppressed since the last summary (and forgets it), or nil if nothing was.
    func takeSuppressed() -> Suppressed? {
        state.withLock { state in
            defer { state.suppressed = nil }
            return state.suppressed
        }
    }

    /// Puts back a summary that could not be written, so its count is not lost.
    func restore(_ summary: Suppressed) {
        state.withLock { state in
            if var newer = state.suppressed {
                newer.count += summary.count
                newer.first = summary.first
                state.suppressed = newer
            } else {
                state.suppressed = summary
            }
        }
    }

    /// Whether a summary is waiting to be written.
    var hasSuppressed: Bool { state.withLock { $0.suppressed != nil } }

    /// Refusal lines left out since start.
    var totalSuppressed: Int { state.withLock { $0.total } }
}
