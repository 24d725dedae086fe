import Logging
import Media
import SIP

/// Calls starting and ending, and the requests Sotto makes itself to end them: CANCEL (RFC 3261 §9.1), the
/// ACK of a non-2xx (§17.1.1.3) or of a 2xx it refuses, and BYE in either direction.
extension SIPProxy {
    func startCall(_ request: SIPMessage, token: String, softphoneFlow: FlowID, side: LegSide) -> ProxyCall {
        let call = ProxyCall(
            callID: request.callID, token: token, softphoneFlow: softphoneFlow, callerSide: side,
            from: request.from.uri.description, to: request.to.uri.description, now: clock.now())
        calls[call.key] = call
        counters.callsStarted += 1
        return call
    }

    /// Ends a call and its media session. Its teardown line is written when the session's final counters
    /// come back (``SIPProxy/mediaSessionEnded(_:)``), or now when it has none. Idempotent.
    func finish(_ call: ProxyCall, reason: CallEndReason, snapshot: MediaSessionSnapshot? = nil) {
        guard calls[call.key] === call else { return }
        calls[call.key] = nil
        counters.callsEnded += 1
        if let id = call.mediaSession {
            call.mediaSession = nil
            ending[id] = (call, reason)
            media.endSession(id)
        } else {
            logCallEnded(call, reason: reason, snapshot: snapshot)
        }
    }

    /// A softphone's connection is gone: the PBX side of its calls is ended.
    func endCallAfterLoss(_ call: ProxyCall) {
        if call.state == .confirmed {
            sendBYE(call, toward: [.b], cause: 480, text: "the softphone's connection to Sotto was lost")
        } else {
            abandonSetup(
                call, status: 480, reason: "Temporarily Unavailable",
                warning: "the softphone's connection to Sotto was lost")
        }
        finish(call, reason: .connectionLost)
    }

    /// Gives up on an INVITE still being set up: CANCEL downstream, an error upstream.
    func abandonSetup(_ call: ProxyCall, status: Int, reason: String, warning: String) {
        if let client = call.inviteClient, client.state == .calling || client.state == .proceeding {
            client.abandoned = true
            if flows[client.flow] != nil { sendCANCEL(for: client) }
        }
        if let server = call.inviteServer, server.state == .proceeding, flows[server.flow] != nil {
            respond(server, status: status, reason: reason, warning: warning)
        }
    }

    // MARK: Requests Sotto makes

    /// CANCEL for a pending INVITE; held until a provisional response has come (RFC 3261 §9.1).
    func sendCANCEL(for client: ClientTransaction) {
        guard client.method == .invite, !client.cancelled else { return }
        guard client.state == .proceeding else {
            if client.state == .calling { client.cancelPending = true }
            return
        }
        client.cancelled = true
        client.cancelPending = false
        let invite = client.request
        guard let uri = invite.requestLine?.uri, let via = invite.via.first,
            let cancel = MessageBuilder.request(
                method: .cancel, uri: uri, via: via, routes: (try? invite.routes()) ?? [],
                from: invite.from.description, to: invite.to.description, callID: invite.callID,
                sequence: invite.cseq.sequence, product: configuration.product)
        else { return }
        track(cancel, branch: client.branch, on: client.flow, call: client.call)
        // If no final response follows the CANCEL, the INVITE is given up after 64 × T1 (RFC 3261 §9.1).
        schedule(.cancelled(client.key), after: configuration.transactionTimeout)
    }

    /// The ACK for a non-2xx final response: same branch and Request-URI as the INVITE, the response's To.
    func sendACK(forFailure response: SIPMessage, of client: ClientTransaction) {
        let invite = client.request
        guard let uri = invite.requestLine?.uri, let via = invite.via.first,
            let ack = MessageBuilder.request(
                method: .ack, uri: uri, via: via, routes: (try? invite.routes()) ?? [],
                from: invite.from.description, to: response.to.description, callID: invite.callID,
                sequence: invite.cseq.sequence, product: configuration.product)
        else { return }
        send(ack, on: client.flow)
    }

    /// The ACK for a 2xx Sotto will not forward (the call is being ended): sent along the dialog's route.
    func sendACK(forAnswer response: SIPMessage, of client: ClientTransaction, toward side: LegSide) {
        guard let call = client.call, let dialog = call.dialog else { return }
        let towardCallee = side != dialog.callerSide
        let contact = (try? response.contacts()).flatMap { list -> SIPURI? in
            if case .addresses(let addresses) = list { return addresses.first?.uri }
            return nil
        }
        guard
            let ack = MessageBuilder.request(
                method: .ack, uri: contact ?? (towardCallee ? dialog.calleeContact : dialog.callerContact),
                via: local.via(branch: Branch.make(loopHash: "0")),
                routes: towardCallee ? dialog.routeTowardCallee : dialog.routeTowardCaller,
                from: client.request.from.description, to: response.to.description, callID: call.callID,
                sequence: client.request.cseq.sequence, product: configuration.product)
        else { return }
        send(ack, on: client.flow)
    }

    /// BYE toward each of `sides` of a confirmed dialog, with a Reason header saying why.
    func sendBYE(_ call: ProxyCall, toward sides: [LegSide], cause: Int, text: String) {
        guard let dialog = call.dialog else { return }
        for side in sides {
            guard let flow = flow(toward: side, of: call) else { continue }
            let towardCallee = side != dialog.callerSide
            let sequence =
                towardCallee
                ? max(call.highestCSeq[dialog.callerSide] ?? 0, dialog.inviteSequence) &+ 1
                : (call.highestCSeq[dialog.callerSide.other] ?? 0) &+ 1
            let branch = Branch.make(loopHash: "0")
            guard
                let bye = MessageBuilder.request(
                    method: .bye, uri: towardCallee ? dialog.calleeContact : dialog.callerContact,
                    via: local.via(branch: branch),
                    routes: towardCallee ? dialog.routeTowardCallee : dialog.routeTowardCaller,
                    from: (towardCallee ? dialog.callerFrom : dialog.calleeTo).description,
                    to: (towardCallee ? dialog.calleeTo : dialog.callerFrom).description, callID: call.callID,
                    sequence: sequence, product: configuration.product,
                    extra: [MessageBuilder.reason(cause: cause, text: text)])
            else { continue }
            call.noteCSeq(sequence, from: side.other)
            track(bye, branch: branch, on: flow, call: nil)
        }
    }

    /// Sends a request Sotto made and keeps a client transaction for it, so its response is absorbed.
    private func track(_ request: SIPMessage, branch: String, on flow: FlowID, call: ProxyCall?) {
        let client = ClientTransaction(branch: branch, request: request, flow: flow)
        client.call = call
        clients[client.key] = client
        send(request, on: flow)
        schedule(.clientTimeout(client.key), after: configuration.transactionTimeout)
    }

    // MARK: Per-call log lines

    func logCallUp(_ call: ProxyCall) {
        var metadata: Logger.Metadata = [
            "call-id": "\(call.callID)", "from": "\(call.from)", "to": "\(call.to)",
            "direction": "\(call.callerSide == .a ? "softphone->pbx" : "pbx->softphone")",
            "setup-ms": "\(((call.answered ?? call.created) &- call.created) / 1_000_000)",
        ]
        for side in [LegSide.a, .b] {
            metadata["\(side.label)-suite"] = "\(call.suites[side]?.joined(separator: ",") ?? "-")"
        }
        if let flow = flows[call.softphoneFlow] { metadata["softphone"] = "\(flow.peerDescription)" }
        logger.info("call up", metadata: metadata)
    }

    func logCallEnded(_ call: ProxyCall, reason: CallEndReason, snapshot: MediaSessionSnapshot?) {
        let now = clock.now()
        var metadata: Logger.Metadata = [
            "call-id": "\(call.callID)", "from": "\(call.from)", "to": "\(call.to)", "end-reason": "\(reason.rawValue)",
            "duration-s": "\(call.answered.map { String(format1: Double(now &- $0) / 1e9) } ?? "0")",
        ]
        if let stream = snapshot?.streams.first, stream.count == 2 {
            for leg in stream {
                let name = leg.side.label
                metadata["\(name)-peer"] = "\(leg.latchedPeer ?? leg.declaredPeer ?? "-")"
                metadata["\(name)-local-port"] = "\(leg.localRTPPort)"
                metadata["\(name)-suite"] = "\(call.suites[leg.side]?.first ?? leg.suite ?? "-")"
                metadata["\(name)-packets-in"] = "\(leg.counters.packetsIn)"
                metadata["\(name)-packets-out"] = "\(leg.counters.packetsOut)"
                let drops = MediaDropReason.allCases.compactMap { reason -> String? in
                    let count = leg.counters[reason]
                    return count > 0 ? "\(reason)=\(count)" : nil
                }
                metadata["\(name)-drops"] = "\(drops.isEmpty ? "none" : drops.joined(separator: ","))"
            }
        }
        logger.info("call ended", metadata: metadata)
    }
}

extension LegSide {
    /// `softphone-leg` or `pbx-leg`, for log keys.
    var label: String { self == .a ? "softphone-leg" : "pbx-leg" }
}

extension String {
    /// One decimal place, without Foundation.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}

extension ProxyCall.Dialog {
    /// The dialog as Sotto sees it from the INVITE it forwarded and the 2xx that answered it: Sotto's own
    /// Record-Route entry (host and this call's token) splits the route set into the part toward the callee
    /// (above it) and toward the caller (below it).
    init(invite: SIPMessage, response: SIPMessage, local: LocalAddress, token: String, callerSide: LegSide) {
        let recordRoutes = (try? response.recordRoutes()) ?? []
        let mine = recordRoutes.firstIndex { local.matches($0.uri) && $0.uri.user == token }
        let above = mine.map { Array(recordRoutes[..<$0]) } ?? []
        let below = mine.map { Array(recordRoutes[($0 + 1)...]) } ?? []
        func firstContact(_ message: SIPMessage) -> SIPURI? {
            if case .addresses(let list)? = try? message.contacts() { return list.first?.uri }
            return nil
        }
        self.init(
            callerSide: callerSide, callerFrom: invite.from, calleeTo: response.to,
            callerContact: firstContact(invite) ?? invite.from.uri,
            calleeContact: firstContact(response) ?? invite.requestLine?.uri ?? response.to.uri,
            routeTowardCaller: below, routeTowardCallee: above.reversed(), inviteSequence: invite.cseq.sequence)
    }
}
