import Foundation
import Recording
import Testing

@Suite struct RecordingRecordsTests {
    static let metadata = RecordingMetadata(
        id: "01J8ZQ4X7K2M3N4P5Q6R7S8T9V", callID: "a84b4c76e66710@pc33.example.com",
        caller: "sip:+441632960001@pbx.example.com", callee: "sip:agent-7@contact.example.com",
        requestURI: "sip:agent-7@192.0.2.44:5061;transport=tls",
        codecs: [
            [
                RecordedCodec(payloadType: 0, name: "PCMU", clockRate: 8000),
                RecordedCodec(payloadType: 101, name: "telephone-event", clockRate: 8000),
            ]
        ],
        started: 1_796_680_800.25)

    static func packet(_ n: Int, leg: RecordedLeg = .pbx, size: Int = 160) -> RecordedPacket {
        RecordedPacket(
            leg: leg, stream: 0, payloadType: 0, sequence: UInt16(truncatingIfNeeded: 65_530 + n),
            timestamp: UInt32(truncatingIfNeeded: 4_294_967_000 + 160 * n), ssrc: 0xDEAD_BEEF,
            arrival: UInt64(n) * 20_000_000, payload: (0..<size).map { UInt8(truncatingIfNeeded: $0 * 7 + n) })
    }

    static var entries: [RecordingEntry] {
        [
            .packet(packet(0)), .packet(packet(1, leg: .softphone)),
            .event(RecordedEvent(kind: .paused, at: 40_000_000)),
            .event(RecordedEvent(kind: .resumed, at: 90_000_000)), .packet(packet(2, size: 0)),
            .packet(packet(3, size: RecordingRecords.maximumPayloadBytes)),
            .event(RecordedEvent(kind: .stopped, at: UInt64.max)),
        ]
    }

    static func encoded() throws -> [UInt8] {
        var bytes: [UInt8] = []
        try RecordingRecords.encode(metadata: metadata, into: &bytes)
        for entry in entries { #expect(RecordingRecords.encode(entry, into: &bytes)) }
        return bytes
    }

    @Test func roundTrip() throws {
        let decoded = try RecordingRecords.decode(try Self.encoded())
        #expect(decoded.metadata == Self.metadata)
        #expect(decoded.entries == Self.entries)
    }

    @Test func aLaterChunkDecodesWithoutMetadata() throws {
        var bytes: [UInt8] = []
        for entry in Self.entries { RecordingRecords.encode(entry, into: &bytes) }
        let decoded = try RecordingRecords.decode(bytes)
        #expect(decoded.metadata == nil)
        #expect(decoded.entries == Self.entries)
    }

    @Test func encodePacketFromRawBytesMatchesTheEntryEncoding() {
        let packet = Self.packet(5, leg: .softphone)
        var fromEntry: [UInt8] = []
        RecordingRecords.encode(.packet(packet), into: &fromEntry)
        var fromRaw: [UInt8] = []
        let written = packet.payload.withUnsafeBytes {
            RecordingRecords.encodePacket(
                leg: packet.leg, stream: packet.stream, payloadType: packet.payloadType, sequence: packet.sequence,
                timestamp: packet.timestamp, ssrc: packet.ssrc, arrival: packet.arrival, payload: $0, into: &fromRaw)
        }
        #expect(written)
        #expect(fromRaw == fromEntry)
        #expect(fromRaw.count == RecordingRecords.recordHeaderBytes + RecordingRecords.packetFixedBytes + 160)
        // The layout, byte by byte, as docs/recording.md draws it.
        #expect(Array(fromRaw.prefix(8)) == [2, 0, 0, 0, 21 + 160, 1, 0, 0])
        #expect(Array(fromRaw[8..<10]) == [0xFF, 0xFF])  // sequence 65535
        #expect(Array(fromRaw[14..<18]) == [0xDE, 0xAD, 0xBE, 0xEF])
    }

    @Test func anOversizedPayloadOrPayloadTypeIsNotWritten() {
        var bytes: [UInt8] = [9]
        #expect(
            !RecordingRecords.encode(
                .packet(Self.packet(0, size: RecordingRecords.maximumPayloadBytes + 1)), into: &bytes))
        var wide = Self.packet(0)
        wide.payloadType = 128
        #expect(!RecordingRecords.encode(.packet(wide), into: &bytes))
        #expect(bytes == [9])
    }

    @Test func oversizedMetadataIsRefused() {
        var metadata = Self.metadata
        metadata.requestURI = String(repeating: "x", count: RecordingRecords.maximumMetadataBytes)
        var bytes: [UInt8] = []
        #expect(throws: VaultCryptoError(.recordTooLarge, "")) {
            try RecordingRecords.encode(metadata: metadata, into: &bytes)
        }
        #expect(bytes.isEmpty)
    }

    static func expectMalformed(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation)
    {
        do {
            _ = try RecordingRecords.decode(bytes)
            Issue.record("decoded", sourceLocation: sourceLocation)
        } catch let error as VaultCryptoError {
            #expect(error.code == .malformedRecord, sourceLocation: sourceLocation)
            #expect(error.reason.contains(fragment), "\(error.reason)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func aRecordClaimingMoreThanIsLeftIsRefused() {
        // An event record that claims 9 bytes with 8 present, and a huge claim.
        Self.expectMalformed([3, 0, 0, 0, 9, 1, 0, 0, 0, 0, 0, 0, 0], "only 8 are left")
        Self.expectMalformed([2, 0xFF, 0xFF, 0xFF, 0xFF, 0], "claims 4294967295 bytes")
        Self.expectMalformed([2, 0, 0], "fewer than a record's 5-byte header")
    }

    @Test func aPacketRecordOverThePayloadLimitIsRefused() {
        let length = RecordingRecords.packetFixedBytes + RecordingRecords.maximumPayloadBytes + 1
        var bytes: [UInt8] = [2, 0, 0, UInt8(length >> 8), UInt8(length & 0xFF)]
        bytes += [UInt8](repeating: 0, count: length)
        Self.expectMalformed(bytes, "payload of 1501 bytes")
    }

    @Test func fieldsOutOfRangeAreRefused() {
        var packet: [UInt8] = [2, 0, 0, 0, 21] + [UInt8](repeating: 0, count: 21)
        packet[5] = 2  // leg
        Self.expectMalformed(packet, "leg 2")
        packet[5] = 0
        packet[7] = 200  // payload type
        Self.expectMalformed(packet, "payload type 200")
        Self.expectMalformed([2, 0, 0, 0, 20] + [UInt8](repeating: 0, count: 20), "shorter than its 21 fixed")
        Self.expectMalformed([3, 0, 0, 0, 9, 9, 0, 0, 0, 0, 0, 0, 0, 0], "event kind 9")
        Self.expectMalformed([3, 0, 0, 0, 8, 1, 0, 0, 0, 0, 0, 0, 0], "not 9")
        Self.expectMalformed([7, 0, 0, 0, 0], "record kind 7")
        Self.expectMalformed([1, 0, 0, 0, 2, 0x7B, 0x7D], "not the metadata's JSON")
    }

    @Test func metadataAfterTheFirstRecordIsRefused() throws {
        var bytes: [UInt8] = []
        RecordingRecords.encode(.event(RecordedEvent(kind: .paused, at: 1)), into: &bytes)
        try RecordingRecords.encode(metadata: Self.metadata, into: &bytes)
        Self.expectMalformed(bytes, "a metadata record after the first record")
    }

    /// Every prefix of a valid stream decodes (at a record boundary) or throws; none traps.
    @Test func everyTruncationDecodesOrThrows() throws {
        let bytes = try Self.encoded()
        var boundaries = 0
        for length in 0...bytes.count {
            if let decoded = try? RecordingRecords.decode(Array(bytes.prefix(length))) {
                boundaries += 1
                #expect(Self.entries.starts(with: decoded.entries))
            }
        }
        #expect(boundaries == 1 + 1 + Self.entries.count)  // empty, after the metadata, after each entry
    }

    /// Random bytes, and valid streams with random bytes changed, either decode or throw: never a trap, never a
    /// payload over the limit.
    @Test func randomBytesNeverCrash() throws {
        var generator = SeededGenerator(seed: 0x5077_0001)
        let valid = try Self.encoded()
        for round in 0..<3000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0...64, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                if round % 4 == 0, !bytes.isEmpty { bytes[0] = UInt8.random(in: 1...3, using: &generator) }
            } else {
                bytes = valid
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(
                        in: 0...255, using: &generator)
                }
            }
            if let decoded = try? RecordingRecords.decode(bytes) {
                for case .packet(let packet) in decoded.entries {
                    #expect(packet.payload.count <= RecordingRecords.maximumPayloadBytes)
                }
            }
        }
    }
}

/// SplitMix64: reproducible random bytes for the fuzz-ish tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
