import Foundation
import SottoTestSupport
import Testing

@testable import sotto_loadgen

/// `--register --direction inbound` through a real `sotto`. An extension of ``LoadgenRelayTests`` so it
/// inherits `.serialized`: it uses the same media ports (23000-23999) and never runs beside the other relay test.
extension LoadgenRelayTests {
    @Test func inboundCallsThroughSottoAfterRegister() throws {
        let certificates = TestCertificates.shared
        let directory = certificates.directory
        let sipPort = freePort(ip: "127.0.0.1")
        let pbxPort = freePort(ip: "127.0.0.2")
        let config = """
            [sip]
            listen = "127.0.0.1:\(sipPort)"
            cert = "\(certificates.serverECDSA.chain)"
            key = "\(certificates.serverECDSA.key)"
            ca = "\(certificates.caFile)"
            [upstream]
            address = "127.0.0.2:\(pbxPort)"
            server_name = "localhost"
            reconnect_min_ms = 100
            reconnect_max_ms = 500
            [media]
            ip = "127.0.0.1"
            ports = "23000-23999"
            [admin]
            socket = "\(directory)/loadgen-in-admin-\(sipPort).sock"
            audit_log = "\(directory)/loadgen-in-audit-\(sipPort).jsonl"
            """
        let configPath = directory + "/loadgen-in-sotto-\(sipPort).toml"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let relay = Process()
        relay.executableURL = buildDirectory().appendingPathComponent("sotto")
        relay.arguments = ["--config", configPath]
        relay.standardOutput = FileHandle.nullDevice
        relay.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try relay.run()
        defer {
            relay.terminate()
            relay.waitUntilExit()
        }
        let jsonPath = directory + "/loadgen-in-report-\(sipPort).json"
        let run = try runLoadgen([
            "--relay", "127.0.0.1:\(sipPort)", "--listen", "127.0.0.2:\(pbxPort)", "--server-name", "localhost",
            "--cert", certificates.serverECDSA.chain, "--key", certificates.serverECDSA.key, "--ca",
            certificates.caFile, "--calls", "10", "--concurrency", "10", "--phones", "5", "--hold", "2",
            "--register", "--direction", "inbound", "--json", jsonPath, "--max-loss", "1",
        ])
        #expect(run.status == 0, "sotto-loadgen said:\n\(run.output)")
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
    }

    @Test func inboundWithoutRegisterIsAnArgumentError() throws {
        let certificates = TestCertificates.shared
        let run = try runLoadgen([
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
