/// A view of an RTP header extension: the generic 4-octet header and its body (RFC 3550 §5.3.1), with the
/// RFC 8285 one-byte and two-byte element forms recognised by their profile value.
///
/// Obtained from ``RTPHeader/headerExtension`` of a parsed packet, so its body is known to fit the buffer.
public struct RTPHeaderExtension {
    /// How the body is laid out, from the 16-bit "defined by profile" value.
    public enum Form: Sendable, Hashable {
        /// RFC 8285 §4.2 one-byte header elements: profile 0xBEDE.
        case oneByte
        /// RFC 8285 §4.3 two-byte header elements: profile 0x100 followed by 4 application bits (0x1000-0x100F).
        case twoByte(appBits: UInt8)
        /// Any other profile-specific extension; its body is opaque here.
        case profileSpecific(UInt16)
    }

    /// The profile value of the RFC 8285 one-byte form (RFC 8285 §4.2).
    public static let oneByteProfile: UInt16 = 0xBEDE
    /// The profile value of the RFC 8285 two-byte form with its application bits zero (RFC 8285 §4.3).
    public static let twoByteProfile: UInt16 = 0x1000

    /// The whole RTP packet the extension belongs to.
    public let bytes: UnsafeRawBufferPointer
    /// The offset in ``bytes`` of the 4-octet extension header (right after the CSRC list).
    public let offset: Int

    @usableFromInline
    init(unchecked bytes: UnsafeRawBufferPointer, offset: Int) {
        self.bytes = bytes
        self.offset = offset
    }

    // RFC 3550 §5.3.1:
    //
    //  0                   1                   2                   3
    //  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |      defined by profile       |           length              |
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |                        header extension                       |
    // |                             ....                              |

    /// The 16-bit "defined by profile" value (RFC 3550 §5.3.1).
    @inlinable
    public var profile: UInt16 { bytes.bigEndianUInt16(at: offset) }

    /// The length field: the number of 32-bit words in the body, not counting the 4-octet header.
    @inlinable
    public var lengthInWords: Int { Int(bytes.bigEndianUInt16(at: offset + 2)) }

    /// The offsets of the body in ``bytes``.
    @inlinable
    public var bodyRange: Range<Int> { (offset + 4)..<(offset + 4 + lengthInWords * 4) }

    /// The body, in place.
    @inlinable
    public var body: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[bodyRange]) }

    /// The layout of the body, from ``profile`` (RFC 8285 §4.2, §4.3).
    @inlinable
    public var form: Form {
        let profile = self.profile
        if profile == Self.oneByteProfile { return .oneByte }
        if profile & 0xFFF0 == Self.twoByteProfile { return .twoByte(appBits: UInt8(profile & 0x000F)) }
        return .profileSpecific(profile)
    }

    /// An iterator over the RFC 8285 elements, or `nil` when ``form`` is profile-specific.
    @inlinable
    public var elements: RTPHeaderExtensionElementIterator? {
        let range = bodyRange
        switch form {
        case .oneByte:
            return RTPHeaderExtensionElementIterator(unchecked: bytes, range: range, twoByte: false)
        case .twoByte:
            return RTPHeaderExtensionElementIterator(unchecked: bytes, range: range, twoByte: true)
        case .profileSpecific:
            return nil
        }
    }
}

@available(*, unavailable, message: "a view over caller-owned bytes")
extension RTPHeaderExtension: Sendable {}
