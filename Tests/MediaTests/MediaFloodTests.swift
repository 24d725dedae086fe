import Media
import SRTP
import SottoTestSupport
import Testing
import Transport

/// Floods on a media port: after latching, strangers get a small budget of authentications per leg and second
/// and the rest are dropped without crypto; datagrams longer than the maximum are dropped before any work.
@Suite(.serialized) struct MediaFloodTests {
    static func counters(_ engine: MediaEngine, _ id: UInt64, _ side: LegSide) -> LegCounters {
        engine.snapshot().first { $0.id == id }!.streams[0][side.rawValue].counters
    }

    @Test func strangersAfterTheLatchAreAuthenticatedOnlyWithinABudget() async throws {
        let clock = ManualClock()
        var configuration = MediaEngine.Configuration(ports: 26500...26599, loops: 1)
        configuration.unlatchedAuthBudget = 5
        let engine = try MediaEngine(configuration: configuration, clock: clock)
        let phone = try Peer(ssrc: 0x50)
        let pbx = try Peer(ssrc: 0x51)
        let call = try MediaRelayTests.call(engine, phone: phone, pbx: pbx)
        phone.sendSRTP([1], to: call.legA)
        #expect(pbx.receivePlainRTP() == [1])

        // A flood from a second socket, with a key of its own: only 5 are authenticated (and fail).
        let flooder = try Peer(ssrc: 0x5F)
        for _ in 0..<40 { flooder.sendSRTP([0xEE], to: call.legA) }
        #expect(await eventually(.seconds(5)) { Self.counters(engine, call.id, .a).totalDrops == 40 })
        var a = Self.counters(engine, call.id, .a)
        #expect(a[.authFailed] == 5, "crypto work for the budget only")
        #expect(a[.unknownSource] == 35, "the rest dropped without crypto")
        // The real peer's packets still go through during the flood.
        phone.sendSRTP([2], to: call.legA)
        #expect(pbx.receivePlainRTP() == [2])

        // A new second, a new budget; a genuine move (NAT rebinding) within it re-latches.
        clock.advance(seconds: 1)
        for _ in 0..<10 { flooder.sendSRTP([0xEE], to: call.legA) }
        #expect(await eventually(.seconds(5)) { Self.counters(engine, call.id, .a).totalDrops == 50 })
        a = Self.counters(engine, call.id, .a)
        #expect(a[.authFailed] == 10 && a[.unknownSource] == 40)
        clock.advance(seconds: 1)
        let moved = try Peer(ssrc: 0x50, key: phone.ownKey)
        moved.sequence = phone.sequence
        moved.sendSRTP([3], to: call.legA)
        #expect(pbx.receivePlainRTP() == [3])
        #expect(Self.counters(engine, call.id, .a).relatched == 1)
        engine.endSessionAndWait(call.id)
    }

    /// Before the latch the declared address is not yet proven, so there is no budget: every packet is tried.
    @Test func beforeTheLatchEveryPacketIsTried() async throws {
        var configuration = MediaEngine.Configuration(ports: 26500...26599, loops: 1)
        configuration.unlatchedAuthBudget = 5
        let engine = try MediaEngine(configuration: configuration)
        let phone = try Peer(ssrc: 0x52)
        let pbx = try Peer(ssrc: 0x53)
        let call = try MediaRelayTests.call(engine, phone: phone, pbx: pbx)
        let flooder = try Peer(ssrc: 0x52)
        for _ in 0..<10 { flooder.sendSRTP([0xEE], to: call.legA) }
        #expect(await eventually(.seconds(5)) { Self.counters(engine, call.id, .a).totalDrops == 10 })
        phone.sendSRTP([1], to: call.legA)
        #expect(pbx.receivePlainRTP() == [1])
        engine.endSessionAndWait(call.id)
    }

    @Test func datagramsLongerThanTheMaximumAreDroppedBeforeAnyWork() async throws {
        var configuration = MediaEngine.Configuration(ports: 26500...26599, loops: 1)
        configuration.maxDatagramBytes = 600
        let engine = try MediaEngine(configuration: configuration)
        let phone = try Peer(ssrc: 0x54)
        let pbx = try Peer(ssrc: 0x55)
        let call = try MediaRelayTests.call(engine, phone: phone, pbx: pbx)
        // A genuine packet of 12 + 600 + 10 bytes: too long, so never authenticated (no replay of it later).
        phone.sendSRTP([UInt8](repeating: 1, count: 600), to: call.legA)
        #expect(pbx.receive() == nil)
        let a = Self.counters(engine, call.id, .a)
        #expect(a[.tooLong] == 1 && a.packetsIn == 0)
        phone.sendSRTP([UInt8](repeating: 2, count: 500), to: call.legA)
        #expect(pbx.receivePlainRTP() == [UInt8](repeating: 2, count: 500))
        engine.endSessionAndWait(call.id)
    }
}
