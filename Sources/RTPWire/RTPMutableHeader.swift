/// A view of an RTP packet in a mutable caller buffer: reads like ``RTPHeader`` and rewrites header fields in
/// place.
///
/// The relay uses it to rewrite sequence number, timestamp, SSRC, marker and payload type between legs without
/// copying the packet. The setters are `nonmutating`: like a pointer's `pointee`, they write through the view
/// into the caller's bytes. Only fixed-size fields can change, so the lengths checked by
/// ``parse(_:padding:)`` stay valid.
public struct RTPMutableHeader {
    /// The whole packet as handed to ``parse(_:padding:)``.
    public let bytes: UnsafeMutableRawBufferPointer
    /// A read-only view of the same bytes; it sees every write made through this view.
    public let header: RTPHeader

    @usableFromInline
    init(unchecked bytes: UnsafeMutableRawBufferPointer, header: RTPHeader) {
        self.bytes = bytes
        self.header = header
    }

    /// Checks an RTP packet's lengths exactly as ``RTPHeader/parse(_:padding:)`` does and returns a mutable view.
    @inlinable
    public static func parse(
        _ bytes: UnsafeMutableRawBufferPointer,
        padding: RTPHeader.PaddingPolicy = .validate
    ) -> RTPWireResult<RTPMutableHeader> {
        switch RTPHeader.parse(UnsafeRawBufferPointer(bytes), padding: padding) {
        case .ok(let header): return .ok(RTPMutableHeader(unchecked: bytes, header: header))
        case .malformed(let verdict): return .malformed(verdict)
        }
    }

    /// The M bit, rewritten in place without touching the payload type (RFC 3550 §5.1).
    @inlinable
    public var marker: Bool {
        get { header.marker }
        nonmutating set { bytes[1] = (bytes[1] & 0x7F) | (newValue ? 0x80 : 0) }
    }

    /// The 7-bit payload type, rewritten in place without touching the M bit (RFC 3550 §5.1).
    ///
    /// A value above 127 is a programming error (payload types are checked when the SDP is read) and traps.
    @inlinable
    public var payloadType: UInt8 {
        get { header.payloadType }
        nonmutating set {
            precondition(newValue <= 0x7F, "RTP payload type above 127")
            bytes[1] = (bytes[1] & 0x80) | (newValue & 0x7F)
        }
    }

    /// The 16-bit sequence number, rewritten in place (RFC 3550 §5.1).
    @inlinable
    public var sequenceNumber: UInt16 {
        get { header.sequenceNumber }
        nonmutating set { bytes.storeBigEndian(newValue, at: 2) }
    }

    /// The 32-bit media timestamp, rewritten in place (RFC 3550 §5.1).
    @inlinable
    public var timestamp: UInt32 {
        get { header.timestamp }
        nonmutating set { bytes.storeBigEndian(newValue, at: 4) }
    }

    /// The synchronisation source identifier, rewritten in place (RFC 3550 §5.1).
    @inlinable
    public var ssrc: UInt32 {
        get { header.ssrc }
        nonmutating set { bytes.storeBigEndian(newValue, at: 8) }
    }

    /// The payload, in place and writable.
    @inlinable
    public var payload: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: bytes[header.payloadRange])
    }
}

@available(*, unavailable, message: "a view over caller-owned bytes")
extension RTPMutableHeader: Sendable {}
