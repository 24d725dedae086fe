public import Logging
public import Media
import SIP

/// The stateful SIP proxy (RFC 3261 §16–17) with its media policy: the heart of `sotto`.
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
    }

    let configuration: ProxyConfiguration
    let media: any MediaControl
    let clock: any MediaClock
    let logger: Logger
    let local: LocalAddress
    weak var transport: (any ProxyTransport)?

    var flows: [FlowID: Flow] = [:]
    var flowsByToken: [String: FlowID] = [:]
    var nextFlowID: FlowID = 1
    /// Sotto's own connection to the PBX, when up.
    var upstream: FlowID?
    var servers: [ServerTransactionKey: ServerTransaction] = [:]
    /// Client transactions by `branch method`.
    var clients: [String: ClientTransaction] = [:]
    var calls: [String: ProxyCall] = [:]
    /// Softphone bindings by `aor contact`.
    var registrations: [String: ProxyRegistration] = [:]
    var timers = TimerQueue<ProxyTimer>()
    /// Calls that ended while their media session was still being taken down: the teardown line is
    /// written when the session's final counters arrive (one entry per session, removed then).
    var ending: [UInt64: (call: ProxyCall, reason: CallEndReason)] = [:]
    /// Set by ``startDraining()``: new calls get 503.
    public private(set) var draining = false
    /// What happened so far.
    public internal(set) var counters = Counters()

    /// Creates a proxy. Set ``setTransport(_:)`` before the first flow.
    public init(configuration: ProxyConfiguration, media: any MediaControl, clock: any MediaClock, logger: Logger) {
        self.configuration = configuration
        self.media = media
        self.clock = clock
        self.logger = logger
        self.local = LocalAddress(host: configuration.host, port: configuration.port)
    }

    /// Where messages go (held weakly: the I/O layer owns the proxy).
    public func setTransport(_ transport: any ProxyTransport) {
        self.transport = transport
    }

    /// Calls with a media session or an INVITE in progress.
    public var callCount: Int { calls.count }

    // MARK: Flows

    /// A TLS connection is up. Softphone flows get a token for Path and Record-Route.
    public func openFlow(kind: FlowKind, peerIP: String, peerPort: UInt16, upstream isUpstream: Bool = false)
        -> FlowID
    {
        let id = nextFlowID
        nextFlowID += 1
        let token = kind == .softphone ? RandomToken.make(20) : ""
        flows[id] = Flow(
            id: id, kind: kind, peerIP: peerIP, peerPort: peerPort, token: token)
        if kind == .softphone { flowsByToken[token] = id }
        if isUpstream { upstream = id }
        return id
    }

    /// A TLS connection is gone. Calls of a softphone whose connection is lost end (BYE or CANCEL toward
    /// the PBX); requests waiting on the flow get `430 Flow Failed` (RFC 5626 §5.3). Calls survive the loss
    /// of the upstream connection: it is shared by every call and is re-established, and dropping every
    /// call in the centre because one TCP connection reset would be a self-made outage.
    public func closeFlow(_ id: FlowID) {
        guard let flow = flows.removeValue(forKey: id) else { return }
        if flow.kind == .softphone {
            flowsByToken[flow.token] = nil
            registrations = registrations.filter { $0.value.flow != id }
        }
        if upstream == id { upstream = nil }
        for client in Array(clients.values) where client.flow == id && client.state != .terminated {
            if let server = client.server, server.state == .proceeding, !client.abandoned {
                if flow.kind == .pbx {
                    respond(
                        server, status: 503, reason: "Service Unavailable",
                        warning: "the connection to the PBX was lost")
                } else {
                    respond(
                        server, status: 430, reason: "Flow Failed",
                        warning: "the softphone's connection to Sotto was lost")
                }
            }
            terminate(client)
            // A call still being set up on this flow can no longer get its final response; a confirmed one
            // is ended below (BYE toward the PBX) or, for the upstream, carries on.
            if let call = client.call, call.inviteClient === client, call.state == .setup {
                finish(call, reason: flow.kind == .pbx ? .error : .connectionLost)
            }
        }
        for call in calls.values where call.softphoneFlow == id {
            endCallAfterLoss(call)
        }
    }

    // MARK: Input

    /// One framed message from a flow.
    public func receive(_ bytes: [UInt8], on flowID: FlowID) {
        guard let flow = flows[flowID] else { return }
        let message: SIPMessage
        do {
            message = try SIPMessage(parsing: bytes)
        } catch {
            counters.badRequests += 1
            // RFC 3261 §8.2 and DESIGN.md §2 rule 4: a clear 400 and the stream carries on.
            if let response = SIPBadRequest.response(to: bytes, error: error, toTag: RandomToken.make(10)) {
                _ = transport?.send(response, on: flowID)
            }
            logger.debug("unparseable SIP message", metadata: ["peer": "\(flow.peerDescription)", "error": "\(error)"])
            return
        }
        if message.isRequest {
            counters.requestsIn += 1
            handleRequest(message, from: flow)
        } else {
            counters.responsesIn += 1
            handleResponse(message, from: flow)
        }
    }

    /// Fires every timer that is due on the clock.
    public func tick() {
        for event in timers.popDue(now: clock.now()) {
            fire(event)
        }
    }

    /// A media session ended, with its final counters. For a call that had already ended, its teardown
    /// line is written now; a session the media side ended by itself (no media for the idle timeout, or
    /// its sockets could not be served) ends its call with BYE both ways.
    public func mediaSessionEnded(_ snapshot: MediaSessionSnapshot) {
        if let (call, reason) = ending.removeValue(forKey: snapshot.id) {
            logCallEnded(call, reason: reason, snapshot: snapshot)
            return
        }
        guard let call = calls.values.first(where: { $0.mediaSession == snapshot.id }) else { return }
        call.mediaSession = nil
        let idle = snapshot.end == .idle
        sendBYE(call, toward: [.a, .b], cause: idle ? 408 : 500, text: idle ? "media timeout" : "media failed")
        finish(call, reason: idle ? .mediaTimeout : .error, snapshot: snapshot)
    }

    /// SIGTERM: new calls are refused with 503 from now on; calls in progress carry on.
    public func startDraining() {
        draining = true
    }

    /// Ends every call: BYE both ways for confirmed calls, CANCEL or an error for calls being set up.
    public func endAllCalls(reason: CallEndReason) {
        for call in Array(calls.values) {
            if call.state == .confirmed {
                sendBYE(call, toward: [.a, .b], cause: 503, text: "Sotto is shutting down")
            } else {
                abandonSetup(call, status: 503, reason: "Service Unavailable", warning: "Sotto is shutting down")
            }
            finish(call, reason: reason)
        }
    }

    // MARK: Sending

    @discardableResult
    func send(_ message: SIPMessage, on flow: FlowID) -> Bool {
        transport?.send(message.serialized(), on: flow) ?? false
    }

    /// The flow a side's requests go to: the softphone's own flow for side A, the upstream for side B.
    func flow(toward side: LegSide, of call: ProxyCall) -> FlowID? {
        side == .a ? (flows[call.softphoneFlow] != nil ? call.softphoneFlow : nil) : upstream
    }

    // MARK: Timers

    private func fire(_ event: ProxyTimer) {
        switch event {
        case .clientTimeout(let key):
            guard let client = clients[key] else { return }
            // Timer B fires only before any response; Timer F until the final response.
            let stillWaiting = client.method == .invite ? client.state == .calling : client.state != .terminated
            guard stillWaiting else { return }
            timedOut(client)
        case .timerC(let key, let armedAt):
            guard let client = clients[key], client.state == .proceeding, client.provisionalAt == armedAt else {
                return
            }
            // RFC 3261 §16.8: a provisional came, so CANCEL; the 487 that follows goes upstream as usual.
            sendCANCEL(for: client)
        case .cancelled(let key):
            guard let client = clients[key], client.state == .calling || client.state == .proceeding else { return }
            timedOut(client)
        case .clientLinger(let key):
            if let client = clients[key], client.state == .accepted { terminate(client) }
        case .serverLinger(let key):
            if let server = servers[key], server.state != .proceeding { servers[key] = nil }
        }
    }

    func schedule(_ event: ProxyTimer, after nanoseconds: UInt64) {
        timers.schedule(event, at: clock.now() &+ nanoseconds)
    }
}
