public import Logging
public import Media
import SIP
public import TLS

/// The stateful SIP proxy (RFC 3261 §16–17) with its media policy: the heart of `sotto`.
///
/// A thin coordinator over three layers, each owning its own state:
/// - ``TransactionLayer`` (Transactions/): server and client transactions, their timers, matching,
///   retransmissions, CANCEL pairing. Knows nothing of calls.
/// - ``Router`` (Routing/): flows, Via/Record-Route/Path, loops and hops, where a request goes,
///   registrations. Knows nothing of SDP.
/// - ``CallController`` (Calls/): calls, dialogs, offer/answer and the SRTP policy, every way a call ends;
///   media only through ``MediaControl``.
/// This type parses what arrives and walks a request (SIPProxy+Requests.swift) or a response
/// (SIPProxy+Responses.swift) through them; it keeps no table of its own.
///
/// It knows nothing of sockets. The I/O layer tells it about flows (TLS connections) and hands it framed
/// messages; it answers through ``ProxyTransport``. Time comes from the injected clock and moves only when
/// ``tick()`` runs, so transactions and their timers are tested without waiting.
///
/// Confined to one thread (the signalling loop): every method must be called there.
public final class SIPProxy: @unchecked Sendable {
    /// Counts of what the proxy did, for logs and the admin socket.
    public struct Counters: Sendable, Hashable {
        public var requestsIn = 0
        public var responsesIn = 0
        public var badRequests = 0
        public var callsStarted = 0
        public var callsEnded = 0
        public var srtpRefusals = 0
        public var loopsDetected = 0
        public var flowFailed = 0
        public var strayResponses = 0
        /// Requests refused by a limit, by limit name (docs/security.md), since start.
        public var limitRefusals: [String: Int] = [:]
    }

    /// The media relay, as the call layer sees it.
    public let media: any MediaControl
    let logger: Logger
    let transactions: TransactionLayer
    let router: Router
    let calls: CallController
    let admission: AdmissionControl
    private var requestsIn = 0
    private var responsesIn = 0
    private var badRequests = 0

    /// Creates a proxy. Set ``setTransport(_:)`` before the first flow.
    public init(configuration: ProxyConfiguration, media: any MediaControl, clock: any MediaClock, logger: Logger) {
        self.media = media
        self.logger = logger
        let local = LocalAddress(host: configuration.host, port: configuration.port)
        transactions = TransactionLayer(configuration: configuration, clock: clock, local: local)
        router = Router(
            local: local, clock: clock, logger: logger,
            dialogsBoundToConnection: configuration.dialogsBoundToConnection)
        admission = AdmissionControl(limits: configuration.limits, clock: clock, logger: logger)
        calls = CallController(
            configuration: configuration, media: media, clock: clock, logger: logger, transactions: transactions,
            router: router, admission: admission)
    }

    /// Where messages go (held weakly: the I/O layer owns the proxy).
    public func setTransport(_ transport: any ProxyTransport) {
        transactions.transport = transport
    }

    /// What happened so far.
    public var counters: Counters {
        Counters(
            requestsIn: requestsIn, responsesIn: responsesIn, badRequests: badRequests,
            callsStarted: calls.callsStarted, callsEnded: calls.callsEnded, srtpRefusals: calls.srtpRefusals,
            loopsDetected: router.loopsDetected, flowFailed: router.flowFailed,
            strayResponses: transactions.strayResponses, limitRefusals: admission.refusals)
    }

    /// Calls with a media session or an INVITE in progress.
    public var callCount: Int { calls.live.count }

    /// Set by ``startDraining()``: new calls get 503.
    public var draining: Bool { calls.draining }

    /// Calls that have ended but whose teardown line waits for their media session's final counters; shutdown
    /// waits for these so that no call's line is lost.
    public var pendingTeardowns: Int { calls.pendingTeardowns }

    // MARK: Flows

    /// A TLS connection is up. Softphone flows get a token for Path and Record-Route; `peerIdentity` is what the
    /// peer's verified certificate names (empty without one).
    public func openFlow(
        kind: FlowKind, peerIP: String, peerPort: UInt16, upstream isUpstream: Bool = false,
        peerIdentity: TLSPeerIdentity = .none
    ) -> FlowID {
        router.openFlow(
            kind: kind, peerIP: peerIP, peerPort: peerPort, upstream: isUpstream, peerIdentity: peerIdentity)
    }

    /// The new connection to the PBX (opened with ``openFlow(kind:peerIP:peerPort:upstream:peerIdentity:)``) can
    /// carry messages now: the BYEs made while there was none go on it first. The I/O layer calls this once the
    /// flow is wired to its stream, so that what is sent here reaches it.
    public func upstreamReady(_ flow: FlowID) {
        calls.upstreamOpened(flow)
    }

    /// A TLS connection is gone. Requests waiting on it get an answer upstream: `503` when it was the PBX's
    /// (the connection to the PBX was lost), `430 Flow Failed` when it was a softphone's (RFC 5626 §5.3).
    /// Calls of a softphone whose connection is lost end (BYE or CANCEL toward the PBX); calls survive the
    /// loss of the upstream connection (see ``CallController/flowClosed(_:endedRequests:)``).
    public func closeFlow(_ id: FlowID) {
        guard let flow = router.closeFlow(id) else { return }
        admission.flowClosed(id)
        let lost =
            flow.kind == .pbx
            ? (503, "Service Unavailable", "the connection to the PBX was lost")
            : (430, "Flow Failed", "the softphone's connection to Sotto was lost")
        let ended = transactions.closeFlow(id, lostAnswer: lost)
        calls.flowClosed(flow, endedRequests: ended)
    }

    // MARK: Input

    /// One framed message from a flow.
    public func receive(_ bytes: [UInt8], on flowID: FlowID) {
        guard let flow = router.flow(flowID) else { return }
        let message: SIPMessage
        do {
            message = try SIPMessage(parsing: bytes)
        } catch {
            badRequests += 1
            // RFC 3261 §8.2 and docs/architecture.md, rule 4: a clear 400 and the stream carries on.
            if let response = SIPBadRequest.response(to: bytes, error: error, toTag: RandomToken.make(10)) {
                _ = transactions.transport?.send(response, on: flowID)
            }
            logger.debug("unparseable SIP message", metadata: ["peer": "\(flow.peerDescription)", "error": "\(error)"])
            return
        }
        if message.isRequest {
            requestsIn += 1
            handleRequest(message, from: flow)
        } else {
            responsesIn += 1
            handleResponse(message, from: flow)
        }
    }

    /// Fires every timer that is due on the clock.
    public func tick() {
        for client in transactions.tick() {
            calls.timedOut(client)
        }
        calls.tick()
        admission.sweep()
    }

    /// A media session ended, with its final counters (the owner hops the media side's handler onto the
    /// signalling loop and calls this).
    public func mediaSessionEnded(_ snapshot: MediaSessionSnapshot) {
        calls.mediaSessionEnded(snapshot)
    }

    /// SIGTERM: new calls are refused with 503 from now on; calls in progress carry on.
    public func startDraining() {
        calls.draining = true
    }

    /// Ends every call: BYE both ways for confirmed calls, CANCEL or an error for calls being set up.
    public func endAllCalls(reason: CallEndReason) {
        calls.endAll(reason: reason)
    }

    // MARK: Sending

    @discardableResult
    func send(_ message: SIPMessage, on flow: FlowID) -> Bool {
        transactions.transport?.send(message.serialized(), on: flow) ?? false
    }

    /// Answers a refused request on its server transaction, counting it unless `counted` says it already was.
    func respond(_ server: ServerTransaction, refusal: ProxyRefusal, counted: Bool = false) {
        if !counted { calls.noteRefusal(refusal) }
        transactions.respond(
            server, status: refusal.status, reason: refusal.reason, warning: refusal.warning, extra: refusal.extra)
    }
}
