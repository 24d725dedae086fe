import Foundation
import Histogram
import Testing

@testable import sotto_loadgen

func sampleSettings() -> LoadgenSettings {
    LoadgenSettings(
        relayHost: "127.0.0.1", relayPort: 5061, serverName: "localhost", listenHost: "127.0.0.2", listenPort: 5062,
        phoneIP: "127.0.0.1", pbxIP: "127.0.0.2", calls: 2, concurrency: 2, rate: 0, holdSeconds: 1,
        durationSeconds: 0, codec: .pcmu, suite: "AES_CM_128_HMAC_SHA1_80", ptimeMilliseconds: 20, phones: 2,
        maxLossPercent: 0.1, maxFailures: 0, readyTimeoutSeconds: 1, certificate: "c.pem", privateKey: "k.pem",
        caFile: nil)
}

func sampleResult(number: Int, sent: Int, received: Int, failure: String? = nil) -> CallResult {
    var result = CallResult(number: number, callID: "c\(number)")
    result.status = failure == nil ? 200 : 503
    result.completed = failure == nil
    result.failure = failure
    result.setupMs = 12.5
    result.firstMediaMs = 20
    for index in 0..<2 {
        result.directions[index].sent = sent
        result.directions[index].received = received
        result.directions[index].lost = sent - received
        result.directions[index].jitterMs = 0.5
        result.directions[index].maxJitterMs = 1
    }
    return result
}

func latencyHistograms() -> [Histogram<UInt64>] {
    var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    for value in [400, 500, 600, 5000] { _ = histogram.record(UInt64(value)) }
    return [histogram, histogram]
}

@Suite struct LoadgenReportTests {
    @Test func totalsAndPercentiles() {
        let report = LoadgenReport.make(
            settings: sampleSettings(), results: [sampleResult(number: 0, sent: 100, received: 100)],
            latency: latencyHistograms(), durationSeconds: 2, cpuSeconds: 0.4, skipped: 0)
        #expect(report.calls.completed == 1)
        #expect(report.media.packetsSent == 200)
        #expect(report.media.packetsReceived == 200)
        #expect(report.media.lossPercent == 0)
        #expect(report.media.phoneToPBX.latencyMs.count == 4)
        #expect(abs(report.media.phoneToPBX.latencyMs.p50 - 0.5) < 0.01)
        #expect(abs(report.media.generatorCPUPerPacketUs - 1000) < 0.001)
        #expect(report.passed)
    }

    @Test func jsonRoundTrip() throws {
        let report = LoadgenReport.make(
            settings: sampleSettings(),
            results: [
                sampleResult(number: 0, sent: 100, received: 99),
                sampleResult(number: 1, sent: 0, received: 0, failure: "SIP 503"),
            ],
            latency: latencyHistograms(), durationSeconds: 2, cpuSeconds: 0.4, skipped: 3)
        let data = try report.json()
        let parsed = try LoadgenReport.parse(data)
        #expect(parsed == report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["passedLimits"] as? Bool == false)
        #expect(parsed.calls.failuresByStatus == ["SIP 503": 1])
    }

    @Test func limits() {
        let lossy = LoadgenReport.make(
            settings: sampleSettings(), results: [sampleResult(number: 0, sent: 1000, received: 990)],
            latency: latencyHistograms(), durationSeconds: 1, cpuSeconds: 0, skipped: 0)
        #expect(abs(lossy.media.lossPercent - 1.0) < 1e-9)
        #expect(lossy.violations.count == 1)
        var settings = sampleSettings()
        settings.maxLossPercent = 2
        settings.maxFailures = 1
        let tolerated = LoadgenReport.make(
            settings: settings,
            results: [
                sampleResult(number: 0, sent: 1000, received: 990),
                sampleResult(number: 1, sent: 0, received: 0, failure: "timeout"),
            ],
            latency: latencyHistograms(), durationSeconds: 1, cpuSeconds: 0, skipped: 0)
        #expect(tolerated.passed)
        var auth = sampleResult(number: 0, sent: 10, received: 10)
        auth.directions[1].authFailures = 1
        let forged = LoadgenReport.make(
            settings: settings, results: [auth], latency: latencyHistograms(), durationSeconds: 1, cpuSeconds: 0,
            skipped: 0)
        #expect(!forged.passed)
    }

    @Test func textReportNamesTheVerdict() {
        let report = LoadgenReport.make(
            settings: sampleSettings(), results: [sampleResult(number: 0, sent: 100, received: 100)],
            latency: latencyHistograms(), durationSeconds: 2, cpuSeconds: 0.4, skipped: 0)
        #expect(report.text.contains("result              PASS"))
        #expect(report.text.contains("latency p99"))
    }
}

@Suite struct ReceiveStatisticsTests {
    @Test func reorderAndJitter() {
        var statistics = ReceiveStatistics()
        // Perfectly paced 20 ms packets at 8 kHz: jitter stays 0.
        for (sequence, arrivalMs) in [(0, 0), (1, 20), (3, 60), (2, 61), (4, 80)] {
            let index = statistics.indexFor(sequence: UInt16(sequence))
            statistics.record(
                index: index, timestamp: UInt32(sequence * 160), arrival: UInt64(arrivalMs) * 1_000_000, clockRate: 8000
            )
        }
        #expect(statistics.received == 5)
        #expect(statistics.reordered == 1)
        // Transits 0, 0, 0, 168 (sequence 2 arrives 21 ms late), 0: |D| 0, 0, 168, 168, so
        // J = 168/16 = 10.5, then 10.5 + (168 - 10.5)/16 = 20.34375 timestamp units.
        #expect(statistics.jitter == 20.343_75)
        #expect(statistics.maxJitter == 20.343_75)
    }

    @Test func sequenceWrapKeepsIndexGrowing() {
        var statistics = ReceiveStatistics()
        var last: UInt64 = 0
        for packet in 65_530..<65_545 {
            let index = statistics.indexFor(sequence: UInt16(truncatingIfNeeded: packet))
            statistics.record(index: index, timestamp: 0, arrival: 0, clockRate: 8000)
            last = index
        }
        #expect(last == 65_544 - 65_530 || last == 65_544)
        #expect(statistics.reordered == 0)
    }
}

@Suite struct PayloadTests {
    @Test func muLawReference() {
        #expect(PayloadFrames.muLaw(0) == 0xFF)
        #expect(PayloadFrames.muLaw(32_767) == 0x80)
        #expect(PayloadFrames.muLaw(-32_768) == 0x00)
    }

    @Test(arguments: [Codec.pcmu, .opus]) func framesAreNotSilence(codec: Codec) throws {
        let frames = try PayloadFrames.make(codec: codec, ptimeMilliseconds: 20)
        #expect(frames.frames.count == 50)
        #expect(frames.samplesPerFrame == codec.clockRate / 50)
        if codec == .pcmu { #expect(frames.frames.allSatisfy { $0.count == 160 }) }
        #expect(Set(frames.frames).count > 10)
    }
}

@Suite struct ArgumentTests {
    @Test(arguments: [
        ["--relay", "127.0.0.1:5061"],  // no --cert/--key
        ["--relay", "nowhere", "--cert", "/etc/hostname", "--key", "/etc/hostname"],
        ["--relay", "127.0.0.1:5061", "--cert", "/etc/hostname", "--key", "/etc/hostname", "--codec", "mp3"],
        ["--relay", "127.0.0.1:5061", "--cert", "/etc/hostname", "--key", "/etc/hostname", "--suite", "NULL"],
        ["--relay", "127.0.0.1:5061", "--cert", "/nonexistent.pem", "--key", "/etc/hostname"],
        ["--relay", "127.0.0.1:5061", "--cert", "/etc/hostname", "--key", "/etc/hostname", "--concurrency", "0"],
        ["--bogus"],
    ])
    func badArgumentsExitTwo(arguments: [String]) {
        #expect(LoadgenCommand.entry(arguments) == 2)
    }

    @Test func helpExitsZero() {
        #expect(LoadgenCommand.entry(["--help"]) == 0)
    }
}
