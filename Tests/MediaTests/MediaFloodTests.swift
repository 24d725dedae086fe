import Media
import SRTP
import SottoTestSupport
import Synchronization
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

/// The engine's totals since start never fall when a call ends, and re-latches are counted and logged.
@Suite(.serialized) struct MediaTotalsTests {
    @Test func totalsDoNotFallWhenACallEnds() throws {
        let engine = try MediaEngine(configuration: .init(ports: 26600...26699, loops: 1))
        let phone = try Peer(ssrc: 0x56)
        let pbx = try Peer(ssrc: 0x57)
        let call = try MediaRelayTests.call(engine, phone: phone, pbx: pbx)
        for i in 0..<5 {
            phone.sendSRTP([UInt8(i)], to: call.legA)
            #expect(pbx.receive() != nil)
        }
        phone.sendRaw(phone.rtp(payload: [UInt8](repeating: 0, count: 40)), to: call.legA)
        phone.sendSRTP([9], to: call.legA)
        #expect(pbx.receive() != nil)
        let live = engine.totals()
        #expect(live.packetsOut == 6 && live[.authFailed] == 1)
        engine.endSessionAndWait(call.id)
        #expect(engine.snapshot().isEmpty)
        let after = engine.totals()
        #expect(after.packetsOut == 6, "the ended call's packets stay in the total")
        #expect(after[.authFailed] == 1)
        // A second call adds to them.
        let phone2 = try Peer(ssrc: 0x58)
        let second = try MediaRelayTests.call(engine, phone: phone2, pbx: pbx)
        phone2.sendSRTP([1], to: second.legA)
        #expect(pbx.receive() != nil)
        #expect(engine.totals().packetsOut == 7)
        engine.endSessionAndWait(second.id)
        #expect(engine.totals().packetsOut == 7)
    }

    @Test func aRelatchIsCountedAndLogged() throws {
        let clock = ManualClock()
        let lines = Mutex<[String]>([])
        var configuration = MediaEngine.Configuration(ports: 26600...26699, loops: 1)
        configuration.logger = TransportLogger { _, line in lines.withLock { $0.append(line) } }
        let engine = try MediaEngine(configuration: configuration, clock: clock)
        let phone = try Peer(ssrc: 0x59)
        let pbx = try Peer(ssrc: 0x5A)
        let call = try MediaRelayTests.call(engine, phone: phone, pbx: pbx)
        phone.sendSRTP([1], to: call.legA)
        #expect(pbx.receive() != nil)
        engine.endIdleSessions()
        #expect(lines.withLock { $0.isEmpty }, "the first latch is not a re-latch")
        for move in 1...3 {
            let moved = try Peer(ssrc: 0x59, key: phone.ownKey)
            moved.sequence = phone.sequence &+ UInt16(move * 10)
            moved.sendSRTP([2], to: call.legA)
            #expect(pbx.receive() != nil)
            engine.endIdleSessions()
        }
        #expect(engine.totals().relatched == 3)
        // One line for the first; the next two within 10 s are held back and counted in the next line.
        #expect(lines.withLock { $0.count } == 1)
        #expect(lines.withLock { $0.first?.contains("re-latched") } == true)
        clock.advance(seconds: 11)
        let moved = try Peer(ssrc: 0x59, key: phone.ownKey)
        moved.sequence = phone.sequence &+ 100
        moved.sendSRTP([3], to: call.legA)
        #expect(pbx.receive() != nil)
        engine.endIdleSessions()
        #expect(lines.withLock { $0.count } == 2)
        #expect(lines.withLock { $0.last?.contains("(2 other re-latches since the last report)") } == true)
        engine.endSessionAndWait(call.id)
        #expect(engine.totals().relatched == 4, "still counted after the call ended")
    }
}
