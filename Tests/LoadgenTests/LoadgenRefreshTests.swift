import Foundation
import SottoTestSupport
import Testing

@testable import sotto_loadgen

/// `--register-every`: the phones refresh their registrations through a real `sotto` for the whole run. An
/// extension of ``LoadgenRelayTests`` so it inherits `.serialized` (same media ports as the other relay tests).
extension LoadgenRelayTests {
    @Test func registrationsRefreshThroughSotto() async throws {
        let relay = try await RelayUnderTest(label: "loadgen-refresh")
        let jsonPath = relay.reportPath("loadgen-refresh")
        let run = try await runLoadgen(
            relay.loadgenArguments + [
                "--calls", "0", "--duration", "4", "--concurrency", "2", "--phones", "2", "--hold", "1",
                "--register", "--register-every", "1", "--json", jsonPath, "--max-loss", "5",
            ])
        #expect(run.status == 0, "sotto-loadgen said:\n\(run.stdout)")
        let report = try LoadgenReport.parse(Data(contentsOf: URL(fileURLWithPath: jsonPath)))
        #expect(report.registrations.registered == 2)
        // Two phones, a refresh a second over a run of four seconds and more: at least three rounds each.
        let sent = try #require(report.registrations.refreshesSent)
        #expect(sent >= 6)
        #expect(report.registrations.refreshed == sent)
        #expect(report.registrations.refreshFailuresByStatus == [:])
        #expect(report.text.contains("refreshes         sent \(sent)"))
        await relay.stop()
    }

    @Test func registerEveryNeedsRegister() async throws {
        let certificates = try await TestCertificates.shared
        let run = try await runLoadgen([
            "--relay", "127.0.0.1:\(freePort(ip: "127.0.0.1"))", "--cert", certificates.serverECDSA.chain, "--key",
            certificates.serverECDSA.key, "--calls", "1", "--register-every", "5",
        ])
        #expect(run.status == 2)
    }
}

@Suite struct LoadgenRefreshReportTests {
    @Test func failedRefreshFailsTheRun() throws {
        var settings = sampleSettings()
        settings.register = true
        var report = LoadgenReport.make(
            settings: settings, results: [sampleResult(number: 0, sent: 100, received: 100)],
            latency: latencyHistograms(), durationSeconds: 1, cpuSeconds: 0, skipped: 0,
            registrations: [RegistrationResult(aor: "phone0", status: 200, registerMs: 3)])
        #expect(report.passed)
        report.addRefreshes(sent: 4, refreshed: 3, failuresByCause: ["timeout": 1])
        #expect(!report.passed)
        #expect(report.text.contains("refresh failed: timeout  1"))
        #expect(try LoadgenReport.parse(report.json()) == report)
    }
}
