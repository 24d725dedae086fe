/// The 4-octet common header that starts every RTCP packet, decoded into values (RFC 3550 §6.4.1).
///
/// Four octets are cheaper to copy than to keep a pointer to, so this is a value type (and `Sendable`), unlike
/// the variable-length views of this module. The same value is what ``write(into:)`` writes.
public struct RTCPHeader: Sendable, Hashable {
    /// The length of the common header, in octets.
    public static let length = 4

    /// The P bit: the packet ends with padding whose last octet is its count (RFC 3550 §6.4.1).
    public var hasPadding: Bool
    /// The 5-bit count field: reception report count (SR, RR), source count (SDES, BYE), subtype (APP) or
    /// feedback message type (RTPFB, PSFB, RFC 4585 §6.1).
    public var count: UInt8
    /// The packet type.
    public var packetType: RTCPPacketType
    /// The length field: the packet's length in 32-bit words minus one, header and padding included.
    public var length: UInt16

    /// Creates a common header. The version is always 2.
    @inlinable
    public init(hasPadding: Bool = false, count: UInt8, packetType: RTCPPacketType, length: UInt16) {
        self.hasPadding = hasPadding
        self.count = count
        self.packetType = packetType
        self.length = length
    }

    /// The whole packet's length in octets, from the length field: `(length + 1) * 4`.
    @inlinable
    public var packetLength: Int { (Int(length) + 1) * 4 }

    // RFC 3550 §6.4.1 (the first word of every RTCP packet; RC is the count field):
    //
    //  0                   1                   2                   3
    //  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |V=2|P|    RC   |      PT       |             length            |
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

    /// Reads the common header at the start of `bytes` and checks that the packet it announces fits.
    ///
    /// Verdicts: `tooShort` under 4 octets, `badVersion` when the version is not 2, `lengthOverrun` when
    /// ``packetLength`` exceeds `bytes.count`. Padding is checked by ``RTCPCompound``, which knows whether the
    /// packet is the last one. RFC 3550 §6.4.1.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> RTPWireResult<RTCPHeader> {
        guard bytes.count >= length else { return .malformed(.tooShort) }
        let first = bytes[0]
        guard first >> 6 == 2 else { return .malformed(.badVersion) }
        let header = RTCPHeader(
            hasPadding: first & 0x20 != 0,
            count: first & 0x1F,
            packetType: RTCPPacketType(rawValue: bytes[1]),
            length: bytes.bigEndianUInt16(at: 2)
        )
        guard header.packetLength <= bytes.count else { return .malformed(.lengthOverrun) }
        return .ok(header)
    }

    /// The 32-bit word after the first common header of a compound packet, read in place; nil under 8 octets.
    ///
    /// It is the sender's SSRC in SR, RR, APP, RTPFB and PSFB and the first chunk's or source's identifier in SDES
    /// and BYE (RFC 3550 §6.4-§6.7, RFC 4585 §6.1), the same word ``RTCPPacket/ssrc`` gives for the first packet.
    /// Nothing else is checked, so it costs one length compare: it is for the per-packet path after
    /// `srtp_unprotect_rtcp`, which has checked the version and that these 8 octets are there.
    @inlinable
    public static func leadingSSRC(_ bytes: UnsafeRawBufferPointer) -> UInt32? {
        guard bytes.count >= length + 4 else { return nil }
        return bytes.bigEndianUInt32(at: length)
    }

    /// Writes the common header into the first 4 octets of `buffer`; returns 4.
    ///
    /// Verdicts: `fieldOutOfRange` for a count above 31, `bufferTooSmall` under 4 octets. RFC 3550 §6.4.1.
    @inlinable
    public func write(into buffer: UnsafeMutableRawBufferPointer) -> RTPWireResult<Int> {
        guard count <= 0x1F else { return .malformed(.fieldOutOfRange) }
        guard buffer.count >= Self.length else { return .malformed(.bufferTooSmall) }
        buffer[0] = 0x80 | (hasPadding ? 0x20 : 0) | count
        buffer[1] = packetType.rawValue
        buffer.storeBigEndian(length, at: 2)
        return .ok(Self.length)
    }
}
