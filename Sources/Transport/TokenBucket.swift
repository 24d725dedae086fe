/// A token bucket over a monotonic clock in nanoseconds that the caller passes in (so tests move time by
/// hand): on average `perSecond` events, at most `burst` in a row after a quiet spell. The one rate limiter
/// of the relay: the listener's accepts per address, the proxy's requests per connection and per address,
/// the admin socket's snapshots and refusals. Not thread-safe: its owner serialises access.
public struct TokenBucket: Sendable {
    /// Events per second, on average (may be below 1: 1/60 is one a minute).
    public let perSecond: Double
    /// Events allowed in a row.
    public let burst: Int
    private var tokens: Double
    private var updated: UInt64

    /// A full bucket at `now`; `burst` is at least 1.
    public init(perSecond: Double, burst: Int, now: UInt64) {
        self.perSecond = max(perSecond, 0)
        self.burst = max(burst, 1)
        tokens = Double(self.burst)
        updated = now
    }

    /// Takes a token if there is one.
    public mutating func take(now: UInt64) -> Bool {
        refill(now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Whether a token is there now, without taking it.
    public mutating func hasToken(now: UInt64) -> Bool {
        refill(now)
        return tokens >= 1
    }

    /// Milliseconds until the next token (0 if there is one), for "try again in" messages.
    public mutating func millisecondsToNext(now: UInt64) -> Int {
        refill(now)
        guard tokens < 1, perSecond > 0 else { return 0 }
        return Int(((1 - tokens) / perSecond * 1000).rounded(.up))
    }

    /// Whether the bucket would be full at `now`: it then says nothing a fresh one would not, so a table of
    /// buckets may forget it.
    public func isFull(now: UInt64) -> Bool {
        tokens + elapsedSeconds(now) * perSecond >= Double(burst)
    }

    private mutating func refill(_ now: UInt64) {
        tokens = min(Double(burst), tokens + elapsedSeconds(now) * perSecond)
        if now > updated { updated = now }
    }

    private func elapsedSeconds(_ now: UInt64) -> Double {
        now > updated ? Double(now &- updated) / 1_000_000_000 : 0
    }
}
