/// What a datagram on a multiplexed media port is, judged from its first two octets (RFC 5761 §4, RFC 7983 §7).
public enum PacketKind: UInt8, Sendable, Hashable, CaseIterable {
    /// RTP: version 2 and a second octet outside 192...223.
    case rtp
    /// RTCP: version 2 and a second octet (the RTCP packet type) in 192...223.
    case rtcp
    /// STUN (ICE connectivity checks): first octet 0...3.
    case stun
    /// ZRTP: first octet 16...19.
    case zrtp
    /// DTLS (DTLS-SRTP key exchange): first octet 20...63.
    case dtls
    /// TURN ChannelData: first octet 64...79.
    case turnChannel
    /// Anything else, including an empty buffer and a lone RTP/RTCP first octet.
    case unknown

    // RFC 7983 §7, demultiplexing on the first octet:
    //
    //              +----------------+
    //              |        [0..3] -+--> STUN
    //              |      [16..19] -+--> ZRTP
    //  packet -->  |      [20..63] -+--> DTLS
    //              |      [64..79] -+--> TURN Channel
    //              |    [128..191] -+--> RTP/RTCP, then RFC 5761 §4 on the second octet:
    //              +----------------+    [192..223] RTCP, anything else RTP
    //
    // RFC 5761 §4: RTCP packet types 192-223 would be RTP payload types 64-95 with the marker set, which is why
    // those RTP payload types must not be used on an rtcp-mux session.

    /// Classifies a datagram by its first octet (RFC 7983) and, for version 2, its second (RFC 5761).
    ///
    /// Only the leading octets are looked at: a packet classified `.rtp` or `.rtcp` still has to be parsed.
    @inlinable
    public static func classify(_ bytes: UnsafeRawBufferPointer) -> PacketKind {
        guard let first = bytes.first else { return .unknown }
        switch first {
        case 0...3: return .stun
        case 16...19: return .zrtp
        case 20...63: return .dtls
        case 64...79: return .turnChannel
        case 128...191:
            guard bytes.count >= 2 else { return .unknown }
            return (192...223).contains(bytes[1]) ? .rtcp : .rtp
        default: return .unknown
        }
    }
}
