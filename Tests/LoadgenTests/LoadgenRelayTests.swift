import Foundation
import SottoTestSupport
import Testing

@testable import sotto_loadgen

/// A TCP port nothing listens on right now (the kernel's choice).
func freePort(ip: String) -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    inet_pton(AF_INET, ip, &address.sin_addr)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            _ = bind(fd, pointer, length)
            return getsockname(fd, pointer, &length)
        }
    }
    return UInt16(bigEndian: address.sin_port)
}

/// Runs `sotto-loadgen` with `arguments` and waits (at most `timeout`); stdout is the report.
func runLoadgen(_ arguments: [String], timeout: Duration = .seconds(90)) async throws -> ChildProcess.Result {
    try await ChildProcess.run(BuildProducts.path("sotto-loadgen"), arguments, stderr: .null, timeout: timeout)
}

@Suite(.serialized) struct LoadgenRelayTests {
    @Test func twentyCallsThroughSotto() async throws {
        let relay = try await RelayUnderTest(label: "loadgen")
        let jsonPath = relay.reportPath("loadgen")
        let run = try await runLoadgen(
            relay.loadgenArguments + [
                "--calls", "20", "--concurrency", "10", "--hold", "2", "--duration", "5",
                "--json", jsonPath, "--max-loss", "1",
                // Five streams per socket at once: packets must be told apart by the relay port they come from.
                "--media-sockets", "2",
            ])
        #expect(run.status == 0, "sotto-loadgen said:\n\(run.stdout)")
        let report = try LoadgenReport.parse(Data(contentsOf: URL(fileURLWithPath: jsonPath)))
        #expect(report.calls.attempted == 20)
        #expect(report.calls.completed == 20)
        #expect(report.calls.failed == 0)
        #expect(report.media.authFailures == 0)
        for direction in [report.media.phoneToPBX, report.media.pbxToPhone] {
            #expect(direction.sent > 0)
            #expect(direction.received <= direction.sent)
            #expect(direction.received > 0)
            #expect(direction.corrupt == 0 && direction.wrongSSRC == 0)
            #expect(direction.latencyMs.count == direction.received)
            #expect(direction.latencyMs.p50 <= direction.latencyMs.p99)
        }
        #expect(report.media.lossPercent <= 1)
        #expect(report.perCall.count == 20)
        #expect(report.perCall.allSatisfy { $0.completed && $0.status == 200 && ($0.setupMs ?? 0) > 0 })
        // Every call got its own packets back both ways through the shared sockets.
        #expect(report.perCall.allSatisfy { $0.directions.count == 2 && $0.directions.allSatisfy { $0.received > 0 } })
        #expect(report.calls.inviteTo200Ms.count == 20)
        #expect(report.passed)
        // The JSON names every field a CI job would read.
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: jsonPath))) as? [String: Any])
        let media = try #require(object["media"] as? [String: Any])
        for key in [
            "phoneToPBX", "pbxToPhone", "lossPercent", "authFailures", "generatorCPUPerPacketUs", "strayPackets",
        ] {
            #expect(media[key] != nil, "media.\(key) missing")
        }
        await relay.stop()
    }

    @Test func unreachableRelayFails() async throws {
        let certificates = try await TestCertificates.shared
        let run = try await runLoadgen([
            "--relay", "127.0.0.1:\(freePort(ip: "127.0.0.1"))", "--listen", "127.0.0.2:\(freePort(ip: "127.0.0.2"))",
            "--server-name", "localhost", "--cert", certificates.serverECDSA.chain, "--key",
            certificates.serverECDSA.key, "--ca", certificates.caFile, "--calls", "3", "--hold", "1",
            "--ready-timeout", "0.5", "--max-loss", "0", "--max-failures", "0",
        ])
        #expect(run.status == 1, "sotto-loadgen said:\n\(run.stdout)")
        #expect(run.stdout.contains("FAIL"))
    }
}
