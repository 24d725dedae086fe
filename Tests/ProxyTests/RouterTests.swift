// The router on its own (RFC 3261 §16, RFC 3327, RFC 5626-style flow tokens): where a request goes and the
// header edits on the way. No transactions, no calls, no sockets.
import Logging
import Media
import SIP
import SottoTestSupport
import Testing

@testable import Proxy

@Suite struct RouterTests {
    let router = Router(
        local: LocalAddress(host: "127.0.0.1", port: 5061), clock: ManualClock(),
        logger: Logger(label: "sotto.router.tests") { _ in SwiftLogNoOpLogHandler() })

    func flow(_ id: FlowID) throws -> Flow { try #require(router.flow(id)) }

    func routed(_ bytes: [UInt8], from id: FlowID) throws -> (Router.Target, SIPMessage) {
        var request = try SIPMessage(parsing: bytes)
        let (target, _) = try router.route(&request, from: try flow(id))
        return (target, request)
    }

    func refusal(_ bytes: [UInt8], from id: FlowID) throws -> Int? {
        var request = try SIPMessage(parsing: bytes)
        do {
            let (_, routes) = try router.route(&request, from: try flow(id))
            _ = try router.checkLoopAndHops(&request, routes: routes)
            return nil
        } catch let error as ProxyRefusal {
            return error.status
        }
    }

    @Test func aSoftphonesRequestGoesToThePBXOrIsMarkedUpstreamDown() throws {
        let alice = router.openFlow(kind: .softphone, peerIP: "127.0.0.1", peerPort: 5062, upstream: false)
        guard case .upstreamDown = try routed(AliceCall().invite(sdp: nil), from: alice).0 else {
            Issue.record("no PBX connection yet: the router says so, and the proxy answers 503 after its own checks")
            return
        }
        let pbx = router.openFlow(kind: .pbx, peerIP: "127.0.0.2", peerPort: 5061, upstream: true)
        let (target, request) = try routed(AliceCall().invite(sdp: nil), from: alice)
        guard case .flow(let next) = target else {
            Issue.record("Alice's INVITE goes to a flow")
            return
        }
        #expect(next.id == pbx)
        #expect(request.headers(named: "Route").isEmpty, "Sotto's own Route entry is removed")
    }

    /// The PBX reaches a softphone only by the token Sotto gave its flow; a gone flow is 430, none is 404.
    @Test func thePBXReachesASoftphoneByItsFlowToken() throws {
        let alice = router.openFlow(kind: .softphone, peerIP: "127.0.0.1", peerPort: 5062, upstream: false)
        let pbx = router.openFlow(kind: .pbx, peerIP: "127.0.0.2", peerPort: 5061, upstream: true)
        let token = try flow(alice).token
        let route = "<sip:\(token)@127.0.0.1:5061;transport=tls;lr>"
        let (target, _) = try routed(PBX.request("INVITE", uri: "sip:alice@127.0.0.1:5062", route: route), from: pbx)
        guard case .flow(let next) = target else {
            Issue.record("the PBX's INVITE goes to a flow")
            return
        }
        #expect(next.id == alice)
        #expect(try refusal(PBX.request("INVITE", uri: "sip:alice@127.0.0.1:5062", route: nil), from: pbx) == 404)
        _ = router.closeFlow(alice)
        #expect(try refusal(PBX.request("INVITE", uri: "sip:alice@127.0.0.1:5062", route: route), from: pbx) == 430)
        #expect(router.flowFailed == 1)
    }

    @Test func maxForwardsIsDecrementedAndZeroIsRefused483() throws {
        let alice = router.openFlow(kind: .softphone, peerIP: "127.0.0.1", peerPort: 5062, upstream: false)
        _ = router.openFlow(kind: .pbx, peerIP: "127.0.0.2", peerPort: 5061, upstream: true)
        var request = try SIPMessage(parsing: AliceCall().invite(maxForwards: 5, sdp: nil))
        let (_, routes) = try router.route(&request, from: try flow(alice))
        _ = try router.checkLoopAndHops(&request, routes: routes)
        #expect(request.maxForwards == 4)
        #expect(try refusal(AliceCall().invite(maxForwards: 0, sdp: nil), from: alice) == 483)
    }

    /// RFC 3261 §16.3 step 4: a request that comes back with Sotto's branch hash for the same routing is a loop.
    @Test func aRequestThatComesBackUnchangedIsALoop() throws {
        let alice = router.openFlow(kind: .softphone, peerIP: "127.0.0.1", peerPort: 5062, upstream: false)
        _ = router.openFlow(kind: .pbx, peerIP: "127.0.0.2", peerPort: 5061, upstream: true)
        var request = try SIPMessage(parsing: AliceCall().invite(sdp: nil))
        let (_, routes) = try router.route(&request, from: try flow(alice))
        let hash = try router.checkLoopAndHops(&request, routes: routes)
        try request.insertVia(router.local.via(branch: Branch.make(loopHash: hash)))
        try request.insertHeader(SIPHeader(name: "Route", value: "<sip:127.0.0.1:5061;transport=tls;lr>"), at: 1)
        #expect(try refusal(request.serialized(), from: alice) == 482)
        #expect(router.loopsDetected == 1)
    }

    /// Via learns where the request came from (RFC 3581); INVITE gets Record-Route, a softphone's REGISTER
    /// gets Path (RFC 3327), each naming the softphone's flow.
    @Test func viaRecordRouteAndPath() throws {
        let alice = router.openFlow(kind: .softphone, peerIP: "198.51.100.7", peerPort: 40001, upstream: false)
        let token = try flow(alice).token
        var invite = try SIPMessage(parsing: AliceCall().invite(sdp: nil))
        try router.stampVia(&invite, from: try flow(alice))
        #expect(invite.via.first?.description.hasSuffix(";rport=40001") == true)
        #expect(invite.via.first?.description.contains(";received=198.51.100.7") == true)
        try router.addRouteEntries(&invite, from: try flow(alice), token: token)
        #expect(invite.firstValue(of: "Record-Route") == "<sip:\(token)@127.0.0.1:5061;transport=tls;lr>")
        #expect(invite.firstValue(of: "Path") == nil)
        var register = try SIPMessage(parsing: AliceCall().request("REGISTER", branch: "z9hG4bK77"))
        try router.addRouteEntries(&register, from: try flow(alice), token: token)
        #expect(register.firstValue(of: "Path") == "<sip:\(token)@127.0.0.1:5061;transport=tls;lr;ob>")
        #expect(register.firstValue(of: "Record-Route") == nil)
    }
}
