/// One RFC 8285 header extension element: its local identifier and its data, in place.
public struct RTPHeaderExtensionElement {
    /// The local identifier: 1 to 14 in the one-byte form, 1 to 255 in the two-byte form (RFC 8285 §4.2, §4.3).
    public let id: UInt8
    /// The offsets of the element's data in the packet the extension belongs to.
    public let dataRange: Range<Int>
    /// The element's data, in place: 1 to 16 octets in the one-byte form, 0 to 255 in the two-byte form.
    public let data: UnsafeRawBufferPointer

    @usableFromInline
    init(id: UInt8, dataRange: Range<Int>, data: UnsafeRawBufferPointer) {
        self.id = id
        self.dataRange = dataRange
        self.data = data
    }
}

@available(*, unavailable, message: "a view over caller-owned bytes")
extension RTPHeaderExtensionElement: Sendable {}
