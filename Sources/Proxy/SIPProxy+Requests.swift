import Media
import SIP

/// Requests: validation (RFC 3261 §16.3), routing (§16.4–16.5, flows by token), forwarding (§16.6) and the
/// requests answered locally (OPTIONS to Sotto, ACK and CANCEL matching, every refusal).
extension SIPProxy {
    /// Where a request goes.
    enum Target {
        case flow(Flow)
        /// An OPTIONS addressed to Sotto itself (health checks).
        case local
    }

    /// Methods that create a dialog, and so get a Record-Route when they arrive outside one.
    static let dialogCreating: Set<SIPMethod> = [.invite, .subscribe, .refer, .notify]
    /// Methods whose body may carry an SDP offer or answer (RFC 3261, RFC 3262, RFC 3311).
    static let sdpMethods: Set<SIPMethod> = [.invite, .update, .prack, .ack]
    /// The `Allow` Sotto advertises: what passes through it.
    static let allow =
        "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, PRACK, INFO, REFER, NOTIFY, SUBSCRIBE, MESSAGE, REGISTER"

    func handleRequest(_ received: SIPMessage, from flow: Flow) {
        guard let top = received.via.first, let branch = top.branch, !branch.isEmpty else {
            reply(to: received, on: flow.id, status: 400, reason: "Bad Request (the top Via has no branch)")
            return
        }
        let sentBy = "\(top.host):\(top.port ?? 5061)"
        var request = received
        do {
            try stampVia(&request, from: flow)
        } catch {
            reply(to: received, on: flow.id, status: 400, reason: "Bad Request (the top Via cannot be edited)")
            return
        }
        switch request.method {
        case .ack:
            handleACK(request, key: ServerTransactionKey(branch: branch, sentBy: sentBy, method: .invite), from: flow)
            return
        case .cancel:
            handleCANCEL(
                request, key: ServerTransactionKey(branch: branch, sentBy: sentBy, method: .invite), from: flow)
            return
        default:
            break
        }
        let key = ServerTransactionKey(branch: branch, sentBy: sentBy, method: request.method)
        if let existing = servers[key] {
            // A retransmission (RFC 3261 §17.2.1, §17.2.2): absorbed, the last response sent again.
            if let last = existing.lastResponse, existing.flow == flow.id { _ = transport?.send(last, on: flow.id) }
            return
        }
        let server = ServerTransaction(key: key, flow: flow.id, request: request)
        do throws(ProxyRefusal) {
            try forward(request, server: server, from: flow)
        } catch {
            respond(server, refusal: error)
        }
    }

    /// RFC 3261 §16.6: the request goes on, with Sotto's Via, Record-Route or Path, and its SDP rewritten.
    private func forward(_ received: SIPMessage, server: ServerTransaction, from flow: Flow) throws(ProxyRefusal) {
        var request = received
        let method = request.method
        let (target, routes) = try route(&request, from: flow)
        guard case .flow(let next) = target else {
            respond(
                server, status: 200, reason: "OK",
                extra: [
                    SIPHeader(name: "Allow", value: Self.allow), SIPHeader(name: "Accept", value: "application/sdp"),
                ])
            return
        }
        let hash = try checkLoopAndHops(&request, routes: routes)
        let token = flow.kind == .softphone ? flow.token : next.token
        let side: LegSide = flow.kind == .softphone ? .a : .b

        if Self.dialogCreating.contains(method) && request.to.tag == nil {
            try edit { () throws(SIPError) in
                try request.insertOnTop(
                    SIPHeader(name: "Record-Route", value: local.routeURI(token: token, outbound: false).description))
            }
        }
        if method == .register && flow.kind == .softphone {
            // RFC 3327: the registrar stores this Path with the binding, so requests for this agent come back
            // through Sotto and are delivered over this very connection (RFC 5626 §5.3 style flow token).
            try edit { () throws(SIPError) in
                try request.insertOnTop(
                    SIPHeader(name: "Path", value: local.routeURI(token: token, outbound: true).description))
            }
        }

        var call = calls[ProxyCall.key(callID: request.callID, token: token)]
        var newCall = false
        if method == .invite && request.to.tag == nil && call == nil {
            guard !draining else {
                throw ProxyRefusal(status: 503, reason: "Service Unavailable", warning: "Sotto is shutting down")
            }
            guard configuration.maxCalls == 0 || calls.count < configuration.maxCalls else {
                throw ProxyRefusal(status: 503, reason: "Service Unavailable", warning: "Sotto is at its call limit")
            }
            call = startCall(
                request, token: token, softphoneFlow: flow.kind == .softphone ? flow.id : next.id, side: side)
            newCall = true
        }
        if call == nil && Self.sdpMethods.contains(method) {
            // An in-dialog INVITE, UPDATE or PRACK for a call Sotto does not know (after a restart, say) could
            // carry an offer or draw one in its response, with no media session to take it.
            throw ProxyRefusal(
                status: 481, reason: "Call/Transaction Does Not Exist", warning: "Sotto has no media for this dialog")
        }
        call?.noteCSeq(request.cseq.sequence, from: side)
        var offerFrom: LegSide?
        if let call, Self.sdpMethods.contains(method), let sdp = try request.sdpBody {
            do throws(ProxyRefusal) {
                let role: SDPRole = method == .prack ? .either : .offer
                let rewritten = try negotiate(sdp, from: side, call: call, role: role, completes: false)
                try edit { () throws(SIPError) in try request.replaceBody(rewritten) }
                if call.pendingOffer?.from == side { offerFrom = side }
            } catch {
                if newCall { finish(call, reason: .srtpRefused) }
                throw error
            }
        } else if !Self.sdpMethods.contains(method) {
            stripSDP(&request)
        }

        let branch = Branch.make(loopHash: hash)
        try edit { () throws(SIPError) in try request.insertVia(local.via(branch: branch)) }
        if method == .invite {
            respond(server, status: 100, reason: "Trying")
        }
        let client = ClientTransaction(branch: branch, request: request, flow: next.id)
        client.server = server
        client.call = call
        client.offerFrom = offerFrom
        server.client = client
        server.call = call
        servers[server.key] = server
        clients[client.key] = client
        if newCall, let call {
            call.inviteServer = server
            call.inviteClient = client
        }
        send(request, on: next.id)
        schedule(.clientTimeout(client.key), after: configuration.transactionTimeout)
        if method == .invite {
            client.provisionalAt = clock.now()
            schedule(.timerC(client.key, armedAt: client.provisionalAt), after: configuration.timerCNanoseconds)
        }
        if method == .bye, let call {
            finish(call, reason: .bye)
        }
    }

    /// RFC 3261 §16.4 and §16.5: Sotto's own Route entry is removed; a softphone's requests go to the PBX, the
    /// PBX's go to the softphone flow named by the token in that Route entry (or in the Request-URI).
    func route(_ request: inout SIPMessage, from flow: Flow) throws(ProxyRefusal) -> (Target, [SIPNameAddress]) {
        var routes: [SIPNameAddress]
        do {
            routes = try request.routes()
        } catch {
            throw ProxyRefusal(status: 400, reason: "Bad Request (a Route header is malformed)", warning: nil)
        }
        var token: String?
        if let first = routes.first, local.matches(first.uri) {
            token = first.uri.user
            try edit { () throws(SIPError) in try request.removeFirstRoute() }
            routes.removeFirst()
        }
        guard let uri = request.requestLine?.uri else {
            throw ProxyRefusal(status: 400, reason: "Bad Request (no Request-URI)", warning: nil)
        }
        let addressedToSotto = local.matches(uri)
        if addressedToSotto && routes.isEmpty && request.method == .options
            && (uri.user == nil || flowsByToken[uri.user ?? ""] == nil)
        {
            return (.local, routes)
        }
        switch flow.kind {
        case .softphone:
            guard let upstream, let next = flows[upstream] else {
                throw ProxyRefusal(status: 503, reason: "Service Unavailable", warning: "the PBX is not reachable")
            }
            return (.flow(next), routes)
        case .pbx:
            guard let name = token ?? (addressedToSotto ? uri.user : nil) else {
                throw ProxyRefusal(
                    status: 404, reason: "Not Found", warning: "no softphone flow is named in the Route or Request-URI")
            }
            guard let id = flowsByToken[name], let next = flows[id] else {
                counters.flowFailed += 1
                throw ProxyRefusal(
                    status: 430, reason: "Flow Failed", warning: "the softphone's connection to Sotto is gone")
            }
            return (.flow(next), routes)
        }
    }

    /// RFC 3261 §16.3 step 4 (loops) and §16.6 step 3 (Max-Forwards). Returns the loop hash for the branch.
    private func checkLoopAndHops(_ request: inout SIPMessage, routes: [SIPNameAddress]) throws(ProxyRefusal)
        -> String
    {
        let hash = Branch.loopHash(of: request, routes: routes)
        for via in request.via where local.matches(via) {
            if let branch = via.branch, Branch.loopHash(ofBranch: branch) == Substring(hash) {
                counters.loopsDetected += 1
                throw ProxyRefusal(status: 482, reason: "Loop Detected", warning: nil)
            }
        }
        let hops = request.maxForwards ?? 70
        guard hops > 0 else {
            throw ProxyRefusal(status: 483, reason: "Too Many Hops", warning: nil)
        }
        try edit { () throws(SIPError) in try request.setMaxForwards(min(hops - 1, 255)) }
        return hash
    }

    /// RFC 3581 and RFC 3261 §18.2.1: the top Via learns where the request really came from.
    private func stampVia(_ request: inout SIPMessage, from flow: Flow) throws(SIPError) {
        guard var via = request.via.first else { return }
        let wantsRPort = via.hasRPort
        let host = via.host.hasPrefix("[") ? String(via.host.dropFirst().dropLast()) : via.host
        guard host != flow.peerIP || wantsRPort else { return }
        via.parameters.removeAll { ["received", "rport"].contains($0.name.lowercased()) }
        via.parameters.append(SIPParameter(name: "received", value: flow.peerIP))
        if wantsRPort { via.parameters.append(SIPParameter(name: "rport", value: String(flow.peerPort))) }
        try request.replaceFirstVia(with: via)
    }

    /// An end-to-end ACK (for a 2xx) is routed like any in-dialog request; an ACK for Sotto's own non-2xx
    /// final response ends that transaction (RFC 3261 §17.2.1) and goes no further. ACKs are never answered.
    private func handleACK(_ received: SIPMessage, key: ServerTransactionKey, from flow: Flow) {
        if let server = servers[key], server.flow == flow.id, server.state == .completed {
            return
        }
        var request = received
        guard case (.flow(let next), let routes)? = try? route(&request, from: flow),
            let hash = try? checkLoopAndHops(&request, routes: routes)
        else { return }
        let token = flow.kind == .softphone ? flow.token : next.token
        let side: LegSide = flow.kind == .softphone ? .a : .b
        let call = calls[ProxyCall.key(callID: request.callID, token: token)]
        var refusal: ProxyRefusal?
        var checked = false
        if let call, let pending = call.pendingOffer, pending.from != side, let sdp = try? request.sdpBody {
            do throws(ProxyRefusal) {
                let rewritten = try negotiate(sdp, from: side, call: call, role: .answer, completes: true)
                try edit { () throws(SIPError) in try request.replaceBody(rewritten) }
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
        guard (try? request.insertVia(local.via(branch: Branch.make(loopHash: hash)))) != nil else {
            return
        }
        send(request, on: next.id)
        if let call, let refusal {
            // The answer in the ACK (late offer) has no SRTP: the 2xx is acknowledged (above, without the
            // body), then the dialog, up on both sides, ends with BYE both ways.
            counters.srtpRefusals += 1
            sendBYE(call, toward: [.a, .b], cause: 488, text: refusal.warning ?? "SRTP is required")
            finish(call, reason: .srtpRefused)
        }
    }

    /// RFC 3261 §16.10: CANCEL is answered here and, when the INVITE is still pending, sent on to its branch.
    private func handleCANCEL(_ request: SIPMessage, key: ServerTransactionKey, from flow: Flow) {
        // Only the connection that sent the INVITE may cancel it.
        guard let server = servers[key], server.flow == flow.id else {
            reply(to: request, on: flow.id, status: 481, reason: "Call/Transaction Does Not Exist")
            return
        }
        reply(to: request, on: flow.id, status: 200, reason: "OK")
        guard server.state == .proceeding else { return }
        if let client = server.client {
            sendCANCEL(for: client)
        } else {
            respond(server, status: 487, reason: "Request Terminated")
        }
    }

    // MARK: Answering

    /// Answers a request without a transaction (400s, CANCEL).
    func reply(to request: SIPMessage, on flow: FlowID, status: Int, reason: String, extra: [SIPHeader] = []) {
        guard request.method != .ack else { return }
        let bytes = MessageBuilder.response(
            to: request, status: status, reason: reason, toTag: RandomToken.make(10), product: configuration.product,
            extra: extra)
        _ = transport?.send(bytes, on: flow)
    }

    func respond(_ server: ServerTransaction, refusal: ProxyRefusal) {
        if refusal.status == 488 { counters.srtpRefusals += 1 }
        respond(server, status: refusal.status, reason: refusal.reason, warning: refusal.warning, extra: refusal.extra)
    }

    /// Sends a response Sotto makes on a server transaction and moves the transaction on.
    func respond(
        _ server: ServerTransaction, status: Int, reason: String, warning: String? = nil, extra: [SIPHeader] = []
    ) {
        var headers = extra
        if let warning { headers.append(MessageBuilder.warning(host: local.host, text: warning)) }
        let bytes = MessageBuilder.response(
            to: server.request, status: status, reason: reason, toTag: server.localTag,
            product: configuration.product, extra: headers)
        sent(bytes, status: status, on: server)
    }

    /// Records a response sent on `server` (made here or forwarded) and runs the transaction's state machine.
    func sent(_ bytes: [UInt8], status: Int, on server: ServerTransaction) {
        _ = transport?.send(bytes, on: server.flow)
        guard server.state == .proceeding else { return }
        // A retransmitted request gets the latest response again, provisional ones included (§17.2.1).
        server.lastResponse = bytes
        guard status >= 200 else { return }
        if server.isInvite {
            server.state = status < 300 ? .accepted : .completed
            servers[server.key] = server
            // Timer H (waiting for the ACK of a non-2xx) or Timer L (RFC 6026), both 64 × T1.
            schedule(.serverLinger(server.key), after: configuration.transactionTimeout)
        } else {
            // Timer J is zero on a reliable transport.
            server.state = .terminated
            servers[server.key] = nil
        }
    }

    /// Runs a message edit; an edit that would make an invalid message is Sotto's bug or the peer's odd
    /// input, answered with 500 rather than a crash.
    func edit(_ body: () throws(SIPError) -> Void) throws(ProxyRefusal) {
        do {
            try body()
        } catch {
            logger.warning("a SIP edit failed", metadata: ["error": "\(error)"])
            throw ProxyRefusal(
                status: 500, reason: "Server Internal Error", warning: "Sotto could not edit the message")
        }
    }
}
