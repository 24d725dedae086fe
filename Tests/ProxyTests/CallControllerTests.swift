// The call layer on its own: calls, offer/answer with the SRTP policy, and ends, over a fake media engine and a
// recording transport, with a manual clock. Requests are handed to it directly, not routed.
import Logging
import Media
import SIP
import SRTP
import SottoTestSupport
import Testing

@testable import Proxy

@Suite struct CallControllerTests {
    let clock = ManualClock()
    let transport = RecordingTransport()
    let media = FakeMedia()
    let calls: CallController

    init(configure: (inout ProxyConfiguration) -> Void = { _ in }) {
        var configuration = ProxyConfiguration(
            host: "127.0.0.1", port: 5061, suites: ProxyHarness.suites, mediaAddress: "127.0.0.1")
        configure(&configuration)
        let local = LocalAddress(host: "127.0.0.1", port: 5061)
        let logger = Logger(label: "sotto.calls.tests") { _ in SwiftLogNoOpLogHandler() }
        let transactions = TransactionLayer(configuration: configuration, clock: clock, local: local)
        transactions.transport = transport
        calls = CallController(
            configuration: configuration, media: media, clock: clock, logger: logger, transactions: transactions,
            router: Router(local: local, clock: clock, logger: logger),
            admission: AdmissionControl(limits: configuration.limits, clock: clock, logger: logger))
    }

    func startCall(_ alice: AliceCall) throws -> ProxyCall {
        let phone = Flow(id: 1, kind: .softphone, peerIP: "127.0.0.1", peerPort: 5062, token: "tok")
        let call = try calls.admitCall(
            SIPMessage(parsing: alice.invite(sdp: nil)), token: "tok", softphoneFlow: phone, side: .a)
        calls.register(call)
        return call
    }

    @Test func anOfferWithoutSRTPIsRefused488AndMakesNoSession() throws {
        let alice = try AliceCall()
        let call = try startCall(alice)
        #expect(throws: ProxyRefusal.self) {
            try calls.negotiate(
                Array(alice.offer(proto: "RTP/AVP").utf8), from: .a, call: call, role: .offer, completes: false)
        }
        #expect(media.snapshot().isEmpty)
        #expect(call.pendingOffer == nil)
    }

    /// Docs/architecture.md, rule 2: each leg gets its peer's key inbound and a fresh key of Sotto's outbound; no
    /// peer's key crosses to the other side.
    @Test func anOfferAndItsAnswerKeyEachLegOnItsOwn() throws {
        let alice = try AliceCall()
        let call = try startCall(alice)
        let forwarded = try calls.negotiate(
            Array(alice.offer().utf8), from: .a, call: call, role: .offer, completes: false)
        #expect(!String(decoding: forwarded, as: UTF8.self).contains(alice.key.sdesKeyParameter))
        let pbxKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        let back = try calls.negotiate(
            Array(PBX.answer(key: pbxKey).utf8), from: .b, call: call, role: .either, completes: true)
        #expect(!String(decoding: back, as: UTF8.self).contains(pbxKey.sdesKeyParameter))
        let a = try #require(media.leg(side: .a))
        let b = try #require(media.leg(side: .b))
        #expect(a.peerKey == alice.key && b.peerKey == pbxKey)
        let towardAlice = try #require(a.sottoKey)
        let towardPBX = try #require(b.sottoKey)
        #expect(towardAlice != towardPBX)
        #expect(![alice.key, pbxKey].contains(towardAlice) && ![alice.key, pbxKey].contains(towardPBX))
        #expect(a.declaredRTP?.description == "127.0.0.1:10000" && b.declaredRTP?.description == "192.0.2.10:20000")
        #expect(call.pendingOffer == nil)
    }

    @Test func drainingAndTheCallLimitRefuseNewCalls() throws {
        let limited = CallControllerTests { $0.maxCalls = 1 }
        var alice = try AliceCall()
        _ = try limited.startCall(alice)
        alice.callID = "second@127.0.0.1"
        #expect(throws: ProxyRefusal.self) { try limited.startCall(alice) }
        calls.draining = true
        #expect(throws: ProxyRefusal.self) { try startCall(alice) }
        #expect(calls.live.isEmpty)
    }

    /// A call that ends has its media session ended; its final counters come later and close the record,
    /// without any message being sent.
    @Test func aFinishedCallEndsItsMediaSessionAndSendsNothing() throws {
        let alice = try AliceCall()
        let call = try startCall(alice)
        _ = try calls.negotiate(Array(alice.offer().utf8), from: .a, call: call, role: .offer, completes: false)
        #expect(media.snapshot().count == 1)
        calls.finish(call, reason: .bye)
        #expect(media.snapshot().isEmpty)
        #expect(calls.live.isEmpty && calls.callsEnded == 1)
        let ended = media.takeEnded()
        #expect(ended.map(\.end) == [.requested])
        for snapshot in ended { calls.mediaSessionEnded(snapshot) }
        #expect(try transport.take().isEmpty)
    }
}
