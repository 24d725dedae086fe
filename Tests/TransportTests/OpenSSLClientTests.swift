import Foundation
import SottoTestSupport
import TLS
import Testing
import Transport

/// `openssl s_client` against Sotto's server: an independent client implementation.
@Suite struct OpenSSLClientTests {
    @Test(arguments: ["-tls1_3", "-tls1_2"])
    func exchangesALine(version: String) async throws {
        let server = try await TestServer()
        defer { server.listener.stop() }
        // Not -quiet (it implies -ign_eof) and no stdin EOF (-no_ign_eof would send close_notify
        // before the echo): keep stdin open, wait for the echo, then end the client.
        let client = try await SClient(port: server.port, [version])
        #expect(await eventually { server.recorder.handshakes == 1 })
        client.send("hello over tls\n")
        #expect(await eventually { client.text.contains("hello over tls") })
        _ = await client.finish()
        #expect(server.recorder.received == Array("hello over tls\n".utf8))
        #expect(client.text.contains("Verify return code: 0 (ok)"), "\(client.text)")
        #expect(client.text.contains(version == "-tls1_3" ? "TLSv1.3" : "TLSv1.2"))
    }

    @Test(arguments: ["-tls1", "-tls1_1"])
    func oldVersionsAreRefused(version: String) async throws {
        let server = try await TestServer()
        defer { server.listener.stop() }
        // SECLEVEL=0 so the client itself is willing to offer TLS 1.0/1.1: the refusal must be the server's.
        let client = try await SClient(port: server.port, [version, "-cipher", "DEFAULT@SECLEVEL=0"])
        #expect(await eventually { server.context.counters.handshakeFailures == 1 })
        let status = await client.finish()
        #expect(status != 0)
        #expect(server.recorder.handshakes == 0)
        let line = try #require(server.recorder.logs.first)
        #expect(line.contains("unsupported protocol"), "\(line)")
        #expect(line.contains("127.0.0.1:"))
    }

    @Test func mutualTLSWithAndWithoutCertificate() async throws {
        let server = try await TestServer(requireClientCertificate: true)
        defer { server.listener.stop() }
        let certificates = try await TestCertificates.shared
        let refused = try await SClient(port: server.port, ["-tls1_2"])
        #expect(await eventually { server.context.counters.handshakeFailures == 1 })
        #expect(await refused.finish() != 0)

        let accepted = try await SClient(
            port: server.port, ["-cert", certificates.client.chain, "-key", certificates.client.key])
        #expect(await eventually { server.recorder.handshakes == 1 })
        accepted.send("with certificate\n")
        #expect(await eventually { accepted.text.contains("with certificate") })
        _ = await accepted.finish()
    }
}
