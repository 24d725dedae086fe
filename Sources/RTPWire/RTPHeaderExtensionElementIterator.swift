/// Walks the RFC 8285 elements of a header extension body without allocating.
///
/// Each step yields `.ok(element)` or, once, `.malformed(.extensionElementOverrun)` when an element's length runs
/// past the body; then the walk ends. Padding octets (identifier 0) are skipped. In the one-byte form identifier
/// 15 ends the walk, its length ignored (RFC 8285 §4.2).
public struct RTPHeaderExtensionElementIterator: IteratorProtocol, Sequence {
    @usableFromInline
    let bytes: UnsafeRawBufferPointer
    @usableFromInline
    let end: Int
    @usableFromInline
    let twoByte: Bool
    @usableFromInline
    var offset: Int
    @usableFromInline
    var finished: Bool

    @usableFromInline
    init(unchecked bytes: UnsafeRawBufferPointer, range: Range<Int>, twoByte: Bool) {
        self.bytes = bytes
        self.end = range.upperBound
        self.twoByte = twoByte
        self.offset = range.lowerBound
        self.finished = false
    }

    // RFC 8285 §4.2, one-byte form: a 4-bit ID and a 4-bit length L; the data is L+1 octets.
    //
    //  0
    //  0 1 2 3 4 5 6 7
    // +-+-+-+-+-+-+-+-+
    // |  ID   |  len  |
    // +-+-+-+-+-+-+-+-+
    //
    // RFC 8285 §4.3, two-byte form: an 8-bit ID and an 8-bit length; the data is length octets (possibly 0).
    //
    //  0                   1
    //  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |       ID      |     length    |
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

    /// The next element, a verdict if the body is malformed, or `nil` at the end.
    @inlinable
    public mutating func next() -> RTPWireResult<RTPHeaderExtensionElement>? {
        guard !finished else { return nil }
        while offset < end {
            let first = bytes[offset]
            let id: UInt8
            let dataStart: Int
            let dataLength: Int
            if twoByte {
                // Identifier 0 is a padding octet (RFC 8285 §4.3).
                if first == 0 {
                    offset += 1
                    continue
                }
                guard end - offset >= 2 else { return fail() }
                id = first
                dataLength = Int(bytes[offset + 1])
                dataStart = offset + 2
            } else {
                id = first >> 4
                // Identifier 0 is padding: skip the octet whatever its length bits (RFC 8285 §4.2).
                if id == 0 {
                    offset += 1
                    continue
                }
                // Identifier 15 is reserved: stop here, its length is not to be trusted (RFC 8285 §4.2).
                if id == 15 {
                    finished = true
                    return nil
                }
                dataLength = Int(first & 0x0F) + 1
                dataStart = offset + 1
            }
            guard end - dataStart >= dataLength else { return fail() }
            let dataRange = dataStart..<(dataStart + dataLength)
            offset = dataRange.upperBound
            return .ok(
                RTPHeaderExtensionElement(
                    id: id,
                    dataRange: dataRange,
                    data: UnsafeRawBufferPointer(rebasing: bytes[dataRange])
                )
            )
        }
        finished = true
        return nil
    }

    @inlinable
    mutating func fail() -> RTPWireResult<RTPHeaderExtensionElement> {
        finished = true
        return .malformed(.extensionElementOverrun)
    }
}

@available(*, unavailable, message: "a view over caller-owned bytes")
extension RTPHeaderExtensionElementIterator: Sendable {}
