// Limits before allocation (docs/security.md): what one phone, one address or everyone together may make the proxy
// hold, checked before a transaction, a call or a media port is made, answered clearly and counted by name.
import Media
import SIP
import SottoTestSupport
import TLS
import Testing

@testable import Proxy

@Suite struct ProxyLimitsTests {
    /// Alice's call number `n`: its own Call-ID and branch.
    func call(_ n: Int) throws -> AliceCall {
        var alice = try AliceCall()
        alice.callID = "limit-\(n)@127.0.0.1"
        return alice
    }

    func invite(_ alice: AliceCall, _ n: Int, sdp: Bool = true) -> [UInt8] {
        alice.invite(branch: "z9hG4bK-limit-\(n)", sdp: sdp ? alice.offer() : nil)
    }

    func statuses(_ sent: [Sent], on flow: FlowID) -> [Int] { sent.filter { $0.flow == flow }.compactMap(\.status) }

    // MARK: A refused INVITE leaves nothing behind

    /// Every INVITE Sotto refuses is refused before a call is registered or a port taken: live calls stay at zero,
    /// no media session is left, and the same Call-ID can be tried again.
    @Test(arguments: ["multipart", "plain", "streams", "draining", "pbx-down"])
    func aRefusedINVITERegistersNoCall(_ kind: String) throws {
        let h = try ProxyHarness(upstream: kind != "pbx-down")
        let alice = try AliceCall()
        var bytes = alice.invite(sdp: alice.offer())
        switch kind {
        case "multipart":
            bytes = alice.request(
                "INVITE", branch: "z9hG4bK-mp", extra: "Content-Type: multipart/mixed;boundary=x", body: "--x--\r\n")
        case "plain": bytes = alice.invite(sdp: alice.offer(proto: "RTP/AVP"))
        case "streams": bytes = alice.invite(sdp: Self.offer(alice, streams: 5))
        case "draining": h.proxy.startDraining()
        default: break
        }
        h.fromA(bytes)
        let sent = try h.take()
        let status = try #require(statuses(sent, on: h.a).last)
        #expect(status >= 400, "\(kind): \(h.summary(sent))")
        #expect(h.proxy.callCount == 0, "\(kind)")
        #expect(h.media.snapshot().isEmpty, "\(kind): no media session kept")
        #expect(h.proxy.calls.isOwnedElsewhere(callID: alice.callID, token: "x") == false)
    }

    /// Policy before routing: an offer without SRTP gets 488 even while the PBX is not connected (a 503 would invite
    /// the phone to try the same plain offer elsewhere); an acceptable offer then gets 503 with Retry-After.
    @Test func aPlainOfferGets488EvenWhileThePBXIsDown() throws {
        let h = try ProxyHarness(upstream: false)
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer(proto: "RTP/AVP")))
        #expect(statuses(try h.take(), on: h.a) == [488])
        h.fromA(alice.invite(branch: "z9hG4bK-second", sdp: alice.offer()))
        let sent = try h.take()
        #expect(statuses(sent, on: h.a) == [503])
        #expect(sent.last?.message.firstValue(of: "Retry-After") != nil)
        #expect(h.media.snapshot().isEmpty)
    }

    // MARK: Media streams

    static func offer(_ alice: AliceCall, streams: Int, disabled: Set<Int> = []) -> String {
        var text = alice.offer()
        let media = text[text.range(of: "m=audio")!.lowerBound...]
        for index in 1..<streams {
            text += disabled.contains(index) ? media.replacingOccurrences("m=audio 10000", "m=audio 0") : String(media)
        }
        return text
    }

    @Test func anOfferWithMoreStreamsThanTheLimitGets488BeforeAnyPortIsTaken() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: Self.offer(alice, streams: 64)))
        let sent = try h.take()
        #expect(statuses(sent, on: h.a) == [488])
        #expect(sent.last?.message.firstValue(of: "Warning")?.contains("at most 4 media streams") == true)
        #expect(h.media.createdSessions == 0)
        #expect(h.proxy.counters.limitRefusals["streams_per_offer"] == 1)
        #expect(h.proxy.counters.srtpRefusals == 0, "a limit is not an SRTP refusal")
    }

    @Test func onlyAcceptedStreamsGetSockets() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: Self.offer(alice, streams: 3, disabled: [1])))
        let invite = try h.forwardedINVITE()
        let session = try #require(h.media.snapshot().first)
        #expect(session.streams.count == 2, "the port-0 stream gets no sockets")
        let lines = String(decoding: invite.body, as: UTF8.self).split(separator: "\r\n").filter { $0.hasPrefix("m=") }
        #expect(lines.count == 3 && lines[1].hasPrefix("m=audio 0 "))
        #expect(!lines[0].hasPrefix("m=audio 0 ") && !lines[2].hasPrefix("m=audio 0 "))
    }

    // MARK: Calls per connection, address and identity

    @Test func aConnectionAtItsCallLimitGets403AndThePBXGets486TowardIt() throws {
        let h = try ProxyHarness { $0.limits.callsPerFlow = 2 }
        var forwarded: [SIPMessage] = []
        for n in 0..<2 {
            h.fromA(invite(try call(n), n))
            forwarded.append(try h.forwardedINVITE())
        }
        h.fromA(invite(try call(2), 2))
        let sent = try h.take()
        #expect(statuses(sent, on: h.a) == [403])
        #expect(h.proxy.callCount == 2)
        #expect(h.proxy.counters.limitRefusals["calls_per_connection"] == 1)

        // Toward Alice from the PBX: she is busy.
        let route = "<sip:\(h.token(h.a))@127.0.0.1:5061;transport=tls;lr;ob>"
        let offer = PBX.offer(key: try .generate(for: .aesCM128HMACSHA1_80))
        h.fromPBX(PBX.request("INVITE", uri: "sip:alice@127.0.0.1:5062", route: route, body: offer))
        #expect(statuses(try h.take(), on: h.pbx) == [486])

        // A call that ends frees its place.
        h.fromPBX(PBX.response(to: forwarded[0], 486, "Busy Here"))
        _ = try h.take()
        h.fromA(invite(try call(3), 3))
        #expect(statuses(try h.take(), on: h.a).contains(100))
    }

    @Test func connectionsFromOneAddressShareItsCallLimit() throws {
        let h = try ProxyHarness {
            $0.limits.callsPerAddress = 2
            $0.limits.callsPerAOR = 0
        }
        let b = h.openB()
        h.fromA(invite(try call(0), 0))
        h.fromB(invite(try call(1), 1))
        _ = try h.take()
        h.fromB(invite(try call(2), 2))
        #expect(statuses(try h.take(), on: b) == [403])
        #expect(h.proxy.counters.limitRefusals["calls_per_address"] == 1)
    }

    @Test func anIdentityAtItsCallLimitIsRefusedOnAnyConnection() throws {
        let h = try ProxyHarness { $0.limits.callsPerAOR = 1 }
        let b = h.openB()
        h.fromA(invite(try call(0), 0))
        _ = try h.take()
        h.fromB(invite(try call(1), 1))  // the same From: sip:alice@pbx.test
        #expect(statuses(try h.take(), on: b) == [403])
        #expect(h.proxy.counters.limitRefusals["calls_per_aor"] == 1)
    }

    // MARK: Requests and transactions

    @Test func aConnectionSendingFasterThanItsRateGets503WithRetryAfter() throws {
        let h = try ProxyHarness {
            $0.limits.requestsPerSecondPerFlow = 5
            $0.limits.transactionsPerFlow = 0
            $0.limits.callsPerFlow = 0
            $0.limits.callsPerAOR = 0
        }
        for n in 0..<10 { h.fromA(invite(try call(n), n, sdp: false)) }
        #expect(!statuses(try h.take(), on: h.a).contains(503), "the bucket holds twice the rate")
        h.fromA(invite(try call(10), 10, sdp: false))
        let sent = try h.take()
        #expect(statuses(sent, on: h.a) == [503])
        #expect(sent.last?.message.firstValue(of: "Retry-After") == "1")
        #expect(h.proxy.callCount == 10, "the refused request made no call")
        #expect(h.proxy.counters.limitRefusals["requests_per_connection"] == 1)
        h.advance(seconds: 1)
        h.fromA(invite(try call(11), 11, sdp: false))
        #expect(statuses(try h.take(), on: h.a) == [100], "the bucket refills")
    }

    /// A phone at its rate can still cancel its own INVITE (the CANCEL finds its transaction and costs nothing),
    /// and the ACKs it sends for the 503s it got are dropped without being counted as refused requests.
    @Test func aPhoneAtItsRateCanStillCancelAndItsACKsAreNotCounted() throws {
        let h = try ProxyHarness {
            $0.limits.requestsPerSecondPerFlow = 1
            $0.limits.callsPerAOR = 0
        }
        let first = try call(0)
        h.fromA(invite(first, 0, sdp: false))
        h.fromA(invite(try call(1), 1, sdp: false))
        _ = try h.take()
        h.fromA(invite(try call(2), 2, sdp: false))
        #expect(statuses(try h.take(), on: h.a) == [503])
        #expect(h.proxy.counters.limitRefusals["requests_per_connection"] == 1)
        h.fromA(try call(2).ackForFailure(toTag: "x", branch: "z9hG4bK-limit-2"))
        #expect(try h.take().isEmpty, "the ACK of a stateless 503 goes nowhere")
        #expect(h.proxy.counters.limitRefusals["requests_per_connection"] == 1)
        h.fromA(first.cancel(branch: "z9hG4bK-limit-0"))
        #expect(statuses(try h.take(), on: h.a) == [200], "the CANCEL of its own INVITE is answered")
    }

    @Test func connectionsFromOneAddressShareItsRequestRate() throws {
        let h = try ProxyHarness {
            $0.limits.requestsPerSecondPerAddress = 2
            $0.limits.callsPerAOR = 0
        }
        let b = h.openB()
        for n in 0..<4 { h.fromA(invite(try call(n), n, sdp: false)) }
        _ = try h.take()
        h.fromB(invite(try call(4), 4, sdp: false))
        #expect(statuses(try h.take(), on: b) == [503])
        #expect(h.proxy.counters.limitRefusals["requests_per_address"] == 1)
    }

    @Test func aConnectionHoldsAtMostItsTransactions() throws {
        let h = try ProxyHarness {
            $0.limits.transactionsPerFlow = 3
            $0.limits.callsPerAOR = 0
        }
        for n in 0..<3 { h.fromA(invite(try call(n), n, sdp: false)) }
        _ = try h.take()
        h.fromA(invite(try call(3), 3, sdp: false))
        #expect(statuses(try h.take(), on: h.a) == [503])
        #expect(h.proxy.callCount == 3)
        #expect(h.proxy.counters.limitRefusals["transactions_per_connection"] == 1)
    }

    /// An INVITE refused by Sotto ends when its ACK comes (RFC 3261 §17.2.1, Timer I is zero on TLS): it does not
    /// hold a place in its connection's transactions for Timer H's 32 s.
    @Test func anAcknowledgedRefusalFreesItsTransactionAtOnce() throws {
        let h = try ProxyHarness { $0.limits.transactionsPerFlow = 1 }
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer(proto: "RTP/AVP")))
        let refusal = try #require(try h.take().first { $0.status == 488 })
        h.fromA(alice.ackForFailure(toTag: refusal.message.to.tag ?? ""))
        #expect(h.proxy.transactions.serverCount(on: h.a) == 0)
        h.fromA(invite(try call(1), 1))
        #expect(statuses(try h.take(), on: h.a) == [100])
    }

    @Test func everyoneTogetherHoldsAtMostTheGlobalTransactions() throws {
        let h = try ProxyHarness {
            $0.limits.transactions = 4  // each forwarded INVITE holds a server and a client transaction
            $0.limits.callsPerAOR = 0
        }
        for n in 0..<2 { h.fromA(invite(try call(n), n, sdp: false)) }
        _ = try h.take()
        h.fromA(invite(try call(2), 2, sdp: false))
        #expect(statuses(try h.take(), on: h.a) == [503])
        #expect(h.proxy.counters.limitRefusals["transactions"] == 1)
    }

    @Test func aConnectionMayHoldOnlyItsRegistrations() throws {
        let h = try ProxyHarness { $0.limits.registrationsPerFlow = 2 }
        let alice = try AliceCall()
        let contacts = (0..<3).map { "Contact: <sip:alice-\($0)@127.0.0.1:5062;transport=tls>" }
        h.fromA(
            alice.request("REGISTER", branch: "z9hG4bK-reg", extra: contacts.joined(separator: "\n")))
        let sent = try h.take()
        #expect(statuses(sent, on: h.a) == [403])
        #expect(sent.filter { $0.flow == h.pbx }.isEmpty)
        #expect(h.proxy.counters.limitRefusals["registrations_per_connection"] == 1)
    }

    // MARK: Timers and what transactions keep

    /// A provisional moves Timer C; it does not add a timer. 1000 provisionals leave the timer heap as it was.
    @Test func provisionalsResetTimerCRatherThanStackingIt() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        h.fromPBX(PBX.response(to: invite, 180, "Ringing"))
        let before = h.proxy.transactions.timerCount
        for _ in 0..<1000 { h.fromPBX(PBX.response(to: invite, 180, "Ringing")) }
        #expect(h.proxy.transactions.timerCount == before)

        // Timer C still fires 181 s after the last provisional, not after the first.
        h.advance(seconds: 120)
        h.fromPBX(PBX.response(to: invite, 180, "Ringing"))
        _ = try h.take()
        h.advance(seconds: 120)
        #expect(try h.take().filter { $0.isRequest && $0.method == .cancel }.isEmpty)
        h.advance(seconds: 62)
        #expect(try h.take().contains { $0.isRequest && $0.method == .cancel })
    }

    /// Past its final response a server transaction keeps no body: the offer with Alice's key is gone.
    @Test func aCompletedTransactionKeepsNoBody() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        let call = try #require(h.proxy.calls.live.values.first)
        let server = try #require(call.inviteServer)
        #expect(!server.request.body.isEmpty)
        h.fromPBX(PBX.response(to: invite, 486, "Busy Here"))
        _ = try h.take()
        #expect(server.request.body.isEmpty)
        #expect(server.request.headers.count <= 6)
    }

    /// `calls.max_ringing_s`: a call unanswered for that long is cancelled toward the callee and Alice gets 408,
    /// however often the PBX sends 180 (each restarts Timer C).
    @Test func aCallThatRingsLongerThanTheRingingLimitIsGivenUp() throws {
        let h = try ProxyHarness { $0.limits.maxRingingNanoseconds = 300_000_000_000 }
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        for _ in 0..<4 {
            h.fromPBX(PBX.response(to: invite, 180, "Ringing"))
            h.advance(seconds: 60)
        }
        #expect(h.proxy.callCount == 1)
        h.fromPBX(PBX.response(to: invite, 180, "Ringing"))
        _ = try h.take()
        h.advance(seconds: 61)
        let sent = try h.take()
        #expect(sent.contains { $0.flow == h.pbx && $0.isRequest && $0.method == .cancel })
        #expect(statuses(sent, on: h.a) == [408])
        #expect(h.proxy.callCount == 0)
    }

    // MARK: Dialog ownership

    /// Alice's call, answered; returns her dialog as she learnt it.
    func answeredCall(_ h: ProxyHarness) throws -> AliceCall {
        var alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        let answer = PBX.answer(key: try .generate(for: .aesCM128HMACSHA1_80))
        h.fromPBX(PBX.response(to: invite, 200, "OK", sdp: answer))
        let ok = try #require(try h.take().first { $0.flow == h.a && $0.status == 200 })
        alice.learnDialog(from: ok.message)
        return alice
    }

    @Test(arguments: [true, false])
    func anotherConnectionCannotEndAlicesCall(_ withRoute: Bool) throws {
        let h = try ProxyHarness()
        var alice = try answeredCall(h)
        let b = h.openB()
        if !withRoute { alice.routeSet = [] }
        h.fromB(alice.request("BYE", branch: "z9hG4bK-stolen-bye", cseq: alice.cseq + 1))
        let sent = try h.take()
        #expect(statuses(sent, on: b) == [403], "\(h.summary(sent))")
        #expect(sent.filter { $0.flow == h.pbx }.isEmpty)
        #expect(h.proxy.callCount == 1)
    }

    /// A dialog that is no call (a subscription) is known only by the token in Sotto's Route entry: another
    /// connection's in-dialog request naming that token is refused all the same.
    @Test func aRouteNamingAnotherConnectionsTokenIsRefused() throws {
        let h = try ProxyHarness()
        let b = h.openB()
        var subscription = try AliceCall()
        subscription.callID = "subscription@127.0.0.1"
        subscription.toTag = "as-sub-1"
        subscription.routeSet = ["<sip:\(h.token(h.a))@127.0.0.1:5061;transport=tls;lr>"]
        h.fromB(subscription.request("NOTIFY", branch: "z9hG4bK-foreign-notify", extra: "Event: presence"))
        let sent = try h.take()
        #expect(statuses(sent, on: b) == [403])
        #expect(sent.filter { $0.flow == h.pbx }.isEmpty)
        // Alice's own connection may use it.
        h.fromA(subscription.request("NOTIFY", branch: "z9hG4bK-own-notify", extra: "Event: presence"))
        #expect(try h.take().contains { $0.flow == h.pbx })
    }

    @Test func anINVITEWithReplacesForAnotherConnectionsCallIsRefused() throws {
        let h = try ProxyHarness()
        let alice = try answeredCall(h)
        let b = h.openB()
        var mallory = try AliceCall()
        mallory.callID = "mallory@127.0.0.1"
        let replaces = "Replaces: \(alice.callID);to-tag=\(alice.toTag ?? "");from-tag=\(alice.fromTag)"
        h.fromB(mallory.request("INVITE", branch: "z9hG4bK-replaces", extra: replaces, body: mallory.offer()))
        let sent = try h.take()
        #expect(statuses(sent, on: b) == [403])
        #expect(h.proxy.counters.limitRefusals["foreign_dialog"] == 1)
        #expect(h.media.snapshot().count == 1, "no media session for the refused INVITE")
    }

    @Test func dialogsMayCrossConnectionsWhenConfigured() throws {
        let h = try ProxyHarness { $0.dialogsBoundToConnection = false }
        let alice = try answeredCall(h)
        h.openB()
        h.fromB(alice.request("BYE", branch: "z9hG4bK-moved-bye", cseq: alice.cseq + 1))
        #expect(try h.take().contains { $0.flow == h.pbx && $0.isRequest && $0.method == .bye })
    }

    // MARK: Certificate identity

    /// `sip.client_identity`: a connection whose certificate names agent Alice may register and call as Alice,
    /// and as nobody else.
    @Test(arguments: [IdentityBinding.uri, .user])
    func aCertificateBindsTheIdentityAConnectionMayUse(_ binding: IdentityBinding) throws {
        let h = try ProxyHarness { $0.identityBinding = binding }
        let alice = h.proxy.openFlow(
            kind: .softphone, peerIP: "127.0.0.1", peerPort: 5070,
            peerIdentity: TLSPeerIdentity(uris: ["sip:alice@pbx.test"], commonNames: ["alice"]))
        let call = try AliceCall()
        func register(as user: String, _ n: Int) throws -> [Int] {
            let text = String(decoding: call.request("REGISTER", branch: "z9hG4bK-id-\(n)"), as: UTF8.self)
                .replacingOccurrences("To: <sip:bob@pbx.test>", "To: <sip:\(user)@pbx.test>")
            h.proxy.receive(Array(text.utf8), on: alice)
            return statuses(try h.take(), on: alice)
        }
        #expect(try register(as: "alice", 1).isEmpty, "forwarded to the PBX")
        #expect(try register(as: "bob", 2) == [403])
        // The From of her INVITE is hers; another From is refused.
        h.proxy.receive(call.invite(branch: "z9hG4bK-id-3", sdp: call.offer()), on: alice)
        #expect(statuses(try h.take(), on: alice) == [100])
        var mallory = try AliceCall()
        mallory.callID = "mallory@127.0.0.1"
        let forged = String(decoding: mallory.invite(branch: "z9hG4bK-id-4", sdp: mallory.offer()), as: UTF8.self)
            .replacingOccurrences("<sip:alice@pbx.test>", "<sip:carol@pbx.test>")
        h.proxy.receive(Array(forged.utf8), on: alice)
        #expect(statuses(try h.take(), on: alice) == [403])
        #expect(h.proxy.counters.limitRefusals["certificate_identity"] == 2)
        // A connection without a certificate is nobody.
        h.fromA(call.request("REGISTER", branch: "z9hG4bK-id-5"))
        #expect(statuses(try h.take(), on: h.a) == [403])
    }

    // MARK: What the media side is told

    /// An answer that puts the call on hold tells the media side, which then gives the call
    /// `media.hold_timeout_s` rather than the idle timeout (RFC 3264 direction; `c=0.0.0.0` is the old form).
    @Test(arguments: ["a=sendonly", "a=inactive", "c=0.0.0.0"])
    func aHoldAnswerTellsTheMediaSide(_ hold: String) throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        var answer = PBX.answer(key: try .generate(for: .aesCM128HMACSHA1_80))
        answer =
            hold.hasPrefix("c=")
            ? answer.replacingOccurrences("c=IN IP4 192.0.2.10", "c=IN IP4 0.0.0.0")
            : answer.replacingOccurrences("a=sendrecv", hold)
        h.fromPBX(PBX.response(to: invite, 200, "OK", sdp: answer))
        _ = try h.take()
        let expected: MediaDirection = hold == "a=inactive" ? .inactive : .sendonly
        #expect(h.media.leg(side: .b)?.direction == expected)
        #expect(h.media.leg(side: .a)?.direction == .sendrecv)
    }

    @Test func outOfFileDescriptorsIsSaidSo() throws {
        let h = try ProxyHarness()
        h.media.capacity = 0
        h.media.exhausted = MediaError(.outOfDescriptors, "out of file descriptors")
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let sent = try h.take()
        #expect(statuses(sent, on: h.a) == [503])
        #expect(sent.last?.message.firstValue(of: "Warning")?.contains("out of file descriptors") == true)
    }

    // MARK: Operations

    @Test func optionsToSottoGet503WhileDraining() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        let options = SIPText.wire(
            """
            OPTIONS sip:127.0.0.1:5061;transport=tls SIP/2.0
            Via: SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bK-opt1
            Max-Forwards: 70
            To: <sip:127.0.0.1:5061>
            From: <sip:monitor@127.0.0.1>;tag=1
            Call-ID: opt-\(alice.callID)
            CSeq: 1 OPTIONS
            """)
        h.fromA(options)
        #expect(statuses(try h.take(), on: h.a) == [200])
        h.proxy.startDraining()
        h.fromA(options.replacing(Array("opt1".utf8), with: Array("opt2".utf8)))
        let sent = try h.take()
        #expect(statuses(sent, on: h.a) == [503])
        #expect(sent.last?.message.firstValue(of: "Retry-After") != nil)
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

extension Substring {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        String(self).replacingOccurrences(target, replacement)
    }
}
