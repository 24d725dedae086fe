/// An RFC 4733 telephone-event payload (a DTMF digit or other named event), decoded into values.
///
/// The payload is 4 octets, so it is decoded into a `Sendable` value rather than kept as a pointer; the same
/// value is what ``write(into:)`` writes (RFC 4733 §2.3).
public struct TelephoneEvent: Sendable, Hashable {
    /// The length of the payload, in octets.
    public static let length = 4

    /// The event code: 0-9 for DTMF digits, 10 for `*`, 11 for `#`, 12-15 for A-D, 16 for flash
    /// (RFC 4733 §3.2).
    public var event: UInt8
    /// The E bit: this packet reports the end of the event (RFC 4733 §2.3.4).
    public var isEnd: Bool
    /// The R bit, reserved: senders set it to zero and receivers ignore it (RFC 4733 §2.3.3). Kept so that a
    /// packet can be rewritten byte for byte.
    public var reserved: Bool
    /// The power level of a DTMF tone as a positive number of dB below 0 dBm0, 0 to 63 (RFC 4733 §2.3.5).
    public var volume: UInt8
    /// The duration so far, in timestamp units, from the event's RTP timestamp (RFC 4733 §2.3.5).
    public var duration: UInt16

    /// Creates an event payload.
    @inlinable
    public init(event: UInt8, isEnd: Bool = false, reserved: Bool = false, volume: UInt8, duration: UInt16) {
        self.event = event
        self.isEnd = isEnd
        self.reserved = reserved
        self.volume = volume
        self.duration = duration
    }

    // RFC 4733 §2.3:
    //
    //  0                   1                   2                   3
    //  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |     event     |E|R| volume    |          duration             |
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

    /// Decodes the event at the start of an RTP payload (padding already removed).
    ///
    /// Verdict: `tooShort` under 4 octets. Octets after the first 4 are not looked at: RFC 4733 carries one
    /// event per payload block and leaves redundancy to RFC 2198.
    @inlinable
    public static func parse(_ payload: UnsafeRawBufferPointer) -> RTPWireResult<TelephoneEvent> {
        guard payload.count >= length else { return .malformed(.tooShort) }
        let flags = payload[1]
        return .ok(
            TelephoneEvent(
                event: payload[0],
                isEnd: flags & 0x80 != 0,
                reserved: flags & 0x40 != 0,
                volume: flags & 0x3F,
                duration: payload.bigEndianUInt16(at: 2)
            )
        )
    }

    /// Writes the 4-octet payload into `buffer`; returns 4.
    ///
    /// Verdicts: `fieldOutOfRange` for a volume above 63, `bufferTooSmall` under 4 octets.
    @inlinable
    public func write(into buffer: UnsafeMutableRawBufferPointer) -> RTPWireResult<Int> {
        guard volume <= 0x3F else { return .malformed(.fieldOutOfRange) }
        guard buffer.count >= Self.length else { return .malformed(.bufferTooSmall) }
        buffer[0] = event
        buffer[1] = (isEnd ? 0x80 : 0) | (reserved ? 0x40 : 0) | volume
        buffer.storeBigEndian(duration, at: 2)
        return .ok(Self.length)
    }
}
