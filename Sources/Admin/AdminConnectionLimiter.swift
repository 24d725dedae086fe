import Dispatch
import Synchronization
import Transport

/// One connection's allowances: refused requests, and snapshots (the commands marked `takesSnapshot`, and
/// each `watch` frame). Used from the worker running the connection's request and from the server's loop
/// for `watch` frames, never both at once, but it locks anyway.
///
/// Refusals: each request that gets an error (other than `audit_failed` or `rate_limited`) takes a token;
/// with none left, every request is answered `rate_limited` without being parsed, checked or audited, until a
/// token is back. A client that keeps sending junk, or commands above its role, costs a counter, not JSON
/// decoding and `fsync`ed audit lines. Snapshots: a command that would take one with no token left is
/// answered `rate_limited`; a `watch` frame with no token left is skipped.
package final class AdminConnectionLimiter: Sendable {
    private struct Buckets {
        var refusals: TokenBucket
        var snapshots: TokenBucket
    }

    private let buckets: Mutex<Buckets>

    package init(
        refusals: AdminRateLimit, snapshots: AdminRateLimit, now: UInt64 = DispatchTime.now().uptimeNanoseconds
    ) {
        buckets = Mutex(Buckets(refusals: TokenBucket(refusals, now: now), snapshots: TokenBucket(snapshots, now: now)))
    }

    /// Nil if the connection may still be refused something; else milliseconds until it may.
    func refusalsExhausted(now: UInt64 = DispatchTime.now().uptimeNanoseconds) -> Int? {
        buckets.withLock { buckets in
            buckets.refusals.hasToken(now: now) ? nil : max(1, buckets.refusals.millisecondsToNext(now: now))
        }
    }

    /// A request was refused: takes a refusal token (none left: the next requests are turned away).
    func refused(now: UInt64 = DispatchTime.now().uptimeNanoseconds) {
        _ = buckets.withLock { $0.refusals.take(now: now) }
    }

    /// Takes a snapshot token: nil if there was one, else milliseconds until there is.
    func takeSnapshot(now: UInt64 = DispatchTime.now().uptimeNanoseconds) -> Int? {
        buckets.withLock { buckets in
            buckets.snapshots.take(now: now) ? nil : max(1, buckets.snapshots.millisecondsToNext(now: now))
        }
    }
}
