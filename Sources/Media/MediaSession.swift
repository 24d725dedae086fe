internal import SRTP
import Synchronization
internal import Transport

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

    /// A stream's ports.
    public init(rtpA: UInt16, rtpB: UInt16, rtcpA: UInt16?, rtcpB: UInt16?) {
        self.rtpA = rtpA
        self.rtpB = rtpB
        self.rtcpA = rtcpA
        self.rtcpB = rtcpB
    }
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
    var end: MediaSessionEnd?
    /// The keys behind each leg's contexts, per stream and side (index `stream * 2 + side`), kept off the
    /// loop so that an update can tell a re-offered key from a new one without waiting for the loop.
    let keys: Mutex<[LegKeys]>

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
        self.keys = Mutex(Array(repeating: LegKeys(), count: streams.count * 2))
    }

    func leg(stream: Int, side: LegSide) -> MediaLeg? {
        guard streams.indices.contains(stream) else { return nil }
        return side == .a ? streams[stream].a : streams[stream].b
    }

    /// When a stream first had keys in both directions (the answer arrived); nil while the call is in setup.
    /// The idle timer runs from here: a call that rings for minutes has no keys and is never idle (ringing is
    /// bounded by signalling).
    var keyedAt: UInt64?
    /// When a leg's direction last changed (hold or resume): silence before a resume is not held against it.
    var directionChangedAt: UInt64 = 0

    /// True once some stream has an inbound key on both legs.
    var isKeyed: Bool { streams.contains { $0.a.inbound != nil && $0.b.inbound != nil } }

    /// True when every stream has a leg whose peer declared it on hold or inactive (RFC 3264).
    var isOnHold: Bool { streams.allSatisfy { $0.a.direction.isHold || $0.b.direction.isHold } }

    /// Since when the session counts as silent; nil while it is in setup (never idle). Each leg whose peer
    /// should be sending (its SDP said `sendrecv` or `sendonly`, and the other side's said it receives: RFC
    /// 3264 §6.1) and has keys must have authenticated a packet (RTP or RTCP) since; the session is as silent as its most silent such leg. So a phone that
    /// vanishes (its link gone, no FIN) ends its call after the idle timeout although the PBX side goes on
    /// sending, while a muted phone that still sends RTCP, or a leg that declared it does not send, does
    /// not. Keying and a change of direction restart the count.
    var lastActivity: UInt64? {
        guard let keyedAt else { return nil }
        let since = max(keyedAt, directionChangedAt)
        var quietest: UInt64?
        for stream in streams {
            for (leg, other) in [(stream.a, stream.b), (stream.b, stream.a)]
            where leg.inbound != nil && leg.direction.peerSends && other.direction.peerReceives {
                let heard = max(since, leg.lastAuthenticated)
                quietest = min(quietest ?? heard, heard)
            }
        }
        return quietest ?? since
    }
}

/// The keys a leg's contexts were made from.
struct LegKeys {
    /// The peer's key (the inbound context's).
    var peer: SRTPKeyMaterial?
    /// Sotto's key toward the peer (the outbound context's).
    var sotto: SRTPKeyMaterial?
}
