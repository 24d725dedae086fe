import Media
import SIP

/// Responses (RFC 3261 §16.7, §17.1, RFC 6026): matched to the client transaction by Sotto's Via branch,
/// SDP checked and rewritten, and sent back on the flow the request came from.
extension SIPProxy {
    func handleResponse(_ received: SIPMessage, from flow: Flow) {
        guard let top = received.via.first, local.matches(top), let branch = top.branch,
            let status = received.statusLine?.statusCode,
            let client = clients[ClientTransaction.key(branch: branch, method: received.cseq.method)],
            client.flow == flow.id
        else {
            // No transaction of Sotto's matches (a 2xx retransmitted after RFC 6026's Timer M among them): the
            // response is dropped. Forwarding it statelessly would carry an SDP nobody checked (a peer's key
            // and address) and would let any flow aim a response at another.
            counters.strayResponses += 1
            return
        }
        guard client.server != nil || client.method == .invite else {
            // The answer to a CANCEL or BYE Sotto made itself ends that transaction and goes no further.
            if status >= 200 { terminate(client) }
            return
        }
        var response = received
        if client.server != nil {
            guard (try? response.removeFirstVia()) != nil, !response.via.isEmpty else {
                counters.strayResponses += 1
                return
            }
        }
        let side: LegSide = flow.kind == .softphone ? .a : .b
        if client.method == .invite {
            inviteResponse(response, status: status, client: client, from: side)
        } else {
            otherResponse(response, status: status, client: client, from: side)
        }
    }

    private func inviteResponse(_ received: SIPMessage, status: Int, client: ClientTransaction, from side: LegSide) {
        var response = received
        switch status {
        case 100..<200:
            guard client.state == .calling || client.state == .proceeding else { return }
            client.state = .proceeding
            client.provisionalAt = clock.now()
            schedule(.timerC(client.key, armedAt: client.provisionalAt), after: configuration.timerCNanoseconds)
            if client.cancelPending {
                sendCANCEL(for: client)
            }
            guard status > 100, !client.abandoned, let server = client.server, server.state == .proceeding else {
                return
            }
            if let call = client.call {
                do throws(ProxyRefusal) {
                    try rewriteBody(&response, from: side, call: call, completes: false)
                } catch {
                    // An early answer without SRTP: the INVITE is cancelled downstream and refused upstream.
                    counters.srtpRefusals += 1
                    client.abandoned = true
                    sendCANCEL(for: client)
                    respond(server, refusal: error)
                    finish(call, reason: .srtpRefused)
                    return
                }
            }
            sent(response.serialized(), status: status, on: server)
        case 200..<300:
            let first = client.state != .accepted
            if first {
                client.state = .accepted
                // RFC 6026 Timer M: 2xx retransmissions keep matching for 64 × T1.
                schedule(.clientLinger(client.key), after: configuration.transactionTimeout)
            }
            guard let server = client.server else { return }
            if !first {
                if let forwarded = client.forwarded2xx { _ = transport?.send(forwarded, on: server.flow) }
                return
            }
            guard let call = client.call else {
                // Every INVITE Sotto forwards belongs to a call; should one not, its SDP still never passes
                // unchecked.
                stripSDP(&response)
                forward2xx(response, client: client, server: server)
                return
            }
            if call.inviteClient === client && call.dialog == nil {
                call.dialog = ProxyCall.Dialog(
                    invite: client.request, response: response, local: local, token: call.token,
                    callerSide: call.callerSide)
            }
            if client.abandoned {
                // Answered after Sotto gave up on it (CANCEL raced the 2xx, or media was refused): the
                // dialog is acknowledged and ended at once.
                sendACK(forAnswer: response, of: client, toward: side)
                sendBYE(call, toward: [side], cause: 487, text: "the call was given up before this answer")
                return
            }
            do throws(ProxyRefusal) {
                try rewriteBody(&response, from: side, call: call, completes: true)
            } catch {
                // DESIGN.md §2 rule 1: an answer without SRTP ends the call on both sides.
                counters.srtpRefusals += 1
                client.abandoned = true
                sendACK(forAnswer: response, of: client, toward: side)
                let wasUp = call.state == .confirmed
                sendBYE(call, toward: wasUp ? [.a, .b] : [side], cause: 488, text: error.warning ?? "SRTP is required")
                if server.state == .proceeding { respond(server, refusal: error) }
                finish(call, reason: .srtpRefused)
                return
            }
            if call.inviteClient === client && call.state == .setup {
                call.state = .confirmed
                call.answered = clock.now()
                logCallUp(call)
            }
            forward2xx(response, client: client, server: server)
        default:
            guard client.state == .calling || client.state == .proceeding else { return }
            // RFC 3261 §17.1.1.3: the ACK for a non-2xx final is the proxy's own, hop by hop.
            sendACK(forFailure: response, of: client)
            terminate(client)
            if let call = client.call {
                if call.inviteClient === client {
                    finish(call, reason: client.cancelled ? .cancel : .rejected)
                } else {
                    clearRefusedOffer(of: client, in: call)
                }
            }
            guard !client.abandoned, let server = client.server, server.state == .proceeding else { return }
            sent(response.serialized(), status: status, on: server)
        }
    }

    private func forward2xx(_ response: SIPMessage, client: ClientTransaction, server: ServerTransaction) {
        let bytes = response.serialized()
        client.forwarded2xx = bytes
        if server.state == .proceeding {
            sent(bytes, status: 200, on: server)
        } else {
            _ = transport?.send(bytes, on: server.flow)
        }
    }

    private func otherResponse(_ received: SIPMessage, status: Int, client: ClientTransaction, from side: LegSide) {
        guard client.state != .terminated else { return }
        var response = received
        if status >= 200 { terminate(client) } else { client.state = .proceeding }
        guard let server = client.server, server.state == .proceeding, status > 100 else { return }
        if client.method == .register, (200..<300).contains(status) {
            noteRegistration(request: server.request, response: response, flow: server.flow)
        }
        if let call = client.call, (200..<300).contains(status), Self.sdpMethods.contains(client.method) {
            do throws(ProxyRefusal) {
                try rewriteBody(&response, from: side, call: call, completes: true)
            } catch {
                counters.srtpRefusals += 1
                sendBYE(call, toward: [.a, .b], cause: 488, text: error.warning ?? "SRTP is required")
                respond(server, refusal: error)
                finish(call, reason: .srtpRefused)
                return
            }
        } else if let call = client.call, status >= 300 {
            clearRefusedOffer(of: client, in: call)
        }
        if !Self.sdpMethods.contains(client.method) {
            stripSDP(&response)
        }
        sent(response.serialized(), status: status, on: server)
    }

    /// Rewrites an SDP body in place (offer or answer); a non-SDP body in an offer/answer position is refused.
    private func rewriteBody(_ response: inout SIPMessage, from side: LegSide, call: ProxyCall, completes: Bool)
        throws(ProxyRefusal)
    {
        guard let sdp = try response.sdpBody else { return }
        let rewritten = try negotiate(sdp, from: side, call: call, role: .either, completes: completes)
        try edit { () throws(SIPError) in try response.replaceBody(rewritten) }
    }

    /// A refused request takes back its own offer: the media stays as it was (RFC 3264 §8). An offer the
    /// other side made meanwhile (glare, RFC 3261 §14.1) stays pending.
    private func clearRefusedOffer(of client: ClientTransaction, in call: ProxyCall) {
        if let side = client.offerFrom, call.pendingOffer?.from == side {
            call.pendingOffer = nil
        }
    }

    /// Removes an SDP body that no offer/answer step has checked (DESIGN.md §2 rule 2: a peer's key never
    /// reaches the other side).
    func stripSDP(_ message: inout SIPMessage) {
        guard !message.body.isEmpty, message.contentType?.isSDP ?? false else { return }
        try? message.replaceBody([])
    }

    func terminate(_ client: ClientTransaction) {
        client.state = .terminated
        clients[client.key] = nil
    }

    /// Timer B or F: no final response in time. The request is answered 408 upstream (RFC 3261 §16.8).
    func timedOut(_ client: ClientTransaction) {
        terminate(client)
        if let server = client.server, server.state == .proceeding, !client.abandoned {
            respond(server, status: 408, reason: "Request Timeout")
        }
        if let call = client.call, call.inviteClient === client {
            finish(call, reason: .timeout)
        }
    }
}
