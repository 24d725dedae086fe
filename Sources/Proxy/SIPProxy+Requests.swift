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
        switch request.method {
        case .ack:
            let key = ServerTransactionKey(branch: branch, sentBy: sentBy, method: .invite, flow: flow.id)
            if !transactions.absorbsACK(key) { forwardACK(request, from: flow) }
            return
        case .cancel:
            transactions.cancel(
                request, inviteKey: ServerTransactionKey(branch: branch, sentBy: sentBy, method: .invite, flow: flow.id)
            )
            return
        default:
            break
        }
        let key = ServerTransactionKey(branch: branch, sentBy: sentBy, method: request.method, flow: flow.id)
        guard !transactions.absorbsRetransmission(key) else { return }
        let server = ServerTransaction(key: key, request: request)
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
        let (target, routes) = try router.route(&request, from: flow)
        guard case .flow(let next) = target else {
            transactions.respond(
                server, status: 200, reason: "OK",
                extra: [
                    SIPHeader(name: "Allow", value: Self.allow), SIPHeader(name: "Accept", value: "application/sdp"),
                ])
            return
        }
        let hash = try router.checkLoopAndHops(&request, routes: routes)
        let token = flow.kind == .softphone ? flow.token : next.token
        let side: LegSide = flow.kind == .softphone ? .a : .b
        try router.addRouteEntries(&request, from: flow, token: token)
        TrustDomain.stripIdentity(
            &request, fromSoftphone: flow.kind == .softphone, forward: calls.configuration.forwardSoftphoneIdentity)

        var call = calls.call(callID: request.callID, token: token)
        var newCall = false
        if method == .invite && request.to.tag == nil && call == nil {
            call = try calls.startCall(
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
                let role: CallController.SDPRole = method == .prack ? .either : .offer
                let rewritten = try calls.negotiate(sdp, from: side, call: call, role: role, completes: false)
                try router.edit { () throws(SIPError) in try request.replaceBody(rewritten) }
                if call.pendingOffer?.from == side { offerFrom = side }
            } catch {
                if newCall { calls.finish(call, reason: .srtpRefused) }
                throw error
            }
        } else if !Self.sdpMethods.contains(method) {
            calls.stripSDP(&request)
        }

        let branch = Branch.make(loopHash: hash)
        try router.edit { () throws(SIPError) in try request.insertVia(router.local.via(branch: branch)) }
        if method == .invite {
            transactions.respond(server, status: 100, reason: "Trying")
        }
        let client = transactions.forward(
            request, branch: branch, on: next.id, for: server,
            context: call.map { CallRequest(call: $0, offerFrom: offerFrom) })
        if newCall, let call {
            call.inviteServer = server
            call.inviteClient = client
        }
        if method == .bye, let call {
            calls.finish(call, reason: .bye)
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
