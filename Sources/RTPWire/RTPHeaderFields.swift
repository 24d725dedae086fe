/// The fixed-header fields of an RTP packet as plain values: what a writer needs and what a parsed view yields.
///
/// The version is always 2 and the CC and X bits follow from the CSRCs and extension handed to the writer, so
/// they are not fields here (RFC 3550 §5.1).
public struct RTPHeaderFields: Sendable, Hashable {
    /// The P bit. The writer only sets the bit: the caller appends the padding, whose last octet is its count.
    public var hasPadding: Bool
    /// The M bit.
    public var marker: Bool
    /// The payload type, 0 to 127.
    public var payloadType: UInt8
    /// The 16-bit sequence number.
    public var sequenceNumber: UInt16
    /// The 32-bit media timestamp.
    public var timestamp: UInt32
    /// The synchronisation source identifier.
    public var ssrc: UInt32

    /// Creates the fields of an RTP fixed header.
    @inlinable
    public init(
        hasPadding: Bool = false,
        marker: Bool = false,
        payloadType: UInt8,
        sequenceNumber: UInt16,
        timestamp: UInt32,
        ssrc: UInt32
    ) {
        self.hasPadding = hasPadding
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
    }
}
