import Foundation
import SottoTestSupport
import Testing

@testable import sotto_loadgen

/// `sotto-loadgen pbx` behind a real `sotto`, called by the generator's phones. An extension of
/// ``LoadgenRelayTests`` so it inherits `.serialized` (the same media ports as the other relay tests).
extension LoadgenRelayTests {
    @Test func testPBXEchoesAndPlaysTonesThroughSotto() async throws {
        let relay = try await RelayUnderTest(label: "test-pbx")
        let certificates = relay.certificates
        let pbx = try ChildProcess(
            BuildProducts.path("sotto-loadgen"),
            [
                "pbx", "--listen", "127.0.0.2:\(relay.pbxPort)", "--cert", certificates.serverECDSA.chain, "--key",
                certificates.serverECDSA.key,
            ], stderr: .standardOutput)
        try await pbx.waitForOutput("test PBX on 127.0.0.2:\(relay.pbxPort)")
        try await pbx.waitForOutput("connection from 127.0.0.1", timeout: .seconds(15))  // sotto's upstream link
        // The phones' own PBX side listens where nothing calls it: their calls go through sotto to the test PBX.
        var phones = relay.loadgenArguments
        phones[phones.firstIndex(of: "--listen")! + 1] = "127.0.0.3:\(freePort(ip: "127.0.0.3"))"
        phones += ["--ready-timeout", "0", "--media-sockets", "2", "--hold", "2"]

        let echoPath = relay.reportPath("test-pbx-echo")
        let echo = try await runLoadgen(
            phones + ["--callee", "echo", "--expect-echo", "--calls", "4", "--phones", "4", "--json", echoPath])
        #expect(echo.status == 0, "sotto-loadgen said:\n\(echo.stdout)")
        let echoed = try LoadgenReport.parse(Data(contentsOf: URL(fileURLWithPath: echoPath)))
        #expect(echoed.calls.completed == 4)
        let roundTrip = echoed.media.phoneToPBX
        #expect(roundTrip.sent > 0)
        // Each packet back authenticated under the key sotto gave the phone, with the payload sent at its index.
        #expect(Double(roundTrip.received) >= 0.99 * Double(roundTrip.sent))
        #expect(roundTrip.corrupt == 0 && roundTrip.wrongSSRC == 0 && roundTrip.authFailures == 0)
        #expect(roundTrip.latencyMs.count == roundTrip.received)
        #expect(echoed.media.pbxToPhone.sent == 0)

        let tonePath = relay.reportPath("test-pbx-tone")
        let tone = try await runLoadgen(
            phones + ["--callee", "601", "--calls", "2", "--phones", "2", "--json", tonePath])
        let toned = try LoadgenReport.parse(Data(contentsOf: URL(fileURLWithPath: tonePath)))
        #expect(toned.calls.completed == 2, "sotto-loadgen said:\n\(tone.stdout)")
        // The tone is not the generator's own stream: it counts it by SSRC, after it authenticated.
        #expect(toned.media.pbxToPhone.wrongSSRC > 50)
        #expect(toned.media.authFailures == 0)

        let nobodyPath = relay.reportPath("test-pbx-nobody")
        _ = try await runLoadgen(phones + ["--callee", "602", "--calls", "1", "--phones", "1", "--json", nobodyPath])
        let refused = try LoadgenReport.parse(Data(contentsOf: URL(fileURLWithPath: nobodyPath)))
        #expect(refused.calls.failuresByStatus["SIP 404"] == 1)

        pbx.signal(SIGTERM)
        #expect(try await pbx.exitStatus(timeout: .seconds(10)) == 0)
        #expect(pbx.stdout.contains("→ echo ended"))
        #expect(pbx.stdout.contains("→ tone ended"))
        #expect(pbx.stdout.contains("602: 404"))
        await relay.stop()
    }
}
