import Transport

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

extension TokenBucket {
    /// A full bucket for `limit` at `now`.
    init(_ limit: AdminRateLimit, now: UInt64) {
        self.init(perSecond: limit.perSecond, burst: limit.burst, now: now)
    }
}
