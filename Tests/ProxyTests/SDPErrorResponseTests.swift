// 3xx-6xx responses to INVITE, UPDATE and PRACK reach the other side without their body (docs/media-policy.md,
// "Error responses carry no SDP"): an error ends the offer/answer exchange, so its SDP is nothing Sotto could
// check, and forwarded untouched it would carry the PBX's key and address to the phone.
import SIP
import SRTP
import Testing

@testable import Proxy

@Suite struct SDPErrorResponseTests {
    /// The PBX's capabilities SDP, as a 488 or 606 may carry it (RFC 3261 §21.4.26), with its own key.
    static func capabilities(_ key: SRTPKeyMaterial) -> String { PBX.answer(key: key) }

    @Test(arguments: [
        (302, "Moved Temporarily"), (404, "Not Found"), (488, "Not Acceptable Here"), (606, "Not Acceptable"),
    ])
    func anINVITEErrorReachesThePhoneWithoutItsSDP(_ status: Int, _ reason: String) throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        let pbxKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        h.fromPBX(PBX.response(to: invite, status, reason, sdp: Self.capabilities(pbxKey)))
        let out = try h.expect(h.take(), ["pbx: ACK sip:bob@pbx.test", "a: \(status) \(reason)"])
        let error = out[1].message
        #expect(error.body.isEmpty)
        #expect(error.contentLength == 0 && error.contentType == nil)
        #expect(h.proxy.callCount == 0)
    }

    @Test func anUPDATEErrorReachesThePhoneWithoutItsSDP() throws {
        let h = try ProxyHarness()
        var call = try EstablishedCall(h)
        call.alice.cseq += 1
        h.fromA(call.alice.request("UPDATE", branch: "z9hG4bK7a1d3e5f9b2c4d68", body: call.alice.offer()))
        let update = try h.expect(h.take(), ["pbx: UPDATE \(call.alice.remoteTarget)"])[0].message
        let pbxKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        h.fromPBX(PBX.response(to: update, 491, "Request Pending", sdp: Self.capabilities(pbxKey)))
        let error = try h.expect(h.take(), ["a: 491 Request Pending"])[0].message
        #expect(error.body.isEmpty && error.contentLength == 0)
        #expect(h.proxy.callCount == 1, "the call goes on with the media it had")
    }

    @Test func aNon2xxForAnotherMethodIsLeftToTheExistingRules() {
        var message = SIPMessageForTests.response(status: 486)
        SDPNegotiation.stripErrorResponseBody(&message, status: 486, method: .message)
        #expect(!message.body.isEmpty, "a MESSAGE body is not an offer or an answer")
        SDPNegotiation.stripErrorResponseBody(&message, status: 183, method: .invite)
        #expect(!message.body.isEmpty, "a provisional response's SDP is checked as an early answer, not dropped")
        SDPNegotiation.stripErrorResponseBody(&message, status: 486, method: .prack)
        #expect(message.body.isEmpty)
    }
}

/// A response with a text body, parsed.
enum SIPMessageForTests {
    static func response(status: Int) -> SIPMessage {
        let text =
            "SIP/2.0 \(status) Whatever\r\nVia: SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
            + "To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Type: text/plain\r\n"
            + "Content-Length: 5\r\n\r\nhello"
        return try! SIPMessage(parsing: Array(text.utf8))
    }
}
