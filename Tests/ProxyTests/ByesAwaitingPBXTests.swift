import Testing

@testable import Proxy

/// A call that ends while the PBX connection is down: its BYE toward the PBX waits for the next connection
/// (bounded in time and count) instead of being lost, so the PBX does not keep a call Sotto has ended.
@Suite struct ByesAwaitingPBXTests {
    /// The PBX connection is lost, an operator ends the call, a new connection comes up.
    private func callEndedWhileThePBXIsAway() throws -> (ProxyHarness, EstablishedCall) {
        let h = try ProxyHarness()
        let call = try EstablishedCall(h)
        h.proxy.closeFlow(h.pbx)
        #expect(try h.take().isEmpty)
        let session = try #require(h.media.snapshot().first?.id)
        #expect(h.proxy.terminate(session: session))
        // Alice gets hers at once; the PBX's has no connection to go on.
        try h.expect(h.take(), ["a: BYE sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls"])
        return (h, call)
    }

    @Test func theBYEGoesOnTheNextPBXConnection() throws {
        let (h, call) = try callEndedWhileThePBXIsAway()
        h.advance(seconds: 5)
        let again = h.proxy.openFlow(kind: .pbx, peerIP: "127.0.0.2", peerPort: 5061, upstream: true)
        #expect(try h.take().isEmpty, "nothing before the I/O layer says the flow can carry it")
        h.proxy.upstreamReady(again)
        let out = try h.take()
        #expect(out.count == 1 && out.first?.flow == again, "\(h.summary(out))")
        let bye = try #require(out.first?.message)
        #expect(bye.method == .bye && bye.callID == call.alice.callID)
        #expect(bye.firstValue(of: "Reason") == #"SIP;cause=503;text="ended by an operator""#)
        // Its transaction is a real one: the PBX's 200 completes it, nothing more is sent.
        h.proxy.receive(PBX.response(to: bye, 200, "OK"), on: again)
        #expect(try h.take().isEmpty)
    }

    @Test func aBYEThatWaitedLongerThanATransactionLivesIsDropped() throws {
        let (h, _) = try callEndedWhileThePBXIsAway()
        h.advance(seconds: 31)
        #expect(h.proxy.calls.byesAwaitingPBX.waiting.count == 1)
        // The tick drops it once its time has passed, without waiting for a connection.
        h.advance(seconds: 2)
        #expect(h.proxy.calls.byesAwaitingPBX.waiting.isEmpty)
        h.proxy.upstreamReady(h.proxy.openFlow(kind: .pbx, peerIP: "127.0.0.2", peerPort: 5061, upstream: true))
        #expect(try h.take().isEmpty)
    }

    @Test func theQueueIsBounded() throws {
        let h = try ProxyHarness()
        let bye = try EstablishedCall(h).forwardedInvite  // any message: the queue does not look inside
        var queue = ByesAwaitingPBX(maxCount: 2)
        let held = ["z9hG4bK1", "z9hG4bK2", "z9hG4bK3"].map { queue.hold(bye, branch: $0, now: 0) }
        #expect(held == [true, true, false])
        let (due, expired) = queue.take(now: 1)
        #expect(due.map(\.branch) == ["z9hG4bK1", "z9hG4bK2"] && expired == 0)
        #expect(queue.waiting.isEmpty)
    }

    @Test func aBYEPastItsTimeIsNotSentEvenBeforeATickDropsIt() throws {
        let h = try ProxyHarness()
        let bye = try EstablishedCall(h).forwardedInvite
        var queue = ByesAwaitingPBX()
        let held = [
            queue.hold(bye, branch: "z9hG4bK1", now: 0), queue.hold(bye, branch: "z9hG4bK2", now: 1_000_000_000),
        ]
        #expect(held == [true, true])
        let (due, expired) = queue.take(now: ByesAwaitingPBX.lifetime)
        #expect(due.map(\.branch) == ["z9hG4bK2"] && expired == 1)
    }
}
