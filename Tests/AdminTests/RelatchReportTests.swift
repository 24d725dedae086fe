import AdminProtocol
import Testing

@testable import Admin

/// Re-latches reach the operator: `sotto_relatches_total` in the metrics, and a `relatch` event on `watch` when
/// a leg's count moves between frames.
@Suite struct RelatchReportTests {
    static func session(relatches: UInt64) -> AdminSession {
        let leg = { (side: String, count: UInt64) in
            AdminLeg(
                side: side, local: "192.0.2.1:30000", peer: "198.51.100.7:4000", suite: nil, packetsIn: 1,
                packetsOut: 1, bytesIn: 1, bytesOut: 1, drops: [:], loss: nil, jitterMs: nil, relatches: count)
        }
        return AdminSession(
            id: 7, callID: "c@test", from: "sip:a@x", to: "sip:b@y", ageSeconds: 1, state: "confirmed",
            legs: [leg("softphone", relatches), leg("pbx", 0)])
    }

    @Test func theCounterIsInTheMetrics() {
        var stats = PrometheusTextTests.stats
        stats.relatches = 3
        let text = PrometheusText.render(stats: stats, sessions: [])
        #expect(text.contains("# TYPE sotto_relatches_total counter\nsotto_relatches_total 3\n"))
    }

    @Test func aRelatchBetweenFramesIsAnEvent() {
        let stats = PrometheusTextTests.stats
        let (first, baseline) = AdminWatch.frame(
            stats: stats, sessions: [Self.session(relatches: 1)], now: 1_000, baseline: nil)
        #expect(first.events == nil, "what happened before the watch began is in the counters, not an event")
        let (quiet, same) = AdminWatch.frame(
            stats: stats, sessions: [Self.session(relatches: 1)], now: 2_000, baseline: baseline)
        #expect(quiet.events == nil)
        let (moved, _) = AdminWatch.frame(
            stats: stats, sessions: [Self.session(relatches: 3)], now: 3_000, baseline: same)
        #expect(
            moved.events == [
                AdminWatchEvent(kind: "relatch", session: 7, leg: "softphone", peer: "198.51.100.7:4000", count: 2)
            ])
    }
}
