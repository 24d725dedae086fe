extension RTPHeader {
    /// Writes an RTP fixed header with no CSRCs and no extension into `buffer`; returns the octets written (12).
    ///
    /// Verdicts: `fieldOutOfRange` for a payload type above 127, `bufferTooSmall` when `buffer` is shorter than
    /// the header. RFC 3550 §5.1.
    @inlinable
    public static func write(
        _ fields: RTPHeaderFields,
        into buffer: UnsafeMutableRawBufferPointer
    ) -> RTPWireResult<Int> {
        writeHeader(fields, csrcs: EmptyCollection(), extensionProfile: nil, extensionBody: nil, into: buffer)
    }

    /// Writes an RTP fixed header and CSRC list into `buffer`; returns the octets written.
    ///
    /// Verdicts: `fieldOutOfRange` for a payload type above 127 or more than 15 CSRCs, `bufferTooSmall` when
    /// `buffer` is shorter than the header. RFC 3550 §5.1.
    @inlinable
    public static func write<CSRCs: Collection<UInt32>>(
        _ fields: RTPHeaderFields,
        csrcs: CSRCs,
        into buffer: UnsafeMutableRawBufferPointer
    ) -> RTPWireResult<Int> {
        writeHeader(fields, csrcs: csrcs, extensionProfile: nil, extensionBody: nil, into: buffer)
    }

    /// Writes an RTP fixed header, CSRC list and header extension into `buffer`; returns the octets written.
    ///
    /// `extensionBody` is the extension's content after its 4-octet header: a whole number of 32-bit words (for
    /// RFC 8285 elements, see ``RTPHeaderExtensionWriter``). It must not overlap `buffer`. Verdicts:
    /// `fieldOutOfRange` for a payload type above 127, more than 15 CSRCs, or a body that is not a multiple of 4
    /// octets or longer than 65535 words; `bufferTooSmall` when `buffer` is shorter than the header.
    /// RFC 3550 §5.1, §5.3.1.
    @inlinable
    public static func write<CSRCs: Collection<UInt32>>(
        _ fields: RTPHeaderFields,
        csrcs: CSRCs,
        extensionProfile: UInt16,
        extensionBody: UnsafeRawBufferPointer,
        into buffer: UnsafeMutableRawBufferPointer
    ) -> RTPWireResult<Int> {
        writeHeader(
            fields,
            csrcs: csrcs,
            extensionProfile: extensionProfile,
            extensionBody: extensionBody,
            into: buffer
        )
    }

    @inlinable
    static func writeHeader<CSRCs: Collection<UInt32>>(
        _ fields: RTPHeaderFields,
        csrcs: CSRCs,
        extensionProfile: UInt16?,
        extensionBody: UnsafeRawBufferPointer?,
        into buffer: UnsafeMutableRawBufferPointer
    ) -> RTPWireResult<Int> {
        let csrcCount = csrcs.count
        guard fields.payloadType <= 0x7F, csrcCount <= 15 else { return .malformed(.fieldOutOfRange) }
        var length = fixedLength + csrcCount * 4
        if let extensionBody {
            guard extensionBody.count % 4 == 0, extensionBody.count / 4 <= Int(UInt16.max) else {
                return .malformed(.fieldOutOfRange)
            }
            length += 4 + extensionBody.count
        }
        guard buffer.count >= length else { return .malformed(.bufferTooSmall) }

        var first: UInt8 = 0x80 | UInt8(csrcCount)
        if fields.hasPadding { first |= 0x20 }
        if extensionBody != nil { first |= 0x10 }
        buffer[0] = first
        buffer[1] = (fields.marker ? 0x80 : 0) | fields.payloadType
        buffer.storeBigEndian(fields.sequenceNumber, at: 2)
        buffer.storeBigEndian(fields.timestamp, at: 4)
        buffer.storeBigEndian(fields.ssrc, at: 8)
        var offset = fixedLength
        for csrc in csrcs {
            buffer.storeBigEndian(csrc, at: offset)
            offset += 4
        }
        if let extensionBody {
            buffer.storeBigEndian(extensionProfile ?? 0, at: offset)
            buffer.storeBigEndian(UInt16(extensionBody.count / 4), at: offset + 2)
            offset += 4
            if !extensionBody.isEmpty {
                UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<(offset + extensionBody.count)])
                    .copyMemory(from: extensionBody)
            }
            offset += extensionBody.count
        }
        return .ok(offset)
    }
}
