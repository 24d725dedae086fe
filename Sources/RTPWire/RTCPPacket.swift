/// A view of one RTCP packet inside a compound packet: its common header, byte range, body and padding.
///
/// Produced by ``RTCPCompound``, which has checked that ``range`` lies within ``bytes`` and that the padding
/// count is valid (RFC 3550 §6.4.1).
public struct RTCPPacket {
    /// The whole compound packet.
    public let bytes: UnsafeRawBufferPointer
    /// The offsets of this packet in ``bytes``, common header and padding included.
    public let range: Range<Int>
    /// The common header.
    public let header: RTCPHeader
    /// Octets of padding at the end of this packet, the count octet included; 0 without the P bit.
    public let paddingLength: Int

    @usableFromInline
    init(unchecked bytes: UnsafeRawBufferPointer, range: Range<Int>, header: RTCPHeader, paddingLength: Int) {
        self.bytes = bytes
        self.range = range
        self.header = header
        self.paddingLength = paddingLength
    }

    /// The packet type from the common header.
    @inlinable
    public var packetType: RTCPPacketType { header.packetType }

    /// This packet's octets, in place.
    @inlinable
    public var packetBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[range]) }

    /// The offsets in ``bytes`` of what follows the common header, padding excluded.
    @inlinable
    public var bodyRange: Range<Int> { (range.lowerBound + RTCPHeader.length)..<(range.upperBound - paddingLength) }

    /// What follows the common header, padding excluded, in place.
    @inlinable
    public var body: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[bodyRange]) }

    /// The first 32-bit word after the common header, or `nil` when the body is shorter than 4 octets.
    ///
    /// It is the sender's SSRC in SR, RR, APP, RTPFB and PSFB packets and the first chunk's or source's
    /// identifier in SDES and BYE (RFC 3550 §6.4-§6.7, RFC 4585 §6.1).
    @inlinable
    public var ssrc: UInt32? {
        let body = bodyRange
        guard body.count >= 4 else { return nil }
        return bytes.bigEndianUInt32(at: body.lowerBound)
    }
}

@available(*, unavailable, message: "a view over caller-owned bytes")
extension RTCPPacket: Sendable {}
