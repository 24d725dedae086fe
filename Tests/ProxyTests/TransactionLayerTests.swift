// The transaction layer on its own (RFC 3261 §17, RFC 6026): no router, no calls, no sockets; a manual clock
// and a recording transport. What the layer sends is read back off the recorder.
import Media
import SIP
import SottoTestSupport
import Testing

@testable import Proxy

@Suite struct TransactionLayerTests {
    let clock = ManualClock()
    let transport = RecordingTransport()
    let layer: TransactionLayer
    let configuration = ProxyConfiguration(
        host: "127.0.0.1", port: 5061, suites: ProxyHarness.suites, mediaAddress: "127.0.0.1")
    /// Alice's connection and the PBX's, by number (the layer knows nothing else of them).
    let alice: FlowID = 1
    let pbx: FlowID = 2

    init() {
        layer = TransactionLayer(
            configuration: configuration, clock: clock, local: LocalAddress(host: "127.0.0.1", port: 5061))
        layer.transport = transport
    }

    /// Alice's INVITE as the layer gets it, its server transaction, and the copy forwarded to the PBX on a
    /// client transaction.
    func forwardInvite() throws -> (server: ServerTransaction, client: ClientTransaction) {
        let invite = try SIPMessage(parsing: AliceCall().invite(sdp: nil))
        let key = ServerTransactionKey(
            branch: try #require(invite.via.first?.branch), sentBy: "127.0.0.1:5062", method: .invite, flow: alice)
        let server = ServerTransaction(key: key, request: invite)
        var forwarded = invite
        let branch = Branch.make(loopHash: "1")
        try forwarded.insertVia(LocalAddress(host: "127.0.0.1", port: 5061).via(branch: branch))
        layer.respond(server, status: 100, reason: "Trying")
        let client = layer.forward(forwarded, branch: branch, on: pbx, for: server, context: nil)
        _ = try transport.take()
        return (server, client)
    }

    /// The PBX's response to what the client transaction sent.
    func pbxResponse(_ client: ClientTransaction, _ status: Int, _ reason: String) throws -> SIPMessage {
        try SIPMessage(parsing: PBX.response(to: client.request, status, reason))
    }

    @Test func aRetransmittedRequestGetsTheLastResponseAgainAndNothingElse() throws {
        let (server, _) = try forwardInvite()
        #expect(layer.absorbsRetransmission(server.key))
        let again = try transport.take()
        #expect(again.map(\.flow) == [alice] && again.map(\.status) == [100])
        #expect(layer.clientCount == 1)
    }

    /// The same branch and sent-by on another connection is another transaction: no connection can have its
    /// request taken for someone else's retransmission, nor cancel someone else's INVITE.
    @Test func theKeyIncludesTheFlow() throws {
        let (server, _) = try forwardInvite()
        let elsewhere = ServerTransactionKey(
            branch: server.key.branch, sentBy: server.key.sentBy, method: .invite, flow: pbx)
        #expect(!layer.absorbsRetransmission(elsewhere))
        layer.cancel(try SIPMessage(parsing: AliceCall().cancel()), inviteKey: elsewhere)
        let out = try transport.take()
        #expect(out.map(\.flow) == [pbx] && out.map(\.status) == [481])
    }

    /// RFC 3261 §9.1: a CANCEL waits for a provisional response, then goes out with the INVITE's branch.
    @Test func aCancelBeforeAnyProvisionalWaitsForOne() throws {
        let (_, client) = try forwardInvite()
        layer.cancel(client)
        #expect(try transport.take().isEmpty)
        let step = layer.inviteResponse(try pbxResponse(client, 180, "Ringing"), status: 180, client: client)
        guard case .provisional(let server) = step else {
            Issue.record("a 180 is a provisional step, got \(step)")
            return
        }
        #expect(server != nil, "the 180 still goes upstream")
        let out = try transport.take()
        #expect(out.map(\.flow) == [pbx] && out.map(\.method) == [.cancel])
        #expect(out.first?.message.via.first?.branch == client.branch)
    }

    /// Timer B: no response in 64 × T1, the INVITE is answered 408 upstream and handed to the layer above.
    @Test func timerBAnswers408AndReportsTheClient() throws {
        let (_, client) = try forwardInvite()
        clock.advance(seconds: 31)
        #expect(layer.tick().isEmpty)
        clock.advance(seconds: 2)
        let timedOut = layer.tick()
        #expect(timedOut.count == 1 && timedOut.first === client)
        let out = try transport.take()
        #expect(out.map(\.flow) == [alice] && out.map(\.status) == [408])
        #expect(layer.clientCount == 0)
    }

    /// RFC 3261 §16.8 Timer C: a call that rings for over three minutes is cancelled downstream.
    @Test func timerCCancelsAnInviteThatRingsTooLong() throws {
        let (_, client) = try forwardInvite()
        _ = layer.inviteResponse(try pbxResponse(client, 180, "Ringing"), status: 180, client: client)
        _ = try transport.take()
        clock.advance(seconds: 180)
        #expect(layer.tick().isEmpty)
        #expect(try transport.take().isEmpty)
        clock.advance(seconds: 2)
        _ = layer.tick()
        #expect(try transport.take().map(\.method) == [.cancel])
    }

    /// RFC 6026: a retransmitted 2xx is sent upstream again as first forwarded, and is not a new step.
    @Test func aRetransmitted2xxIsForwardedAgain() throws {
        let (server, client) = try forwardInvite()
        let ok = try pbxResponse(client, 200, "OK")
        guard case .accepted(let forwardOn) = layer.inviteResponse(ok, status: 200, client: client) else {
            Issue.record("the first 2xx is the accepted step")
            return
        }
        #expect(forwardOn === server)
        var upstream = ok
        try upstream.removeFirstVia()
        layer.forward2xx(upstream, of: client, on: server)
        let first = try transport.take()
        guard case .retransmission = layer.inviteResponse(ok, status: 200, client: client) else {
            Issue.record("a second 2xx is a retransmission")
            return
        }
        let again = try transport.take()
        #expect(again.map(\.flow) == [alice] && first.map(\.flow) == [alice])
        #expect(again.first?.message.serialized() == first.first?.message.serialized())
    }

    /// A lost connection ends its client transactions and answers what waited on them upstream.
    @Test func aLostFlowAnswersWhatWaitedOnIt() throws {
        let (_, client) = try forwardInvite()
        let ended = layer.closeFlow(pbx, lostAnswer: (503, "Service Unavailable", "the connection to the PBX was lost"))
        #expect(ended.count == 1 && ended.first === client)
        let out = try transport.take()
        #expect(out.map(\.flow) == [alice] && out.map(\.status) == [503])
        #expect(out.first?.message.firstValue(of: "Warning")?.contains("the connection to the PBX was lost") == true)
        #expect(layer.clientCount == 0)
    }
}
