// The proxy's limits and its certificate-identity check on real TLS connections: a phone and a PBX on loopback,
// the signalling server in between, limits lowered so that each case is quick (the full sets of cases run on
// the harness in ProxyLimitsTests; these show the answers reach a real peer on its own connection).
import Proxy
import SottoTestSupport
import Testing

@Suite(.serialized) struct ProxyLimitsOverTLSTests {
    static func register(_ n: Int, user: String = "alice", contacts: Int = 1) -> String {
        let contactLines = (0..<contacts).map { "Contact: <sip:\(user)-\($0)@127.0.0.1:5062;transport=tls>\r\n" }
        return "REGISTER sip:pbx.test SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bK-tls-\(n);rport\r\n"
            + "Max-Forwards: 70\r\nFrom: <sip:\(user)@pbx.test>;tag=t\(n)\r\nTo: <sip:\(user)@pbx.test>\r\n"
            + "Call-ID: tls-\(n)\r\nCSeq: \(n) REGISTER\r\n" + contactLines.joined() + "Content-Length: 0\r\n\r\n"
    }

    static func count(_ text: String, _ needle: String) -> Int { text.components(separatedBy: needle).count - 1 }

    /// A phone faster than its connection's rate gets 503 with Retry-After on its own connection; what passed
    /// reaches the PBX, the rest does not.
    @Test func aPhoneOverItsRateGets503WithRetryAfter() async throws {
        let pbxPort = try unusedPort()
        let pbx = try await TestPBX(port: pbxPort)
        defer { pbx.stop() }
        let fixture = try await SignallingFixture(
            upstreamPort: pbxPort, configureProxy: { $0.limits.requestsPerSecondPerFlow = 2 })  // a bucket of 4
        defer { fixture.server.stop() }
        #expect(await eventually { pbx.handshakes == 1 })
        let phone = try fixture.phone()
        #expect(await eventually { phone.handshakes == 1 })
        phone.send((1...12).map { Self.register($0) }.joined())
        #expect(await eventually { Self.count(phone.text, "SIP/2.0 503") >= 6 })
        #expect(phone.text.contains("Retry-After: 1"))
        #expect(phone.text.contains("too many requests on this connection"))
        #expect(await eventually { Self.count(pbx.text, "REGISTER sip:pbx.test") >= 4 })
        #expect(Self.count(pbx.text, "REGISTER sip:pbx.test") <= 6, "only what the bucket held went on")
    }

    /// A REGISTER that would give one connection more bindings than it may hold gets 403, and never reaches the PBX.
    @Test func aConnectionsBindingsAreLimited() async throws {
        let pbxPort = try unusedPort()
        let pbx = try await TestPBX(port: pbxPort)
        defer { pbx.stop() }
        let fixture = try await SignallingFixture(
            upstreamPort: pbxPort, configureProxy: { $0.limits.registrationsPerFlow = 2 })
        defer { fixture.server.stop() }
        #expect(await eventually { pbx.handshakes == 1 })
        let phone = try fixture.phone()
        #expect(await eventually { phone.handshakes == 1 })
        phone.send(Self.register(1, contacts: 3))
        #expect(await eventually { phone.text.contains("SIP/2.0 403 Forbidden") })
        #expect(phone.text.contains("this connection may hold 2 registrations"))
        phone.send(Self.register(2, contacts: 2))
        #expect(await eventually { pbx.text.contains("Call-ID: tls-2") })
        #expect(!pbx.text.contains("Call-ID: tls-1"))
    }

    /// `sip.client_identity = "user"`: a phone whose certificate names agent-2 may register as agent-2 and as no
    /// one else; a phone without a certificate is no one.
    @Test func aCertificateNamesWhoAPhoneMayRegisterAs() async throws {
        let pbxPort = try unusedPort()
        let pbx = try await TestPBX(port: pbxPort)
        defer { pbx.stop() }
        let fixture = try await SignallingFixture(upstreamPort: pbxPort, configureProxy: { $0.identityBinding = .user })
        defer { fixture.server.stop() }
        #expect(await eventually { pbx.handshakes == 1 })
        let agent = try fixture.phone(certificate: fixture.certificates.clientWithNames)
        #expect(await eventually { agent.handshakes == 1 })
        agent.send(Self.register(1, user: "alice"))
        #expect(await eventually { agent.text.contains("SIP/2.0 403 Forbidden") })
        #expect(agent.text.contains("does not name alice@pbx.test"))
        agent.send(Self.register(2, user: "agent-2"))
        #expect(await eventually { pbx.text.contains("Call-ID: tls-2") })
        let nobody = try fixture.phone()
        #expect(await eventually { nobody.handshakes == 1 })
        nobody.send(Self.register(3, user: "agent-2"))
        #expect(await eventually { nobody.text.contains("SIP/2.0 403 Forbidden") })
        #expect(!pbx.text.contains("Call-ID: tls-1") && !pbx.text.contains("Call-ID: tls-3"))
    }
}
