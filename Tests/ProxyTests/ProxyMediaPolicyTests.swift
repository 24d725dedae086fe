// The media policy through the proxy (docs/architecture.md, rules 1 and 2, docs/media-policy.md): no leg without SRTP,
// fresh keys per leg, the relay's address and ports in every SDP Sotto forwards, and the call ended both ways when a
// peer answers without SRTP or the media goes quiet.
import Media
import SDP
import SIP
import SRTP
import Testing
import Transport

@testable import Proxy

@Suite struct ProxyMediaPolicyTests {
    /// An offer Sotto must refuse with 488, and the Warning text it must give.
    enum RefusedOffer: String, CaseIterable, Sendable {
        case plainRTP, noCrypto, suiteOutsideAllowList

        func offer(_ alice: AliceCall) throws -> String {
            switch self {
            case .plainRTP:
                return alice.offer(proto: "RTP/AVP", crypto: "a=ssrc:1859426331 cname:alice@pbx.test")
            case .noCrypto:
                return alice.offer(crypto: "a=ssrc:1859426331 cname:alice@pbx.test")
            case .suiteOutsideAllowList:
                let key = try SRTPKeyMaterial.generate(for: .aes256CMHMACSHA1_80)
                return alice.offer(crypto: "a=crypto:1 AES_256_CM_HMAC_SHA1_80 \(key.sdesKeyParameter)")
            }
        }

        var warning: String {
            switch self {
            case .plainRTP: return #"399 127.0.0.1 "SRTP is required: stream 1 (audio) offers RTP/AVP""#
            case .noCrypto: return #"399 127.0.0.1 "SRTP is required: stream 1 (audio) has no a=crypto line""#
            case .suiteOutsideAllowList:
                return
                    #"399 127.0.0.1 "SRTP is required: stream 1 (audio) offers only suites outside the allow-list (AES_256_CM_HMAC_SHA1_80)""#
            }
        }
    }

    // MARK: Offers

    @Test(arguments: RefusedOffer.allCases)
    func anOfferWithoutUsableSRTPGets488AndGoesNowhere(_ refused: RefusedOffer) throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: try refused.offer(alice)))
        let out = try h.expect(h.take(), ["a: 488 Not Acceptable Here"])
        #expect(out.first?.message.firstValue(of: "Warning") == refused.warning)
        #expect(out.first?.message.viaTexts == [ProxyTransactionTests.aliceVia])
        #expect(h.media.snapshot().isEmpty)
        #expect(h.proxy.callCount == 0)
        #expect(h.proxy.counters.srtpRefusals == 1)

        h.fromA(alice.ackForFailure(toTag: out.first?.message.to.tag ?? ""))
        #expect(try h.take().isEmpty, "the ACK for Sotto's own 488 goes no further")
    }

    @Test func theForwardedOfferNamesTheRelayAndCarriesSottosKeysNotAlices() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        let ports = try h.relayPorts()

        let sdp = try invite.sdp()
        #expect(sdp.connection?.address == "127.0.0.1")
        #expect(sdp.connection(forMedia: 0)?.address == "127.0.0.1")
        #expect(sdp.origin?.address == "127.0.0.1")
        #expect(try #require(sdp.media.first).port == ports.b)
        #expect(try #require(sdp.media.first).proto == "RTP/SAVP")
        #expect(try invite.cryptoSuites() == ["1 AES_CM_128_HMAC_SHA1_80", "2 AES_CM_128_HMAC_SHA1_32"])
        let keys = try invite.inlineKeys()
        #expect(!keys.contains(alice.key.sdesKeyParameter))
        #expect(Set(keys).count == 2)
        #expect(!String(decoding: invite.body, as: UTF8.self).contains(alice.key.sdesKeyParameter.dropFirst(7)))
        #expect(invite.contentLength == invite.body.count)
    }

    @Test func theAnswerToAliceCarriesSottosKeyAndPortNotThePBXs() throws {
        let h = try ProxyHarness()
        let call = try EstablishedCall(h)
        let ports = try h.relayPorts()

        let sdp = try call.okToAlice.sdp()
        #expect(sdp.connection(forMedia: 0)?.address == "127.0.0.1")
        #expect(try #require(sdp.media.first).port == ports.a)
        #expect(try call.okToAlice.cryptoSuites() == ["1 AES_CM_128_HMAC_SHA1_80"])
        let towardAlice = try #require(try call.okToAlice.inlineKeys().first)
        #expect(towardAlice != call.pbxKey.sdesKeyParameter)
        #expect(towardAlice != call.alice.key.sdesKeyParameter)
        #expect(!String(decoding: call.okToAlice.body, as: UTF8.self).contains("192.0.2.10"))

        // Sotto's key toward the PBX (the one the PBX chose, tag 1) is another key again.
        let towardPBX = try #require(try call.forwardedInvite.inlineKeys().first)
        #expect(towardAlice != towardPBX)
        #expect(towardPBX != call.alice.key.sdesKeyParameter && towardPBX != call.pbxKey.sdesKeyParameter)
        let legs = try #require(h.media.snapshot().first?.streams.first)
        #expect(legs.allSatisfy { $0.suite == "AES_CM_128_HMAC_SHA1_80" })
        #expect(legs.first { $0.side == .b }?.declaredPeer == "192.0.2.10:20000")
        #expect(legs.first { $0.side == .a }?.declaredPeer == "127.0.0.1:10000")
    }

    // MARK: Answers without SRTP

    @Test func a200WithoutSRTPIsACKedAndEndedAndAliceGets488() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        h.fromPBX(PBX.response(to: invite, 180, "Ringing"))
        _ = try h.take()

        let plain = PBX.answer(key: try .generate(for: .aesCM128HMACSHA1_80), proto: "RTP/AVP", crypto: "a=rtcp-mux")
        h.fromPBX(PBX.response(to: invite, 200, "OK", sdp: plain))
        let out = try h.expect(
            h.take(),
            [
                "pbx: ACK sip:bob@192.0.2.10:5061;transport=tls", "pbx: BYE sip:bob@192.0.2.10:5061;transport=tls",
                "a: 488 Not Acceptable Here",
            ])
        let ack = out[0].message
        #expect(ack.cseq.description == "25143 ACK" && ack.to.tag == "as5e3f1b2c" && ack.body.isEmpty)
        let bye = out[1].message
        #expect(bye.cseq.description == "25144 BYE" && bye.to.tag == "as5e3f1b2c")
        #expect(bye.firstValue(of: "Reason")?.hasPrefix("SIP;cause=488;") == true)
        #expect(
            out[2].message.firstValue(of: "Warning")
                == #"399 127.0.0.1 "SRTP is required: the answer's stream 1 (audio) answers RTP/AVP""#)
        #expect(out[2].message.body.isEmpty)
        #expect(h.media.snapshot().isEmpty)
        #expect(h.proxy.callCount == 0)

        // The PBX's 200 for the BYE is absorbed.
        h.fromPBX(PBX.response(to: bye, 200, "OK"))
        #expect(try h.take().isEmpty)
    }

    @Test func a183WithoutSRTPIsCancelledAndAliceGets488() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()

        let plain = PBX.answer(key: try .generate(for: .aesCM128HMACSHA1_80), proto: "RTP/AVP", crypto: "a=rtcp-mux")
        h.fromPBX(PBX.response(to: invite, 183, "Session Progress", sdp: plain))
        var out = try h.expect(h.take(), ["pbx: CANCEL sip:bob@pbx.test", "a: 488 Not Acceptable Here"])
        #expect(out[0].message.viaTexts == [invite.viaTexts[0]])
        #expect(out[1].message.firstValue(of: "Warning")?.contains("SRTP is required") == true)
        #expect(h.media.snapshot().isEmpty)
        #expect(h.proxy.callCount == 0)

        // The 487 that follows is ACKed and goes no further: Alice has her final response.
        h.fromPBX(PBX.response(to: invite, 487, "Request Terminated"))
        out = try h.expect(h.take(), ["pbx: ACK sip:bob@pbx.test"])
    }

    // MARK: Re-offers and late offers

    @Test func aReINVITEWithTheSameSDPKeepsSottosKeysTowardEachSide() throws {
        let h = try ProxyHarness()
        var call = try EstablishedCall(h)
        let ports = try h.relayPorts()
        let towardPBX = try #require(try call.forwardedInvite.inlineKeys().first)
        let towardAlice = try #require(try call.okToAlice.inlineKeys().first)

        call.alice.cseq += 1
        h.fromA(call.alice.invite(branch: "z9hG4bK6e2d4c1a0b9f8e73", sdp: call.alice.offer()))
        var out = try h.expect(h.take(), ["a: 100 Trying", "pbx: INVITE sip:bob@192.0.2.10:5061;transport=tls"])
        let reinvite = out[1].message
        #expect(try reinvite.cryptoSuites().first == "1 AES_CM_128_HMAC_SHA1_80")
        #expect(try reinvite.inlineKeys().first == towardPBX, "RFC 4568 §7.1.4: the key and its context are kept")
        #expect(try reinvite.audio().port == ports.b)

        h.fromPBX(PBX.response(to: reinvite, 200, "OK", sdp: PBX.answer(key: call.pbxKey)))
        out = try h.expect(h.take(), ["a: 200 OK"])
        #expect(try out[0].message.inlineKeys() == [towardAlice])
        #expect(try out[0].message.audio().port == ports.a)
        #expect(h.media.snapshot().count == 1)
    }

    /// Re-INVITE glare (RFC 3261 §14.1): the PBX's own re-INVITE crosses Alice's. The SDP in a request is an offer,
    /// never the answer to Alice's pending one: it goes to Alice as an offer (Sotto's key for each allowed suite),
    /// and the legs keep their keys until it is answered.
    @Test func aReINVITEFromThePBXCrossingAlicesIsAnOfferNotTheAnswer() throws {
        let h = try ProxyHarness()
        var call = try EstablishedCall(h)
        call.alice.cseq += 1
        h.fromA(call.alice.invite(branch: "z9hG4bK6e2d4c1a0b9f8e73", sdp: call.alice.offer()))
        try h.expect(h.take(), ["a: 100 Trying", "pbx: INVITE sip:bob@192.0.2.10:5061;transport=tls"])

        let newPBXKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        h.fromPBX(
            PBX.request(
                "INVITE", uri: "sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls",
                route: "<sip:\(h.token(h.a))@127.0.0.1:5061;transport=tls;lr>",
                branch: "z9hG4bK-524287-1---7b9d1f3e5a2c4e68", callID: call.alice.callID, cseq: 1,
                fromTag: "as5e3f1b2c", toTag: call.alice.fromTag, body: PBX.offer(key: newPBXKey)))
        let out = try h.expect(
            h.take(), ["pbx: 100 Trying", "a: INVITE sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls"])
        let suites = try out[1].message.cryptoSuites()
        #expect(suites == ["1 AES_CM_128_HMAC_SHA1_80", "2 AES_CM_128_HMAC_SHA1_32"])
        #expect(try !out[1].message.inlineKeys().contains(newPBXKey.sdesKeyParameter))
    }

    @Test func aLateOfferIsRelayedWithTheAnswerInTheACK() throws {
        let h = try ProxyHarness()
        var alice = try AliceCall()
        h.fromA(alice.invite(sdp: nil))
        var out = try h.expect(h.take(), ["a: 100 Trying", "pbx: INVITE sip:bob@pbx.test"])
        let invite = out[1].message
        #expect(invite.body.isEmpty)
        #expect(h.media.snapshot().isEmpty)

        let pbxKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        h.fromPBX(PBX.response(to: invite, 200, "OK", sdp: PBX.offer(key: pbxKey)))
        out = try h.expect(h.take(), ["a: 200 OK"])
        let ports = try h.relayPorts()
        let offer = out[0].message
        #expect(try offer.sdp().connection(forMedia: 0)?.address == "127.0.0.1")
        #expect(try offer.audio().port == ports.a)
        #expect(try offer.cryptoSuites() == ["1 AES_CM_128_HMAC_SHA1_80", "2 AES_CM_128_HMAC_SHA1_32"])
        #expect(try !offer.inlineKeys().contains(pbxKey.sdesKeyParameter))
        alice.learnDialog(from: offer)

        h.fromA(alice.request("ACK", branch: "z9hG4bK8c7b6a5d4e3f2a19", body: alice.offer()))
        out = try h.expect(h.take(), ["pbx: ACK sip:bob@192.0.2.10:5061;transport=tls"])
        let answer = out[0].message
        #expect(try answer.sdp().connection(forMedia: 0)?.address == "127.0.0.1")
        #expect(try answer.audio().port == ports.b)
        #expect(try answer.cryptoSuites() == ["1 AES_CM_128_HMAC_SHA1_80"])
        let towardPBX = try #require(try answer.inlineKeys().first)
        #expect(towardPBX != alice.key.sdesKeyParameter && towardPBX != pbxKey.sdesKeyParameter)
        #expect(try !offer.inlineKeys().contains(towardPBX))
        let legs = try #require(h.media.snapshot().first?.streams.first)
        #expect(legs.allSatisfy { $0.suite == "AES_CM_128_HMAC_SHA1_80" })
    }

    /// A late-offer call whose answer in the ACK has no SRTP: the dialog is up on both sides, so it ends with
    /// BYE both ways.
    @Test func aLateOfferAnsweredWithoutSRTPInTheACKEndsWithBYEBothWays() throws {
        let h = try ProxyHarness()
        var alice = try AliceCall()
        h.fromA(alice.invite(sdp: nil))
        let invite = try h.forwardedINVITE()
        h.fromPBX(PBX.response(to: invite, 200, "OK", sdp: PBX.offer(key: try .generate(for: .aesCM128HMACSHA1_80))))
        alice.learnDialog(from: try h.expect(h.take(), ["a: 200 OK"])[0].message)

        h.fromA(
            alice.request(
                "ACK", branch: "z9hG4bK8c7b6a5d4e3f2a19", body: alice.offer(proto: "RTP/AVP", crypto: "a=rtcp-mux")))
        let byes = try h.expect(
            h.take().filter { $0.method == .bye },
            [
                "a: BYE sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls",
                "pbx: BYE sip:bob@192.0.2.10:5061;transport=tls",
            ])
        for bye in byes {
            #expect(bye.message.firstValue(of: "Reason")?.hasPrefix("SIP;cause=488;") == true)
            #expect(bye.message.callID == alice.callID)
        }
        #expect(byes.first?.message.from.tag == "as5e3f1b2c" && byes.first?.message.to.tag == alice.fromTag)
        #expect(byes.last?.message.from.tag == alice.fromTag && byes.last?.message.to.tag == "as5e3f1b2c")
        #expect(h.media.snapshot().isEmpty)
        #expect(h.proxy.callCount == 0)
    }

    /// The PBX's 2xx is answered end to end by the ACK (RFC 3261 §13.2.2.4) even when that ACK's answer is refused:
    /// Sotto sends the PBX an ACK without Alice's plain-RTP answer before its BYE, so the PBX stops retransmitting
    /// the 2xx, and no SDP without SRTP reaches it.
    @Test func aLateOfferRefusedInTheACKStillACKsThePBXs2xx() throws {
        let h = try ProxyHarness()
        var alice = try AliceCall()
        h.fromA(alice.invite(sdp: nil))
        let invite = try h.forwardedINVITE()
        h.fromPBX(PBX.response(to: invite, 200, "OK", sdp: PBX.offer(key: try .generate(for: .aesCM128HMACSHA1_80))))
        alice.learnDialog(from: try h.expect(h.take(), ["a: 200 OK"])[0].message)

        h.fromA(
            alice.request(
                "ACK", branch: "z9hG4bK8c7b6a5d4e3f2a19", body: alice.offer(proto: "RTP/AVP", crypto: "a=rtcp-mux")))
        let toPBX = try h.take().filter { $0.flow == h.pbx }
        #expect(toPBX.map(\.method) == [.ack, .bye])
        #expect(toPBX.first?.message.body.isEmpty == true)
    }

    /// After a late-offer call ended because Alice's answer had no SRTP, the PBX retransmits its 2xx and Alice
    /// acknowledges it again, with the same plain-RTP answer: that SDP must not reach the PBX either.
    @Test func noACKCarriesAnAnswerWithoutSRTPToThePBX() throws {
        let h = try ProxyHarness()
        var alice = try AliceCall()
        h.fromA(alice.invite(sdp: nil))
        let invite = try h.forwardedINVITE()
        let ok = PBX.response(to: invite, 200, "OK", sdp: PBX.offer(key: try .generate(for: .aesCM128HMACSHA1_80)))
        h.fromPBX(ok)
        alice.learnDialog(from: try h.expect(h.take(), ["a: 200 OK"])[0].message)
        let plainACK = alice.request(
            "ACK", branch: "z9hG4bK8c7b6a5d4e3f2a19", body: alice.offer(proto: "RTP/AVP", crypto: "a=rtcp-mux"))
        h.fromA(plainACK)
        _ = try h.take()

        h.fromPBX(ok)
        h.fromA(
            alice.request(
                "ACK", branch: "z9hG4bK0d9c8b7a6f5e4d32", body: alice.offer(proto: "RTP/AVP", crypto: "a=rtcp-mux")))
        for sent in try h.take() where sent.flow == h.pbx {
            #expect(sent.message.body.isEmpty, "\(sent.message.method) carries Alice's plain-RTP SDP to the PBX")
        }
    }

    /// A re-INVITE without SDP that belongs to no call Sotto knows (a session refresh crossing the BYE, or after a
    /// restart): the PBX's offer in the 2xx must still pass the media policy, never reach Alice with its key.
    @Test func anOfferInThe2xxToARequestWithoutACallNeverReachesAliceUnchecked() throws {
        let h = try ProxyHarness()
        var alice = try AliceCall()
        alice.toTag = "as5e3f1b2c"
        alice.remoteTarget = "sip:bob@192.0.2.10:5061;transport=tls"
        alice.routeSet = ["<sip:\(h.token(h.a))@127.0.0.1:5061;transport=tls;lr>"]
        alice.cseq += 5
        h.fromA(alice.invite(branch: "z9hG4bK5f4e3d2c1b0a9f87", sdp: nil))
        let out = try h.take()
        guard let reinvite = out.first(where: { $0.flow == h.pbx })?.message else { return }  // refused: fine

        let pbxKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        h.fromPBX(PBX.response(to: reinvite, 200, "OK", sdp: PBX.offer(key: pbxKey)))
        for sent in try h.take() where sent.flow == h.a && !sent.message.body.isEmpty {
            #expect(try !sent.message.inlineKeys().contains(pbxKey.sdesKeyParameter))
            #expect(!String(decoding: sent.message.body, as: UTF8.self).contains("192.0.2.10"))
        }
    }

    // MARK: Media timeout

    @Test func aMediaTimeoutEndsTheCallWithBYEToBothSides() throws {
        let h = try ProxyHarness()
        let call = try EstablishedCall(h)

        // The engine's idle sweep (MediaTests) ends the session by itself; the proxy hears of it.
        h.media.endByItself(end: .idle)

        let out = try h.expect(
            h.take(),
            [
                "a: BYE sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls",
                "pbx: BYE sip:bob@192.0.2.10:5061;transport=tls",
            ])
        for bye in out {
            #expect(bye.message.firstValue(of: "Reason") == #"SIP;cause=408;text="media timeout""#)
            #expect(bye.message.callID == call.alice.callID)
            #expect(bye.message.via.count == 1 && bye.message.via[0].port == 5061)
        }
        let toAlice = out[0].message
        #expect(toAlice.from.tag == "as5e3f1b2c" && toAlice.to.tag == call.alice.fromTag)
        let toPBX = out[1].message
        #expect(toPBX.from.tag == call.alice.fromTag && toPBX.to.tag == "as5e3f1b2c")
        #expect(toPBX.cseq.description == "25144 BYE")
        #expect(h.media.snapshot().isEmpty)
        #expect(h.proxy.callCount == 0)
    }

    /// A session whose sockets could not join their media loop ends by itself (`failed`). A call still ringing is
    /// given up both ways, since its SDP named ports that are free again: CANCEL toward the PBX once it has sent a
    /// provisional, and 503 to Alice.
    @Test func aMediaFailureWhileRingingCancelsDownstreamAndAnswers503() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        h.fromPBX(PBX.response(to: invite, 180, "Ringing"))
        try h.expect(h.take(), ["a: 180 Ringing"])

        h.media.endByItself(end: .failed)
        let out = try h.expect(h.take(), ["pbx: CANCEL sip:bob@pbx.test", "a: 503 Service Unavailable"])
        #expect(out[1].message.firstValue(of: "Warning")?.contains("could not relay the call's media") == true)
        #expect(h.proxy.callCount == 0)
    }

    /// The same failure on an established call ends it with BYE both ways.
    @Test func aMediaFailureOnAnEstablishedCallEndsItWithBYEBothWays() throws {
        let h = try ProxyHarness()
        _ = try EstablishedCall(h)
        h.media.endByItself(end: .failed)
        let out = try h.expect(
            h.take(),
            [
                "a: BYE sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls",
                "pbx: BYE sip:bob@192.0.2.10:5061;transport=tls",
            ])
        #expect(out.allSatisfy { $0.message.firstValue(of: "Reason")?.hasPrefix("SIP;cause=500") == true })
        #expect(h.proxy.callCount == 0)
    }
}
