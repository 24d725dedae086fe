import Testing

@testable import RTPWire

@Suite("interarrival jitter (RFC 3550 §6.4.1, A.8)")
struct JitterEstimatorTests {
    /// A worked example in the manner of RFC 3550 A.8: 8 kHz audio in 20 ms packets (timestamps 160
    /// apart), the first one arriving 1000 units after its timestamp, the later ones late by the delays
    /// below. Each step is J += (|D| - J) / 16, exact in binary fractions:
    ///
    /// ```
    /// packet  timestamp  arrival  transit  |D|   J
    ///   0          0      1000     1000     -    0
    ///   1        160      1176     1016    16    1
    ///   2        320      1320     1000    16    1 + 15/16          = 1.9375
    ///   3        480      1512     1032    32    1.9375 + 30.0625/16 = 3.81640625
    ///   4        640      1672     1032     0    3.81640625 - 3.81640625/16 = 3.577880859375
    /// ```
    @Test("a worked example, step by step")
    func workedExample() {
        var estimator = JitterEstimator()
        let steps: [(timestamp: UInt32, arrival: UInt32, jitter: Double)] = [
            (0, 1000, 0), (160, 1176, 1), (320, 1320, 1.9375), (480, 1512, 3.81640625), (640, 1672, 3.577880859375),
        ]
        for step in steps {
            estimator.record(arrival: step.arrival, timestamp: step.timestamp)
            #expect(estimator.jitter == step.jitter, "after timestamp \(step.timestamp)")
        }
    }

    @Test("constant transit gives no jitter; a steady ±80 wobble converges towards |D| = 160")
    func convergence() {
        var steady = JitterEstimator()
        for i in UInt32(0)..<50 { steady.record(arrival: 5000 + i * 160, timestamp: i * 160) }
        #expect(steady.jitter == 0)

        var shaky = JitterEstimator()
        for i in UInt32(0)..<400 { shaky.record(arrival: 5000 + i * 160 + (i % 2 == 0 ? 0 : 160), timestamp: i * 160) }
        #expect(shaky.jitter > 159.9 && shaky.jitter <= 160)
    }

    @Test("arrival and timestamp clocks that wrap at 2^32 are not a jump")
    func wrap() {
        var estimator = JitterEstimator()
        // The timestamp wraps between the packets, the arrival clock does not; then the other way round.
        estimator.record(arrival: 1_000, timestamp: UInt32.max - 100)
        estimator.record(arrival: 1_000 + 160 + 16, timestamp: (UInt32.max - 100) &+ 160)
        #expect(estimator.jitter == 1)
        var wrapped = JitterEstimator()
        wrapped.record(arrival: UInt32.max - 10, timestamp: 7)
        wrapped.record(arrival: (UInt32.max - 10) &+ 160, timestamp: 167)
        #expect(wrapped.jitter == 0)
    }

    @Test("a negative transit (a sender clock ahead of the receiver's) works the same")
    func negativeTransit() {
        var estimator = JitterEstimator()
        estimator.record(arrival: 100, timestamp: 90_000)
        estimator.record(arrival: 100 + 160 + 32, timestamp: 90_160)
        #expect(estimator.jitter == 2)
    }

    @Test("a restart keeps the estimate and takes the next packet as a new baseline")
    func restart() {
        var estimator = JitterEstimator()
        estimator.record(arrival: 1000, timestamp: 0)
        estimator.record(arrival: 1176, timestamp: 160)
        #expect(estimator.jitter == 1)
        estimator.restartTransit()
        // Timestamps jumped by a million: without the restart, |D| would be about a million.
        estimator.record(arrival: 1336, timestamp: 1_000_320)
        #expect(estimator.jitter == 1)
        estimator.record(arrival: 1496 + 16, timestamp: 1_000_480)
        #expect(estimator.jitter == 1 + 15.0 / 16)
    }

    @Test(
        "nanoseconds to timestamp units, truncated to whole microseconds",
        arguments: [
            (1_000_000_000, 48_000, 48_000), (20_000_000, 8_000, 160), (20_000_999, 8_000, 160),
            (124_999, 8_000, 0), (125_000, 8_000, 1), (0, 48_000, 0),
            // 2^32 units at 8 kHz is 536870.912 s: the clock wraps back to 0.
            (536_870_912_000_000, 8_000, 0),
        ] as [(UInt64, UInt32, UInt32)]
    )
    func timestampUnits(_ nanoseconds: UInt64, _ clockRate: UInt32, _ units: UInt32) {
        #expect(JitterEstimator.timestampUnits(nanoseconds: nanoseconds, clockRate: clockRate) == units)
    }
}
