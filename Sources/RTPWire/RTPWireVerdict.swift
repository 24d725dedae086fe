/// Why a buffer was refused as an RTP, RTCP or RFC 4733 payload, or why a writer could not write.
///
/// Every parser in `RTPWire` reports a malformed input with one of these cases instead of trapping, throwing or reading
/// out of bounds, so the per-packet path can count each drop reason (docs/architecture.md, "A packet, step by step").
/// The raw value is stable and small enough to index a counter array.
public enum RTPWireVerdict: UInt8, Sendable, Error, Hashable, CaseIterable {
    /// The buffer is shorter than the fixed part of the format (12 octets for RTP, 4 for an RTCP header or an
    /// RFC 4733 event), or an RTCP compound packet ends with 1 to 3 stray octets.
    case tooShort = 1
    /// The version field is not 2 (RFC 3550 §5.1, §6.4.1).
    case badVersion = 2
    /// The CSRC count asks for more 32-bit identifiers than the buffer holds (RFC 3550 §5.1).
    case csrcOverrun = 3
    /// The X bit is set but the 4-octet extension header does not fit after the CSRC list (RFC 3550 §5.3.1).
    case extensionHeaderOverrun = 4
    /// The extension length (in 32-bit words) runs past the end of the buffer (RFC 3550 §5.3.1).
    case extensionOverrun = 5
    /// An RFC 8285 element's length runs past the end of its extension block (RFC 8285 §4.2, §4.3).
    case extensionElementOverrun = 6
    /// The P bit is set but the padding count octet is zero; the count includes itself, so it is at least 1
    /// (RFC 3550 §5.1).
    case badPadding = 7
    /// The padding count is larger than the octets after the header (RTP) or after the 4-octet common header
    /// (RTCP) (RFC 3550 §5.1, §6.4.1).
    case paddingOverrun = 8
    /// An RTCP length field (in 32-bit words minus one) runs past the end of the buffer (RFC 3550 §6.4.1).
    case lengthOverrun = 9
    /// An RTCP packet other than the last one in a compound packet has its P bit set; padding belongs only to
    /// the last packet (RFC 3550 §6.4.1, Appendix A.2).
    case misplacedPadding = 10
    /// A writer's destination buffer cannot hold what it was asked to write.
    case bufferTooSmall = 11
    /// A value handed to a writer does not fit its wire field (for example a payload type above 127, more than
    /// 15 CSRCs, an extension body that is not a whole number of 32-bit words, or an RFC 4733 volume above 63).
    case fieldOutOfRange = 12
}
