import Foundation
import SottoTestSupport
import Testing

@testable import sotto_loadgen

/// `--ring` and `--hold-direction` through the real `sotto`: the answering side rings before it answers, and its
/// answer puts the call on hold, which the relay must carry to the caller (docs/loadgen.md, "Ringing and hold"). An
/// extension of ``LoadgenRelayTests`` so it inherits `.serialized`: the relays share media ports 23000-23999.
extension LoadgenRelayTests {
    /// Runs two calls with `extra` flags through a fresh relay and returns the JSON report and the exit status.
    static func ringHoldRun(_ label: String, _ extra: [String], hold: Int = 1, media: String = "") async throws -> (
        LoadgenReport, ChildProcess.Result
    ) {
        let relay = try await RelayUnderTest(label: label, media: media)
        let jsonPath = relay.reportPath(label)
        let run = try await runLoadgen(
            relay.loadgenArguments + [
                "--calls", "2", "--concurrency", "2", "--hold", String(hold), "--json", jsonPath,
            ] + extra)
        await relay.stop()
        return (try LoadgenReport.parse(Data(contentsOf: URL(fileURLWithPath: jsonPath))), run)
    }

    @Test func aSendonlyAnswerAfterRingingReachesThePhoneWhichThenOnlyListens() async throws {
        let (report, run) = try await Self.ringHoldRun(
            "hold-sendonly", ["--ring", "1", "--hold-direction", "sendonly"])
        #expect(run.status == 0, "sotto-loadgen said:\n\(run.stdout)")
        #expect(report.calls.completed == 2)
        #expect(report.perCall.allSatisfy { $0.answerDirection == "sendonly" && $0.silentDirections == [0] })
        // A lower bound only: the 200 comes after the ringing, however slow the machine.
        #expect(report.perCall.allSatisfy { ($0.setupMs ?? 0) >= 1000 })
        #expect(report.media.phoneToPBX.sent == 0 && report.media.phoneToPBX.received == 0)
        #expect(report.media.pbxToPhone.sent > 0 && report.media.pbxToPhone.received > 0)
        #expect(report.media.silentDirectionPackets == 0)
        #expect(run.stdout.contains("answer a=sendonly: the caller's direction silent by design"))
        #expect(report.passed)
    }

    /// A call that rings longer than the media idle timeout is answered and carries its audio: the idle timer
    /// starts when the answer keys the legs, not at the offer (before, the session was swept as idle while it
    /// rang, and the answered call got 500 and a BYE).
    @Test func aCallThatRingsLongerThanTheIdleTimeoutIsAnsweredWithAudio() async throws {
        let (report, run) = try await Self.ringHoldRun("long-ring", ["--ring", "3"], media: "idle_timeout_s = 1")
        #expect(run.status == 0, "sotto-loadgen said:\n\(run.stdout)")
        #expect(report.calls.completed == 2)
        #expect(report.perCall.allSatisfy { ($0.setupMs ?? 0) >= 3000 })
        #expect(report.media.phoneToPBX.received > 0 && report.media.pbxToPhone.received > 0)
        #expect(report.passed)
    }

    /// A call on hold (no media either way) outlives the idle timeout: it has the hold timeout.
    @Test func aCallOnHoldOutlivesTheIdleTimeout() async throws {
        let (report, run) = try await Self.ringHoldRun(
            "long-hold", ["--hold-direction", "inactive"], hold: 4, media: "idle_timeout_s = 1")
        #expect(run.status == 0, "sotto-loadgen said:\n\(run.stdout)")
        #expect(report.calls.completed == 2, "\(run.stdout)")
        #expect(report.passed)
    }

    @Test func anInactiveAnswerCarriesNoMediaEitherWay() async throws {
        let (report, run) = try await Self.ringHoldRun("hold-inactive", ["--hold-direction", "inactive"])
        #expect(run.status == 0, "sotto-loadgen said:\n\(run.stdout)")
        #expect(report.calls.completed == 2)
        #expect(report.perCall.allSatisfy { $0.answerDirection == "inactive" && $0.silentDirections == [0, 1] })
        #expect(report.media.packetsSent == 0 && report.media.packetsReceived == 0)
        #expect(report.passed)
    }

    @Test func anInboundSendonlyAnswerSilencesThePBXSide() async throws {
        let (report, run) = try await Self.ringHoldRun(
            "hold-inbound", ["--register", "--direction", "inbound", "--hold-direction", "sendonly"])
        #expect(run.status == 0, "sotto-loadgen said:\n\(run.stdout)")
        #expect(report.calls.completed == 2)
        #expect(report.perCall.allSatisfy { $0.answerDirection == "sendonly" && $0.silentDirections == [1] })
        #expect(report.media.pbxToPhone.sent == 0 && report.media.phoneToPBX.received > 0)
        #expect(report.passed)
    }
}

/// The report's side of `--hold-direction`, and its flag check.
@Suite struct LoadgenHoldReportTests {
    @Test func packetsInADirectionOnHoldFailTheRun() {
        var settings = sampleSettings()
        settings.holdDirection = .sendonly
        var result = sampleResult(number: 0, sent: 50, received: 50)
        result.silentDirections = [0]
        let report = LoadgenReport.make(
            settings: settings, results: [result], latency: latencyHistograms(), durationSeconds: 1, cpuSeconds: 0,
            skipped: 0)
        #expect(report.media.silentDirectionPackets == 100)
        #expect(!report.passed)
        #expect(report.violations.contains { $0.hasPrefix("100 packets flowed in a direction the answer put on hold") })
    }

    @Test func aBadHoldDirectionIsRefused() async throws {
        let run = try await runLoadgen([
            "--relay", "127.0.0.1:5061", "--listen", "127.0.0.2:5062", "--cert", "/dev/null", "--key", "/dev/null",
            "--calls", "1", "--hold-direction", "recvonly",
        ])
        #expect(run.status == 2)
    }
}
