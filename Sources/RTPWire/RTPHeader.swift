/// A bounds-checked, non-copying view of an RTP packet's fixed header, CSRC list, extension, payload and padding.
///
/// The bytes belong to the caller and must outlive the view; nothing is copied or allocated. Build one with
/// ``parse(_:padding:)``, which checks every length against the buffer before any field is read, so the
/// accessors below never read out of bounds (RFC 3550 §5.1, §5.3.1).
public struct RTPHeader {
    /// Whether ``parse(_:padding:)`` reads the RTP padding count, or treats everything after the header as
    /// opaque payload.
    public enum PaddingPolicy: Sendable, Hashable {
        /// Check the P bit's count octet (RFC 3550 §5.1) and exclude the padding from the payload.
        case validate
        /// Do not look at the padding: for SRTP before `srtp_unprotect`, where the padding is encrypted and the
        /// last octets are the authentication tag (RFC 3711 §3.1). ``paddingLength`` is then 0.
        case opaque
    }

    /// The length of the fixed header, in octets (RFC 3550 §5.1).
    public static let fixedLength = 12

    /// The whole packet as handed to ``parse(_:padding:)``.
    public let bytes: UnsafeRawBufferPointer
    /// Octets of fixed header, CSRC list and header extension: the offset of the payload.
    public let headerLength: Int
    /// Octets of padding at the end of the packet, the count octet included; 0 without the P bit.
    public let paddingLength: Int

    @usableFromInline
    init(unchecked bytes: UnsafeRawBufferPointer, headerLength: Int, paddingLength: Int) {
        self.bytes = bytes
        self.headerLength = headerLength
        self.paddingLength = paddingLength
    }

    // RFC 3550 §5.1, the fixed header, followed by the RFC 3550 §5.3.1 extension when X is set:
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
    // |            contributing source (CSRC) identifiers             |
    // |                             ....                              |
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |      defined by profile       |           length              |  only when X = 1;
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  length counts the
    // |                        header extension                       |  32-bit words that
    // |                             ....                              |  follow
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |                        payload  ....  | padding ... | count   |  only when P = 1;
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  count includes itself

    /// Checks an RTP packet's lengths and returns a view of it, or the verdict that explains why it is malformed.
    ///
    /// Checks, in order: at least 12 octets (`tooShort`), version 2 (`badVersion`), the CSRC list fits
    /// (`csrcOverrun`), with X set the extension header and then its body fit (`extensionHeaderOverrun`,
    /// `extensionOverrun`), and with P set and `padding == .validate` a count octet of at least 1 (`badPadding`)
    /// that does not reach into the header (`paddingOverrun`). RFC 3550 §5.1, §5.3.1.
    @inlinable
    public static func parse(
        _ bytes: UnsafeRawBufferPointer,
        padding: PaddingPolicy = .validate
    ) -> RTPWireResult<RTPHeader> {
        let count = bytes.count
        guard count >= fixedLength else { return .malformed(.tooShort) }
        let first = bytes[0]
        guard first >> 6 == 2 else { return .malformed(.badVersion) }
        var length = fixedLength + Int(first & 0x0F) * 4
        guard length <= count else { return .malformed(.csrcOverrun) }
        if first & 0x10 != 0 {
            guard count - length >= 4 else { return .malformed(.extensionHeaderOverrun) }
            let words = Int(bytes.bigEndianUInt16(at: length + 2))
            length += 4 + words * 4
            guard length <= count else { return .malformed(.extensionOverrun) }
        }
        var paddingLength = 0
        if first & 0x20 != 0, padding == .validate {
            // The count octet is the packet's last; it must lie after the header and cover only octets after it.
            guard count > length else { return .malformed(.paddingOverrun) }
            paddingLength = Int(bytes[count - 1])
            guard paddingLength > 0 else { return .malformed(.badPadding) }
            guard paddingLength <= count - length else { return .malformed(.paddingOverrun) }
        }
        return .ok(RTPHeader(unchecked: bytes, headerLength: length, paddingLength: paddingLength))
    }

    /// The fixed 12 octets this view starts with, read by ``RTPFixedHeader``.
    @inlinable
    public var fixed: RTPFixedHeader { RTPFixedHeader(unchecked: bytes) }

    /// The version field, always 2 in a parsed view (RFC 3550 §5.1).
    @inlinable
    public var version: UInt8 { fixed.version }

    /// The P bit: the packet ends with padding whose last octet is its count (RFC 3550 §5.1).
    @inlinable
    public var hasPadding: Bool { fixed.hasPadding }

    /// The X bit: a header extension follows the CSRC list (RFC 3550 §5.1, §5.3.1).
    @inlinable
    public var hasExtension: Bool { fixed.hasExtension }

    /// The CC field: how many CSRC identifiers follow the fixed header, 0 to 15 (RFC 3550 §5.1).
    @inlinable
    public var csrcCount: Int { fixed.csrcCount }

    /// The M bit, whose meaning the profile defines (RFC 3550 §5.1; the first packet of a talkspurt in
    /// RFC 3551 §4.1, the first packet of an event in RFC 4733 §2.5.1).
    @inlinable
    public var marker: Bool { fixed.marker }

    /// The 7-bit payload type (RFC 3550 §5.1).
    @inlinable
    public var payloadType: UInt8 { fixed.payloadType }

    /// The 16-bit sequence number (RFC 3550 §5.1).
    @inlinable
    public var sequenceNumber: UInt16 { fixed.sequenceNumber }

    /// The 32-bit media timestamp (RFC 3550 §5.1).
    @inlinable
    public var timestamp: UInt32 { fixed.timestamp }

    /// The synchronisation source identifier (RFC 3550 §5.1).
    @inlinable
    public var ssrc: UInt32 { fixed.ssrc }

    /// The contributing source identifiers, read in place (RFC 3550 §5.1).
    @inlinable
    public var csrcs: CSRCList { CSRCList(unchecked: bytes, count: csrcCount) }

    /// The header extension, or `nil` when the X bit is clear (RFC 3550 §5.3.1).
    @inlinable
    public var headerExtension: RTPHeaderExtension? {
        guard hasExtension else { return nil }
        return RTPHeaderExtension(unchecked: bytes, offset: Self.fixedLength + csrcCount * 4)
    }

    /// The offsets of the payload in ``bytes``: after the header, before the padding.
    @inlinable
    public var payloadRange: Range<Int> { headerLength..<(bytes.count - paddingLength) }

    /// The payload, in place.
    @inlinable
    public var payload: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[payloadRange]) }

    /// The fields a writer needs to produce this header again (CSRCs and extension aside).
    @inlinable
    public var fields: RTPHeaderFields {
        RTPHeaderFields(
            hasPadding: hasPadding,
            marker: marker,
            payloadType: payloadType,
            sequenceNumber: sequenceNumber,
            timestamp: timestamp,
            ssrc: ssrc
        )
    }
}

@available(*, unavailable, message: "a view over caller-owned bytes; copy the fields out to share them")
extension RTPHeader: Sendable {}

extension RTPHeader {
    /// The CSRC identifiers of a parsed header, read in place as 32-bit big-endian words (RFC 3550 §5.1).
    public struct CSRCList: RandomAccessCollection {
        @usableFromInline
        let bytes: UnsafeRawBufferPointer

        /// The number of CSRC identifiers (the CC field).
        public let count: Int

        @usableFromInline
        init(unchecked bytes: UnsafeRawBufferPointer, count: Int) {
            self.bytes = bytes
            self.count = count
        }

        /// The index of the first identifier: 0.
        @inlinable
        public var startIndex: Int { 0 }

        /// One past the index of the last identifier: ``count``.
        @inlinable
        public var endIndex: Int { count }

        /// The identifier at `position`, which must be in `0..<count`.
        @inlinable
        public subscript(position: Int) -> UInt32 {
            precondition(position >= 0 && position < count, "CSRC index out of range")
            return bytes.bigEndianUInt32(at: RTPHeader.fixedLength + position * 4)
        }
    }
}

@available(*, unavailable, message: "a view over caller-owned bytes; copy the identifiers out to share them")
extension RTPHeader.CSRCList: Sendable {}
