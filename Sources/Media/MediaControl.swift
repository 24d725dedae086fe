public import SRTP
public import Transport

/// What signalling asks of the media relay: make a session, tell a leg about its peer and keys, end it, and
/// hear of its end with its final counters. The proxy's call layer talks to media only through this protocol;
/// `MediaEngine` implements it over real sockets, and the proxy's unit tests use a fake that binds nothing.
/// Live snapshots are not here: the proxy never needs them, and the admin socket reads them from the engine
/// (`MediaEngine.snapshot()`) on its own workers, which may wait for the loops.
///
/// **No call waits on a media loop.** The proxy runs on one signalling loop that serves every call, so it
/// must never stop while a media loop finishes a batch. Each method either finishes on the caller's
/// thread without waiting on another thread (picking ports from the pool, binding sockets, deriving SRTP
/// contexts, checking arguments: these answer synchronously, so a failure still turns into a SIP response
/// at once), or hands its work to the media side and returns (installing keys, registering sockets, ending
/// a session). Results that exist only on a media loop (a session's final counters) come back later through
/// the session-ended handler, which the owner hops onto its own queue.
///
/// Completion callbacks rather than `async`: the proxy is a synchronous state machine confined to a serial
/// Dispatch queue, and each SIP message is handled in one uninterrupted step. An `await` in the middle of an
/// offer would let another message for the same call run halfway through it.
public protocol MediaControl: AnyObject, Sendable {
    /// Allocates ports and sockets for a call's streams. The ports are known on return (they go into the
    /// SDP Sotto writes); the sockets join their media loop right after. Nothing flows until both legs of
    /// a stream have keys.
    func createSession(callID: String, streams: [MediaStreamSpec]) throws(MediaError) -> MediaSessionPorts

    /// Sets what one leg of one stream knows about its peer: the address its SDP declared and the keys
    /// (nil leaves a value as it is). An unchanged key keeps its crypto context (RFC 4568 §7.1.4). Checked
    /// on return (unknown session or stream, a key the SRTP library refuses); applied on the loop after.
    func updateLeg(_ update: MediaLegUpdate) throws(MediaError)

    /// Ends a session: it leaves its loop, its sockets close and its ports go back to the pool. Its final
    /// snapshot comes through the session-ended handler (with ``MediaSessionEnd/requested``). Ending a
    /// session that is already gone does nothing.
    func endSession(_ id: UInt64)

    /// Where final snapshots go: every session that ends, whether asked (``endSession(_:)``) or by
    /// itself (idle, or its sockets could not join a loop). Called on a media thread; the receiver hops
    /// to its own queue. Replaces any earlier handler.
    func setSessionEndedHandler(_ handler: @escaping @Sendable (MediaSessionSnapshot) -> Void)
}

/// Why the media side ended a session. Why the *call* ended (BYE, CANCEL, a timer) is signalling's
/// business and is not known here.
public enum MediaSessionEnd: String, Sendable, Hashable {
    /// Its controller asked (``MediaControl/endSession(_:)``).
    case requested
    /// No authenticated packet (RTP or RTCP) on any leg for the idle timeout (the hold timeout when every
    /// stream is on hold), counted from when its first stream got keys in both directions.
    case idle
    /// Its sockets could not join their media loop.
    case failed
}

/// A new session's id and its local ports, per stream.
public struct MediaSessionPorts: Sendable, Hashable {
    /// The session (the id the admin socket shows).
    public var id: UInt64
    /// Per stream, in the order asked for.
    public var ports: [MediaStreamPorts]

    /// A session's id and ports.
    public init(id: UInt64, ports: [MediaStreamPorts]) {
        self.id = id
        self.ports = ports
    }
}

/// What one leg of one stream learns from an offer/answer exchange.
public struct MediaLegUpdate: Sendable, Equatable {
    public var session: UInt64
    public var stream: Int
    public var side: LegSide
    /// Where the peer's SDP says it takes RTP; nil leaves it as it is.
    public var declaredRTP: UDPAddress?
    /// Where it takes RTCP; nil leaves it as it is.
    public var declaredRTCP: UDPAddress?
    /// The peer's key (inbound: what its packets are authenticated with); nil leaves it as it is.
    public var peerKey: SRTPKeyMaterial?
    /// Sotto's key toward the peer (outbound); nil leaves it as it is.
    public var sottoKey: SRTPKeyMaterial?
    /// The direction the peer's SDP gave this stream (RFC 3264 `a=sendrecv`/`sendonly`/`recvonly`/`inactive`);
    /// nil leaves it as it is (a new leg is `sendrecv`). A session whose streams all have a leg on hold uses
    /// the hold timeout instead of the idle timeout.
    public var direction: MediaDirection?

    /// An update; unset values leave the leg as it is.
    public init(
        session: UInt64, stream: Int, side: LegSide, declaredRTP: UDPAddress? = nil, declaredRTCP: UDPAddress? = nil,
        peerKey: SRTPKeyMaterial? = nil, sottoKey: SRTPKeyMaterial? = nil, direction: MediaDirection? = nil
    ) {
        self.session = session
        self.stream = stream
        self.side = side
        self.declaredRTP = declaredRTP
        self.declaredRTCP = declaredRTCP
        self.peerKey = peerKey
        self.sottoKey = sottoKey
        self.direction = direction
    }
}
