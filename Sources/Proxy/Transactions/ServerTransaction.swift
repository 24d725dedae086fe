import SIP

/// The key of a server transaction (RFC 3261 §17.2.3): the top Via's branch, its sent-by, and the method,
/// with ACK and CANCEL matched against the INVITE they belong to by the caller.
struct ServerTransactionKey: Hashable {
    let branch: String
    let sentBy: String
    let method: String

    init(branch: String, sentBy: String, method: SIPMethod) {
        self.branch = branch
        self.sentBy = sentBy.lowercased()
        self.method = method.rawValue
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
    let flow: FlowID
    /// The request as received (with `received`/`rport` added to its top Via).
    let request: SIPMessage
    /// The To tag of responses Sotto makes itself for this request.
    let localTag = RandomToken.make(10)
    var state = State.proceeding
    /// The last response sent, resent when the request is retransmitted.
    var lastResponse: [UInt8]?
    /// The client transaction this request was forwarded on, if any (RFC 3261 §16: the response context).
    var client: ClientTransaction?

    init(key: ServerTransactionKey, flow: FlowID, request: SIPMessage) {
        self.key = key
        self.flow = flow
        self.request = request
    }

    var isInvite: Bool { request.method == .invite }
}
