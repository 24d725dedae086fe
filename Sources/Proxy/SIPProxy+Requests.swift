import Media
import SIP

/// A request through the layers: validation (RFC 3261 §16.3), the transaction layer (retransmissions, ACK
/// and CANCEL matching), the router (where it goes, §16.4–16.6 edits), the call layer (the call it belongs
/// to, its SDP), then out on a client transaction. Every refusal is answered on the server transaction.
extension SIPProxy {
    /// Methods whose body may carry an SDP offer or answer (RFC 3261, RFC 3262, RFC 3311).
    static let sdpMethods: Set<SIPMethod> = [.invite, .update, .prack, .ack]
    /// The `Allow` Sotto advertises: what passes through it.
    static let allow =
        "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, PRACK, INFO, REFER, NOTIFY, SUBSCRIBE, MESSAGE, REGISTER"

    func handleRequest(_ received: SIPMessage, from flow: Flow) {
        guard let top = received.via.first, let branch = top.branch, !branch.isEmpty else {
            transactions.reply(
                to: received, on: flow.id, status: 400, reason: "Bad Request (the top Via has no branch)")
            return
        }
        let sentBy = "\(top.host):\(top.port ?? 5061)"
        var request = received
        do {
            try router.stampVia(&request, from: flow)
        } catch {
            transactions.reply(
                to: received, on: flow.id, status: 400, reason: "Bad Request (the top Via cannot be edited)")
            return
        }
        // Limits before allocation: the request rate of a softphone's connection and address, then (below)
        // the transactions it may hold, are checked before a transaction is made for it. An ACK or CANCEL
        // for a transaction Sotto holds costs nothing and is exempt (a phone at its limit can still cancel
        // its own INVITE and acknowledge its answer); any other ACK is routed on, so it takes a token, and
        // is dropped without a word or a count when there is none (an ACK is never answered, and the
        // attacker's ACKs of its own 503s would otherwise double the refusal count).
        let inviteKey = ServerTransactionKey(branch: branch, sentBy: sentBy, method: .invite, flow: flow.id)
        switch request.method {
        case .ack:
            guard !transactions.absorbsACK(inviteKey) else { return }
            guard admission.admitRequest(from: flow, counting: false) == nil else { return }
            forwardACK(request, from: flow)
            return
        case .cancel:
            if !transactions.holds(inviteKey), let refusal = admission.admitRequest(from: flow) {
                refuseStatelessly(received, on: flow.id, refusal)
                return
            }
            transactions.cancel(request, inviteKey: inviteKey)
            return
        default:
            if let refusal = admission.admitRequest(from: flow) {
                refuseStatelessly(received, on: flow.id, refusal)
                return
            }
        }
        let key = ServerTransactionKey(branch: branch, sentBy: sentBy, method: request.method, flow: flow.id)
        guard !transactions.absorbsRetransmission(key) else { return }
        if let refusal = admitTransaction(from: flow) {
            refuseStatelessly(received, on: flow.id, refusal)
            return
        }
        let server = ServerTransaction(key: key, request: request)
        do throws(ProxyRefusal) {
            try forward(request, server: server, from: flow)
        } catch {
            respond(server, refusal: error)
        }
    }

    /// `sip.max_transactions` (everyone) and `sip.max_transactions_per_connection` (a softphone's): what a
    /// new server transaction, and the client transaction it leads to, may add.
    private func admitTransaction(from flow: Flow) -> ProxyRefusal? {
        let limits = admission.limits
        if limits.transactions > 0, transactions.count >= limits.transactions {
            return admission.refuse(.transactions, overload: "Sotto has too many requests in progress")
        }
        if flow.kind == .softphone, limits.transactionsPerFlow > 0,
            transactions.serverCount(on: flow.id) >= limits.transactionsPerFlow
        {
            return admission.refuse(.transactionsPerFlow, overload: "too many requests in progress on this connection")
        }
        return nil
    }

    /// Answers a request refused before a transaction was made for it (an ACK is dropped: it is never
    /// answered).
    private func refuseStatelessly(_ request: SIPMessage, on flow: FlowID, _ refusal: ProxyRefusal) {
        var extra = refusal.extra
        if let warning = refusal.warning {
            extra.append(SIPMessageBuilder.warning(host: router.local.host, text: warning))
        }
        transactions.reply(to: request, on: flow, status: refusal.status, reason: refusal.reason, extra: extra)
    }

    /// RFC 3261 §16.6: the request goes on, with Sotto's Via, Record-Route or Path, and its SDP rewritten.
    ///
    /// The order is the point: every refusal that does not depend on the PBX (hops, dialog ownership, limits,
    /// the body, the media policy) is decided before the PBX link is consulted, and before anything is
    /// allocated or registered (a call, media ports), so a refused INVITE leaves nothing behind.
    private func forward(_ received: SIPMessage, server: ServerTransaction, from flow: Flow) throws(ProxyRefusal) {
        var request = received
        let method = request.method
        let (target, routes) = try router.route(&request, from: flow)
        let next: Flow?
        switch target {
        case .local:
            answerOptions(server)
            return
        case .flow(let flow): next = flow
        case .upstreamDown: next = nil
        }
        let hash = try router.checkLoopAndHops(&request, routes: routes)
        // A PBX request always has a softphone flow to go to (the router refuses it otherwise).
        let token = flow.kind == .softphone ? flow.token : next?.token ?? ""
        let side: LegSide = flow.kind == .softphone ? .a : .b
        if flow.kind == .softphone {
            try checkDialogOwnership(request, token: token)
            try checkIdentity(request, from: flow)
        }
        if method == .register && flow.kind == .softphone {
            let limit = admission.limits.registrationsPerFlow
            if limit > 0, router.bindingsAfter(request, from: flow.id) > limit {
                admission.count(.registrationsPerFlow)
                throw ProxyRefusal(
                    status: 403, reason: "Forbidden", warning: "this connection may hold \(limit) registrations")
            }
        }
        try router.addRouteEntries(&request, from: flow, token: token)
        TrustDomain.stripIdentity(
            &request, fromSoftphone: flow.kind == .softphone, forward: calls.configuration.forwardSoftphoneIdentity)

        var call = calls.call(callID: request.callID, token: token)
        var newCall: ProxyCall?
        if method == .invite && request.to.tag == nil && call == nil {
            let phone = flow.kind == .softphone ? flow : next
            guard let phone else { throw Router.upstreamDown }
            newCall = try calls.admitCall(request, token: token, softphoneFlow: phone, side: side)
            call = newCall
        }
        if call == nil && Self.sdpMethods.contains(method) {
            // An in-dialog INVITE, UPDATE or PRACK for a call Sotto does not know (after a restart, say) could
            // carry an offer or draw one in its response, with no media session to take it.
            throw ProxyRefusal(
                status: 481, reason: "Call/Transaction Does Not Exist", warning: "Sotto has no media for this dialog")
        }
        var offerFrom: LegSide?
        if let call, Self.sdpMethods.contains(method), let sdp = try request.sdpBody {
            let role: CallController.SDPRole = method == .prack ? .either : .offer
            guard next != nil else {
                // The media policy first; only an offer Sotto would take is told that the PBX is down.
                try calls.checkPolicy(sdp, from: side, call: call, role: role)
                throw Router.upstreamDown
            }
            do throws(ProxyRefusal) {
                let rewritten = try calls.negotiate(sdp, from: side, call: call, role: role, completes: false)
                try router.edit { () throws(SIPError) in try request.replaceBody(rewritten) }
                if call.pendingOffer?.from == side { offerFrom = side }
            } catch {
                if let newCall { calls.discard(newCall) }
                throw error
            }
        } else if !Self.sdpMethods.contains(method) {
            calls.stripSDP(&request)
        }
        guard let next else { throw Router.upstreamDown }
        if let newCall { calls.register(newCall) }
        call?.noteCSeq(request.cseq.sequence, from: side)

        let branch = Branch.make(loopHash: hash)
        try router.edit { () throws(SIPError) in try request.insertVia(router.local.via(branch: branch)) }
        if method == .invite {
            transactions.respond(server, status: 100, reason: "Trying")
        }
        let client = transactions.forward(
            request, branch: branch, on: next.id, for: server,
            context: call.map { CallRequest(call: $0, offerFrom: offerFrom) })
        if let newCall {
            newCall.inviteServer = server
            newCall.inviteClient = client
        }
        if method == .bye, let call {
            calls.finish(call, reason: .bye)
        }
    }

    /// An OPTIONS to Sotto itself: `200` with what passes through it, or `503` while draining, so that a
    /// dispatcher or load balancer stops sending calls here.
    private func answerOptions(_ server: ServerTransaction) {
        guard !calls.draining else {
            transactions.respond(
                server, status: 503, reason: "Service Unavailable", warning: "Sotto is shutting down",
                extra: [SIPHeader(name: "Retry-After", value: "30")])
            return
        }
        transactions.respond(
            server, status: 200, reason: "OK",
            extra: [
                SIPHeader(name: "Allow", value: Self.allow), SIPHeader(name: "Accept", value: "application/sdp"),
            ])
    }

    /// `sip.client_identity`: the address of record a REGISTER binds (To), or the From of any other request
    /// outside a dialog, must be one the connection's certificate names; else `403`.
    private func checkIdentity(_ request: SIPMessage, from flow: Flow) throws(ProxyRefusal) {
        let binding = calls.configuration.identityBinding
        guard binding != .none, request.to.tag == nil || request.method == .register else { return }
        let aor = request.method == .register ? request.to.uri : request.from.uri
        guard !binding.allows(aor, identity: flow.peerIdentity) else { return }
        admission.count(.identity)
        throw ProxyRefusal(
            status: 403, reason: "Forbidden",
            warning: "the connection's certificate does not name \(CallController.aorKey(aor))")
    }

    /// A softphone's request may not name a call another softphone connection owns: in-dialog (its Call-ID)
    /// or through `Replaces`/`Join` (RFC 3891, RFC 3911), which would take over or listen into that call.
    /// `sip.dialogs_bound_to_connection = false` turns this off.
    private func checkDialogOwnership(_ request: SIPMessage, token: String) throws(ProxyRefusal) {
        guard calls.configuration.dialogsBoundToConnection else { return }
        var named: [String] = []
        if request.to.tag != nil { named.append(request.callID) }
        for header in ["Replaces", "Join"] {
            for value in request.headers(named: header).map(\.value) {
                named.append(String(value.prefix { $0 != ";" }.filter { $0 != " " && $0 != "\t" }))
            }
        }
        for callID in named where calls.isOwnedElsewhere(callID: callID, token: token) {
            admission.count(.foreignDialog)
            throw ProxyRefusal(status: 403, reason: "Forbidden", warning: "the dialog belongs to another connection")
        }
    }

    /// An end-to-end ACK (for a 2xx) is routed like any in-dialog request, and never answered. It can carry
    /// the answer to an offer in the 2xx (late offer), which is checked like any answer.
    private func forwardACK(_ received: SIPMessage, from flow: Flow) {
        var request = received
        guard case (.flow(let next), let routes)? = try? router.route(&request, from: flow),
            let hash = try? router.checkLoopAndHops(&request, routes: routes)
        else { return }
        let token = flow.kind == .softphone ? flow.token : next.token
        let side: LegSide = flow.kind == .softphone ? .a : .b
        let call = calls.call(callID: request.callID, token: token)
        var refusal: ProxyRefusal?
        var checked = false
        if let call, let pending = call.pendingOffer, pending.from != side, let sdp = try? request.sdpBody {
            do throws(ProxyRefusal) {
                let rewritten = try calls.negotiate(sdp, from: side, call: call, role: .answer, completes: true)
                try router.edit { () throws(SIPError) in try request.replaceBody(rewritten) }
                checked = true
            } catch {
                refusal = error
            }
        }
        // An ACK can carry nothing but the answer to an offer in the 2xx; any other body (SDP for a call
        // Sotto does not know, a refused answer, a multipart that might hide SDP) goes no further than Sotto.
        if !checked && !request.body.isEmpty {
            try? request.replaceBody([])
        }
        guard (try? request.insertVia(router.local.via(branch: Branch.make(loopHash: hash)))) != nil else {
            return
        }
        send(request, on: next.id)
        if let call, let refusal {
            // The answer in the ACK (late offer) has no SRTP: the 2xx is acknowledged (above, without the
            // body), then the dialog, up on both sides, ends with BYE both ways.
            calls.noteSRTPRefusal()
            calls.sendBYE(call, toward: [.a, .b], cause: 488, text: refusal.warning ?? "SRTP is required")
            calls.finish(call, reason: .srtpRefused)
        }
    }
}
