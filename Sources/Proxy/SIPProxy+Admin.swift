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
    public func callSummaries() -> [CallSummary] { calls.summaries() }

    /// Whether the upstream connection is up.
    public var pbxConnected: Bool { router.upstream != nil }

    /// SIP transactions held (server and client, from everyone): a gauge that must come back down once calls
    /// end, so a leak shows over a long run.
    public var transactionCount: Int { transactions.count }

    /// Timers pending on the signalling loop: the transaction layer's and the calls' ringing limits.
    public var timerCount: Int { transactions.timerCount + calls.ringingTimerCount }

    /// Ends the call whose media session is `session` (end reason `admin`): BYE both ways for a confirmed
    /// call, CANCEL and `487` for one being set up. False when there is no such call.
    public func terminate(session: UInt64) -> Bool { calls.terminate(session: session) }

    /// Ends the call whose media session is `session` because it had to be recorded and its recording failed
    /// (`recording.required`): BYE both ways saying so, end reason `recordingFailed`.
    public func endUnrecorded(session: UInt64) -> Bool {
        calls.terminate(
            session: session, reason: .recordingFailed, text: "the call must be recorded and its recording failed")
    }

    /// Live bindings (expired ones and those of closed flows are dropped as they are found).
    public func currentRegistrations() -> [ProxyRegistration] { router.currentRegistrations() }
}
