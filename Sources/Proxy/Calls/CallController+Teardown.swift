import Logging
import Media
import SIP

/// The requests Sotto makes itself to end a call (CANCEL through the transaction layer, the ACK of a 2xx it
/// refuses, BYE in either direction) and the per-call log lines.
extension CallController {
    /// Gives up on an INVITE still being set up: CANCEL downstream, an error upstream.
    func abandonSetup(_ call: ProxyCall, status: Int, reason: String, warning: String) {
        if let client = call.inviteClient, client.state == .calling || client.state == .proceeding {
            client.abandoned = true
            if router.flow(client.flow) != nil { transactions.cancel(client) }
        }
        if let server = call.inviteServer, server.state == .proceeding, router.flow(server.flow) != nil {
            transactions.respond(server, status: status, reason: reason, warning: warning)
        }
    }

    // MARK: Requests Sotto makes

    /// The ACK for a 2xx Sotto will not forward (the call is being ended): sent along the dialog's route.
    func sendACK(forAnswer response: SIPMessage, of client: ClientTransaction, toward side: LegSide) {
        guard let call = call(of: client), let dialog = call.dialog else { return }
        let towardCallee = side != dialog.callerSide
        let contact = (try? response.contacts()).flatMap { list -> SIPURI? in
            if case .addresses(let addresses) = list { return addresses.first?.uri }
            return nil
        }
        guard
            let ack = SIPMessageBuilder.request(
                method: .ack, uri: contact ?? (towardCallee ? dialog.calleeContact : dialog.callerContact),
                via: local.via(branch: Branch.make(loopHash: "0")),
                routes: towardCallee ? dialog.routeTowardCallee : dialog.routeTowardCaller,
                from: client.request.from.description, to: response.to.description, callID: call.callID,
                sequence: client.request.cseq.sequence, userAgent: configuration.product)
        else { return }
        _ = transactions.transport?.send(ack.serialized(), on: client.flow)
    }

    /// BYE toward each of `sides` of a confirmed dialog, with a Reason header saying why.
    func sendBYE(_ call: ProxyCall, toward sides: [LegSide], cause: Int, text: String) {
        guard let dialog = call.dialog else { return }
        for side in sides {
            // A softphone whose connection is gone cannot be reached (it registers again on a new one); the
            // PBX's connection comes back, so a BYE toward it waits for that (``ByesAwaitingPBX``).
            let flow = flow(toward: side, of: call)
            guard flow != nil || side == .b else { continue }
            let towardCallee = side != dialog.callerSide
            let sequence =
                towardCallee
                ? max(call.highestCSeq[dialog.callerSide] ?? 0, dialog.inviteSequence) &+ 1
                : (call.highestCSeq[dialog.callerSide.other] ?? 0) &+ 1
            let branch = Branch.make(loopHash: "0")
            guard
                let bye = SIPMessageBuilder.request(
                    method: .bye, uri: towardCallee ? dialog.calleeContact : dialog.callerContact,
                    via: local.via(branch: branch),
                    routes: towardCallee ? dialog.routeTowardCallee : dialog.routeTowardCaller,
                    from: (towardCallee ? dialog.callerFrom : dialog.calleeTo).description,
                    to: (towardCallee ? dialog.calleeTo : dialog.callerFrom).description, callID: call.callID,
                    sequence: sequence, userAgent: configuration.product,
                    extra: [SIPMessageBuilder.reason(cause: cause, text: text)])
            else { continue }
            call.noteCSeq(sequence, from: side.other)
            if let flow {
                transactions.send(bye, branch: branch, on: flow, context: nil)
            } else if byesAwaitingPBX.hold(bye, branch: branch, now: clock.now()) {
                logger.notice(
                    "BYE toward the PBX waits for its connection", metadata: ["call-id": "\(call.callID)"])
            } else {
                logger.warning(
                    "BYE toward the PBX dropped: too many wait for its connection",
                    metadata: ["call-id": "\(call.callID)", "waiting": "\(byesAwaitingPBX.maxCount)"])
            }
        }
    }

    /// The PBX connection is up again: the BYEs made while it was down go on it, in order.
    func upstreamOpened(_ flow: FlowID) {
        let (due, expired) = byesAwaitingPBX.take(now: clock.now())
        for waiting in due {
            transactions.send(waiting.bye, branch: waiting.branch, on: flow, context: nil)
        }
        if !due.isEmpty || expired > 0 {
            logger.notice(
                "BYEs that waited for the PBX connection", metadata: ["sent": "\(due.count)", "expired": "\(expired)"])
        }
    }

    /// Drops the BYEs that waited longer than ``ByesAwaitingPBX/lifetime`` (from ``tick()``).
    func expireByesAwaitingPBX() {
        let expired = byesAwaitingPBX.expire(now: clock.now())
        if expired > 0 {
            logger.warning(
                "BYEs toward the PBX dropped: its connection did not come back in time",
                metadata: ["expired": "\(expired)"])
        }
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
        if let flow = router.flow(call.softphoneFlow) { metadata["softphone"] = "\(flow.peerDescription)" }
        logger.info("call up", metadata: metadata)
    }

    /// The teardown line; `endedAt` is when the call ended, which may be before its final counters came.
    func logCallEnded(_ call: ProxyCall, reason: CallEndReason, endedAt now: UInt64, snapshot: MediaSessionSnapshot?) {
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
