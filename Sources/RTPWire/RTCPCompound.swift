/// A walk over the packets of an RTCP compound packet, in place and without allocating (RFC 3550 §6.1).
///
/// Each step yields `.ok(packet)` or, once, `.malformed(verdict)`, after which the walk ends. Checked for every
/// packet: a whole common header (`tooShort`, which also covers 1 to 3 stray octets at the end), version 2
/// (`badVersion`), a length that fits what is left (`lengthOverrun`), and padding only on the last packet
/// (`misplacedPadding`) with a count of at least 1 (`badPadding`) that leaves the common header intact
/// (`paddingOverrun`). An empty buffer yields `tooShort`.
///
/// Not checked: that the first packet is SR or RR (RFC 3550 Appendix A.2), since reduced-size RTCP allows any
/// type first (RFC 5506 §3.4). Walk SRTCP only after `srtp_unprotect_rtcp`: before it, the trailing SRTCP index
/// and authentication tag are not RTCP packets (RFC 3711 §3.4).
public struct RTCPCompound: Sequence {
    /// The whole compound packet.
    public let bytes: UnsafeRawBufferPointer

    /// Wraps a compound packet for walking; nothing is read until the walk starts.
    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Starts the walk at the first packet.
    @inlinable
    public func makeIterator() -> Iterator {
        Iterator(bytes: bytes)
    }

    /// Walks every packet and returns how many there are, or the first verdict.
    @inlinable
    public static func validate(_ bytes: UnsafeRawBufferPointer) -> RTPWireResult<Int> {
        var packets = 0
        for step in RTCPCompound(bytes) {
            switch step {
            case .ok: packets += 1
            case .malformed(let verdict): return .malformed(verdict)
            }
        }
        return .ok(packets)
    }

    /// The iterator of ``RTCPCompound``.
    public struct Iterator: IteratorProtocol {
        @usableFromInline
        let bytes: UnsafeRawBufferPointer
        @usableFromInline
        var offset: Int
        @usableFromInline
        var finished: Bool

        @usableFromInline
        init(bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
            self.offset = 0
            self.finished = false
        }

        /// The next packet, a verdict if the rest of the buffer is malformed, or `nil` at the end.
        @inlinable
        public mutating func next() -> RTPWireResult<RTCPPacket>? {
            guard !finished else { return nil }
            let total = bytes.count
            if offset == total {
                finished = true
                return offset == 0 ? .malformed(.tooShort) : nil
            }
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset..<total])
            let header: RTCPHeader
            switch RTCPHeader.parse(rest) {
            case .ok(let parsed): header = parsed
            case .malformed(let verdict): return fail(verdict)
            }
            let end = offset + header.packetLength
            var paddingLength = 0
            if header.hasPadding {
                // RFC 3550 §6.4.1: only the last packet of a compound may be padded.
                guard end == total else { return fail(.misplacedPadding) }
                paddingLength = Int(bytes[end - 1])
                guard paddingLength > 0 else { return fail(.badPadding) }
                guard paddingLength <= header.packetLength - RTCPHeader.length else { return fail(.paddingOverrun) }
            }
            let packet = RTCPPacket(
                unchecked: bytes,
                range: offset..<end,
                header: header,
                paddingLength: paddingLength
            )
            offset = end
            return .ok(packet)
        }

        @inlinable
        mutating func fail(_ verdict: RTPWireVerdict) -> RTPWireResult<RTCPPacket> {
            finished = true
            return .malformed(verdict)
        }
    }
}

@available(*, unavailable, message: "a view over caller-owned bytes")
extension RTCPCompound: Sendable {}

@available(*, unavailable, message: "a view over caller-owned bytes")
extension RTCPCompound.Iterator: Sendable {}
