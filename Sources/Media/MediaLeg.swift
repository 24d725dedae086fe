internal import SRTP
internal import Transport

/// Which side of a call a leg faces.
public enum LegSide: Int, Sendable, Hashable, CaseIterable {
    /// The softphone (agent) side.
    case a
    /// The PBX side.
    case b
}

/// One side of one media stream: Sotto's local socket(s) facing that peer, the peer's declared and
/// latched addresses, the peer's key (inbound) and the key Sotto gave the peer (outbound).
///
/// Confined to its session's loop.
final class MediaLeg: @unchecked Sendable {
    let side: LegSide
    let rtpSocket: UDPSocket
    /// Nil with rtcp-mux (RFC 5761): RTCP then shares the RTP socket.
    let rtcpSocket: UDPSocket?
    /// The RTP port pair this leg holds in the pool.
    let portPair: UInt16
    let clockRate: UInt32

    var declaredRTP: UDPAddress?
    var declaredRTCP: UDPAddress?
    var latchedRTP: UDPAddress?
    var latchedRTCP: UDPAddress?
    var inbound: SRTPContext?
    var outbound: SRTPContext?
    var counters = LegCounters()
    var statistics: ReceptionStatistics?
    var socketErrors: UInt64 = 0
    /// When a packet from this leg's peer last authenticated (MediaClock nanoseconds).
    var lastAuthenticated: UInt64
    unowned(unsafe) var other: MediaLeg!

    init(side: LegSide, rtpSocket: UDPSocket, rtcpSocket: UDPSocket?, portPair: UInt16, clockRate: UInt32, now: UInt64)
    {
        self.side = side
        self.rtpSocket = rtpSocket
        self.rtcpSocket = rtcpSocket
        self.portPair = portPair
        self.clockRate = clockRate
        self.lastAuthenticated = now
    }

    /// Where RTP (or RTCP) for this peer goes: the latched address once a packet authenticated,
    /// the address its SDP declared until then (RFC 3605 a=rtcp, or RTP port + 1 without mux).
    func destination(rtcp: Bool) -> UDPAddress? {
        if rtcp {
            if rtcpSocket == nil { return latchedRTP ?? declaredRTP }
            return latchedRTCP ?? declaredRTCP
        }
        return latchedRTP ?? declaredRTP
    }
}
