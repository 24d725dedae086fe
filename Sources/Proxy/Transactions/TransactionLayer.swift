import Media
import SIP

/// The transaction layer (RFC 3261 §17, RFC 6026): server and client transactions as state machines with
/// their timers, matching of retransmitted requests and of responses, and the pairing of a server
/// transaction with the client transaction it was forwarded on (§16's response context, which is also how a
/// CANCEL finds its INVITE).
///
/// It knows nothing of calls, dialogs or media: what the call layer keeps with a request rides along as an
/// opaque ``TransactionContext``. Every transport is TLS, so nothing is retransmitted by timer (Timers A, E
/// and G are for unreliable transports) and the wait states last 64 × T1 (H, L, M) or nothing (I, J, K).
///
/// Confined to the signalling loop, like the proxy that owns it.
final class TransactionLayer {
    /// The INVITE response steps the layer above acts on (§17.1.1).
    enum InviteResponseStep {
        /// A provisional response; forward it on `server` (nil: nothing to forward it to).
        case provisional(forwardOn: ServerTransaction?)
        /// The first 2xx: the client is now Accepted; `server` is where it goes (nil for Sotto's own).
        case accepted(forwardOn: ServerTransaction?)
        /// A retransmitted 2xx: the one forwarded before has been sent again; nothing else to do.
        case retransmission
        /// A non-2xx final: ACKed hop by hop and the client terminated. Forward it on `server` if not nil.
        case failed(forwardOn: ServerTransaction?)
        /// Too late for this transaction (a provisional or error after the final): dropped.
        case ignored
    }

    private let configuration: ProxyConfiguration
    private let clock: any MediaClock
    private let local: LocalAddress
    /// Where messages go (held weakly: the I/O layer owns the proxy).
    weak var transport: (any ProxyTransport)?
    private var servers: [ServerTransactionKey: ServerTransaction] = [:]
    /// Server transactions kept per flow (a softphone's limit, `sip.max_transactions_per_connection`).
    private var serversByFlow: [FlowID: Int] = [:]
    /// Client transactions by `branch method`.
    private var clients: [String: ClientTransaction] = [:]
    private var timers = TimerQueue<TransactionTimer>()
    /// Responses that matched no transaction of Sotto's.
    private(set) var strayResponses = 0

    init(configuration: ProxyConfiguration, clock: any MediaClock, local: LocalAddress) {
        self.configuration = configuration
        self.clock = clock
        self.local = local
    }

    /// Client transactions not yet terminated (for tests and limits).
    var clientCount: Int { clients.count }

    /// Server and client transactions kept, from everyone (`sip.max_transactions`).
    var count: Int { servers.count + clients.count }

    /// Server transactions kept for requests that came on `flow`.
    func serverCount(on flow: FlowID) -> Int { serversByFlow[flow] ?? 0 }

    /// Timers pending (each transaction keeps at most a few; see ``forward(_:branch:on:for:context:)``).
    var timerCount: Int { timers.count }

    private func store(_ server: ServerTransaction) {
        if servers.updateValue(server, forKey: server.key) == nil { serversByFlow[server.flow, default: 0] += 1 }
    }

    private func drop(_ key: ServerTransactionKey) {
        guard servers.removeValue(forKey: key) != nil else { return }
        let left = (serversByFlow[key.flow] ?? 1) - 1
        serversByFlow[key.flow] = left > 0 ? left : nil
    }

    // MARK: Requests in

    /// A retransmission of a request whose server transaction exists (§17.2.1, §17.2.2): absorbed, and the
    /// last response sent again on the flow it came from. True when the request was one.
    func absorbsRetransmission(_ key: ServerTransactionKey) -> Bool {
        guard let existing = servers[key] else { return false }
        if let last = existing.lastResponse { _ = transport?.send(last, on: key.flow) }
        return true
    }

    /// Whether a server transaction with this key is held (a CANCEL for it is answered without cost).
    func holds(_ key: ServerTransactionKey) -> Bool { servers[key] != nil }

    /// An ACK for Sotto's own non-2xx final response ends that transaction here (§17.2.1: Completed, then
    /// Confirmed, then Terminated at once, Timer I being zero on a reliable transport). True when it was one;
    /// any other ACK is end to end and is routed like an in-dialog request.
    func absorbsACK(_ inviteKey: ServerTransactionKey) -> Bool {
        guard servers[inviteKey]?.state == .completed else { return false }
        // Ended now rather than at Timer H: an acknowledged transaction held for 32 s would count against its
        // connection's `sip.max_transactions_per_connection` for nothing.
        servers[inviteKey]?.state = .terminated
        drop(inviteKey)
        return true
    }

    /// RFC 3261 §16.10: a CANCEL is answered here and, while the INVITE it names is pending, passed on to
    /// the INVITE's client transaction (or, if it has none, the INVITE is answered 487).
    func cancel(_ request: SIPMessage, inviteKey key: ServerTransactionKey) {
        let flow = key.flow
        // Only the connection that sent the INVITE may cancel it (the key includes the flow).
        guard let server = servers[key] else {
            reply(to: request, on: flow, status: 481, reason: "Call/Transaction Does Not Exist")
            return
        }
        reply(to: request, on: flow, status: 200, reason: "OK")
        guard server.state == .proceeding else { return }
        if let client = server.client {
            cancel(client)
        } else {
            respond(server, status: 487, reason: "Request Terminated")
        }
    }

    // MARK: Responses out

    /// Answers a request without a transaction (400s, the answer to a CANCEL). ACKs are never answered.
    func reply(to request: SIPMessage, on flow: FlowID, status: Int, reason: String, extra: [SIPHeader] = []) {
        guard request.method != .ack else { return }
        let bytes = SIPMessageBuilder.response(
            to: request, status: status, reason: reason, toTag: RandomToken.make(10), extra: extra,
            server: configuration.product)
        _ = transport?.send(bytes, on: flow)
    }

    /// Sends a response Sotto makes on a server transaction and moves the transaction on.
    func respond(
        _ server: ServerTransaction, status: Int, reason: String, warning: String? = nil, extra: [SIPHeader] = []
    ) {
        var headers = extra
        if let warning { headers.append(SIPMessageBuilder.warning(host: local.host, text: warning)) }
        let bytes = SIPMessageBuilder.response(
            to: server.request, status: status, reason: reason, toTag: server.localTag, extra: headers,
            server: configuration.product)
        send(bytes, status: status, on: server)
    }

    /// Sends a response (made here or forwarded) on `server` and runs the server state machine.
    func send(_ bytes: [UInt8], status: Int, on server: ServerTransaction) {
        _ = transport?.send(bytes, on: server.flow)
        guard server.state == .proceeding else { return }
        // A retransmitted request gets the latest response again, provisional ones included (§17.2.1).
        server.lastResponse = bytes
        guard status >= 200 else { return }
        // Past its final response a transaction needs only what matches retransmissions and its last
        // response; the request (up to the message limit, with an SDP holding a peer's key) goes now
        // rather than when the transaction ends.
        server.releaseRequest()
        if server.isInvite {
            server.state = status < 300 ? .accepted : .completed
            store(server)
            // Timer H (waiting for the ACK of a non-2xx) or Timer L (RFC 6026), both 64 × T1.
            schedule(.serverLinger(server.key), after: configuration.transactionTimeout)
        } else {
            // Timer J is zero on a reliable transport.
            server.state = .terminated
            drop(server.key)
        }
    }

    /// Forwards a 2xx to an INVITE upstream and keeps it, to send again for each retransmission (RFC 6026).
    func forward2xx(_ response: SIPMessage, of client: ClientTransaction, on server: ServerTransaction) {
        let bytes = response.serialized()
        client.forwarded2xx = bytes
        if server.state == .proceeding {
            send(bytes, status: 200, on: server)
        } else {
            _ = transport?.send(bytes, on: server.flow)
        }
    }

    // MARK: Requests out

    /// Forwards `request` (Sotto's Via on top, with `branch`) on `flow` for `server`: a client transaction
    /// paired with the server one, both kept, Timer B or F armed, and Timer C for an INVITE (§16.6, §16.8).
    @discardableResult
    func forward(
        _ request: SIPMessage, branch: String, on flow: FlowID, for server: ServerTransaction,
        context: (any TransactionContext)?
    ) -> ClientTransaction {
        let client = ClientTransaction(branch: branch, request: request, flow: flow)
        client.server = server
        client.context = context
        server.client = client
        store(server)
        start(client)
        if request.method == .invite {
            // One Timer C entry per INVITE: a provisional only moves `provisionalAt`, and the entry, when it
            // fires early, re-arms itself for the rest (a flood of 180s must not grow the timer heap).
            client.provisionalAt = clock.now()
            schedule(.timerC(client.key), after: configuration.timerCNanoseconds)
        }
        return client
    }

    /// Sends a request Sotto made itself (a BYE, a CANCEL) and keeps a client transaction for it, so that
    /// its response is absorbed.
    func send(_ request: SIPMessage, branch: String, on flow: FlowID, context: (any TransactionContext)?) {
        let client = ClientTransaction(branch: branch, request: request, flow: flow)
        client.context = context
        start(client)
    }

    private func start(_ client: ClientTransaction) {
        clients[client.key] = client
        _ = transport?.send(client.request.serialized(), on: client.flow)
        schedule(.clientTimeout(client.key), after: configuration.transactionTimeout)
    }

    /// CANCEL for a pending INVITE; held until a provisional response has come (RFC 3261 §9.1).
    func cancel(_ client: ClientTransaction) {
        guard client.method == .invite, !client.cancelled else { return }
        guard client.state == .proceeding else {
            if client.state == .calling { client.cancelPending = true }
            return
        }
        client.cancelled = true
        client.cancelPending = false
        guard let cancel = hopByHop(.cancel, for: client, to: client.request.to) else { return }
        send(cancel, branch: client.branch, on: client.flow, context: client.context)
        // If no final response follows the CANCEL, the INVITE is given up after 64 × T1 (RFC 3261 §9.1).
        schedule(.cancelled(client.key), after: configuration.transactionTimeout)
    }

    // MARK: Responses in

    /// The client transaction a response belongs to: Sotto's own Via on top, its branch and CSeq method,
    /// and the flow the request went out on. Counts the response as stray when none matches.
    func match(_ response: SIPMessage, from flow: FlowID) -> ClientTransaction? {
        guard let top = response.via.first, local.matches(top), let branch = top.branch,
            let client = clients[ClientTransaction.key(branch: branch, method: response.cseq.method)],
            client.flow == flow
        else {
            strayResponses += 1
            return nil
        }
        return client
    }

    /// Notes a response that matched but cannot be forwarded (no Via left under Sotto's).
    func noteStray() { strayResponses += 1 }

    /// Runs a client INVITE transaction's state machine for a response (§17.1.1, RFC 6026).
    func inviteResponse(_ response: SIPMessage, status: Int, client: ClientTransaction) -> InviteResponseStep {
        switch status {
        case 100..<200:
            guard client.state == .calling || client.state == .proceeding else { return .ignored }
            client.state = .proceeding
            client.provisionalAt = clock.now()
            if client.cancelPending { cancel(client) }
            return .provisional(forwardOn: status > 100 ? forwardable(client) : nil)
        case 200..<300:
            guard client.state != .accepted else {
                if let server = client.server, let forwarded = client.forwarded2xx {
                    _ = transport?.send(forwarded, on: server.flow)
                }
                return .retransmission
            }
            client.state = .accepted
            client.releaseBody()
            // RFC 6026 Timer M: 2xx retransmissions keep matching for 64 × T1.
            schedule(.clientLinger(client.key), after: configuration.transactionTimeout)
            return .accepted(forwardOn: client.server)
        default:
            guard client.state == .calling || client.state == .proceeding else { return .ignored }
            // RFC 3261 §17.1.1.3: the ACK for a non-2xx final is the proxy's own, hop by hop.
            sendACK(forFailure: response, of: client)
            client.releaseBody()
            terminate(client)
            return .failed(forwardOn: forwardable(client))
        }
    }

    /// Runs a non-INVITE client transaction for a response (§17.1.2) and returns the server transaction to
    /// forward it on, if any.
    func nonInviteResponse(status: Int, client: ClientTransaction) -> ServerTransaction? {
        guard client.state != .terminated else { return nil }
        if status >= 200 { terminate(client) } else { client.state = .proceeding }
        guard let server = client.server, server.state == .proceeding, status > 100 else { return nil }
        return server
    }

    /// The server transaction a response may still go to: none once Sotto answered it itself.
    private func forwardable(_ client: ClientTransaction) -> ServerTransaction? {
        guard !client.abandoned, let server = client.server, server.state == .proceeding else { return nil }
        return server
    }

    /// The ACK for a non-2xx final response: same branch and Request-URI as the INVITE, the response's To.
    private func sendACK(forFailure response: SIPMessage, of client: ClientTransaction) {
        guard let ack = hopByHop(.ack, for: client, to: response.to) else { return }
        _ = transport?.send(ack.serialized(), on: client.flow)
    }

    /// A CANCEL or the ACK of a non-2xx for a client INVITE (RFC 3261 §9.1, §17.1.1.3): the INVITE's
    /// Request-URI, top Via (so its branch), Route set, From, Call-ID and CSeq number, with `to`.
    private func hopByHop(_ method: SIPMethod, for client: ClientTransaction, to: SIPNameAddress) -> SIPMessage? {
        let invite = client.request
        guard let uri = invite.requestLine?.uri, let via = invite.via.first else { return nil }
        return SIPMessageBuilder.request(
            method: method, uri: uri, via: via, routes: (try? invite.routes()) ?? [], from: invite.from.description,
            to: to.description, callID: invite.callID, sequence: invite.cseq.sequence,
            userAgent: configuration.product)
    }

    func terminate(_ client: ClientTransaction) {
        client.state = .terminated
        clients[client.key] = nil
    }

    // MARK: Flows and time

    /// A connection is gone: every client transaction on it ends, and a request still waiting upstream for
    /// it gets `lostAnswer`. Returns those transactions, for the layer above.
    func closeFlow(_ flow: FlowID, lostAnswer: (status: Int, reason: String, warning: String))
        -> [ClientTransaction]
    {
        var ended: [ClientTransaction] = []
        for client in Array(clients.values) where client.flow == flow && client.state != .terminated {
            if let server = forwardable(client) {
                respond(server, status: lostAnswer.status, reason: lostAnswer.reason, warning: lostAnswer.warning)
            }
            terminate(client)
            ended.append(client)
        }
        return ended
    }

    /// Fires every timer due on the clock. Returns the client transactions that timed out (Timer B or F,
    /// or a CANCEL without a final response), each already answered 408 upstream (RFC 3261 §16.8).
    func tick() -> [ClientTransaction] {
        var timedOut: [ClientTransaction] = []
        for event in timers.popDue(now: clock.now()) {
            switch event {
            case .clientTimeout(let key):
                guard let client = clients[key] else { continue }
                // Timer B fires only before any response; Timer F until the final response.
                let waiting = client.method == .invite ? client.state == .calling : client.state != .terminated
                if waiting { timedOut.append(timeOut(client)) }
            case .timerC(let key):
                guard let client = clients[key], client.state == .calling || client.state == .proceeding else {
                    continue
                }
                let due = client.provisionalAt &+ configuration.timerCNanoseconds
                if due > clock.now() {
                    timers.schedule(.timerC(key), at: due)
                } else if client.state == .proceeding {
                    // RFC 3261 §16.8: a provisional came, so CANCEL; the 487 that follows goes upstream.
                    cancel(client)
                }
            case .cancelled(let key):
                if let client = clients[key], client.state == .calling || client.state == .proceeding {
                    timedOut.append(timeOut(client))
                }
            case .clientLinger(let key):
                if let client = clients[key], client.state == .accepted { terminate(client) }
            case .serverLinger(let key):
                if let server = servers[key], server.state != .proceeding { drop(key) }
            }
        }
        return timedOut
    }

    private func timeOut(_ client: ClientTransaction) -> ClientTransaction {
        terminate(client)
        if let server = forwardable(client) { respond(server, status: 408, reason: "Request Timeout") }
        return client
    }

    private func schedule(_ event: TransactionTimer, after nanoseconds: UInt64) {
        timers.schedule(event, at: clock.now() &+ nanoseconds)
    }
}

/// What the transaction layer's timers carry.
enum TransactionTimer {
    /// B (INVITE) or F (non-INVITE): no final response within 64 × T1.
    case clientTimeout(String)
    /// §16.8 Timer C: an INVITE without a final response for over 3 minutes since its last provisional.
    case timerC(String)
    /// 64 × T1 after a CANCEL: an INVITE still without a final response is given up (RFC 3261 §9.1).
    case cancelled(String)
    /// M: the end of a client INVITE's Accepted state.
    case clientLinger(String)
    /// H (after a non-2xx final) or L (after a 2xx): the end of a server INVITE transaction.
    case serverLinger(ServerTransactionKey)
}
