/// The fields of an RTP packet's 12-octet fixed header, read in place and checked for nothing but length
/// (RFC 3550 §5.1).
///
/// For the per-packet path once something else has vouched for the packet: after `srtp_unprotect`, libsrtp2 has
/// checked the version and that the fixed header is whole, so walking CSRCs, extension and padding again (what
/// ``RTPHeader/parse(_:padding:)`` does) would be work for nothing. Making one costs a single length compare and
/// every field is one load. ``RTPHeader`` reads its fixed-header fields through this view, so the offsets below
/// are the only ones in the module.
///
/// The bytes belong to the caller and must outlive the view; nothing is copied or allocated.
public struct RTPFixedHeader {
    /// The length of the fixed header, in octets (RFC 3550 §5.1).
    public static let length = 12

    /// The packet as handed to ``init(_:)``; at least ``length`` octets.
    public let bytes: UnsafeRawBufferPointer

    /// A view of the first 12 octets of `bytes`, or nil when there are fewer. Version, CSRC count, extension and
    /// padding are not looked at.
    @inlinable
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.length else { return nil }
        self.bytes = bytes
    }

    /// For views whose caller has already checked the length (``RTPHeader``).
    @usableFromInline
    init(unchecked bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    // RFC 3550 §5.1, the fixed header (the CSRC list, extension and padding that may follow are not read here):
    //
    //  0                   1                   2                   3
    //  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |V=2|P|X|  CC   |M|     PT      |       sequence number         |
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |                           timestamp                           |
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |           synchronization source (SSRC) identifier            |
    // +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+

    /// The version field (RFC 3550 §5.1); 2 for RTP, not checked here.
    @inlinable
    public var version: UInt8 { bytes[0] >> 6 }

    /// The P bit (RFC 3550 §5.1).
    @inlinable
    public var hasPadding: Bool { bytes[0] & 0x20 != 0 }

    /// The X bit (RFC 3550 §5.1).
    @inlinable
    public var hasExtension: Bool { bytes[0] & 0x10 != 0 }

    /// The CC field, 0 to 15 (RFC 3550 §5.1).
    @inlinable
    public var csrcCount: Int { Int(bytes[0] & 0x0F) }

    /// The M bit (RFC 3550 §5.1).
    @inlinable
    public var marker: Bool { bytes[1] & 0x80 != 0 }

    /// The 7-bit payload type (RFC 3550 §5.1).
    @inlinable
    public var payloadType: UInt8 { bytes[1] & 0x7F }

    /// The 16-bit sequence number (RFC 3550 §5.1).
    @inlinable
    public var sequenceNumber: UInt16 { bytes.bigEndianUInt16(at: 2) }

    /// The 32-bit media timestamp (RFC 3550 §5.1).
    @inlinable
    public var timestamp: UInt32 { bytes.bigEndianUInt32(at: 4) }

    /// The synchronisation source identifier (RFC 3550 §5.1).
    @inlinable
    public var ssrc: UInt32 { bytes.bigEndianUInt32(at: 8) }
}

@available(*, unavailable, message: "a view over caller-owned bytes; copy the fields out to share them")
extension RTPFixedHeader: Sendable {}
