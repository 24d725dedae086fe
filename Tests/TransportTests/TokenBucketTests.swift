import Testing
import Transport

/// The relay's one rate limiter, on a clock moved by hand.
@Suite struct TokenBucketTests {
    /// Takes `count` tokens at `seconds`; how many were there.
    func take(_ count: Int, from bucket: inout TokenBucket, at seconds: Double) -> Int {
        (0..<count).reduce(0) { taken, _ in taken + (bucket.take(now: UInt64(seconds * 1e9)) ? 1 : 0) }
    }

    @Test func aFullBucketGivesItsBurstThenRefillsAtItsRate() {
        var bucket = TokenBucket(perSecond: 2, burst: 3, now: 0)
        #expect(take(4, from: &bucket, at: 0) == 3)
        let wait = bucket.millisecondsToNext(now: 0)
        #expect(wait == 500)
        #expect(take(2, from: &bucket, at: 0.5) == 1, "half a second gives one token at 2 per second")
        #expect(!bucket.isFull(now: 1_000_000_000))
        #expect(bucket.isFull(now: 2_000_000_000), "three tokens back after 1.5 s more")
        #expect(take(4, from: &bucket, at: 100) == 3, "never more than the burst, however long the pause")
    }

    @Test func aRateBelowOneASecondWorks() {
        var bucket = TokenBucket(perSecond: 1.0 / 60, burst: 1, now: 0)
        #expect(take(1, from: &bucket, at: 0) == 1)
        let early = bucket.hasToken(now: 59_000_000_000)
        let late = bucket.hasToken(now: 60_000_000_000)
        #expect(!early && late)
    }
}
