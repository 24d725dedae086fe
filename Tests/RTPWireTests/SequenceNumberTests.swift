import Testing

@testable import RTPWire

@Suite("sequence number arithmetic (RFC 3550 A.1, RFC 3711 §3.3.1)")
struct SequenceNumberTests {
    @Test(
        "serial-number order with wrap",
        arguments: [
            (1, 0, true), (0, 1, false), (0, 65535, true), (65535, 0, false), (5, 5, false),
            (32767, 0, true), (32768, 0, false), (0, 32768, false), (40000, 10000, true), (10, 60000, true),
            (60000, 10, false),
        ] as [(UInt16, UInt16, Bool)]
    )
    func isNewer(_ sequence: UInt16, _ reference: UInt16, _ newer: Bool) {
        #expect(SequenceNumber.isNewer(sequence, than: reference) == newer)
    }

    @Test(
        "signed distance",
        arguments: [
            (0, 1, 1), (65535, 0, 1), (0, 65535, -1), (100, 50, -50), (0, 32768, -32768),
        ] as [(UInt16, UInt16, Int)]
    )
    func distance(_ reference: UInt16, _ sequence: UInt16, _ expected: Int) {
        #expect(SequenceNumber.distance(from: reference, to: sequence) == expected)
    }

    @Test(
        "RFC 3711 §3.3.1 index estimate around the wrap",
        arguments: [
            // (ROC, s_l, SEQ) → (v, index, delta)
            // In order, no wrap.
            (0, 100, 101, 0, 101, 1),
            // 65535 → 0: the counter rolls over.
            (0, 65535, 0, 1, 65536, 1),
            (0, 65535, 5, 1, 65541, 6),
            (7, 65000, 10, 8, 8 * 65536 + 10, 546),
            // A late packet from before the wrap, after 0 has been seen with ROC = 1.
            (1, 0, 65535, 0, 65535, -1),
            (1, 2, 65534, 0, 65534, -4),
            (1, 30000, 65535, 0, 65535, -30001),
            // Late but still inside the current ROC.
            (3, 40000, 39990, 3, 3 * 65536 + 39990, -10),
            (3, 65535, 32768, 3, 3 * 65536 + 32768, -32767),
            // The boundaries of the guess: exactly 32768 ahead stays in the same ROC.
            (2, 100, 32868, 2, 2 * 65536 + 32868, 32768),
            (2, 100, 32869, 1, 65536 + 32869, 32769 - 65536),
            (2, 40000, 7232, 2, 2 * 65536 + 7232, -32768),
            (2, 40000, 7231, 3, 3 * 65536 + 7231, 65536 + 7231 - 40000),
            // ROC 0 has no earlier rollover: a big jump forward, not a late packet.
            (0, 10, 65000, 0, 65000, 64990),
        ] as [(UInt32, UInt16, UInt16, UInt32, UInt64, Int)]
    )
    func estimate(roc: UInt32, highest: UInt16, received: UInt16, v: UInt32, index: UInt64, delta: Int) {
        let estimate = SequenceNumber.estimateIndex(roc: roc, highest: highest, received: received)
        #expect(estimate == SequenceNumber.IndexEstimate(roc: v, index: index, delta: delta))
        // The delta always equals the difference of the two 48-bit indexes.
        let highestIndex = Int(UInt64(roc) << 16 | UInt64(highest))
        #expect(estimate.delta == Int(estimate.index) - highestIndex)
    }

    @Test("the estimate follows a stream through several wraps, with reordering")
    func streamThroughWraps() {
        var roc: UInt32 = 0
        var highest: UInt16 = 65500
        var index = Int(highest)
        // Forward in steps of 7, with every third packet delivered after the next one.
        for step in 1...30_000 {
            let trueIndex = index + 7
            let swapped = step % 3 == 0
            for candidate in swapped ? [trueIndex + 7, trueIndex] : [trueIndex] {
                let estimate = SequenceNumber.estimateIndex(
                    roc: roc,
                    highest: highest,
                    received: UInt16(truncatingIfNeeded: candidate)
                )
                #expect(Int(estimate.index) == candidate, "step \(step)")
                if estimate.delta > 0 {
                    roc = estimate.roc
                    highest = UInt16(truncatingIfNeeded: candidate)
                }
            }
            index = swapped ? trueIndex + 7 : trueIndex
        }
        #expect(roc == UInt32((index >> 16)))
        #expect(roc >= 3)
    }
}
