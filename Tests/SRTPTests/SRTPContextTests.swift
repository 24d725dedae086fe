import SRTP
import Testing

/// Behaviour of one context pair per suite: round trips, and every verdict a packet can earn.
@Suite struct SRTPContextTests {
    init() throws { try startOpenSSLBackend() }

    /// A sender and a receiver sharing one fresh key.
    struct Pair {
        let sender: SRTPContext
        let receiver: SRTPContext
        init(_ profile: SRTPProfile, replayWindow: Int = 1024) throws {
            let key = try SRTPKeyMaterial.generate(for: profile)
            sender = try SRTPContext(key: key, direction: .outbound)
            receiver = try SRTPContext(key: key, direction: .inbound, replayWindow: replayWindow)
        }
    }

    static func rtp(seq: UInt16, payload: Int = 160, ssrc: UInt32 = 0x1234_5678) -> [UInt8] {
        [0x80, 0x00, UInt8(seq >> 8), UInt8(seq & 0xFF), 0, 0, 0x03, 0xC0]
            + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: ssrc >> $0) }
            + (0..<payload).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seq)) }
    }

    static let rtcp = [0x80, 201, 0x00, 0x01] + [0xCA, 0xFE, 0xBA, 0xBE] as [UInt8]

    @Test(arguments: SRTPProfile.allCases) func rtpRoundTripAndTrailer(_ profile: SRTPProfile) throws {
        let pair = try Pair(profile)
        let buffer = PacketBuffer()
        for seq: UInt16 in [1, 2, 3, 500] {
            let plain = Self.rtp(seq: seq)
            let protected = try #require(pair.sender.protectRTP(buffer.storage, length: buffer.load(plain)).length)
            #expect(protected == plain.count + profile.rtpTagLength)
            #expect(buffer.bytes(12) == Array(plain[..<12]), "the header stays in the clear")
            #expect(buffer.bytes(protected)[12..<plain.count] != plain[12...], "the payload is encrypted")
            #expect(pair.receiver.unprotectRTP(buffer.storage, length: protected) == .ok(length: plain.count))
            #expect(buffer.bytes(plain.count) == plain)
        }
    }

    @Test(arguments: SRTPProfile.allCases) func rtcpRoundTripAndTrailer(_ profile: SRTPProfile) throws {
        let pair = try Pair(profile)
        let buffer = PacketBuffer()
        let protected = try #require(pair.sender.protectRTCP(buffer.storage, length: buffer.load(Self.rtcp)).length)
        #expect(protected == Self.rtcp.count + 4 + profile.rtcpTagLength)
        #expect(pair.receiver.unprotectRTCP(buffer.storage, length: protected) == .ok(length: Self.rtcp.count))
        #expect(buffer.bytes(Self.rtcp.count) == Self.rtcp)
        // The same SRTCP packet again is a replay.
        #expect(pair.sender.protectRTCP(buffer.storage, length: buffer.load(Self.rtcp)).length == protected)
        let second = buffer.bytes(protected)
        #expect(
            pair.receiver.unprotectRTCP(buffer.storage, length: buffer.load(second)) == .ok(length: Self.rtcp.count))
        #expect(pair.receiver.unprotectRTCP(buffer.storage, length: buffer.load(second)) == .dropped(.replay))
    }

    /// Flip each bit of a protected packet in turn: none may pass, and a flip in the encrypted
    /// payload or the tag is always `authFailed`.
    @Test(arguments: SRTPProfile.allCases) func everyFlippedBitIsDropped(_ profile: SRTPProfile) throws {
        let pair = try Pair(profile, replayWindow: 0x7FFF)
        let buffer = PacketBuffer()
        let plain = Self.rtp(seq: 100, payload: 40)
        let protected = try #require(pair.sender.protectRTP(buffer.storage, length: buffer.load(plain)).length)
        let wire = buffer.bytes(protected)
        for bit in 0..<(protected * 8) {
            var tampered = wire
            tampered[bit / 8] ^= 1 << UInt8(bit % 8)
            let result = pair.receiver.unprotectRTP(buffer.storage, length: buffer.load(tampered))
            #expect(result.length == nil, "bit \(bit) flipped and the packet still passed")
            if bit / 8 >= 12 {
                #expect(result == .dropped(.authFailed), "bit \(bit)")
            }
        }
        // The untouched packet still passes afterwards: failures moved no replay state.
        #expect(pair.receiver.unprotectRTP(buffer.storage, length: buffer.load(wire)) == .ok(length: plain.count))
    }

    @Test(arguments: SRTPProfile.allCases) func replayAndOldPackets(_ profile: SRTPProfile) throws {
        let pair = try Pair(profile, replayWindow: 64)
        let buffer = PacketBuffer()
        var wires: [UInt16: [UInt8]] = [:]
        for seq: UInt16 in [10, 11, 200] {
            let length = try #require(
                pair.sender.protectRTP(buffer.storage, length: buffer.load(Self.rtp(seq: seq))).length)
            wires[seq] = buffer.bytes(length)
        }
        let eleven = try #require(wires[11])
        #expect(pair.receiver.unprotectRTP(buffer.storage, length: buffer.load(eleven)).length != nil)
        #expect(pair.receiver.unprotectRTP(buffer.storage, length: buffer.load(eleven)) == .dropped(.replay))
        let late = try #require(wires[200])
        #expect(pair.receiver.unprotectRTP(buffer.storage, length: buffer.load(late)).length != nil)
        // Sequence 10 is now 190 behind the highest seen, outside a 64-packet window.
        let ten = try #require(wires[10])
        #expect(pair.receiver.unprotectRTP(buffer.storage, length: buffer.load(ten)) == .dropped(.replay))
    }

    @Test(arguments: SRTPProfile.allCases) func truncatedPackets(_ profile: SRTPProfile) throws {
        let pair = try Pair(profile)
        let buffer = PacketBuffer()
        let plain = Self.rtp(seq: 7, payload: 20)
        let protected = try #require(pair.sender.protectRTP(buffer.storage, length: buffer.load(plain)).length)
        let wire = buffer.bytes(protected)
        for length in 0..<protected {
            let result = pair.receiver.unprotectRTP(buffer.storage, length: buffer.load(Array(wire[..<length])))
            if length < 12 + profile.rtpTagLength {
                #expect(result == .dropped(.tooShort), "length \(length)")
            } else {
                #expect(result == .dropped(.authFailed), "length \(length)")
            }
        }
        #expect(pair.sender.protectRTP(buffer.storage, length: 11) == .dropped(.tooShort))
        #expect(
            pair.receiver.unprotectRTCP(buffer.storage, length: 8 + 4 + profile.rtcpTagLength - 1)
                == .dropped(.tooShort))
    }

    @Test(arguments: SRTPProfile.allCases) func wrongKeyFailsAuthentication(_ profile: SRTPProfile) throws {
        let pair = try Pair(profile)
        let stranger = try SRTPContext(key: SRTPKeyMaterial.generate(for: profile), direction: .inbound)
        let buffer = PacketBuffer()
        let protected = try #require(
            pair.sender.protectRTP(buffer.storage, length: buffer.load(Self.rtp(seq: 1))).length)
        #expect(stranger.unprotectRTP(buffer.storage, length: protected) == .dropped(.authFailed))
    }

    /// Plain RTP sent to an SRTP leg (the "RTP inject" attack) never authenticates.
    @Test func plainRTPIsRejected() throws {
        let pair = try Pair(.aesCM128HMACSHA1_80)
        let buffer = PacketBuffer()
        #expect(
            pair.receiver.unprotectRTP(buffer.storage, length: buffer.load(Self.rtp(seq: 9))) == .dropped(.authFailed))
    }

    @Test func nonRTPBytesAreMalformed() throws {
        let pair = try Pair(.aesCM128HMACSHA1_80)
        let buffer = PacketBuffer()
        var stun = Self.rtp(seq: 1)
        stun[0] = 0x00  // STUN binding request's first byte
        #expect(pair.receiver.unprotectRTP(buffer.storage, length: buffer.load(stun)) == .dropped(.malformed))
        #expect(pair.sender.protectRTP(buffer.storage, length: buffer.load(stun)) == .dropped(.malformed))
        // A CSRC count that claims more than the packet holds.
        var csrc = Self.rtp(seq: 2, payload: 0)
        csrc[0] = 0x8F
        #expect(pair.sender.protectRTP(buffer.storage, length: buffer.load(csrc)) == .dropped(.malformed))
    }

    @Test func noTailroomAndTooLong() throws {
        let pair = try Pair(.aeadAES128GCM)
        let plain = Self.rtp(seq: 3)
        let tight = UnsafeMutableRawBufferPointer.allocate(byteCount: plain.count + 15, alignment: 16)
        defer { tight.deallocate() }
        tight.copyBytes(from: plain)
        #expect(pair.sender.protectRTP(tight, length: plain.count) == .dropped(.noTailroom))
        #expect(pair.sender.protectRTP(tight, length: plain.count + 16) == .dropped(.noTailroom))
        let buffer = PacketBuffer()
        #expect(pair.receiver.unprotectRTP(buffer.storage, length: 0x1_0000) == .dropped(.tooLong))
    }

    @Test(arguments: SRTPProfile.allCases.filter(\.supportsMKI)) func masterKeyIdentifier(_ profile: SRTPProfile) throws
    {
        let fresh = try SRTPKeyMaterial.generate(for: profile)
        let mki = try SRTPMasterKeyIdentifier(value: 7, length: 2)
        let key = try SRTPKeyMaterial(
            profile: profile, key: Array(fresh.key), salt: Array(fresh.salt), mki: mki)
        let sender = try SRTPContext(key: key, direction: .outbound)
        let receiver = try SRTPContext(key: key, direction: .inbound)
        #expect(sender.rtpTrailerLength == profile.rtpTagLength + 2)
        let buffer = PacketBuffer()
        let plain = Self.rtp(seq: 1)
        let protected = try #require(sender.protectRTP(buffer.storage, length: buffer.load(plain)).length)
        #expect(protected == plain.count + profile.rtpTagLength + 2)
        // RFC 3711 §3.1: the MKI sits between the encrypted portion and the tag; with AEAD the tag
        // is part of the ciphertext, so the MKI ends the packet (RFC 7714 §6).
        let mkiOffset = profile.isAEAD ? protected - 2 : plain.count
        #expect(buffer.bytes(protected)[mkiOffset..<mkiOffset + 2] == [0, 7])
        var wrongMKI = buffer.bytes(protected)
        wrongMKI[mkiOffset + 1] = 8
        #expect(receiver.unprotectRTP(buffer.storage, length: buffer.load(wrongMKI)) == .dropped(.unknownMKI))
        wrongMKI[mkiOffset + 1] = 7
        #expect(receiver.unprotectRTP(buffer.storage, length: buffer.load(wrongMKI)) == .ok(length: plain.count))
    }

    @Test func mkiRefusedForThe32BitSuites() throws {
        let fresh = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_32)
        let key = try SRTPKeyMaterial(
            profile: .aesCM128HMACSHA1_32, key: Array(fresh.key), salt: Array(fresh.salt),
            mki: SRTPMasterKeyIdentifier(value: 1, length: 1))
        #expect(throws: SRTPError(.invalidKey, "")) { try SRTPContext(key: key, direction: .outbound) }
    }

    @Test func replayWindowBounds() throws {
        let key = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        for window in [0, 63, 0x8000] {
            #expect(throws: SRTPError(.invalidReplayWindow, "")) {
                try SRTPContext(key: key, direction: .inbound, replayWindow: window)
            }
        }
        _ = try SRTPContext(key: key, direction: .inbound, replayWindow: 64)
    }

    @Test func backendCannotChangeOnceStarted() throws {
        #expect(try SRTPLibrary.start(backend: .openssl) == .openssl)
        #expect(throws: SRTPError(.invalidBackend, "")) { try SRTPLibrary.start(backend: .stock) }
    }
}
