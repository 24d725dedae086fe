import Media

/// What the admin socket may read from the proxy, and the one thing it may do: end a call.
extension SIPProxy {
    /// One call as the admin socket shows it.
    public struct CallSummary: Sendable, Hashable {
        /// The media session (the id `sottoctl` uses).
        public var session: UInt64
        public var callID: String
        public var from: String
        public var to: String
        /// `setup` or `confirmed`.
        public var state: String
        /// Since the INVITE, in nanoseconds.
        public var age: UInt64
    }

    /// Calls that have a media session.
    public func callSummaries() -> [CallSummary] {
        let now = clock.now()
        return calls.values.compactMap { call in
            call.mediaSession.map {
                CallSummary(
                    session: $0, callID: call.callID, from: call.from, to: call.to, state: call.state.rawValue,
                    age: now &- call.created)
            }
        }
    }

    /// Whether the upstream connection is up.
    public var pbxConnected: Bool { upstream != nil }

    /// Ends the call whose media session is `session` (end reason `admin`): BYE both ways for a confirmed
    /// call, CANCEL and `487` for one being set up. False when there is no such call.
    public func terminate(session: UInt64) -> Bool {
        guard let call = calls.values.first(where: { $0.mediaSession == session }) else { return false }
        if call.state == .confirmed {
            sendBYE(call, toward: [.a, .b], cause: 503, text: "ended by an operator")
        } else {
            abandonSetup(call, status: 487, reason: "Request Terminated", warning: "ended by an operator")
        }
        finish(call, reason: .admin)
        return true
    }
}
