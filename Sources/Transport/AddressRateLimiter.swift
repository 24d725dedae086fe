/// A token bucket per address key (see ``SocketAddress/limitKey(ipv6PrefixLength:)``): each key may
/// take `burst` events at once and `rate` more per second after that.
///
/// The table is bounded: a bucket that has refilled completely says nothing a fresh one would not,
/// so such buckets are swept (at most once a second) once the table passes ``sweepThreshold``; if it still holds
/// ``maxKeys`` afterwards, a new key is refused rather than let the table grow (a flood of distinct
/// addresses, each of which has completed a TCP handshake within the last second, is an attack). Time
/// is passed in, in monotonic nanoseconds, so tests move it by hand. Confined to one loop.
struct AddressRateLimiter {
    /// Tokens per second.
    let rate: Int
    /// The bucket's size: events at once.
    let burst: Int
    /// Keys held before full buckets are swept.
    let sweepThreshold: Int
    /// Keys held at most.
    let maxKeys: Int
    private var buckets: [String: TokenBucket] = [:]
    private var lastSweep: UInt64 = 0

    /// A limiter allowing `burst` events at once and `rate` per second after that, per key (each at least 1;
    /// `burst` defaults to `rate`).
    init(rate: Int, burst: Int? = nil, sweepThreshold: Int = 4096, maxKeys: Int = 65_536) {
        self.rate = max(rate, 1)
        self.burst = max(burst ?? rate, 1)
        self.sweepThreshold = sweepThreshold
        self.maxKeys = max(maxKeys, sweepThreshold)
    }

    /// Keys with a bucket now.
    var keyCount: Int { buckets.count }

    /// Takes a token for `key` at `now`; false when its bucket is empty (or the table is full).
    mutating func allow(_ key: String, now: UInt64) -> Bool {
        if buckets[key] == nil {
            // A sweep walks the whole table, so it runs at most once a second.
            if buckets.count >= sweepThreshold && now &- lastSweep >= 1_000_000_000 {
                sweep(now: now)
            }
            guard buckets.count < maxKeys else { return false }
            buckets[key] = TokenBucket(perSecond: Double(rate), burst: burst, now: now)
        }
        return buckets[key]!.take(now: now)
    }

    /// Drops the buckets that are full again at `now`.
    private mutating func sweep(now: UInt64) {
        lastSweep = now
        buckets = buckets.filter { !$0.value.isFull(now: now) }
    }
}
