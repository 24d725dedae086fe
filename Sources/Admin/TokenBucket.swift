/// A rate with a burst: on average `perSecond` events, at most `burst` in a row after a quiet spell.
public struct AdminRateLimit: Sendable, Equatable {
    /// Events per second, on average (may be below 1: 1/60 is one a minute).
    public var perSecond: Double
    /// Events allowed in a row.
    public var burst: Int

    /// A limit; `burst` is at least 1.
    public init(perSecond: Double, burst: Int) {
        self.perSecond = perSecond
        self.burst = max(1, burst)
    }
}

/// A token bucket over a monotonic clock in nanoseconds, passed in by the caller (so tests can drive it).
/// Not thread-safe: its owner serialises access.
struct TokenBucket: Sendable {
    let limit: AdminRateLimit
    private var tokens: Double
    private var last: UInt64

    /// A full bucket at `now`.
    init(_ limit: AdminRateLimit, now: UInt64) {
        self.limit = limit
        tokens = Double(limit.burst)
        last = now
    }

    /// Whether a token is there now, without taking it.
    mutating func hasToken(now: UInt64) -> Bool {
        refill(now)
        return tokens >= 1
    }

    /// Takes a token if there is one.
    mutating func take(now: UInt64) -> Bool {
        refill(now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Milliseconds until the next token (0 if there is one), for "try again in" messages.
    mutating func millisecondsToNext(now: UInt64) -> Int {
        refill(now)
        guard tokens < 1, limit.perSecond > 0 else { return 0 }
        return Int(((1 - tokens) / limit.perSecond * 1000).rounded(.up))
    }

    private mutating func refill(_ now: UInt64) {
        guard now > last else { return }
        tokens = min(Double(limit.burst), tokens + Double(now - last) / 1e9 * limit.perSecond)
        last = now
    }
}
