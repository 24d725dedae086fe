import Foundation

/// The plaintext inside a recording's sealed chunks: a sequence of records, each a kind byte, a 4-byte length
/// and a body. The first record of the first chunk is the metadata; packets and events follow in capture order.
///
/// ```
/// record   = kind (1) | length (4, big-endian) | body (length bytes)
/// kind 1   metadata v1: the RecordingMetadata as JSON (UTF-8), at most maximumMetadataBytes
/// kind 2   packet v1:   leg (1) | stream (1) | payload type (1) | sequence (2) | timestamp (4) | ssrc (4)
///                       | arrival ns (8) | payload (0...maximumPayloadBytes)
/// kind 3   event v1:    event kind (1) | at ns (8)
/// ```
///
/// All integers are big-endian. A changed layout gets a new kind number: a reader refuses a kind it does not
/// know rather than skip it, so an old `sottoctl` never exports a recording with silent holes. The writer seals
/// whole records per chunk, so a record never spans two chunks (and a cut recording loses whole records only).
///
/// Decoding is bounded: a record can never claim more bytes than are left, a packet's payload is at most
/// ``maximumPayloadBytes``, metadata at most ``maximumMetadataBytes``, and every field is range-checked, so
/// any byte string either decodes or throws; it never traps or allocates more than its own size.
public enum RecordingRecords {
    /// The largest payload a packet record may carry: an Ethernet MTU, more than any audio packet.
    public static let maximumPayloadBytes = 1500
    /// The largest metadata record body. The metadata comes from one INVITE and its answer (each at most
    /// 64 KiB in the SIP parser); JSON escaping can grow text, hence four times that.
    public static let maximumMetadataBytes = 256 * 1024
    /// Bytes before a record's body: kind and length.
    public static let recordHeaderBytes = 5
    /// Bytes of a packet record's body before the payload.
    public static let packetFixedBytes = 21
    /// Bytes of an event record's body.
    public static let eventBytes = 9

    enum Kind: UInt8 {
        case metadata = 1
        case packet = 2
        case event = 3
    }

    /// Appends the metadata record (the first record of a recording's first chunk).
    ///
    /// Throws ``VaultCryptoError/Code/recordTooLarge`` when the JSON is longer than ``maximumMetadataBytes``
    /// (nothing is appended then), or when the metadata does not encode (a start time that is not finite).
    public static func encode(metadata: RecordingMetadata, into buffer: inout [UInt8]) throws {
        let json: Data
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            json = try encoder.encode(metadata)
        } catch {
            throw VaultCryptoError(.recordTooLarge, "the recording's metadata does not encode: \(error)")
        }
        guard json.count <= maximumMetadataBytes else {
            throw VaultCryptoError(
                .recordTooLarge,
                "the recording's metadata is \(json.count) bytes, more than the \(maximumMetadataBytes) a record holds")
        }
        appendHeader(.metadata, length: json.count, into: &buffer)
        buffer.append(contentsOf: json)
    }

    /// Appends one entry's record. Returns false, appending nothing, for a packet whose payload is longer than
    /// ``maximumPayloadBytes`` or whose payload type does not fit RTP's 7 bits.
    @discardableResult
    public static func encode(_ entry: RecordingEntry, into buffer: inout [UInt8]) -> Bool {
        switch entry {
        case .packet(let packet):
            return packet.payload.withUnsafeBytes { payload in
                encodePacket(
                    leg: packet.leg, stream: packet.stream, payloadType: packet.payloadType, sequence: packet.sequence,
                    timestamp: packet.timestamp, ssrc: packet.ssrc, arrival: packet.arrival, payload: payload,
                    into: &buffer)
            }
        case .event(let event):
            appendHeader(.event, length: eventBytes, into: &buffer)
            buffer.append(event.kind.rawValue)
            appendBigEndian(event.at, into: &buffer)
            return true
        }
    }

    /// Appends a packet record straight from the capture ring's bytes, with no intermediate ``RecordedPacket``
    /// (the writer calls this per packet; it allocates only when `buffer` must grow, so reserve capacity).
    ///
    /// Returns false, appending nothing, when the payload is longer than ``maximumPayloadBytes`` or the payload
    /// type is over 127: the decoder would refuse such a record, so it is never written.
    @discardableResult
    public static func encodePacket(
        leg: RecordedLeg, stream: UInt8, payloadType: UInt8, sequence: UInt16, timestamp: UInt32, ssrc: UInt32,
        arrival: UInt64, payload: UnsafeRawBufferPointer, into buffer: inout [UInt8]
    ) -> Bool {
        guard payload.count <= maximumPayloadBytes, payloadType <= 127 else { return false }
        appendHeader(.packet, length: packetFixedBytes + payload.count, into: &buffer)
        buffer.append(leg.rawValue)
        buffer.append(stream)
        buffer.append(payloadType)
        appendBigEndian(sequence, into: &buffer)
        appendBigEndian(timestamp, into: &buffer)
        appendBigEndian(ssrc, into: &buffer)
        appendBigEndian(arrival, into: &buffer)
        buffer.append(contentsOf: payload)
        return true
    }

    /// Decodes a recording's plaintext (one chunk, or the chunks joined in order): the metadata when the bytes
    /// start with it, and every entry after it.
    ///
    /// Throws ``VaultCryptoError/Code/malformedRecord`` naming the byte offset for a record that claims more
    /// bytes than are left, a record of an unknown kind, a metadata record anywhere but first, or a field out of
    /// range (leg, payload type, event kind, body length).
    public static func decode(_ bytes: [UInt8]) throws -> (metadata: RecordingMetadata?, entries: [RecordingEntry]) {
        var metadata: RecordingMetadata?
        var entries: [RecordingEntry] = []
        var offset = 0
        while offset < bytes.count {
            let left = bytes.count - offset
            guard left >= recordHeaderBytes else {
                throw malformed(
                    offset, "\(left) bytes are left, fewer than a record's \(recordHeaderBytes)-byte header")
            }
            let kindByte = bytes[offset]
            let length = Int(readBigEndian(bytes, at: offset + 1, as: UInt32.self))
            // The bound that keeps decoding safe: a record never claims more than what is left.
            guard length <= left - recordHeaderBytes else {
                throw malformed(
                    offset, "a record claims \(length) bytes, but only \(left - recordHeaderBytes) are left")
            }
            let body = offset + recordHeaderBytes
            guard let kind = Kind(rawValue: kindByte) else {
                throw malformed(offset, "record kind \(kindByte) is not one this version knows")
            }
            switch kind {
            case .metadata:
                guard offset == 0 else { throw malformed(offset, "a metadata record after the first record") }
                guard length <= maximumMetadataBytes else {
                    throw malformed(offset, "metadata of \(length) bytes, more than \(maximumMetadataBytes)")
                }
                do {
                    metadata = try JSONDecoder().decode(RecordingMetadata.self, from: Data(bytes[body..<body + length]))
                } catch {
                    throw malformed(offset, "the metadata record is not the metadata's JSON")
                }
            case .packet:
                entries.append(.packet(try decodePacket(bytes, body: body, length: length, offset: offset)))
            case .event:
                guard length == eventBytes else {
                    throw malformed(offset, "an event record of \(length) bytes, not \(eventBytes)")
                }
                guard let eventKind = RecordedEventKind(rawValue: bytes[body]) else {
                    throw malformed(offset, "event kind \(bytes[body]) is not one this version knows")
                }
                entries.append(.event(RecordedEvent(kind: eventKind, at: readBigEndian(bytes, at: body + 1))))
            }
            offset = body + length
        }
        return (metadata, entries)
    }

    private static func decodePacket(_ bytes: [UInt8], body: Int, length: Int, offset: Int) throws -> RecordedPacket {
        guard length >= packetFixedBytes else {
            throw malformed(offset, "a packet record of \(length) bytes, shorter than its \(packetFixedBytes) fixed")
        }
        guard length - packetFixedBytes <= maximumPayloadBytes else {
            throw malformed(
                offset, "a packet payload of \(length - packetFixedBytes) bytes, over \(maximumPayloadBytes)")
        }
        guard let leg = RecordedLeg(rawValue: bytes[body]) else {
            throw malformed(offset, "leg \(bytes[body]) is neither the PBX's (0) nor the softphone's (1)")
        }
        let payloadType = bytes[body + 2]
        guard payloadType <= 127 else { throw malformed(offset, "payload type \(payloadType) is over 127") }
        return RecordedPacket(
            leg: leg, stream: bytes[body + 1], payloadType: payloadType, sequence: readBigEndian(bytes, at: body + 3),
            timestamp: readBigEndian(bytes, at: body + 5), ssrc: readBigEndian(bytes, at: body + 9),
            arrival: readBigEndian(bytes, at: body + 13),
            payload: Array(bytes[body + packetFixedBytes..<body + length]))
    }

    private static func malformed(_ offset: Int, _ reason: String) -> VaultCryptoError {
        VaultCryptoError(.malformedRecord, "record at byte \(offset): \(reason)")
    }

    private static func appendHeader(_ kind: Kind, length: Int, into buffer: inout [UInt8]) {
        buffer.append(kind.rawValue)
        appendBigEndian(UInt32(length), into: &buffer)
    }

    static func appendBigEndian<T: FixedWidthInteger>(_ value: T, into buffer: inout [UInt8]) {
        var shift = T.bitWidth - 8
        while shift >= 0 {
            buffer.append(UInt8(truncatingIfNeeded: value >> shift))
            shift -= 8
        }
    }

    /// Reads a big-endian integer; the caller has checked that `offset + T.bitWidth / 8 <= bytes.count`.
    static func readBigEndian<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int, as: T.Type = T.self) -> T {
        var value: T = 0
        for index in offset..<offset + T.bitWidth / 8 {
            value = value << 8 | T(bytes[index])
        }
        return value
    }
}
