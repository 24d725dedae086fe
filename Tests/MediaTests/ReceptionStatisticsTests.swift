import Media
import Testing

@Suite struct ReceptionStatisticsTests {
    /// A stream that has passed probation (RFC 3550 A.1: two packets in sequence).
    static func validated(from first: UInt16 = 1000) -> ReceptionStatistics {
        var stats = ReceptionStatistics(ssrc: 0xABCD, firstSequence: first, clockRate: 8000)
        #expect(stats.record(sequence: first) == false, "the first packet is on probation")
        #expect(stats.record(sequence: first &+ 1) == true)
        return stats
    }

    @Test func inOrderStreamLosesNothing() {
        var stats = Self.validated()
        for seq in UInt16(1002)..<1100 { stats.record(sequence: seq) }
        #expect(stats.expected == 99)
        #expect(stats.received == 99)
        #expect(stats.lost == 0)
        #expect(stats.highestSequence == 1099)
    }

    @Test func gapsCountAsLost() {
        var stats = Self.validated()
        for seq in UInt16(1002)..<1100 where seq % 10 != 0 { stats.record(sequence: seq) }
        #expect(stats.lost == 9)  // 1010, 1020, ..., 1090
    }

    @Test func wrapAroundCountsACycle() {
        var stats = Self.validated(from: 65530)
        for seq in UInt16(65532)...UInt16(65535) { stats.record(sequence: seq) }
        for seq in UInt16(0)..<10 { stats.record(sequence: seq) }
        #expect(stats.cycles == 1 << 16)
        #expect(stats.extendedHighestSequence == (1 << 16) + 9)
        #expect(stats.lost == 0)
        #expect(stats.expected == 15, "65531 ... 9: the probation packet 65530 is not counted (A.1)")
    }

    @Test func duplicatesAndReorderingAreCounted() {
        var stats = Self.validated()
        stats.record(sequence: 1003)
        stats.record(sequence: 1002)  // late
        stats.record(sequence: 1003)  // duplicate
        #expect(stats.highestSequence == 1003)
        #expect(stats.received == 4)
        #expect(stats.lost == -1, "a duplicate makes loss negative, as RFC 3550 A.3 allows")
    }

    @Test func aLargeJumpIsBelievedOnlyWhenConfirmed() {
        var stats = Self.validated()
        #expect(stats.record(sequence: 30000) == false, "one stray packet far ahead is not counted")
        #expect(stats.highestSequence == 1001)
        #expect(stats.record(sequence: 30001) == true, "the next one confirms a restart")
        #expect(stats.highestSequence == 30001)
        #expect(stats.received == 1)
    }

    /// RFC 3550 A.8: constant transit gives zero jitter; alternating +-80 timestamp units of delay
    /// converges towards |D| = 160.
    @Test func jitter() {
        var steady = Self.validated()
        for i in UInt32(0)..<50 { steady.recordArrival(arrival: 5000 + i * 160, timestamp: i * 160) }
        #expect(steady.jitter == 0)

        var shaky = Self.validated()
        for i in UInt32(0)..<400 {
            let wobble: UInt32 = i % 2 == 0 ? 0 : 160
            shaky.recordArrival(arrival: 5000 + i * 160 + wobble, timestamp: i * 160)
        }
        #expect((150...160).contains(shaky.jitter))
        #expect(abs(shaky.jitterSeconds - Double(shaky.jitter) / 8000) < 0.001)
    }
}
