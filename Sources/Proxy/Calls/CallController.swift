import Logging
import Media
import SIP

/// The call layer: calls and their dialogs, offer/answer with the SRTP media policy (docs/architecture.md,
/// rules 1 and 2), re-INVITEs, and every way a call ends (BYE, CANCEL, a refusal, a lost connection, the
/// idle timeout, an operator, shutdown). It talks to media only through ``MediaControl`` and sends through
/// the transaction layer; which connection a side is on comes from the router.
///
/// Confined to the signalling loop.
final class CallController {
    let configuration: ProxyConfiguration
    let media: any MediaControl
    let clock: any MediaClock
    let logger: Logger
    let transactions: TransactionLayer
    let router: Router
    let admission: AdmissionControl
    /// Sotto's own address (the router's).
    var local: LocalAddress { router.local }
    /// Calls with a media session or an INVITE in progress, by ``ProxyCall/key``.
    private(set) var live: [String: ProxyCall] = [:]
    /// Calls that ended while their media session was still being taken down: the teardown line is
    /// written when the session's final counters arrive (one entry per session, removed then).
    private var ending: [UInt64: (call: ProxyCall, reason: CallEndReason, at: UInt64)] = [:]
    /// Set by ``SIPProxy/startDraining()``: new calls get 503.
    var draining = false
    private(set) var callsStarted = 0
    private(set) var callsEnded = 0
    /// Calls ended whose media sessions are still being taken down (their teardown lines not yet written).
    var pendingTeardowns: Int { ending.count }
    /// Offers and answers refused for want of SRTP.
    private(set) var srtpRefusals = 0
    /// The softphone-flow tokens of the live calls with each Call-ID (a call through the PBX between two
    /// agents has two), so that a request naming a Call-ID can be checked against the flow that owns it.
    private var tokensByCallID: [String: [String]] = [:]
    /// When each call being set up stops ringing (`calls.max_ringing_s`), by call key.
    private var ringing = TimerQueue<String>()
    /// BYEs toward the PBX made while its connection was down.
    var byesAwaitingPBX = ByesAwaitingPBX()
    /// Ringing limits pending (one per call being set up until it fires; answered calls' stay until then).
    var ringingTimerCount: Int { ringing.count }

    init(
        configuration: ProxyConfiguration, media: any MediaControl, clock: any MediaClock, logger: Logger,
        transactions: TransactionLayer, router: Router, admission: AdmissionControl
    ) {
        self.configuration = configuration
        self.media = media
        self.clock = clock
        self.logger = logger
        self.transactions = transactions
        self.router = router
        self.admission = admission
    }

    /// The call a request belongs to.
    func call(callID: String, token: String) -> ProxyCall? { live[ProxyCall.key(callID: callID, token: token)] }

    /// The call a client transaction was sent for, if any.
    func call(of client: ClientTransaction) -> ProxyCall? { (client.context as? CallRequest)?.call }

    // MARK: Starting

    /// A new INVITE outside a dialog: the call it would be, if Sotto is not draining and no limit refuses it
    /// (docs/security.md). The call is not registered yet: every other refusal of the INVITE (its body, its
    /// SDP, the PBX being down) comes first, and only ``register(_:)`` makes it live, so a refused INVITE
    /// leaves nothing behind.
    func admitCall(_ request: SIPMessage, token: String, softphoneFlow: Flow, side: LegSide) throws(ProxyRefusal)
        -> ProxyCall
    {
        guard !draining else {
            throw ProxyRefusal(status: 503, reason: "Service Unavailable", warning: "Sotto is shutting down")
        }
        // Calls whose media ports are still being released count: the limit is there for the ports.
        guard configuration.maxCalls == 0 || live.count + ending.count < configuration.maxCalls else {
            admission.count(.calls)
            throw ProxyRefusal(
                status: 503, reason: "Service Unavailable", warning: "Sotto is at its call limit",
                extra: [SIPHeader(name: "Retry-After", value: "5")])
        }
        let aorURI = side == .a ? request.from.uri : request.to.uri
        let parties = AdmissionControl.CallParties(
            flow: softphoneFlow.id, address: admission.addressKey(softphoneFlow.peerIP),
            aor: Self.aorKey(aorURI))
        if let refusal = admission.admitCall(parties, live: live.count, inbound: side == .b) { throw refusal }
        let call = ProxyCall(
            callID: request.callID, token: token, softphoneFlow: softphoneFlow.id, callerSide: side,
            from: request.from.uri.description, to: request.to.uri.description, parties: parties, now: clock.now())
        if let recorder = configuration.recorder {
            let info = Self.recordingInfo(request)
            switch recorder.admit(info) {
            case .refuse(let reason):
                // `recording.required`: no recording, no call.
                throw ProxyRefusal(status: 503, reason: "Service Unavailable", warning: reason)
            case .proceed(let decision):
                call.recording = (info, decision)
            }
        }
        return call
    }

    /// What recording may match a call on: its parties and its headers, bounded.
    static func recordingInfo(_ request: SIPMessage) -> CallRecordingInfo {
        let everyRequest: Set<String> = [
            "via", "from", "to", "call-id", "cseq", "contact", "max-forwards", "route", "record-route",
            "content-length", "content-type", "authorization", "proxy-authorization",
        ]
        let headers = request.headers.lazy.filter { !everyRequest.contains($0.canonicalName) }
            .prefix(CallRecordingInfo.maximumHeaders).map { (name: $0.name, value: $0.value) }
        return CallRecordingInfo(
            callID: request.callID, caller: request.from.uri.description, callee: request.to.uri.description,
            requestURI: request.requestLine?.uriText ?? "", headers: Array(headers))
    }

    /// Makes an admitted call live: it counts against its limits from now on and rings at most
    /// `calls.max_ringing_s`.
    func register(_ call: ProxyCall) {
        live[call.key] = call
        tokensByCallID[call.callID, default: []].append(call.token)
        callsStarted += 1
        admission.callStarted(call.parties)
        if admission.limits.maxRingingNanoseconds > 0 {
            ringing.schedule(call.key, at: call.created &+ admission.limits.maxRingingNanoseconds)
        }
    }

    /// An admitted call whose INVITE was refused before it went live: its media session, if one was made
    /// for its offer, is given back. Nothing was counted.
    func discard(_ call: ProxyCall) {
        guard live[call.key] !== call, let id = call.mediaSession else { return }
        call.mediaSession = nil
        media.endSession(id)
    }

    /// The address-of-record key calls are counted under: `user@host`, without scheme, port or parameters.
    static func aorKey(_ uri: SIPURI) -> String {
        "\(uri.user ?? "")@\(uri.host.lowercased())"
    }

    /// True when a live call with this Call-ID belongs to another softphone connection than `token`'s, and
    /// to none of `token`'s: a request naming it from `token`'s connection reaches into someone else's call.
    func isOwnedElsewhere(callID: String, token: String) -> Bool {
        guard let tokens = tokensByCallID[callID] else { return false }
        return !tokens.contains(token)
    }

    /// Gives up calls that have rung for `calls.max_ringing_s`: the INVITE is cancelled toward the callee
    /// and the caller gets `408`.
    func tick() {
        for key in ringing.popDue(now: clock.now()) {
            guard let call = live[key], call.state == .setup else { continue }
            let seconds = admission.limits.maxRingingNanoseconds / 1_000_000_000
            abandonSetup(
                call, status: 408, reason: "Request Timeout", warning: "the call rang for \(seconds) s unanswered")
            finish(call, reason: .ringTimeout)
        }
        expireByesAwaitingPBX()
    }

    /// Counts a refusal of SDP by the media policy.
    func noteRefusal(_ refusal: ProxyRefusal) {
        if refusal.isMediaPolicy { srtpRefusals += 1 }
    }

    /// Counts an answer refused for want of SRTP after the offer went through.
    func noteSRTPRefusal() { srtpRefusals += 1 }

    /// The initial INVITE's 2xx went through: the dialog is up.
    func confirm(_ call: ProxyCall, answer: SIPMessage) {
        call.state = .confirmed
        call.answered = clock.now()
        logCallUp(call)
        if let recorder = configuration.recorder, let recording = call.recording, let session = call.mediaSession {
            let headers = Self.recordingInfo(answer).headers
            recorder.established(
                session: session, call: recording.info, decision: recording.decision, answerHeaders: headers)
        }
    }

    // MARK: Ending

    /// Ends a call and its media session. Its teardown line is written when the session's final counters
    /// come back (``mediaSessionEnded(_:)``), or now when it has none. Idempotent.
    func finish(_ call: ProxyCall, reason: CallEndReason, snapshot: MediaSessionSnapshot? = nil) {
        guard live[call.key] === call else { return }
        live[call.key] = nil
        if var tokens = tokensByCallID.removeValue(forKey: call.callID) {
            tokens.removeAll { $0 == call.token }
            if !tokens.isEmpty { tokensByCallID[call.callID] = tokens }
        }
        callsEnded += 1
        admission.callEnded(call.parties)
        if let id = call.mediaSession, call.state == .confirmed, call.recording != nil {
            configuration.recorder?.ended(session: id)
        }
        if let id = call.mediaSession {
            call.mediaSession = nil
            ending[id] = (call, reason, clock.now())
            media.endSession(id)
        } else {
            logCallEnded(call, reason: reason, endedAt: clock.now(), snapshot: snapshot)
        }
    }

    /// A media session ended, with its final counters. For a call that had already ended, its teardown
    /// line is written now; a session the media side ended by itself (no media for the idle timeout, or
    /// its sockets could not be served) ends its call with BYE both ways.
    func mediaSessionEnded(_ snapshot: MediaSessionSnapshot) {
        if let (call, reason, endedAt) = ending.removeValue(forKey: snapshot.id) {
            logCallEnded(call, reason: reason, endedAt: endedAt, snapshot: snapshot)
            return
        }
        guard let call = live.values.first(where: { $0.mediaSession == snapshot.id }) else { return }
        call.mediaSession = nil
        if snapshot.end == .idle {
            sendBYE(call, toward: [.a, .b], cause: 408, text: "media timeout")
            finish(call, reason: .mediaTimeout, snapshot: snapshot)
            return
        }
        // Its sockets could not be served: a call still being set up is given up both ways (its SDP named
        // ports that are free again), an established one gets BYE both ways.
        if call.state == .confirmed {
            sendBYE(call, toward: [.a, .b], cause: 500, text: "Sotto could not relay the call's media")
        } else {
            abandonSetup(
                call, status: 503, reason: "Service Unavailable", warning: "Sotto could not relay the call's media")
        }
        finish(call, reason: .error, snapshot: snapshot)
    }

    /// A client transaction timed out (Timer B, or a CANCEL left unanswered): its call ends if it was the
    /// call's initial INVITE.
    func timedOut(_ client: ClientTransaction) {
        if let call = call(of: client), call.inviteClient === client {
            finish(call, reason: .timeout)
        }
    }

    /// A connection is gone. A call still being set up on it can no longer get its final response; a
    /// softphone's confirmed calls end toward the PBX. Calls survive the loss of the upstream connection: it
    /// is shared by every call and is re-established, and dropping every call in the centre because one TCP
    /// connection reset would be a self-made outage.
    func flowClosed(_ flow: Flow, endedRequests: [ClientTransaction]) {
        for client in endedRequests {
            if let call = call(of: client), call.inviteClient === client, call.state == .setup {
                finish(call, reason: flow.kind == .pbx ? .error : .connectionLost)
            }
        }
        for call in live.values where call.softphoneFlow == flow.id {
            if call.state == .confirmed {
                sendBYE(call, toward: [.b], cause: 480, text: "the softphone's connection to Sotto was lost")
            } else {
                abandonSetup(
                    call, status: 480, reason: "Temporarily Unavailable",
                    warning: "the softphone's connection to Sotto was lost")
            }
            finish(call, reason: .connectionLost)
        }
    }

    /// Ends every call: BYE both ways for confirmed calls, CANCEL or an error for calls being set up.
    func endAll(reason: CallEndReason) {
        for call in Array(live.values) {
            if call.state == .confirmed {
                sendBYE(call, toward: [.a, .b], cause: 503, text: "Sotto is shutting down")
            } else {
                abandonSetup(call, status: 503, reason: "Service Unavailable", warning: "Sotto is shutting down")
            }
            finish(call, reason: reason)
        }
    }

    /// Ends the call whose media session is `session` (end reason `admin`): BYE both ways for a confirmed
    /// call, CANCEL and `487` for one being set up. False when there is no such call.
    func terminate(session: UInt64, reason: CallEndReason = .admin, text: String = "ended by an operator") -> Bool {
        guard let call = live.values.first(where: { $0.mediaSession == session }) else { return false }
        if call.state == .confirmed {
            sendBYE(call, toward: [.a, .b], cause: 503, text: text)
        } else {
            abandonSetup(call, status: 487, reason: "Request Terminated", warning: text)
        }
        finish(call, reason: reason)
        return true
    }

    /// Calls that have a media session, as the admin socket shows them.
    func summaries() -> [SIPProxy.CallSummary] {
        let now = clock.now()
        return live.values.compactMap { call in
            call.mediaSession.map {
                SIPProxy.CallSummary(
                    session: $0, callID: call.callID, from: call.from, to: call.to, state: call.state.rawValue,
                    age: now &- call.created)
            }
        }
    }

    /// The flow a side's requests go to: the softphone's own flow for side A, the upstream for side B.
    func flow(toward side: LegSide, of call: ProxyCall) -> FlowID? {
        side == .a ? (router.flow(call.softphoneFlow) != nil ? call.softphoneFlow : nil) : router.upstream
    }

    // MARK: Bodies

    /// Rewrites an SDP body in place (offer or answer); a non-SDP body in an offer/answer position is refused.
    func rewriteBody(_ message: inout SIPMessage, from side: LegSide, call: ProxyCall, completes: Bool)
        throws(ProxyRefusal)
    {
        guard let sdp = try message.sdpBody else { return }
        let rewritten = try negotiate(sdp, from: side, call: call, role: .either, completes: completes)
        try router.edit { () throws(SIPError) in try message.replaceBody(rewritten) }
    }

    /// A refused request takes back its own offer: the media stays as it was (RFC 3264 §8). An offer the
    /// other side made meanwhile (glare, RFC 3261 §14.1) stays pending.
    func clearRefusedOffer(of client: ClientTransaction, in call: ProxyCall) {
        if let side = (client.context as? CallRequest)?.offerFrom, call.pendingOffer?.from == side {
            call.pendingOffer = nil
        }
    }

    /// Removes an SDP body that no offer/answer step has checked (docs/architecture.md, rule 2: a peer's
    /// key never reaches the other side).
    func stripSDP(_ message: inout SIPMessage) {
        guard !message.body.isEmpty, message.contentType?.isSDP ?? false else { return }
        try? message.replaceBody([])
    }
}

/// What the call layer keeps with a request it sent on: the call, and the side whose offer the request
/// carried (so that a refusal takes back only that offer).
final class CallRequest: TransactionContext {
    let call: ProxyCall
    let offerFrom: LegSide?

    init(call: ProxyCall, offerFrom: LegSide?) {
        self.call = call
        self.offerFrom = offerFrom
    }
}
