import Media
import Recording
import SRTP
import Testing
import Transport

/// Recording's tap on the packet path: decrypted payloads of authenticated packets go to the loop's capture ring,
/// telephone-events never do, a paused or stopped call's do not, and a full ring costs the recording, not the call.
@Suite(.serialized) struct MediaCaptureTests {
    static func engine(ringBytes: Int) throws -> MediaEngine {
        var configuration = MediaEngine.Configuration(ports: 25000...25199, loops: 1)
        configuration.captureRingBytes = ringBytes
        return try MediaEngine(configuration: configuration)
    }

    /// One RTP packet with payload type `payloadType`, protected by `peer`'s own key.
    static func send(_ peer: Peer, payloadType: UInt8, payload: [UInt8], to destination: UDPAddress) {
        var plain = peer.rtp(payload: payload)
        plain[1] = payloadType
        peer.buffer.copyBytes(from: plain)
        let length = peer.sender.protectRTP(peer.buffer, length: plain.count).length!
        peer.sendRaw(Array(peer.buffer[..<length]), to: destination)
    }

    static func captured(_ engine: MediaEngine) -> [(handle: UInt32, leg: RecordedLeg, type: UInt8, payload: [UInt8])] {
        engine.flush()
        var seen: [(UInt32, RecordedLeg, UInt8, [UInt8])] = []
        for ring in engine.captureRings {
            _ = ring.drain { seen.append(($0.handle, $0.leg, $0.payloadType, Array($0.payload))) }
        }
        return seen
    }

    @Test func capturesDecryptedPayloadsOfBothLegsButNoTelephoneEvents() throws {
        let engine = try Self.engine(ringBytes: 1 << 20)
        let phone = try Peer(ssrc: 0x51)
        let pbx = try Peer(ssrc: 0x52)
        let call = try MediaRelayTests.call(engine, phone: phone, pbx: pbx)
        #expect(engine.setCapture(session: call.id, handle: 5, excluded: [101]))
        engine.flush()

        Self.send(phone, payloadType: 0, payload: Array(repeating: 0x11, count: 160), to: call.legA)
        #expect(pbx.receive() != nil)
        Self.send(phone, payloadType: 101, payload: [5, 0x8A, 0, 160], to: call.legA)
        #expect(pbx.receive() != nil, "the digit is relayed")
        Self.send(pbx, payloadType: 0, payload: Array(repeating: 0x22, count: 160), to: call.legB)
        #expect(phone.receive() != nil)

        let seen = Self.captured(engine)
        #expect(seen.count == 2)
        #expect(seen.first?.handle == 5 && seen.first?.leg == .softphone && seen.first?.type == 0)
        #expect(seen.first?.payload == Array(repeating: 0x11, count: 160), "the plaintext, not the SRTP bytes")
        #expect(seen.last?.leg == .pbx && seen.last?.payload == Array(repeating: 0x22, count: 160))
        #expect(!seen.contains { $0.type == 101 }, "RFC 4733 digits are never captured")

        // Paused (handle 0): relayed, not captured.
        engine.setCapture(session: call.id, handle: 0)
        engine.flush()
        Self.send(phone, payloadType: 0, payload: Array(repeating: 0x33, count: 160), to: call.legA)
        #expect(pbx.receive() != nil)
        #expect(Self.captured(engine).isEmpty)
        engine.endSessionAndWait(call.id)
    }

    @Test func aCallThatIsNotRecordedCapturesNothing() throws {
        let engine = try Self.engine(ringBytes: 1 << 20)
        let phone = try Peer(ssrc: 0x61)
        let pbx = try Peer(ssrc: 0x62)
        let call = try MediaRelayTests.call(engine, phone: phone, pbx: pbx)
        Self.send(phone, payloadType: 0, payload: Array(repeating: 1, count: 160), to: call.legA)
        #expect(pbx.receive() != nil)
        #expect(Self.captured(engine).isEmpty)
        engine.endSessionAndWait(call.id)
    }

    /// The writer never drains here: the ring fills, recording loses packets (counted), every packet is relayed.
    @Test func aFullRingLosesRecordedCopiesNeverRelayedPackets() throws {
        let engine = try Self.engine(ringBytes: 65_536)
        let phone = try Peer(ssrc: 0x71)
        let pbx = try Peer(ssrc: 0x72)
        let call = try MediaRelayTests.call(engine, phone: phone, pbx: pbx)
        engine.setCapture(session: call.id, handle: 8)
        engine.flush()
        var relayed = 0
        for _ in 0..<600 {
            Self.send(phone, payloadType: 0, payload: Array(repeating: 7, count: 160), to: call.legA)
            if pbx.receive() != nil { relayed += 1 }
        }
        #expect(relayed == 600)
        #expect(engine.captureOverruns == UInt64(600 - 65_536 / 192))
        #expect(Self.captured(engine).count == 65_536 / 192)
        engine.endSessionAndWait(call.id)
    }

    @Test func withoutRecordingConfiguredThereIsNoRing() throws {
        let engine = try Self.engine(ringBytes: 0)
        #expect(engine.captureRings.isEmpty)
        let phone = try Peer(ssrc: 0x81)
        let pbx = try Peer(ssrc: 0x82)
        let call = try MediaRelayTests.call(engine, phone: phone, pbx: pbx)
        #expect(!engine.setCapture(session: call.id, handle: 1))
        engine.endSessionAndWait(call.id)
    }
}
