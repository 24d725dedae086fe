/// Writes RFC 8285 header extension elements into a caller buffer, producing the extension body that
/// ``RTPHeader/write(_:csrcs:extensionProfile:extensionBody:into:)`` takes.
///
/// Append elements, then call ``finish()`` to pad the body with zero octets to a whole number of 32-bit words
/// (RFC 3550 §5.3.1 counts the body in words; RFC 8285 §4.2, §4.3 allow zero padding octets). Nothing is allocated.
public struct RTPHeaderExtensionWriter {
    /// The buffer the body is written into.
    public let buffer: UnsafeMutableRawBufferPointer
    /// The profile value to write in the extension header: 0xBEDE, or 0x1000 plus the application bits.
    public let profile: UInt16
    @usableFromInline
    var written: Int

    @usableFromInline
    init(buffer: UnsafeMutableRawBufferPointer, profile: UInt16) {
        self.buffer = buffer
        self.profile = profile
        self.written = 0
    }

    /// A writer of one-byte header elements (RFC 8285 §4.2).
    @inlinable
    public static func oneByte(into buffer: UnsafeMutableRawBufferPointer) -> RTPHeaderExtensionWriter {
        RTPHeaderExtensionWriter(buffer: buffer, profile: RTPHeaderExtension.oneByteProfile)
    }

    /// A writer of two-byte header elements (RFC 8285 §4.3); only the low 4 bits of `appBits` are used.
    @inlinable
    public static func twoByte(
        appBits: UInt8 = 0,
        into buffer: UnsafeMutableRawBufferPointer
    ) -> RTPHeaderExtensionWriter {
        RTPHeaderExtensionWriter(buffer: buffer, profile: RTPHeaderExtension.twoByteProfile | UInt16(appBits & 0x0F))
    }

    /// The octets written so far.
    @inlinable
    public var count: Int { written }

    /// Whether this writer uses the two-byte element header.
    @inlinable
    public var isTwoByte: Bool { profile != RTPHeaderExtension.oneByteProfile }

    /// Appends one element; returns the octets written so far.
    ///
    /// Verdicts: `fieldOutOfRange` for an identifier outside 1...14 with 1 to 16 octets of data (one-byte form)
    /// or outside 1...255 with at most 255 octets (two-byte form); `bufferTooSmall` when the element does not
    /// fit. `data` must not overlap ``buffer``.
    @inlinable
    public mutating func append(id: UInt8, data: UnsafeRawBufferPointer) -> RTPWireResult<Int> {
        let headerLength: Int
        if isTwoByte {
            guard id >= 1, data.count <= 255 else { return .malformed(.fieldOutOfRange) }
            headerLength = 2
        } else {
            guard (1...14).contains(id), (1...16).contains(data.count) else { return .malformed(.fieldOutOfRange) }
            headerLength = 1
        }
        guard buffer.count - written >= headerLength + data.count else { return .malformed(.bufferTooSmall) }
        if isTwoByte {
            buffer[written] = id
            buffer[written + 1] = UInt8(data.count)
        } else {
            buffer[written] = id << 4 | UInt8(data.count - 1)
        }
        written += headerLength
        if !data.isEmpty {
            UnsafeMutableRawBufferPointer(rebasing: buffer[written..<(written + data.count)]).copyMemory(from: data)
        }
        written += data.count
        return .ok(written)
    }

    /// Pads the body with zero octets to a multiple of 4 and returns its final length in octets.
    ///
    /// Verdict: `bufferTooSmall` when the padding does not fit.
    @inlinable
    public mutating func finish() -> RTPWireResult<Int> {
        let padded = (written + 3) & ~3
        guard buffer.count >= padded else { return .malformed(.bufferTooSmall) }
        while written < padded {
            buffer[written] = 0
            written += 1
        }
        return .ok(written)
    }

    /// The body written so far (after ``finish()``, the whole body).
    @inlinable
    public var body: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[0..<written]) }
}

@available(*, unavailable, message: "writes into caller-owned bytes")
extension RTPHeaderExtensionWriter: Sendable {}
