/// A token bucket on the proxy's clock: `rate` tokens per second, holding at most `burst`. Each request
/// takes one; an empty bucket refuses.
struct TokenBucket {
    private let rate: UInt64
    private let burst: UInt64
    /// Tokens, in billionths (so that refill needs no floating point).
    private var nanoTokens: UInt64
    private var updated: UInt64

    init(rate: Int, burst: Int, now: UInt64) {
        self.rate = UInt64(max(rate, 0))
        self.burst = UInt64(max(burst, 1))
        nanoTokens = self.burst &* 1_000_000_000
        updated = now
    }

    /// Takes a token if there is one.
    mutating func take(now: UInt64) -> Bool {
        if now > updated {
            let elapsed = now &- updated
            let cap = burst &* 1_000_000_000
            // elapsed × rate in billionths of a token; saturate rather than overflow after a long pause.
            let (gained, overflow) = elapsed.multipliedReportingOverflow(by: rate)
            nanoTokens = overflow ? cap : min(cap, nanoTokens &+ gained)
            updated = now
        }
        guard nanoTokens >= 1_000_000_000 else { return false }
        nanoTokens &-= 1_000_000_000
        return true
    }

    /// True when the bucket is full again (so an idle entry can be forgotten).
    func isFull(now: UInt64) -> Bool {
        let elapsed = now > updated ? now &- updated : 0
        let (gained, overflow) = elapsed.multipliedReportingOverflow(by: rate)
        return overflow || nanoTokens &+ gained >= burst &* 1_000_000_000
    }
}
