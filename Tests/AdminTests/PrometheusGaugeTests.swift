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

    /// The vault's counters, with overruns (what an operator alerts on) as a counter; absent when recording is off.
    @Test func recordingCountersWhenRecordingIsOn() throws {
        var stats = PrometheusTextTests.stats
        let (_, off, _) = try PrometheusTextTests.parse(PrometheusText.render(stats: stats, sessions: []))
        #expect(off["sotto_recording_overruns_total"] == nil)
        stats.recording = AdminRecordingStats(
            open: 2, started: 9, completed: 6, failed: 1, packets: 1234, overruns: 5, bytesWritten: 99_000,
            available: false)
        let (samples, types, _) = try PrometheusTextTests.parse(PrometheusText.render(stats: stats, sessions: []))
        #expect(types["sotto_recording_overruns_total"] == "counter")
        #expect(types["sotto_recordings_open"] == "gauge")
        func value(_ name: String) -> String? { samples.first { $0.name == name }?.value }
        #expect(value("sotto_recording_overruns_total") == "5")
        #expect(value("sotto_recordings_open") == "2")
        #expect(value("sotto_recording_available") == "0")
        #expect(value("sotto_recording_bytes_written_total") == "99000")
        #expect(samples.filter { $0.name == "sotto_recordings_total" }.map(\.value).sorted() == ["1", "6"])
    }

    @Test func absentFromAnOlderRelay() throws {
        let (_, types, _) = try PrometheusTextTests.parse(
            PrometheusText.render(stats: PrometheusTextTests.stats, sessions: []))
        #expect(types["sotto_sip_transactions"] == nil)
        #expect(types["sotto_signalling_timers"] == nil)
    }

    /// Each media loop's mode and packets per wakeup: a gauge, a counter and a histogram whose `le` buckets are
    /// cumulative and end with +Inf equal to the count.
    @Test func mediaLoopsAreAHistogramPerLoop() throws {
        var stats = PrometheusTextTests.stats
        let bounds = [0, 1, 2, 4]
        stats.loops = [
            AdminLoop(
                polling: true, wakeups: 10, ticks: 6, packets: 23, pollingEntries: 2, bucketBounds: bounds,
                buckets: [1, 2, 3, 3, 1]),
            AdminLoop(
                polling: false, wakeups: 0, ticks: 0, packets: 0, pollingEntries: 0, bucketBounds: bounds,
                buckets: [0, 0, 0, 0, 0]),
        ]
        let (samples, types, _) = try PrometheusTextTests.parse(PrometheusText.render(stats: stats, sessions: []))
        #expect(types["sotto_media_loop_polling"] == "gauge")
        #expect(types["sotto_media_loop_polling_entries_total"] == "counter")
        #expect(types["sotto_media_loop_packets_per_wakeup"] == "histogram")
        func value(_ name: String, loop: String, le: String? = nil) -> String? {
            samples.first { $0.name == name && $0.labels["loop"] == loop && $0.labels["le"] == le }?.value
        }
        #expect(value("sotto_media_loop_polling", loop: "0") == "1")
        #expect(value("sotto_media_loop_polling", loop: "1") == "0")
        #expect(value("sotto_media_loop_polling_entries_total", loop: "0") == "2")
        let name = "sotto_media_loop_packets_per_wakeup"
        let cumulative = ["0": "1", "1": "3", "2": "6", "4": "9", "+Inf": "10"]
        for (le, expected) in cumulative {
            #expect(value(name + "_bucket", loop: "0", le: le) == expected, "le=\(le)")
        }
        #expect(value(name + "_sum", loop: "0") == "23")
        #expect(value(name + "_count", loop: "0") == "10")
        #expect(value(name + "_count", loop: "1") == "0")
    }
}
