import SIP

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
    /// The request as sent; without its body once a final response came (``releaseBody()``).
    private(set) var request: SIPMessage
    /// Where it was sent.
    let flow: FlowID
    /// The transaction it was forwarded for; nil for requests Sotto made itself.
    weak var server: ServerTransaction?
    var state = State.calling
    /// What the layer above keeps with the request (the call it belongs to); opaque here.
    var context: (any TransactionContext)?
    /// CANCEL was asked for before a provisional response came (RFC 3261 §9.1: wait for one).
    var cancelPending = false
    /// A CANCEL has been sent for it.
    var cancelled = false
    /// Sotto answered the server side itself (media refused, a lost flow): responses are absorbed.
    var abandoned = false
    /// The 2xx as forwarded, sent again for each retransmission of it (RFC 6026).
    var forwarded2xx: [UInt8]?
    /// When the last provisional response came (Timer C restarts on each).
    var provisionalAt: UInt64 = 0

    /// `branch method`: CANCEL shares its INVITE's branch, so the method is part of the key.
    var key: String { Self.key(branch: branch, method: method) }

    static func key(branch: String, method: SIPMethod) -> String { branch + " " + method.rawValue }

    /// Drops the body (an offer with Sotto's keys): past the final response only the headers are needed, for
    /// the ACK, the dialog and matching.
    func releaseBody() {
        guard !request.body.isEmpty,
            let trimmed = try? SIPMessage(
                startLine: request.startLine,
                headers: request.headers.filter { !["content-length", "content-type"].contains($0.canonicalName) })
        else { return }
        request = trimmed
    }

    init(branch: String, request: SIPMessage, flow: FlowID) {
        self.branch = branch
        self.method = request.method
        self.request = request
        self.flow = flow
    }
}

/// Whatever the layer above attaches to a client transaction; the transaction layer never looks inside.
protocol TransactionContext: AnyObject {}
