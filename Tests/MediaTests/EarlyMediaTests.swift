import Media
import SRTP
import SottoTestSupport
import Synchronization
import Testing
import Transport

/// Packets that arrive before their leg's key: kept (bounded), relayed in order once the answer brings the key
/// and they authenticate; never latched or relayed before.
@Suite(.serialized) struct EarlyMediaTests {
    static func engine(
        _ clock: any MediaClock = SystemMediaClock(), packets: Int = 8, milliseconds: UInt64 = 100
    ) throws -> MediaEngine {
        var configuration = MediaEngine.Configuration(ports: 26400...26499, loops: 1)
        configuration.earlyBufferPackets = packets
        configuration.earlyBufferNanoseconds = milliseconds * 1_000_000
        return try MediaEngine(configuration: configuration, clock: clock)
    }

    /// The answer as the proxy applies it: the answerer's leg (B), then the offerer's (A).
    static func answer(_ engine: MediaEngine, _ id: UInt64, phone: Peer, pbx: Peer) throws {
        try engine.updateLeg(
            session: id, stream: 0, side: .b, declaredRTP: pbx.address, peerKey: pbx.ownKey, sottoKey: pbx.sottoKey)
        try engine.updateLeg(
            session: id, stream: 0, side: .a, declaredRTP: phone.address, peerKey: phone.ownKey,
            sottoKey: phone.sottoKey)
    }

    static func counters(_ engine: MediaEngine, _ id: UInt64, _ side: LegSide) -> LegCounters {
        engine.snapshot().first { $0.id == id }!.streams[0][side.rawValue].counters
    }

    /// Waits until the loop has taken `count` datagrams off leg `side` (kept ones count as nothing else yet).
    static func settle(_ engine: MediaEngine, _ id: UInt64, _ side: LegSide, dropped: UInt64) async -> Bool {
        await eventually(.seconds(5)) { counters(engine, id, side).totalDrops >= dropped }
    }

    @Test func theCalleesFirstPacketsAreRelayedOnceTheAnswerArrives() async throws {
        let engine = try Self.engine(ManualClock())  // no time passes: the age bound has its own test
        let phone = try Peer(ssrc: 0x40)
        let pbx = try Peer(ssrc: 0x41)
        let created = try engine.createSession(callID: "early", streams: [MediaStreamSpec()])
        let legB = UDPAddress(ip: "127.0.0.1", port: created.ports[0].rtpB)!
        for i in 1...3 { pbx.sendSRTP([UInt8(i)], to: legB) }
        // Nothing is relayed, latched or counted as received before the key.
        #expect(await eventually(.seconds(5)) { engine.earlyPacketCount(session: created.id) == 3 })
        #expect(phone.receive() == nil)
        let before = try #require(engine.snapshot().first)
        #expect(before.streams[0][1].latchedPeer == nil)
        #expect(before.streams[0][1].counters.packetsIn == 0)

        try Self.answer(engine, created.id, phone: phone, pbx: pbx)
        for i in 1...3 { #expect(phone.receivePlainRTP() == [UInt8(i)], "packet \(i), in order") }
        pbx.sendSRTP([4], to: legB)
        #expect(phone.receivePlainRTP() == [4])
        let b = Self.counters(engine, created.id, .b)
        #expect(b.packetsIn == 4 && b.totalDrops == 0)
        #expect(engine.snapshot().first?.streams[0][1].latchedPeer == pbx.address.description)
        engine.endSessionAndWait(created.id)
    }

    @Test func beyondTheBoundPacketsAreDroppedAndCounted() async throws {
        let engine = try Self.engine(packets: 4)
        let phone = try Peer(ssrc: 0x42)
        let pbx = try Peer(ssrc: 0x43)
        let created = try engine.createSession(callID: "early-full", streams: [MediaStreamSpec()])
        let legB = UDPAddress(ip: "127.0.0.1", port: created.ports[0].rtpB)!
        for i in 1...6 { pbx.sendSRTP([UInt8(i)], to: legB) }
        #expect(await Self.settle(engine, created.id, .b, dropped: 2))
        #expect(Self.counters(engine, created.id, .b)[.earlyBufferFull] == 2)
        try Self.answer(engine, created.id, phone: phone, pbx: pbx)
        for i in 1...4 { #expect(phone.receivePlainRTP() == [UInt8(i)]) }
        #expect(phone.receive() == nil)
        #expect(Self.counters(engine, created.id, .b).packetsIn == 4)
        engine.endSessionAndWait(created.id)
    }

    @Test func packetsOlderThanTheAgeBoundAreDropped() async throws {
        let clock = ManualClock()
        let engine = try Self.engine(clock)
        let phone = try Peer(ssrc: 0x44)
        let pbx = try Peer(ssrc: 0x45)
        let created = try engine.createSession(callID: "early-old", streams: [MediaStreamSpec()])
        let legB = UDPAddress(ip: "127.0.0.1", port: created.ports[0].rtpB)!
        pbx.sendSRTP([1], to: legB)
        pbx.sendSRTP([2], to: legB)
        #expect(await eventually(.seconds(5)) { engine.earlyPacketCount(session: created.id) == 2 })
        clock.advance(seconds: 0, milliseconds: 150)
        pbx.sendSRTP([3], to: legB)
        #expect(await eventually(.seconds(5)) { engine.earlyPacketCount(session: created.id) == 3 })
        try Self.answer(engine, created.id, phone: phone, pbx: pbx)
        #expect(phone.receivePlainRTP() == [3], "only the fresh packet")
        #expect(phone.receive() == nil)
        #expect(Self.counters(engine, created.id, .b)[.noPeerYet] == 2)
        engine.endSessionAndWait(created.id)
    }

    /// A stranger's packets kept before the key do not authenticate, so they neither latch nor go out.
    @Test func keptPacketsMustAuthenticate() async throws {
        let engine = try Self.engine(ManualClock())
        let phone = try Peer(ssrc: 0x46)
        let pbx = try Peer(ssrc: 0x47)
        let stranger = try Peer(ssrc: 0x47)
        let created = try engine.createSession(callID: "early-stranger", streams: [MediaStreamSpec()])
        let legB = UDPAddress(ip: "127.0.0.1", port: created.ports[0].rtpB)!
        stranger.sendSRTP([9], to: legB)
        stranger.sendRaw(stranger.rtp(payload: [UInt8](repeating: 8, count: 40)), to: legB)
        pbx.sendSRTP([1], to: legB)
        #expect(await eventually(.seconds(5)) { engine.earlyPacketCount(session: created.id) == 3 })
        try Self.answer(engine, created.id, phone: phone, pbx: pbx)
        #expect(phone.receivePlainRTP() == [1])
        #expect(phone.receive() == nil)
        let b = Self.counters(engine, created.id, .b)
        #expect(b.packetsIn == 1 && b[.unknownSource] == 2)
        #expect(engine.snapshot().first?.streams[0][1].latchedPeer == pbx.address.description)
        engine.endSessionAndWait(created.id)
    }

    /// A session that ends with packets still kept counts them, and leaves nothing in the loop's store.
    @Test func anEndedSessionLeavesNothingKept() async throws {
        let engine = try Self.engine()
        let pbx = try Peer(ssrc: 0x48)
        let created = try engine.createSession(callID: "early-end", streams: [MediaStreamSpec()])
        let legB = UDPAddress(ip: "127.0.0.1", port: created.ports[0].rtpB)!
        pbx.sendSRTP([1], to: legB)
        #expect(await eventually(.seconds(5)) { engine.earlyPacketCount(session: created.id) == 1 })
        let ended = Mutex<[MediaSessionSnapshot]>([])
        engine.setSessionEndedHandler { snapshot in ended.withLock { $0.append(snapshot) } }
        engine.endSessionAndWait(created.id)
        #expect(ended.withLock { $0.first?.streams[0][1].counters[.noPeerYet] } == 1)
    }
}
