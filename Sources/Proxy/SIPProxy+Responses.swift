import Media
import SIP

/// A response through the layers (RFC 3261 §16.7, §17.1, RFC 6026): matched to its client transaction by
/// Sotto's Via branch, run through that transaction's state machine, its SDP checked and rewritten by the
/// call layer, and sent back on the server transaction the request came in on.
extension SIPProxy {
    func handleResponse(_ received: SIPMessage, from flow: Flow) {
        // No transaction of Sotto's matches (a 2xx retransmitted after RFC 6026's Timer M among them): the
        // response is dropped. Forwarding it statelessly would carry an SDP nobody checked (a peer's key
        // and address) and would let any flow aim a response at another.
        guard let status = received.statusLine?.statusCode, let client = transactions.match(received, from: flow.id)
        else { return }
        guard client.server != nil || client.method == .invite else {
            // The answer to a CANCEL or BYE Sotto made itself ends that transaction and goes no further.
            if status >= 200 { transactions.terminate(client) }
            return
        }
        var response = received
        if client.server != nil {
            guard (try? response.removeFirstVia()) != nil, !response.via.isEmpty else {
                transactions.noteStray()
                return
            }
        }
        let side: LegSide = flow.kind == .softphone ? .a : .b
        TrustDomain.stripIdentity(
            &response, fromSoftphone: flow.kind == .softphone, forward: calls.configuration.forwardSoftphoneIdentity)
        if client.method == .invite {
            inviteResponse(response, status: status, client: client, from: side)
        } else {
            otherResponse(response, status: status, client: client, from: side)
        }
    }

    private func inviteResponse(_ received: SIPMessage, status: Int, client: ClientTransaction, from side: LegSide) {
        var response = received
        let call = calls.call(of: client)
        switch transactions.inviteResponse(response, status: status, client: client) {
        case .ignored, .retransmission:
            return
        case .provisional(let server):
            guard let server else { return }
            if let call {
                do throws(ProxyRefusal) {
                    try calls.rewriteBody(&response, from: side, call: call, completes: false)
                } catch {
                    // An early answer without SRTP: the INVITE is cancelled downstream and refused upstream.
                    calls.noteSRTPRefusal()
                    client.abandoned = true
                    transactions.cancel(client)
                    respond(server, refusal: error, counted: true)
                    calls.finish(call, reason: .srtpRefused)
                    return
                }
            }
            transactions.send(response.serialized(), status: status, on: server)
        case .accepted(let server):
            guard let server else { return }
            guard let call else {
                // Every INVITE Sotto forwards belongs to a call; should one not, its SDP still never passes
                // unchecked.
                calls.stripSDP(&response)
                transactions.forward2xx(response, of: client, on: server)
                return
            }
            acceptedInvite(response, client: client, server: server, call: call, from: side)
        case .failed(let server):
            if let call {
                if call.inviteClient === client {
                    calls.finish(call, reason: client.cancelled ? .cancel : .rejected)
                } else {
                    calls.clearRefusedOffer(of: client, in: call)
                }
            }
            guard let server else { return }
            SDPNegotiation.stripErrorResponseBody(&response, status: status, method: client.method)
            transactions.send(response.serialized(), status: status, on: server)
        }
    }

    /// The first 2xx to an INVITE of a call: the dialog is noted, the answer checked, the call confirmed.
    private func acceptedInvite(
        _ received: SIPMessage, client: ClientTransaction, server: ServerTransaction, call: ProxyCall,
        from side: LegSide
    ) {
        var response = received
        if call.inviteClient === client && call.dialog == nil {
            call.dialog = ProxyCall.Dialog(
                invite: client.request, response: response, local: router.local, token: call.token,
                callerSide: call.callerSide)
        }
        if client.abandoned {
            // Answered after Sotto gave up on it (CANCEL raced the 2xx, or media was refused): the dialog is
            // acknowledged and ended at once.
            calls.sendACK(forAnswer: response, of: client, toward: side)
            calls.sendBYE(call, toward: [side], cause: 487, text: "the call was given up before this answer")
            return
        }
        do throws(ProxyRefusal) {
            try calls.rewriteBody(&response, from: side, call: call, completes: true)
        } catch {
            // docs/architecture.md, rule 1: an answer without SRTP ends the call on both sides.
            calls.noteSRTPRefusal()
            client.abandoned = true
            calls.sendACK(forAnswer: response, of: client, toward: side)
            let wasUp = call.state == .confirmed
            calls.sendBYE(
                call, toward: wasUp ? [.a, .b] : [side], cause: 488, text: error.warning ?? "SRTP is required")
            if server.state == .proceeding { respond(server, refusal: error, counted: true) }
            calls.finish(call, reason: .srtpRefused)
            return
        }
        if call.inviteClient === client && call.state == .setup {
            calls.confirm(call, answer: response)
        }
        transactions.forward2xx(response, of: client, on: server)
    }

    private func otherResponse(_ received: SIPMessage, status: Int, client: ClientTransaction, from side: LegSide) {
        guard let server = transactions.nonInviteResponse(status: status, client: client) else { return }
        var response = received
        if client.method == .register, (200..<300).contains(status) {
            router.noteRegistration(request: server.request, response: response, flow: server.flow)
        }
        if let call = calls.call(of: client), (200..<300).contains(status), Self.sdpMethods.contains(client.method) {
            do throws(ProxyRefusal) {
                try calls.rewriteBody(&response, from: side, call: call, completes: true)
            } catch {
                calls.noteSRTPRefusal()
                calls.sendBYE(call, toward: [.a, .b], cause: 488, text: error.warning ?? "SRTP is required")
                respond(server, refusal: error)
                calls.finish(call, reason: .srtpRefused)
                return
            }
        } else if let call = calls.call(of: client), status >= 300 {
            calls.clearRefusedOffer(of: client, in: call)
        }
        if !Self.sdpMethods.contains(client.method) {
            calls.stripSDP(&response)
        }
        SDPNegotiation.stripErrorResponseBody(&response, status: status, method: client.method)
        transactions.send(response.serialized(), status: status, on: server)
    }
}
