// RFC 3325 at the edge of the trust domain (docs/proxy.md, "Who may be whom"): a softphone's P-Asserted-Identity,
// P-Preferred-Identity and Remote-Party-ID never reach the PBX, which may trust what Sotto forwards; Privacy does.
import SIP
import SRTP
import Testing

@testable import Proxy

@Suite struct TrustDomainTests {
    static let identityLines = [
        "P-Asserted-Identity: \"CEO\" <sip:ceo@pbx.test>, <tel:+15551230000>",
        "p-asserted-identity: <sip:ceo@pbx.test>",
        "P-Preferred-Identity: <sip:ceo@pbx.test>",
        "Remote-Party-ID: \"CEO\" <sip:ceo@pbx.test>;party=calling;screen=yes;privacy=off",
    ]

    @Test(arguments: identityLines)
    func aSoftphoneINVITELosesItsIdentityHeaderAndKeepsPrivacy(_ line: String) throws {
        let h = try ProxyHarness()
        var alice = try AliceCall()
        alice.cseq = 1
        h.fromA(
            alice.request(
                "INVITE", branch: "z9hG4bK0b8e6c3f2a7d4e91", extra: "\(line)\nPrivacy: id", body: alice.offer()))
        let invite = try h.forwardedINVITE()
        for name in TrustDomain.identityHeaders {
            #expect(invite.headers(named: name).isEmpty, "\(name) reached the PBX")
        }
        #expect(invite.firstValue(of: "Privacy") == "id", "the caller's privacy request goes on")
    }

    @Test(arguments: ["MESSAGE", "REGISTER", "OPTIONS"])
    func everySoftphoneRequestLosesIt(_ method: String) throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        let extra = Self.identityLines.joined(separator: "\n")
        h.fromA(alice.request(method, branch: "z9hG4bK3d5f7a9c1e2b4d60", extra: extra, body: nil))
        let sent = try h.take().filter { $0.flow == h.pbx && $0.isRequest }
        let request = try #require(sent.first?.message)
        for name in TrustDomain.identityHeaders {
            #expect(request.headers(named: name).isEmpty, "\(name) reached the PBX in a \(method)")
        }
    }

    @Test func aSoftphonesAnswerLosesItsConnectedIdentity() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        let contact = "sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls"
        let pbxKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        h.fromPBX(
            PBX.request(
                "INVITE", uri: contact, route: "<sip:\(h.token(h.a))@127.0.0.1:5061;transport=tls;lr;ob>",
                extra: ["P-Asserted-Identity: <sip:bob@pbx.test>"], body: PBX.offer(key: pbxKey)))
        let invite = try h.expect(h.take(), ["pbx: 100 Trying", "a: INVITE \(contact)"])[1].message
        #expect(invite.firstValue(of: "P-Asserted-Identity") == "<sip:bob@pbx.test>", "the PBX is trusted")
        h.fromA(
            SIPText.response(
                to: invite, 200, "OK", toTag: "8b3e1f0a", contact: "<\(contact)>", product: "User-Agent: baresip",
                extra: ["P-Asserted-Identity: <sip:ceo@pbx.test>"], sdp: alice.offer()))
        let ok = try h.expect(h.take(), ["pbx: 200 OK"])[0].message
        #expect(ok.headers(named: "P-Asserted-Identity").isEmpty)
    }

    @Test func aPBXThatChecksIdentitiesItselfGetsThemAll() throws {
        let h = try ProxyHarness { $0.forwardSoftphoneIdentity = true }
        var alice = try AliceCall()
        alice.cseq = 1
        let extra = Self.identityLines.joined(separator: "\n")
        h.fromA(alice.request("INVITE", branch: "z9hG4bK0b8e6c3f2a7d4e91", extra: extra, body: alice.offer()))
        let invite = try h.forwardedINVITE()
        #expect(invite.headers(named: "P-Asserted-Identity").count == 2)
        #expect(invite.headers(named: "P-Preferred-Identity").count == 1)
        #expect(invite.headers(named: "Remote-Party-ID").count == 1)
    }
}
