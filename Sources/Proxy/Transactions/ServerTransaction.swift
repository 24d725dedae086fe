import SIP

/// The key of a server transaction (RFC 3261 §17.2.3): the top Via's branch, its sent-by and the method,
/// with ACK and CANCEL matched against the INVITE they belong to by the caller; and the flow the request
/// arrived on. Branches are chosen by the peer, so without the flow another connection could send a
/// request with someone else's branch and have it taken for a retransmission (and silently absorbed), or
/// reach into that transaction with an ACK or CANCEL.
struct ServerTransactionKey: Hashable {
    let branch: String
    let sentBy: String
    let method: String
    let flow: FlowID

    init(branch: String, sentBy: String, method: SIPMethod, flow: FlowID) {
        self.branch = branch
        self.sentBy = sentBy.lowercased()
        self.method = method.rawValue
        self.flow = flow
    }
}

/// A request Sotto received and answers (RFC 3261 §17.2, RFC 6026 for the INVITE Accepted state).
///
/// Every transport is TLS, so nothing is retransmitted by timer (Timers A, E and G are for unreliable
/// transports) and the wait states last 64 × T1 (H, L) or nothing (I, J).
final class ServerTransaction {
    enum State {
        /// No final response yet.
        case proceeding
        /// A non-2xx final was sent; an INVITE waits for the ACK (Timer H).
        case completed
        /// A 2xx to an INVITE was sent; retransmissions of it pass through (RFC 6026 Timer L).
        case accepted
        case terminated
    }

    let key: ServerTransactionKey
    /// The request as received (with `received`/`rport` added to its top Via); after the final response only
    /// the headers a response is built from (``releaseRequest()``).
    private(set) var request: SIPMessage
    /// The To tag of responses Sotto makes itself for this request.
    let localTag = RandomToken.make(10)
    var state = State.proceeding
    /// The last response sent, resent when the request is retransmitted.
    var lastResponse: [UInt8]?
    /// The client transaction this request was forwarded on, if any (RFC 3261 §16: the response context).
    var client: ClientTransaction?

    init(key: ServerTransactionKey, request: SIPMessage) {
        self.key = key
        self.request = request
    }

    /// The connection the request came on, and its responses go back on.
    var flow: FlowID { key.flow }

    var isInvite: Bool { request.method == .invite }

    /// Keeps of the request only its start line and the headers a response echoes (Via, From, To, Call-ID,
    /// CSeq), without body.
    func releaseRequest() {
        let kept = request.headers.filter { ["via", "from", "to", "call-id", "cseq"].contains($0.canonicalName) }
        guard kept.count < request.headers.count || !request.body.isEmpty,
            let trimmed = try? SIPMessage(startLine: request.startLine, headers: kept)
        else { return }
        request = trimmed
    }
}
