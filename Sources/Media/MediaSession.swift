internal import Transport

/// Why a session ended.
public enum MediaEndReason: String, Sendable, Hashable {
    /// A BYE from either side.
    case bye
    /// The caller cancelled before an answer.
    case cancel
    /// No authenticated packet on any leg for the idle timeout.
    case mediaTimeout
    /// An operator ended it.
    case admin
    /// Something failed while setting it up.
    case error
    /// The INVITE got a final error response (busy, declined, not found, ...).
    case rejected
    /// An offer or answer without usable SRTP (DESIGN.md §2 rule 1).
    case srtpRefused
    /// A softphone's TLS connection was lost.
    case connectionLost
    /// Sotto is shutting down (after the drain time).
    case shutdown
    /// A SIP transaction timed out (Timer B or C: no final response).
    case timeout
}

/// What a session's stream needs at creation.
public struct MediaStreamSpec: Sendable, Hashable {
    /// RTP and RTCP share one port on both legs (RFC 5761).
    public var rtcpMux: Bool
    /// The RTP clock rate, for jitter (8000 for G.711, 48000 for Opus).
    public var clockRate: UInt32

    /// A stream description.
    public init(rtcpMux: Bool = true, clockRate: UInt32 = 8000) {
        self.rtcpMux = rtcpMux
        self.clockRate = clockRate
    }
}

/// The local ports of one stream, for the SDP Sotto writes toward each leg.
public struct MediaStreamPorts: Sendable, Hashable {
    /// The RTP port Sotto offers the softphone (leg A) and the PBX (leg B).
    public var rtpA: UInt16
    public var rtpB: UInt16
    /// The RTCP ports, nil with rtcp-mux.
    public var rtcpA: UInt16?
    public var rtcpB: UInt16?
}

/// A relayed call's media: one or more streams (one per SDP m-line), each with legs A and B.
/// Lives on one loop; everything mutable is touched only on that loop's queue.
final class MediaSession: @unchecked Sendable {
    let id: UInt64
    let callID: String
    let loop: MediaLoop
    /// Which of the engine's loops (for snapshots and load figures).
    let loopIndex: Int
    let created: UInt64
    /// Per stream: (leg A, leg B).
    let streams: [(a: MediaLeg, b: MediaLeg)]
    /// The handlers registered for this session's sockets, with their epoll tokens.
    var ports: [(fd: Int32, token: UInt64, port: MediaPort)] = []
    var endReason: MediaEndReason?

    init(
        id: UInt64, callID: String, loop: MediaLoop, loopIndex: Int, created: UInt64,
        streams: [(a: MediaLeg, b: MediaLeg)]
    ) {
        self.id = id
        self.callID = callID
        self.loop = loop
        self.loopIndex = loopIndex
        self.created = created
        self.streams = streams
    }

    func leg(stream: Int, side: LegSide) -> MediaLeg? {
        guard streams.indices.contains(stream) else { return nil }
        return side == .a ? streams[stream].a : streams[stream].b
    }

    /// The last time either leg of any stream authenticated a packet.
    var lastActivity: UInt64 {
        streams.reduce(created) { max($0, $1.a.lastAuthenticated, $1.b.lastAuthenticated) }
    }
}
