/// The interarrival jitter of one RTP stream (RFC 3550 §6.4.1, computed as Appendix A.8 does): a running
/// estimate of how much the spacing of arrivals differs from the spacing of the packets' RTP timestamps.
///
/// ```
/// transit(i) = arrival(i) - timestamp(i)            both in timestamp units
/// D(i-1, i)  = transit(i) - transit(i-1)
/// J(i)       = J(i-1) + (|D(i-1, i)| - J(i-1)) / 16
/// ```
///
/// The estimate is kept as a `Double`, the real-valued J of §6.4.1, rather than A.8's integer scaled by
/// 16: the load generator reports it in fractions of a millisecond, and the relay's figure loses nothing
/// by it. Arrival times and timestamps are 32-bit and may wrap; transit times are compared modulo 2^32,
/// so a wrap of either clock is not mistaken for a jump.
///
/// A value type updated in place once per packet: no allocation, no existential, inlinable into the
/// caller's per-packet path.
public struct JitterEstimator: Sendable, Hashable {
    @usableFromInline var estimate: Double = 0
    @usableFromInline var lastTransit: UInt32 = 0
    @usableFromInline var hasTransit = false

    /// An estimator that has seen no packet: its jitter is 0 until the second packet.
    @inlinable
    public init() {}

    /// The interarrival jitter in timestamp units.
    @inlinable
    public var jitter: Double { estimate }

    /// Adds one packet: `arrival` is when it was received, in the stream's timestamp units (see
    /// ``timestampUnits(nanoseconds:clockRate:)``), and `timestamp` its RTP timestamp.
    @inlinable
    public mutating func record(arrival: UInt32, timestamp: UInt32) {
        let transit = arrival &- timestamp
        defer {
            lastTransit = transit
            hasTransit = true
        }
        guard hasTransit else { return }
        // |D| modulo 2^32: two transit times either side of a wrap are still a small difference apart.
        let difference = Int32(bitPattern: transit &- lastTransit).magnitude
        estimate += (Double(difference) - estimate) / 16
    }

    /// Forgets the last transit time, keeping the estimate: the next packet starts a new baseline (the
    /// source restarted its sequence, RFC 3550 A.1, and its timestamps may have jumped with it).
    @inlinable
    public mutating func restartTransit() {
        hasTransit = false
    }

    /// A monotonic time in nanoseconds as timestamp units of a `clockRate` Hz clock, truncated to whole
    /// microseconds first and wrapping at 2^32 (about 25 hours at 48 kHz): the `arrival` of
    /// ``record(arrival:timestamp:)``.
    @inlinable
    public static func timestampUnits(nanoseconds: UInt64, clockRate: UInt32) -> UInt32 {
        UInt32(truncatingIfNeeded: nanoseconds / 1000 &* UInt64(clockRate) / 1_000_000)
    }
}
