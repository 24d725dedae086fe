internal import Recording
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
    /// SSRCs the peer has authenticated with under the current key, at most `maximumSSRCs` (capacity
    /// reserved up front, so appending on the packet path does not allocate).
    var inboundSSRCs: [UInt32]
    /// libsrtp2 keeps a stream per SSRC for as long as the context lives: an authenticated peer cycling
    /// SSRCs would grow memory without bound (docs/architecture.md, rule 4). A leg accepts this many per key; a further
    /// SSRC's packets are dropped (`ssrcLimit`) and the stream libsrtp2 just made for it is removed.
    /// Evicting the oldest instead would reset that SSRC's replay window and reuse its keystream when
    /// it came back, so existing streams are never evicted. A new key (re-INVITE) starts a new count.
    static let maximumSSRCs = 4
    var counters = LegCounters()
    var statistics: ReceptionStatistics?
    var socketErrors: UInt64 = 0
    /// When a packet (RTP or RTCP) from this leg's peer last authenticated (MediaClock nanoseconds).
    var lastAuthenticated: UInt64
    /// The direction the peer's SDP declared (RFC 3264).
    var direction = MediaDirection.sendrecv
    /// Packets kept for this leg in its loop's ``EarlyPacketStore`` (arrived before the inbound key).
    var earlyCount = 0
    /// When the oldest of them arrived (approximately: set when the first is kept).
    var earlyOldest: UInt64 = 0
    /// The flood budget for packets from an address other than the latched one: when the current one-second
    /// window started, and how many such packets were authenticated in it.
    var unlatchedWindowStart: UInt64 = 0
    var unlatchedAuthenticated = 0
    /// `counters.relatched` when the engine's sweep last looked (for the re-latch log line).
    var reportedRelatches: UInt64 = 0
    /// The recording this leg's decrypted RTP payloads are copied to (its writer's handle), 0 when the call is
    /// not recorded or recording is paused. Set on the loop by ``MediaEngine/setCapture(session:_:)``.
    var captureHandle: UInt32 = 0
    /// RTP payload types never recorded on this leg (bit n of word n / 64): RFC 4733 telephone-events, so DTMF
    /// digits never reach a recording.
    var captureExcluded: (UInt64, UInt64) = (0, 0)
    /// The leg as recordings name it.
    var recordedLeg: RecordedLeg { side == .a ? .softphone : .pbx }
    unowned(unsafe) var other: MediaLeg!

    init(side: LegSide, rtpSocket: UDPSocket, rtcpSocket: UDPSocket?, portPair: UInt16, clockRate: UInt32, now: UInt64)
    {
        self.side = side
        self.rtpSocket = rtpSocket
        self.rtcpSocket = rtcpSocket
        self.portPair = portPair
        self.clockRate = clockRate
        self.lastAuthenticated = now
        self.inboundSSRCs = []
        self.inboundSSRCs.reserveCapacity(Self.maximumSSRCs)
    }

    /// Notes an SSRC that just authenticated. False when it is one SSRC too many: the caller drops
    /// the packet, and the stream libsrtp2 created for it is removed again.
    @inline(__always)  // one compare per packet in the common case (the same SSRC as last time)
    func admitAuthenticated(ssrc: UInt32) -> Bool {
        if inboundSSRCs.last == ssrc || inboundSSRCs.contains(ssrc) { return true }
        guard inboundSSRCs.count < Self.maximumSSRCs else {
            inbound?.removeStream(ssrc: ssrc)
            return false
        }
        inboundSSRCs.append(ssrc)
        return true
    }

    /// Where RTP (or RTCP) for this peer goes: the latched address once a packet authenticated,
    /// the address its SDP declared until then (RFC 3605 a=rtcp, or RTP port + 1 without mux).
    func destination(rtcp: Bool) -> UDPAddress? {
        if rtcp {
            if rtcpSocket == nil { return latchedRTP ?? declaredRTP }
            if let address = latchedRTCP ?? declaredRTCP { return address }
            return declaredRTP.map { $0.withPort($0.port &+ 1) }
        }
        return latchedRTP ?? declaredRTP
    }
}
