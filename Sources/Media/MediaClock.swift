import Glibc

/// Where media timing comes from: injected, so idle timeouts are tested without waiting.
public protocol MediaClock: Sendable {
    /// Monotonic nanoseconds.
    func now() -> UInt64
}

/// `CLOCK_MONOTONIC`.
public struct SystemMediaClock: MediaClock {
    /// The clock.
    public init() {}

    public func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
