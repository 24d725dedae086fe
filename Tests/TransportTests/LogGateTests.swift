import Testing
import Transport

/// The decision behind rate-limited log lines, on a clock moved by hand.
@Suite struct LogGateTests {
    @Test func oneLineAnIntervalWithTheCountHeldBack() {
        var gate = LogGate(interval: .seconds(10))
        let first = gate.admit(now: 0)
        #expect(first == 0)
        let held = (1...5).compactMap { gate.admit(now: UInt64($0) * 1_000_000_000) }
        #expect(held.isEmpty, "five within the interval are held back")
        let next = gate.admit(now: 10_000_000_000)
        #expect(next == 5, "the next line says how many were held back")
    }

    @Test func aFloodThatStopsGetsItsSummaryOnceTheIntervalHasPassed() {
        var gate = LogGate(interval: .seconds(10))
        _ = gate.admit(now: 0)
        _ = gate.admit(now: 1_000_000_000)
        _ = gate.admit(now: 2_000_000_000)
        let early = gate.flush(now: 9_000_000_000)
        let late = gate.flush(now: 10_000_000_000)
        let again = gate.flush(now: 30_000_000_000)
        #expect(early == nil && late == 2 && again == nil)
    }
}
