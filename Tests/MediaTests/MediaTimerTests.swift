import Media
import SRTP
import SottoTestSupport
import Testing
import Transport

/// The idle timer: it starts when a stream is keyed both ways, a call on hold gets the hold timeout, and
/// authenticated RTCP alone keeps a call alive. Time is the engine's manual clock.
@Suite(.serialized) struct MediaTimerTests {
    static func engine(_ clock: ManualClock, ports: ClosedRange<UInt16> = 26300...26399) throws -> MediaEngine {
        try MediaEngine(
            configuration: .init(ports: ports, loops: 1, idleTimeoutNanoseconds: 60_000_000_000), clock: clock)
    }

    /// A call that rings for hours (only the offerer's key known) is never idle; once the answer keys the
    /// other leg, the usual idle timeout runs from that moment.
    @Test func aCallInSetupIsNeverIdle() throws {
        let clock = ManualClock()
        let engine = try Self.engine(clock)
        let phone = try Peer(ssrc: 0x30)
        let pbx = try Peer(ssrc: 0x31)
        let id = try engine.createSession(callID: "ringing", streams: [MediaStreamSpec()]).id
        clock.advance(seconds: 600)
        #expect(engine.endIdleSessions().isEmpty, "no keys at all: in setup")
        try engine.updateLeg(session: id, stream: 0, side: .a, declaredRTP: phone.address, peerKey: phone.ownKey)
        clock.advance(seconds: 3600)
        #expect(engine.endIdleSessions().isEmpty, "one direction keyed: still ringing")
        try engine.updateLeg(
            session: id, stream: 0, side: .b, declaredRTP: pbx.address, peerKey: pbx.ownKey, sottoKey: pbx.sottoKey)
        try engine.updateLeg(session: id, stream: 0, side: .a, sottoKey: phone.sottoKey)
        clock.advance(seconds: 59)
        #expect(engine.endIdleSessions().isEmpty, "answered 59 s ago")
        clock.advance(seconds: 2)
        #expect(engine.endIdleSessions().map(\.id) == [id])
    }

    /// A call on hold (sendonly/recvonly, or inactive) may be silent for the hold timeout; a resume restarts
    /// the idle timer from the resume.
    @Test(arguments: [(MediaDirection.sendonly, MediaDirection.recvonly), (.inactive, .inactive)])
    func heldCallsUseTheHoldTimeout(held: MediaDirection, answered: MediaDirection) throws {
        let clock = ManualClock()
        let engine = try Self.engine(clock)
        let phone = try Peer(ssrc: 0x32)
        let pbx = try Peer(ssrc: 0x33)
        let call = try MediaRelayTests.call(engine, phone: phone, pbx: pbx)
        try engine.updateLeg(session: call.id, stream: 0, side: .a, direction: held)
        try engine.updateLeg(session: call.id, stream: 0, side: .b, direction: answered)
        clock.advance(seconds: 3600)
        #expect(engine.endIdleSessions().isEmpty, "an hour on hold is not idle")
        // Resumed: the idle timeout counts from the resume, not from the last packet before the hold.
        try engine.updateLeg(session: call.id, stream: 0, side: .a, direction: .sendrecv)
        try engine.updateLeg(session: call.id, stream: 0, side: .b, direction: .sendrecv)
        clock.advance(seconds: 59)
        #expect(engine.endIdleSessions().isEmpty)
        // On hold again, past the hold timeout: ended.
        try engine.updateLeg(session: call.id, stream: 0, side: .a, direction: held)
        clock.advance(seconds: 7201)
        #expect(engine.endIdleSessions().map(\.id) == [call.id])
    }

    @Test func theHoldTimeoutIsConfigurable() throws {
        let clock = ManualClock()
        var configuration = MediaEngine.Configuration(ports: 26300...26399, loops: 1)
        configuration.holdTimeoutNanoseconds = 120_000_000_000
        let engine = try MediaEngine(configuration: configuration, clock: clock)
        let call = try MediaRelayTests.call(engine, phone: try Peer(ssrc: 0x34), pbx: try Peer(ssrc: 0x35))
        try engine.updateLeg(session: call.id, stream: 0, side: .b, direction: .inactive)
        clock.advance(seconds: 100)
        #expect(engine.endIdleSessions().isEmpty)
        clock.advance(seconds: 21)
        #expect(engine.endIdleSessions().map(\.id) == [call.id])
    }

    /// A muted phone that sends only RTCP (receiver reports) keeps its call while the PBX side talks:
    /// authenticated SRTCP is activity.
    @Test func authenticatedRTCPAloneKeepsACallAlive() throws {
        let clock = ManualClock()
        let engine = try Self.engine(clock)
        let phone = try Peer(ssrc: 0x36)
        let pbx = try Peer(ssrc: 0x37)
        let call = try MediaRelayTests.call(engine, phone: phone, pbx: pbx)
        for round in 0..<5 {
            clock.advance(seconds: 50)
            phone.sendRTCP(to: call.legA)
            #expect(pbx.receive() != nil)
            pbx.sendSRTP([1, 2, 3], to: call.legB)
            #expect(phone.receive() != nil)
            #expect(engine.endIdleSessions().isEmpty)
        }
        // RTCP that does not authenticate is not activity: the phone's leg is silent from here.
        let stranger = try Peer(ssrc: 0x36)
        clock.advance(seconds: 50)
        stranger.sendRTCP(to: call.legA)
        pbx.sendSRTP([1, 2, 3], to: call.legB)
        engine.flush()
        clock.advance(seconds: 11)
        #expect(engine.endIdleSessions().map(\.id) == [call.id])
    }

    /// A phone that vanishes (its link gone, no FIN) while the PBX goes on sending: the phone's leg is silent,
    /// and the call ends after the idle timeout although the other leg is busy. A leg whose peer declared it
    /// does not send (recvonly) is not held to it.
    @Test func aVanishedPhoneEndsItsCallWhileThePBXStillSends() throws {
        let clock = ManualClock()
        let engine = try Self.engine(clock)
        let phone = try Peer(ssrc: 0x38)
        let pbx = try Peer(ssrc: 0x39)
        let call = try MediaRelayTests.call(engine, phone: phone, pbx: pbx)
        for second in stride(from: 10, through: 50, by: 10) {
            clock.advance(seconds: 10)
            pbx.sendSRTP([1, 2, 3], to: call.legB)
            engine.flush()
        }
        #expect(engine.endIdleSessions().isEmpty, "50 s of silence from the phone")
        try engine.updateLeg(session: call.id, stream: 0, side: .a, direction: .recvonly)
        clock.advance(seconds: 20)
        pbx.sendSRTP([1, 2, 3], to: call.legB)
        engine.flush()
        #expect(engine.endIdleSessions().isEmpty, "the phone said it only receives")
        try engine.updateLeg(session: call.id, stream: 0, side: .a, direction: .sendrecv)
        for second in stride(from: 70, through: 130, by: 10) {
            clock.advance(seconds: 10)
            pbx.sendSRTP([1, 2, 3], to: call.legB)
            engine.flush()
        }
        #expect(engine.endIdleSessions().map(\.id) == [call.id], "the phone's leg silent for 61 s")
    }
}

/// The media side keeps no reference to a session's master keys once the session has ended, so each key's one
/// buffer is cleansed as soon as signalling lets go of it too.
@Suite(.serialized) struct MediaKeyLifetimeTests {
    @Test func anEndedSessionHoldsNoKey() throws {
        let engine = try MediaEngine(configuration: .init(ports: 26700...26799, loops: 1))
        weak var peerKey: SRTPKeyBytes?
        weak var sottoKey: SRTPKeyBytes?
        let id = try engine.createSession(callID: "keys", streams: [MediaStreamSpec()]).id
        do {
            let peer = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
            let sotto = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
            (peerKey, sottoKey) = (peer.storage, sotto.storage)
            try engine.updateLeg(session: id, stream: 0, side: .a, peerKey: peer, sottoKey: sotto)
        }
        #expect(peerKey != nil && sottoKey != nil, "the live session holds its keys (to spot a re-offered one)")
        engine.endSessionAndWait(id)
        #expect(peerKey == nil && sottoKey == nil)
    }
}
