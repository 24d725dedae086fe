import Media
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
    /// The client transaction this request was forwarded on, if any.
    var client: ClientTransaction?
    /// The call whose media this request belongs to.
    var call: ProxyCall?

    init(key: ServerTransactionKey, flow: FlowID, request: SIPMessage) {
        self.key = key
        self.flow = flow
        self.request = request
    }

    var isInvite: Bool { request.method == .invite }
}

/// A request Sotto sent (forwarded, or made itself: ACK/BYE/CANCEL to end a call), RFC 3261 §17.1.
final class ClientTransaction {
    enum State {
        /// Sent; nothing back yet (Timer B/F run).
        case calling
        /// A provisional response came (Timer C runs for an INVITE).
        case proceeding
        /// A 2xx to an INVITE came; later 2xx retransmissions are forwarded (RFC 6026 Timer M).
        case accepted
        case terminated
    }

    /// The branch of Sotto's own Via on the request.
    let branch: String
    let method: SIPMethod
    /// The request as sent.
    let request: SIPMessage
    /// Where it was sent.
    let flow: FlowID
    /// The transaction it was forwarded for; nil for requests Sotto made itself.
    weak var server: ServerTransaction?
    var state = State.calling
    /// The call the request belongs to.
    var call: ProxyCall?
    /// CANCEL was asked for before a provisional response came (RFC 3261 §9.1: wait for one).
    var cancelPending = false
    /// A CANCEL has been sent for it.
    var cancelled = false
    /// Sotto answered the server side itself (media refused, a lost flow): responses are absorbed.
    var abandoned = false
    /// The side whose offer this request carried, so that a refusal takes back only that offer.
    var offerFrom: LegSide?
    /// The 2xx as forwarded, sent again for each retransmission of it (RFC 6026).
    var forwarded2xx: [UInt8]?
    /// When the last provisional response came (Timer C restarts on each).
    var provisionalAt: UInt64 = 0

    /// `branch method`: CANCEL shares its INVITE's branch, so the method is part of the key.
    var key: String { Self.key(branch: branch, method: method) }

    static func key(branch: String, method: SIPMethod) -> String { branch + " " + method.rawValue }

    init(branch: String, request: SIPMessage, flow: FlowID) {
        self.branch = branch
        self.method = request.method
        self.request = request
        self.flow = flow
    }
}

/// What the proxy's timers carry.
enum ProxyTimer {
    /// B (INVITE) or F (non-INVITE): no final response within 64 × T1.
    case clientTimeout(String)
    /// §16.8 Timer C: an INVITE without a final response for over 3 minutes.
    case timerC(String, armedAt: UInt64)
    /// 64 × T1 after a CANCEL: an INVITE still without a final response is given up (RFC 3261 §9.1).
    case cancelled(String)
    /// M: the end of a client INVITE's Accepted state.
    case clientLinger(String)
    /// H (after a non-2xx final) or L (after a 2xx): the end of a server INVITE transaction.
    case serverLinger(ServerTransactionKey)
}
