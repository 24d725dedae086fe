// Routing and flows (RFC 3261 §16.3–16.6, RFC 3327 Path, RFC 5626-style flow tokens): where each request goes,
// what Sotto refuses and with which response, and what happens when a connection goes away.
import Media
import SDP
import SIP
import SRTP
import Testing
import Transport

@testable import Proxy

@Suite struct ProxyRoutingTests {
    /// baresip registering through Sotto (RFC 5626 outbound: instance id and reg-id).
    static func register(branch: String = "z9hG4bK62f0a9c1d4e37b85") -> [UInt8] {
        SIPText.wire(
            """
            REGISTER sip:pbx.test SIP/2.0
            Via: SIP/2.0/TLS 127.0.0.1:5062;branch=\(branch);rport
            Contact: <sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls>;+sip.instance="<urn:uuid:3c8a1f0e-5b2d-4e6f-9a71-0d4c2b8e6f13>";reg-id=1;expires=600
            Max-Forwards: 70
            To: <sip:alice@pbx.test>
            From: <sip:alice@pbx.test>;tag=0e3b9c7a5d21f486
            Call-ID: 4b1e7d2c9a0f3e68@127.0.0.1
            CSeq: 18305 REGISTER
            Route: <sip:127.0.0.1:5061;transport=tls;lr>
            Supported: path,outbound,gruu
            User-Agent: baresip v3.10.1 (x86_64/linux)
            Allow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,SUBSCRIBE,INFO,MESSAGE,UPDATE,REFER
            """)
    }

    /// A MESSAGE the PBX sends to Alice, with her flow token in the Route (from the Path it stored).
    static func messageToAlice(route: String?, uri: String = "sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls")
        -> [UInt8]
    {
        PBX.request(
            "MESSAGE", uri: uri, route: route, extra: ["Content-Type: text/plain"],
            body: "Your queue has 3 waiting callers")
    }

    // MARK: Flows and tokens

    @Test func registerGoesToThePBXWithAPathNamingAlicesFlow() throws {
        let h = try ProxyHarness()
        h.fromA(Self.register())
        var out = try h.expect(h.take(), ["pbx: REGISTER sip:pbx.test"])
        let register = out[0].message
        #expect(
            register.headers(named: "Path").map(\.value) == ["<sip:\(h.token(h.a))@127.0.0.1:5061;transport=tls;lr;ob>"]
        )
        #expect(register.headers(named: "Record-Route").isEmpty)
        #expect(register.headers(named: "Route").isEmpty)
        #expect(register.via.count == 2 && register.via[0].branch?.hasPrefix("z9hG4bK-st-") == true)
        #expect(h.token(h.a).count == 20)

        h.fromPBX(PBX.response(to: register, 200, "OK", extra: ["Expires: 600"]))
        out = try h.expect(h.take(), ["a: 200 OK"])
        #expect(out[0].message.cseq.description == "18305 REGISTER")
    }

    @Test func aPBXRequestRoutedToAlicesTokenIsDeliveredOnHerFlowWithoutThatRoute() throws {
        let h = try ProxyHarness()
        h.fromPBX(Self.messageToAlice(route: "<sip:\(h.token(h.a))@127.0.0.1:5061;transport=tls;lr>"))
        var out = try h.expect(h.take(), ["a: MESSAGE sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls"])
        let message = out[0].message
        #expect(message.headers(named: "Route").isEmpty)
        #expect(message.via.count == 2)
        #expect(message.via[0].host == "127.0.0.1" && message.via[0].port == 5061)
        #expect(message.maxForwards == 69)
        #expect(String(decoding: message.body, as: UTF8.self) == "Your queue has 3 waiting callers")

        h.fromA(
            SIPText.wire(
                """
                SIP/2.0 200 OK
                \(message.headers(named: "Via").map { "Via: \($0.value)" }.joined(separator: "\n"))
                From: \(message.firstValue(of: "From") ?? "")
                To: \(message.firstValue(of: "To") ?? "");tag=5f1c0a9e2d7b
                Call-ID: \(message.callID)
                CSeq: 102 MESSAGE
                User-Agent: baresip v3.10.1 (x86_64/linux)
                """))
        out = try h.expect(h.take(), ["pbx: 200 OK"])
        #expect(out[0].message.via.count == 1 && out[0].message.via[0].host == "192.0.2.10")
    }

    @Test func anUnknownTokenGets430FlowFailed() throws {
        let h = try ProxyHarness()
        h.fromPBX(Self.messageToAlice(route: "<sip:0123456789abcdefghij@127.0.0.1:5061;transport=tls;lr>"))
        let out = try h.expect(h.take(), ["pbx: 430 Flow Failed"])
        #expect(out[0].message.firstValue(of: "Warning")?.hasPrefix("399 127.0.0.1 ") == true)
        #expect(h.proxy.counters.flowFailed == 1)
    }

    @Test func aTokenOfAClosedFlowGets430FlowFailed() throws {
        let h = try ProxyHarness()
        let route = "<sip:\(h.token(h.a))@127.0.0.1:5061;transport=tls;lr>"
        h.proxy.closeFlow(h.a)
        h.fromPBX(Self.messageToAlice(route: route))
        try h.expect(h.take(), ["pbx: 430 Flow Failed"])
    }

    @Test func aPBXRequestThatNamesNoFlowGets404() throws {
        let h = try ProxyHarness()
        h.fromPBX(Self.messageToAlice(route: nil, uri: "sip:alice@192.0.2.50:5062;transport=tls"))
        let out = try h.expect(h.take(), ["pbx: 404 Not Found"])
        #expect(out[0].message.to.tag != nil)
    }

    @Test func aSoftphoneRequestWithoutAnUpstreamConnectionGets503() throws {
        let h = try ProxyHarness(upstream: false)
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let out = try h.expect(h.take(), ["a: 503 Service Unavailable"])
        #expect(out[0].message.firstValue(of: "Warning") == #"399 127.0.0.1 "the PBX is not reachable""#)
        #expect(h.media.snapshot().isEmpty)
        #expect(h.proxy.callCount == 0)
    }

    // MARK: Requests Sotto answers itself

    @Test func optionsToSottoItselfIsAnsweredLocallyWithAllow() throws {
        let h = try ProxyHarness()
        h.fromPBX(PBX.request("OPTIONS", uri: "sip:127.0.0.1:5061", route: nil, extra: ["Accept: application/sdp"]))
        let out = try h.expect(h.take(), ["pbx: 200 OK"])
        let ok = out[0].message
        #expect(ok.firstValue(of: "Allow") == SIPProxy.allow)
        #expect(ok.firstValue(of: "Allow")?.contains("INVITE") == true)
        #expect(ok.cseq.description == "102 OPTIONS")
        #expect(ok.to.tag != nil)
        #expect(
            ok.viaTexts == ["SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK-524287-1---3f0c2b9ad1e84c67;received=127.0.0.2"]
        )
    }

    @Test func maxForwardsZeroGets483() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(maxForwards: 0, sdp: alice.offer()))
        try h.expect(h.take(), ["a: 483 Too Many Hops"])
        #expect(h.media.snapshot().isEmpty)
        #expect(h.proxy.callCount == 0)
    }

    @Test func aRequestThatComesBackWithSottosViaAndTheSameHashIsALoop() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        var looped = try h.forwardedINVITE()
        try looped.insertVia(SIPVia(parsing: "SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bK44e0c2a8b6d1f397;rport"))

        h.fromA(looped.serialized())
        let out = try h.expect(h.take(), ["a: 482 Loop Detected"])
        #expect(out[0].message.via.first?.branch == "z9hG4bK44e0c2a8b6d1f397")
        #expect(h.proxy.counters.loopsDetected == 1)
        #expect(h.media.snapshot().count == 1, "the looped copy makes no media session of its own")
    }

    /// A → Sotto → PBX → Sotto → B: the second pass has another Request-URI and Route set, so it is no loop; each
    /// traversal has its own media session.
    @Test func aCallBetweenTwoAgentsThroughThePBXIsNotALoop() throws {
        let h = try ProxyHarness()
        let bFlow = h.openB()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let first = try h.forwardedINVITE()
        #expect(h.media.snapshot().count == 1)

        // The PBX proxies it to Bob's registered contact, through the Path it stored for Bob's flow.
        var toBob = first
        try toBob.setRequestURI(SIPURI(parsing: "sip:bob-0x7f3a9c10@127.0.0.1:5064;transport=tls"))
        try toBob.insertVia(SIPVia(parsing: "SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK-524287-1---8d2e4f6a1c3b5d70"))
        try toBob.setMaxForwards(68)
        let recordRoute = try #require(toBob.headers.firstIndex { $0.hasName("Record-Route") })
        try toBob.insertHeader(
            SIPHeader(name: "Record-Route", value: "<sip:192.0.2.10:5061;transport=tls;lr>"), at: recordRoute)
        try toBob.insertHeader(
            SIPHeader(name: "Route", value: "<sip:\(h.token(bFlow))@127.0.0.1:5061;transport=tls;lr>"),
            afterFirst: "Max-Forwards")
        h.fromPBX(toBob.serialized())

        let out = try h.expect(
            h.take(), ["pbx: 100 Trying", "b: INVITE sip:bob-0x7f3a9c10@127.0.0.1:5064;transport=tls"])
        let second = try #require(out.last).message
        #expect(second.via.count == 4)
        #expect(second.viaTexts.dropFirst(2).first == first.viaTexts[0], "the first pass's Via is still in the list")
        #expect(second.headers(named: "Route").isEmpty)
        #expect(
            second.headers(named: "Record-Route").map(\.value) == [
                "<sip:\(h.token(bFlow))@127.0.0.1:5061;transport=tls;lr>", "<sip:192.0.2.10:5061;transport=tls;lr>",
                "<sip:\(h.token(h.a))@127.0.0.1:5061;transport=tls;lr>",
            ])
        #expect(h.proxy.counters.loopsDetected == 0)
        #expect(h.media.snapshot().count == 2)
        #expect(h.proxy.callCount == 2)
        // Bob gets keys Sotto made for his leg, not the ones Sotto gave the PBX.
        #expect(try Set(second.inlineKeys()).isDisjoint(with: first.inlineKeys()))
        #expect(try second.audio().port == h.relayPorts(session: 1).a)

        // Bob answers; the 200 goes back to the PBX, which sends it on to Sotto's first pass, and so to Alice.
        let bob = try AliceCall()
        h.fromB(
            SIPText.response(
                to: second, 200, "OK", toTag: "d81f2e6a", contact: "<sip:bob-0x7f3a9c10@127.0.0.1:5064;transport=tls>",
                product: "User-Agent: baresip v3.10.1 (x86_64/linux)", sdp: bob.offer(port: 10002)))
        var okToPBX = try h.expect(h.take(), ["pbx: 200 OK"])[0].message
        #expect(okToPBX.via.count == 3)
        #expect(try okToPBX.audio().port == h.relayPorts(session: 1).b)
        #expect(try !okToPBX.inlineKeys().contains(bob.key.sdesKeyParameter))
        try okToPBX.removeFirstVia()
        h.fromPBX(okToPBX.serialized())
        let okToAlice = try h.expect(h.take(), ["a: 200 OK"])[0].message
        #expect(okToAlice.viaTexts == [ProxyTransactionTests.aliceVia])
        #expect(try okToAlice.audio().port == h.relayPorts(session: 0).a)
        let keysSeen = try Set(first.inlineKeys() + second.inlineKeys() + okToPBX.inlineKeys())
        #expect(try keysSeen.isDisjoint(with: okToAlice.inlineKeys()), "every leg has its own key")
        #expect(try !okToAlice.inlineKeys().contains(bob.key.sdesKeyParameter))
    }

    // MARK: Calls from the PBX to an agent

    static let aliceContact = "sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls"

    /// The usual case in a contact centre: the PBX sends a queue call to Alice through the Path it stored for her.
    @Test func aCallFromThePBXReachesAliceOverHerFlowAndIsAnswered() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        let pbxKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        let recordRoute = "<sip:\(h.token(h.a))@127.0.0.1:5061;transport=tls;lr>"
        h.fromPBX(
            PBX.request(
                "INVITE", uri: Self.aliceContact, route: "<sip:\(h.token(h.a))@127.0.0.1:5061;transport=tls;lr;ob>",
                body: PBX.offer(key: pbxKey)))
        let invite = try h.expect(h.take(), ["pbx: 100 Trying", "a: INVITE \(Self.aliceContact)"])[1].message
        #expect(invite.headers(named: "Route").isEmpty)
        #expect(invite.firstValue(of: "Record-Route") == recordRoute)
        #expect(invite.via.count == 2 && invite.via.first?.port == 5061)
        let ports = try h.relayPorts()
        #expect(try invite.audio().port == ports.a)
        #expect(try invite.sdp().connection(forMedia: 0)?.address == "127.0.0.1")
        #expect(try invite.cryptoSuites() == ["1 AES_CM_128_HMAC_SHA1_80", "2 AES_CM_128_HMAC_SHA1_32"])
        #expect(try !invite.inlineKeys().contains(pbxKey.sdesKeyParameter))

        h.fromA(alice.response(to: invite, 180, "Ringing"))
        try h.expect(h.take(), ["pbx: 180 Ringing"])
        h.fromA(alice.response(to: invite, 200, "OK", sdp: alice.offer()))
        let ok = try h.expect(h.take(), ["pbx: 200 OK"])[0].message
        #expect(
            ok.viaTexts == ["SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK-524287-1---3f0c2b9ad1e84c67;received=127.0.0.2"]
        )
        #expect(ok.firstValue(of: "Record-Route") == recordRoute)
        #expect(try ok.audio().port == ports.b)
        #expect(try ok.cryptoSuites() == ["1 AES_CM_128_HMAC_SHA1_80"])
        #expect(try !ok.inlineKeys().contains(alice.key.sdesKeyParameter))
        #expect(try ok.inlineKeys().first != invite.inlineKeys().first)

        // The PBX's ACK and BYE follow the route set to Alice's flow.
        h.fromPBX(
            PBX.request(
                "ACK", uri: Self.aliceContact, route: recordRoute, branch: "z9hG4bK-524287-1---5e7a9c1b3d2f4a60",
                toTag: "8b3e1f0a"))
        try h.expect(h.take(), ["a: ACK \(Self.aliceContact)"])
        h.fromPBX(
            PBX.request(
                "BYE", uri: Self.aliceContact, route: recordRoute, branch: "z9hG4bK-524287-1---0c2e4a6b8d1f3e57",
                cseq: 103, toTag: "8b3e1f0a"))
        let bye = try h.expect(h.take(), ["a: BYE \(Self.aliceContact)"])[0].message
        #expect(bye.headers(named: "Route").isEmpty)
        #expect(h.media.snapshot().isEmpty)
        h.fromA(alice.response(to: bye, 200, "OK"))
        try h.expect(h.take(), ["pbx: 200 OK"])
    }

    @Test func aCallFromThePBXCancelledWhileAliceRings() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        let route = "<sip:\(h.token(h.a))@127.0.0.1:5061;transport=tls;lr;ob>"
        h.fromPBX(
            PBX.request(
                "INVITE", uri: Self.aliceContact, route: route,
                body: PBX.offer(key: try .generate(for: .aesCM128HMACSHA1_80))))
        let invite = try h.expect(h.take(), ["pbx: 100 Trying", "a: INVITE \(Self.aliceContact)"])[1].message
        h.fromA(alice.response(to: invite, 180, "Ringing"))
        try h.expect(h.take(), ["pbx: 180 Ringing"])

        h.fromPBX(PBX.request("CANCEL", uri: Self.aliceContact, route: route))
        let cancel = try h.expect(h.take(), ["pbx: 200 OK", "a: CANCEL \(Self.aliceContact)"])[1].message
        #expect(cancel.viaTexts == [invite.viaTexts[0]])
        #expect(cancel.cseq.description == "102 CANCEL")

        h.fromA(alice.response(to: invite, 487, "Request Terminated"))
        let out = try h.expect(h.take(), ["a: ACK \(Self.aliceContact)", "pbx: 487 Request Terminated"])
        #expect(out[0].message.viaTexts == [invite.viaTexts[0]])
        #expect(out[0].message.to.tag == "8b3e1f0a")
        #expect(h.media.snapshot().isEmpty)
        #expect(h.proxy.callCount == 0)
    }

    // MARK: Bad input

    struct Malformed: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let reason: String
        var testDescription: String { name }
    }

    static let malformed: [Malformed] = [
        Malformed(
            name: "CSeq without a number",
            bytes: SIPText.wire(
                """
                OPTIONS sip:bob@pbx.test SIP/2.0
                Via: SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bK2a6c8e0f1b3d5a79;rport
                Max-Forwards: 70
                To: <sip:bob@pbx.test>
                From: "Alice" <sip:alice@pbx.test>;tag=61d0b3f8
                Call-ID: 2f9d0c8b7a6e5d4c@127.0.0.1
                CSeq: one OPTIONS
                """),
            reason: "Bad Request (the CSeq number must be a decimal below 2^31)"),
        Malformed(
            name: "top Via without a branch",
            bytes: SIPText.wire(
                """
                OPTIONS sip:bob@pbx.test SIP/2.0
                Via: SIP/2.0/TLS 127.0.0.1:5062;rport
                Max-Forwards: 70
                To: <sip:bob@pbx.test>
                From: "Alice" <sip:alice@pbx.test>;tag=61d0b3f8
                Call-ID: 2f9d0c8b7a6e5d4c@127.0.0.1
                CSeq: 7 OPTIONS
                """),
            reason: "Bad Request (the top Via has no branch)"),
    ]

    @Test(arguments: malformed)
    func aMalformedRequestGets400SayingWhatIsWrong(_ input: Malformed) throws {
        let h = try ProxyHarness()
        h.fromA(input.bytes)
        // Read as text: a 400 may echo the very header that does not parse.
        let out = h.transport.takeText()
        #expect(out.map(\.flow) == [h.a])
        let lines = out.first?.text.split(separator: "\r\n").map(String.init) ?? []
        #expect(lines.first == "SIP/2.0 400 \(input.reason)")
        #expect(lines.contains("Call-ID: 2f9d0c8b7a6e5d4c@127.0.0.1"))
        // The stream carries on: the next request is handled.
        h.fromA(Self.register())
        try h.expect(h.take(), ["pbx: REGISTER sip:pbx.test"])
    }

    @Test func theTopViaLearnsReceivedAndRPortWhenTheSenderAsks() throws {
        let h = try ProxyHarness()
        // Alice asks with ;rport: received and rport are filled in.
        h.fromA(Self.register())
        let register = try h.expect(h.take(), ["pbx: REGISTER sip:pbx.test"])[0].message
        #expect(
            register.viaTexts.dropFirst(1).first
                == "SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bK62f0a9c1d4e37b85;received=127.0.0.1;rport=5062")

        // The PBX does not ask, and its Via names another address: received only (RFC 3261 §18.2.1).
        h.fromPBX(Self.messageToAlice(route: "<sip:\(h.token(h.a))@127.0.0.1:5061;transport=tls;lr>"))
        let message = try h.expect(h.take(), ["a: MESSAGE sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls"])[0]
            .message
        #expect(
            message.viaTexts.dropFirst(1).first
                == "SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK-524287-1---3f0c2b9ad1e84c67;received=127.0.0.2")
    }

    // MARK: Lost connections and draining

    @Test func aSoftphoneLostDuringACallSendsBYEToThePBXAndEndsTheMedia() throws {
        let h = try ProxyHarness()
        let call = try EstablishedCall(h)
        #expect(h.media.snapshot().count == 1)

        h.proxy.closeFlow(h.a)
        let out = try h.expect(h.take(), ["pbx: BYE sip:bob@192.0.2.10:5061;transport=tls"])
        let bye = out[0].message
        #expect(bye.firstValue(of: "Reason") == #"SIP;cause=480;text="the softphone's connection to Sotto was lost""#)
        #expect(bye.from.tag == call.alice.fromTag && bye.to.tag == "as5e3f1b2c")
        #expect(bye.callID == call.alice.callID)
        #expect(bye.cseq.description == "25144 BYE")
        #expect(bye.via.count == 1 && bye.via[0].host == "127.0.0.1" && bye.via[0].port == 5061)
        #expect(bye.headers(named: "Route").isEmpty)
        #expect(h.media.snapshot().isEmpty)
        #expect(h.proxy.callCount == 0)

        h.fromPBX(PBX.response(to: bye, 200, "OK"))
        #expect(try h.take().isEmpty)
    }

    /// Losing the PBX connection while an INVITE is pending answers Alice, and the call attempt (its media ports)
    /// ends with it: no final response can come any more.
    @Test func theUpstreamLostDuringSetupAnswersAliceAndFreesTheMedia() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        h.fromPBX(PBX.response(to: invite, 180, "Ringing"))
        _ = try h.take()

        h.proxy.closeFlow(h.pbx)
        let out = try h.take()
        #expect(out.count == 1 && out.first?.flow == h.a && (out.first?.status ?? 0) >= 400, "\(h.summary(out))")
        #expect(h.media.snapshot().isEmpty)
        #expect(h.proxy.callCount == 0)
    }

    @Test func drainingRefusesNewINVITEsButPassesInDialogRequests() throws {
        let h = try ProxyHarness()
        var call = try EstablishedCall(h)
        h.proxy.startDraining()

        var newcomer = try AliceCall()
        newcomer.callID = "0a1b2c3d4e5f6a7b8c9d@127.0.0.1"
        newcomer.fromTag = "c4d5e6f7a8b9"
        h.fromA(newcomer.invite(branch: "z9hG4bK0f9e8d7c6b5a4938", sdp: newcomer.offer()))
        var out = try h.expect(h.take(), ["a: 503 Service Unavailable"])
        #expect(out[0].message.firstValue(of: "Warning") == #"399 127.0.0.1 "Sotto is shutting down""#)
        #expect(h.media.snapshot().count == 1)

        // A re-INVITE (hold) and the BYE of the call in progress pass.
        call.alice.cseq += 1
        h.fromA(call.alice.invite(branch: "z9hG4bK9b8a7c6d5e4f3a21", sdp: call.alice.offer()))
        out = try h.expect(h.take(), ["a: 100 Trying", "pbx: INVITE sip:bob@192.0.2.10:5061;transport=tls"])
        h.fromPBX(PBX.response(to: out[1].message, 200, "OK", sdp: PBX.answer(key: call.pbxKey)))
        try h.expect(h.take(), ["a: 200 OK"])

        call.alice.cseq += 1
        h.fromA(call.alice.request("BYE", branch: "z9hG4bK1a2b3c4d5e6f7a8b"))
        try h.expect(h.take(), ["pbx: BYE sip:bob@192.0.2.10:5061;transport=tls"])
        #expect(h.media.snapshot().isEmpty)
    }

    @Test func aNewINVITEBeyondTheCallLimitGets503() throws {
        let h = try ProxyHarness { $0.maxCalls = 1 }
        _ = try EstablishedCall(h)

        var second = try AliceCall()
        second.callID = "5e6f7a8b9c0d1e2f3a4b@127.0.0.1"
        h.fromA(second.invite(branch: "z9hG4bK2b4d6f8a0c1e3a57", sdp: second.offer()))
        let out = try h.expect(h.take(), ["a: 503 Service Unavailable"])
        #expect(out[0].message.firstValue(of: "Warning") == #"399 127.0.0.1 "Sotto is at its call limit""#)
        #expect(h.media.snapshot().count == 1)
        #expect(h.proxy.callCount == 1)
    }

    /// A call from the PBX that Alice answered and the PBX acknowledged; returns the INVITE as Alice got it.
    static func answeredCallFromThePBX(_ h: ProxyHarness, alice: AliceCall) throws -> SIPMessage {
        h.fromPBX(
            PBX.request(
                "INVITE", uri: aliceContact, route: "<sip:\(h.token(h.a))@127.0.0.1:5061;transport=tls;lr;ob>",
                body: PBX.offer(key: try .generate(for: .aesCM128HMACSHA1_80))))
        let invite = try h.expect(h.take(), ["pbx: 100 Trying", "a: INVITE \(aliceContact)"])[1].message
        h.fromA(alice.response(to: invite, 200, "OK", sdp: alice.offer()))
        try h.expect(h.take(), ["pbx: 200 OK"])
        h.fromPBX(
            PBX.request(
                "ACK", uri: aliceContact, route: "<sip:\(h.token(h.a))@127.0.0.1:5061;transport=tls;lr>",
                branch: "z9hG4bK-524287-1---5e7a9c1b3d2f4a60", toTag: "8b3e1f0a"))
        try h.expect(h.take(), ["a: ACK \(aliceContact)"])
        return invite
    }

    @Test func aliceLostDuringACallFromThePBXSendsBYEToThePBX() throws {
        let h = try ProxyHarness()
        _ = try Self.answeredCallFromThePBX(h, alice: try AliceCall())

        h.proxy.closeFlow(h.a)
        let bye = try h.expect(h.take(), ["pbx: BYE sip:bob@192.0.2.10:5061;transport=tls"])[0].message
        #expect(bye.from.tag == "8b3e1f0a" && bye.to.tag == "as0d2c7e11", "Alice's side of the dialog")
        #expect(bye.callID == "1c7e9f2b6d0a4358@192.0.2.10")
        #expect(bye.firstValue(of: "Reason") == #"SIP;cause=480;text="the softphone's connection to Sotto was lost""#)
        #expect(bye.headers(named: "Route").isEmpty)
        #expect(h.media.snapshot().isEmpty)
        #expect(h.proxy.callCount == 0)
    }

    /// Only the PBX may address a softphone's flow, and every SDP is checked: a response that matches no
    /// transaction, sent by a softphone with a Sotto-like branch naming another flow, reaches no one.
    @Test func aForged2xxFromASoftphoneReachesNoOtherFlow() throws {
        let h = try ProxyHarness()
        let bFlow = h.openB()
        let plainSDP = SIPText.sdp(
            """
            v=0
            o=- 1 1 IN IP4 203.0.113.66
            s=-
            c=IN IP4 203.0.113.66
            t=0 0
            m=audio 40000 RTP/AVP 0
            a=rtpmap:0 PCMU/8000
            """)
        for target in [bFlow, h.pbx] {
            h.fromA(
                SIPText.wire(
                    """
                    SIP/2.0 200 OK
                    Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-st-0-\(String(target, radix: 36))-k3j5h7g9f1
                    Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK-524287-1---3f0c2b9ad1e84c67
                    From: "Bob" <sip:bob@pbx.test>;tag=as0d2c7e11
                    To: <sip:carol@pbx.test>;tag=66e0c1d2
                    Call-ID: 1c7e9f2b6d0a4358@192.0.2.10
                    CSeq: 102 INVITE
                    Contact: <sip:mallory@203.0.113.66:5062;transport=tls>
                    """, body: plainSDP))
        }
        let out = try h.take()
        #expect(out.isEmpty, "\(h.summary(out))")
    }
}
