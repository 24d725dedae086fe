import Foundation
import SottoTestSupport
import Testing

@testable import sotto_loadgen

/// `--register --direction inbound` through a real `sotto`. An extension of ``LoadgenRelayTests`` so it
/// inherits `.serialized`: it uses the same media ports (23000-23999) and never runs beside the other relay test.
extension LoadgenRelayTests {
    @Test func inboundCallsThroughSottoAfterRegister() async throws {
        let relay = try await RelayUnderTest(label: "loadgen-in")
        let jsonPath = relay.reportPath("loadgen-in")
        let run = try await runLoadgen(
            relay.loadgenArguments + [
                "--calls", "10", "--concurrency", "10", "--phones", "5", "--hold", "2",
                "--register", "--direction", "inbound", "--json", jsonPath, "--max-loss", "1",
            ])
        #expect(run.status == 0, "sotto-loadgen said:\n\(run.stdout)")
        let report = try LoadgenReport.parse(Data(contentsOf: URL(fileURLWithPath: jsonPath)))
        #expect(report.registrations.attempted == 5)
        #expect(report.registrations.registered == 5)
        #expect(report.registrations.failed == 0)
        #expect(report.calls.attempted == 10)
        #expect(report.calls.completed == 10)
        #expect(report.calls.failed == 0)
        #expect(report.calls.byDirection["inbound"]?.completed == 10)
        #expect(report.calls.byDirection["outbound"] == nil)
        #expect(report.media.authFailures == 0)
        for direction in [report.media.phoneToPBX, report.media.pbxToPhone] {
            #expect(direction.sent > 0)
            #expect(direction.received > 0)
            #expect(direction.received <= direction.sent)
            #expect(direction.authFailures == 0 && direction.corrupt == 0 && direction.wrongSSRC == 0)
        }
        #expect(report.perCall.allSatisfy { $0.direction == .inbound && $0.completed && $0.status == 200 })
        #expect(report.calls.inviteTo200Ms.count == 10)
        #expect(report.passed)
        await relay.stop()
    }

    @Test func inboundWithoutRegisterIsAnArgumentError() async throws {
        let certificates = try await TestCertificates.shared
        let run = try await runLoadgen([
            "--relay", "127.0.0.1:\(freePort(ip: "127.0.0.1"))", "--cert", certificates.serverECDSA.chain, "--key",
            certificates.serverECDSA.key, "--direction", "inbound",
        ])
        #expect(run.status == 2)
    }
}

@Suite struct LoadgenRegistrationReportTests {
    @Test func failedRegisterCountsAsAFailure() throws {
        var settings = sampleSettings()
        settings.register = true
        settings.direction = .both
        var inbound = sampleResult(number: 1, sent: 100, received: 100)
        inbound.direction = .inbound
        let report = LoadgenReport.make(
            settings: settings, results: [sampleResult(number: 0, sent: 100, received: 100), inbound],
            latency: latencyHistograms(), durationSeconds: 1, cpuSeconds: 0, skipped: 0,
            registrations: [
                RegistrationResult(aor: "phone0", status: 200, registerMs: 3),
                RegistrationResult(aor: "phone1", status: 403, failure: "REGISTER 403", registerMs: 2),
            ])
        #expect(report.registrations.attempted == 2)
        #expect(report.registrations.failed == 1)
        #expect(report.registrations.failuresByStatus == ["REGISTER 403": 1])
        #expect(report.calls.byDirection["outbound"]?.completed == 1)
        #expect(report.calls.byDirection["inbound"]?.completed == 1)
        #expect(!report.passed)
        #expect(report.text.contains("REGISTER 403"))
        #expect(try LoadgenReport.parse(report.json()) == report)
    }
}
