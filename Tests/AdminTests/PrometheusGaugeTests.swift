import Admin
import AdminProtocol
import Testing

/// The signalling gauges (`transactions`, `timers` in `stats`): written as gauges when the relay reports them, left
/// out for an older relay that does not.
@Suite struct PrometheusGaugeTests {
    @Test func transactionsAndTimersAreGauges() throws {
        var stats = PrometheusTextTests.stats
        stats.transactions = 3
        stats.timers = 7
        let (samples, types, _) = try PrometheusTextTests.parse(PrometheusText.render(stats: stats, sessions: []))
        #expect(types["sotto_sip_transactions"] == "gauge")
        #expect(types["sotto_signalling_timers"] == "gauge")
        #expect(samples.first { $0.name == "sotto_sip_transactions" }?.value == "3")
        #expect(samples.first { $0.name == "sotto_signalling_timers" }?.value == "7")
    }

    @Test func absentFromAnOlderRelay() throws {
        let (_, types, _) = try PrometheusTextTests.parse(
            PrometheusText.render(stats: PrometheusTextTests.stats, sessions: []))
        #expect(types["sotto_sip_transactions"] == nil)
        #expect(types["sotto_signalling_timers"] == nil)
    }
}
