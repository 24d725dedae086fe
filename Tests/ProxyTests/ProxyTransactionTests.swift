// Transactions and their timers (RFC 3261 §16–17, RFC 6026): what Sotto sends for each message and each timer,
// message by message. The clock moves only when a test moves it.
import Media
import SDP
import SIP
import SRTP
import Testing
import Transport

@testable import Proxy

@Suite struct ProxyTransactionTests {
    /// Alice's stamped Via as Sotto keeps it: `received` and `rport` added (RFC 3581).
    static let aliceVia = "SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bK0b8e6c3f2a7d4e91;received=127.0.0.1;rport=5062"

    // MARK: INVITE

    @Test func inviteGetsTryingAtOnceAndGoesUpstreamWithSottosViaAndRecordRoute() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))

        let out = try h.expect(h.take(), ["a: 100 Trying", "pbx: INVITE sip:bob@pbx.test"])
        let trying = out[0].message
        #expect(trying.viaTexts == [Self.aliceVia])
        #expect(trying.to.tag == nil)
        #expect(trying.from.tag == alice.fromTag)
        #expect(trying.callID == alice.callID)
        #expect(trying.cseq.description == "25143 INVITE")

        let invite = out[1].message
        #expect(invite.via.count == 2)
        let sotto = try #require(invite.via.first)
        #expect(sotto.transport == "TLS" && sotto.host == "127.0.0.1" && sotto.port == 5061)
        #expect(sotto.branch?.hasPrefix("z9hG4bK-st-") == true)
        #expect(sotto.description == "SIP/2.0/TLS 127.0.0.1:5061;branch=\(sotto.branch ?? "")")
        #expect(invite.viaTexts.dropFirst().elementsEqual([Self.aliceVia]))
        #expect(invite.maxForwards == 69)
        #expect(invite.firstValue(of: "Record-Route") == "<sip:\(h.token(h.a))@127.0.0.1:5061;transport=tls;lr>")
        #expect(invite.headers(named: "Route").isEmpty, "Sotto's own Route entry is removed (RFC 3261 §16.4)")
        #expect(invite.firstValue(of: "Contact") == "<sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls>")
        #expect(invite.from.tag == alice.fromTag && invite.to.tag == nil)
        #expect(invite.callID == alice.callID && invite.cseq.description == "25143 INVITE")
        #expect(h.media.snapshot().count == 1)
    }

    @Test func provisionalAndFinalResponsesReturnToAliceWithoutSottosVia() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()

        // The PBX's own 100 is hop by hop: it stops there.
        h.fromPBX(PBX.response(to: invite, 100, "Trying"))
        #expect(try h.take().isEmpty)

        h.fromPBX(PBX.response(to: invite, 180, "Ringing"))
        var out = try h.expect(h.take(), ["a: 180 Ringing"])
        #expect(out[0].message.viaTexts == [Self.aliceVia])
        #expect(out[0].message.to.tag == "as5e3f1b2c")
        #expect(
            out[0].message.firstValue(of: "Record-Route") == "<sip:\(h.token(h.a))@127.0.0.1:5061;transport=tls;lr>")

        let pbxKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        h.fromPBX(PBX.response(to: invite, 200, "OK", sdp: PBX.answer(key: pbxKey)))
        out = try h.expect(h.take(), ["a: 200 OK"])
        #expect(out[0].message.viaTexts == [Self.aliceVia])
        #expect(out[0].message.firstValue(of: "Contact") == PBX.contact)
        #expect(out[0].message.cseq.description == "25143 INVITE")
        #expect(h.proxy.callCount == 1)
    }

    @Test func endToEndACKIsRoutedToThePBX() throws {
        let h = try ProxyHarness()
        var alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        h.fromPBX(PBX.response(to: invite, 200, "OK", sdp: PBX.answer(key: try .generate(for: .aesCM128HMACSHA1_80))))
        alice.learnDialog(from: try h.expect(h.take(), ["a: 200 OK"])[0].message)
        #expect(alice.routeSet == ["<sip:\(h.token(h.a))@127.0.0.1:5061;transport=tls;lr>"])

        h.fromA(alice.request("ACK", branch: "z9hG4bK1e5a9c03b77d42f0"))
        let out = try h.expect(h.take(), ["pbx: ACK sip:bob@192.0.2.10:5061;transport=tls"])
        let ack = out[0].message
        #expect(ack.via.count == 2)
        #expect(ack.via[0].branch?.hasPrefix("z9hG4bK-st-") == true)
        #expect(
            ack.viaTexts.dropFirst(1).first
                == "SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bK1e5a9c03b77d42f0;received=127.0.0.1;rport=5062")
        #expect(ack.headers(named: "Route").isEmpty)
        #expect(ack.maxForwards == 69)
        #expect(ack.to.tag == "as5e3f1b2c" && ack.cseq.description == "25143 ACK")
    }

    @Test func byeIsForwardedItsOKReturnsAndTheMediaEnds() throws {
        let h = try ProxyHarness()
        var call = try EstablishedCall(h)
        #expect(h.media.snapshot().count == 1)

        call.alice.cseq += 1
        h.fromA(call.alice.request("BYE", branch: "z9hG4bK5c1d0e8f9a2b4c6d"))
        var out = try h.expect(h.take(), ["pbx: BYE sip:bob@192.0.2.10:5061;transport=tls"])
        let bye = out[0].message
        #expect(bye.cseq.description == "25144 BYE")
        #expect(bye.via.count == 2 && bye.via[0].branch?.hasPrefix("z9hG4bK-st-") == true)
        #expect(bye.headers(named: "Route").isEmpty)
        #expect(h.media.snapshot().isEmpty)

        h.fromPBX(PBX.response(to: bye, 200, "OK"))
        out = try h.expect(h.take(), ["a: 200 OK"])
        #expect(
            out[0].message.viaTexts == [
                "SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bK5c1d0e8f9a2b4c6d;received=127.0.0.1;rport=5062"
            ])
        #expect(out[0].message.cseq.description == "25144 BYE")
        #expect(h.proxy.callCount == 0)
    }

    @Test func retransmittedINVITEIsAbsorbed() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        let invite = alice.invite(sdp: alice.offer())
        h.fromA(invite)
        try h.expect(h.take(), ["a: 100 Trying", "pbx: INVITE sip:bob@pbx.test"])

        h.fromA(invite)
        let out = try h.take()
        #expect(out.allSatisfy { $0.flow == h.a }, "a retransmission must not be forwarded: \(h.summary(out))")
        #expect(h.media.snapshot().count == 1)
        #expect(h.proxy.callCount == 1)
    }

    /// RFC 3261 §17.2.1: a retransmission in Proceeding gets the most recent provisional response again.
    @Test func retransmittedINVITEGetsTheLastProvisionalResponseAgain() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        let bytes = alice.invite(sdp: alice.offer())
        h.fromA(bytes)
        let invite = try h.forwardedINVITE()
        h.fromPBX(PBX.response(to: invite, 180, "Ringing"))
        try h.expect(h.take(), ["a: 180 Ringing"])

        h.fromA(bytes)
        try h.expect(h.take(), ["a: 180 Ringing"])
    }

    // MARK: CANCEL

    @Test func cancelAfterRingingIsAnsweredSentOnAndThe487IsACKedBySotto() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        h.fromPBX(PBX.response(to: invite, 180, "Ringing"))
        _ = try h.take()

        h.fromA(alice.cancel())
        var out = try h.expect(h.take(), ["a: 200 OK", "pbx: CANCEL sip:bob@pbx.test"])
        #expect(out[0].message.cseq.description == "25143 CANCEL")
        #expect(out[0].message.viaTexts == [Self.aliceVia])
        let cancel = out[1].message
        #expect(cancel.viaTexts == [invite.viaTexts[0]], "CANCEL has the INVITE's Via: one value, same branch")
        #expect(cancel.cseq.description == "25143 CANCEL")
        #expect(cancel.callID == invite.callID && cancel.from == invite.from && cancel.to == invite.to)
        #expect(cancel.headers(named: "Route").isEmpty)

        h.fromPBX(PBX.response(to: cancel, 200, "OK"))
        #expect(try h.take().isEmpty, "the 200 for Sotto's CANCEL goes no further")

        h.fromPBX(PBX.response(to: invite, 487, "Request Terminated"))
        out = try h.expect(h.take(), ["pbx: ACK sip:bob@pbx.test", "a: 487 Request Terminated"])
        let ack = out[0].message
        #expect(ack.viaTexts == [invite.viaTexts[0]], "the ACK of a non-2xx has the INVITE's branch")
        #expect(ack.to.tag == "as5e3f1b2c")
        #expect(ack.cseq.description == "25143 ACK")
        #expect(out[1].message.viaTexts == [Self.aliceVia])
        #expect(out[1].message.to.tag == "as5e3f1b2c")
        #expect(h.media.snapshot().isEmpty)
        #expect(h.proxy.callCount == 0)

        // Alice's ACK for the 487 ends Sotto's server transaction: nothing goes on.
        h.fromA(alice.ackForFailure(toTag: "as5e3f1b2c"))
        #expect(try h.take().isEmpty)
    }

    @Test func cancelBeforeAnyProvisionalResponseIsHeldUntilThe180() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()

        h.fromA(alice.cancel())
        try h.expect(h.take(), ["a: 200 OK"], "RFC 3261 §9.1: no CANCEL before a provisional response")

        h.fromPBX(PBX.response(to: invite, 180, "Ringing"))
        let out = try h.expect(h.take(), ["pbx: CANCEL sip:bob@pbx.test", "a: 180 Ringing"])
        #expect(out[0].message.viaTexts == [invite.viaTexts[0]])
        #expect(out[0].message.cseq.description == "25143 CANCEL")
    }

    @Test func cancelForAnUnknownTransactionGets481() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.cancel())
        let out = try h.expect(h.take(), ["a: 481 Call/Transaction Does Not Exist"])
        #expect(out[0].message.cseq.description == "25143 CANCEL")
    }

    // MARK: Timers

    @Test func timerBAnswers408AndEndsTheMediaSession() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        _ = try h.take()
        #expect(h.media.snapshot().count == 1)

        h.advance(seconds: 31, milliseconds: 999)
        #expect(try h.take().isEmpty, "64 × T1 is 32 s")

        h.advance(seconds: 0, milliseconds: 2)
        let out = try h.expect(h.take(), ["a: 408 Request Timeout"])
        #expect(out[0].message.viaTexts == [Self.aliceVia])
        #expect(out[0].message.cseq.description == "25143 INVITE")
        #expect(h.media.snapshot().isEmpty)
        #expect(h.proxy.callCount == 0)
    }

    @Test func timerFAnswers408ForANonINVITE() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(
            alice.request(
                "MESSAGE", branch: "z9hG4bK7a4c2e9d1b3f5a60", cseq: 1, extra: "Content-Type: text/plain",
                body: "Can you call me back about ticket 4711?"))
        try h.expect(h.take(), ["pbx: MESSAGE sip:bob@pbx.test"], "no 100 Trying for a non-INVITE")

        h.advance(seconds: 31, milliseconds: 999)
        #expect(try h.take().isEmpty)
        h.advance(seconds: 0, milliseconds: 2)
        let out = try h.expect(h.take(), ["a: 408 Request Timeout"])
        #expect(out[0].message.cseq.description == "1 MESSAGE")
    }

    @Test func timerCCancelsAnINVITEThatRingsForTooLong() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()

        // The 180 comes 10 s in and restarts Timer C: it fires 181 s after the 180, not after the INVITE.
        h.advance(seconds: 10)
        h.fromPBX(PBX.response(to: invite, 180, "Ringing"))
        _ = try h.take()
        h.advance(seconds: 180, milliseconds: 999)
        #expect(try h.take().isEmpty, "Timer B does not fire after a provisional; Timer C restarted on the 180")

        h.advance(seconds: 0, milliseconds: 2)
        let out = try h.expect(h.take(), ["pbx: CANCEL sip:bob@pbx.test"])
        #expect(out[0].message.viaTexts == [invite.viaTexts[0]])

        h.fromPBX(PBX.response(to: out[0].message, 200, "OK"))
        h.fromPBX(PBX.response(to: invite, 487, "Request Terminated"))
        try h.expect(h.take(), ["pbx: ACK sip:bob@pbx.test", "a: 487 Request Terminated"])
        #expect(h.media.snapshot().isEmpty)
    }

    /// RFC 3261 §9.1 and §16.7 step 6: when the CANCEL Timer C sent brings no final response within 64 × T1, the
    /// INVITE is given up: Alice gets a final response (408) and the call's media session ends.
    @Test func anINVITEWhoseCANCELIsNeverAnsweredIsGivenUp() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        h.fromPBX(PBX.response(to: invite, 180, "Ringing"))
        _ = try h.take()
        h.advance(seconds: 181, milliseconds: 1)
        try h.expect(h.take(), ["pbx: CANCEL sip:bob@pbx.test"])

        h.advance(seconds: 32, milliseconds: 1)
        try h.expect(h.take(), ["a: 408 Request Timeout"])
        #expect(h.media.snapshot().isEmpty)
        #expect(h.proxy.callCount == 0)
    }

    // MARK: Final responses

    @Test func a2xxRetransmissionIsForwardedAgain() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        let ok = PBX.response(
            to: invite, 200, "OK", sdp: PBX.answer(key: try .generate(for: .aesCM128HMACSHA1_80)))
        h.fromPBX(ok)
        let first = try h.expect(h.take(), ["a: 200 OK"])

        // RFC 6026: the client transaction is Accepted; the retransmission goes to Alice as the first did.
        h.fromPBX(ok)
        let again = try h.expect(h.take(), ["a: 200 OK"])
        #expect(again[0].message == first[0].message)
    }

    /// docs/architecture.md, rule 2: the PBX's key never reaches the softphone, not even in a 2xx retransmitted after
    /// Sotto's transactions ended (RFC 6026 Timer M).
    @Test func a2xxRetransmittedAfterTimerMNeverCarriesThePBXsKeyToAlice() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        let pbxKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        let ok = PBX.response(to: invite, 200, "OK", sdp: PBX.answer(key: pbxKey))
        h.fromPBX(ok)
        _ = try h.take()

        h.advance(seconds: 32, milliseconds: 1)
        h.fromPBX(ok)
        for sent in try h.take() where sent.flow == h.a && !sent.message.body.isEmpty {
            #expect(try !sent.message.inlineKeys().contains(pbxKey.sdesKeyParameter))
            #expect(!String(decoding: sent.message.body, as: UTF8.self).contains("192.0.2.10"))
        }
    }

    @Test func aNon2xxFinalResponseIsACKedBySottoAndForwarded() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()

        h.fromPBX(PBX.response(to: invite, 486, "Busy Here", toTag: "as71c0d4e2"))
        let out = try h.expect(h.take(), ["pbx: ACK sip:bob@pbx.test", "a: 486 Busy Here"])
        let ack = out[0].message
        #expect(ack.viaTexts == [invite.viaTexts[0]])
        #expect(ack.to.tag == "as71c0d4e2")
        #expect(ack.from == invite.from && ack.callID == invite.callID)
        #expect(ack.cseq.description == "25143 ACK")
        #expect(ack.body.isEmpty)
        #expect(out[1].message.viaTexts == [Self.aliceVia])
        #expect(h.media.snapshot().isEmpty)

        h.fromA(alice.ackForFailure(toTag: "as71c0d4e2"))
        #expect(try h.take().isEmpty)
    }

    /// The PBX challenges (407), baresip sends the INVITE again with credentials: a new transaction and a new
    /// media session; the first one is gone.
    @Test func aChallengedINVITESentAgainWithCredentialsMakesANewCall() throws {
        let h = try ProxyHarness()
        var alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        h.fromPBX(
            PBX.response(
                to: invite, 407, "Proxy Authentication Required", toTag: "as1f2e3d4c",
                extra: [#"Proxy-Authenticate: Digest realm="pbx.test",nonce="1722338a51f2c",algorithm=MD5,qop="auth""#])
        )
        try h.expect(h.take(), ["pbx: ACK sip:bob@pbx.test", "a: 407 Proxy Authentication Required"])
        #expect(h.media.snapshot().isEmpty)
        h.fromA(alice.ackForFailure(toTag: "as1f2e3d4c"))
        #expect(try h.take().isEmpty)

        alice.cseq += 1
        h.fromA(alice.invite(branch: "z9hG4bK3d7f1a6c0e2b4d58", sdp: alice.offer()))
        let out = try h.expect(h.take(), ["a: 100 Trying", "pbx: INVITE sip:bob@pbx.test"])
        #expect(out[1].message.cseq.description == "25144 INVITE")
        #expect(h.media.snapshot().count == 1)
        #expect(h.proxy.callCount == 1)
    }

    /// The responses to the requests Sotto makes itself (CANCEL, BYE) carry only Sotto's Via; they must match
    /// their client transactions, not be counted as stray and left to Timer F.
    @Test func responsesToSottosOwnRequestsMatchTheirTransactions() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        h.fromPBX(PBX.response(to: invite, 180, "Ringing"))
        h.fromA(alice.cancel())
        let cancel = try #require(try h.take().last { $0.method == .cancel }).message

        h.fromPBX(PBX.response(to: cancel, 200, "OK"))
        h.fromPBX(PBX.response(to: invite, 487, "Request Terminated"))
        _ = try h.take()
        #expect(h.proxy.counters.strayResponses == 0)
        #expect(h.proxy.transactions.clientCount == 0, "every client transaction ended")
    }
}
