import Testing

@testable import Proxy

/// The gauges the admin socket reads for a long run (`sotto_sip_transactions`, `sotto_signalling_timers`): they rise
/// while a call is set up and fall back to zero once its transactions end and their timers fire.
@Suite struct ProxyGaugeTests {
    @Test func transactionsAndTimersComeBackToZero() throws {
        let h = try ProxyHarness()
        #expect(h.proxy.transactionCount == 0)
        #expect(h.proxy.timerCount == 0)

        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        // Alice's INVITE (a server transaction) and its copy to the PBX (a client transaction), each with a timer.
        #expect(h.proxy.transactionCount == 2)
        #expect(h.proxy.timerCount >= 2)

        h.fromPBX(PBX.response(to: invite, 486, "Busy Here", toTag: "as5e8c2a1f"))
        _ = try h.take()
        h.fromA(alice.ackForFailure(toTag: "as5e8c2a1f"))
        _ = try h.take()
        // Alice's ACK ended the server transaction at once; the client one waits in Completed (Timer D: zero on
        // a reliable transport, so it goes at the next tick).
        h.advance(seconds: 1)
        #expect(h.proxy.transactionCount == 0)

        // Every timer fires or is dropped in time (transaction timers, the call's ringing limit).
        h.advance(seconds: 3600)
        #expect(h.proxy.timerCount == 0)
    }
}
