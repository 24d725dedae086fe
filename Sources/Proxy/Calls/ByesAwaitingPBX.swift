import SIP

/// BYEs Sotto made toward the PBX while its connection was down (a media timeout, an operator's `terminate`,
/// a softphone's lost connection during the reconnection), sent in order once a new connection is up.
///
/// Without this a call that ends while Sotto reconnects is gone on Sotto's side but lives on at the PBX until
/// its own timers notice. Each BYE waits at most ``lifetime`` (a non-INVITE transaction's life, 64 × T1,
/// RFC 3261 §17.1.2.2: a BYE not sent by then would have failed anyway), and at most ``maxCount`` wait: a
/// call ends once, so they are bounded by the calls Sotto holds, and the count is a safeguard on top.
struct ByesAwaitingPBX {
    struct Waiting {
        let bye: SIPMessage
        let branch: String
        let deadline: UInt64
    }

    /// How long a BYE waits for the PBX connection, in nanoseconds.
    static let lifetime: UInt64 = 32_000_000_000
    /// BYEs waiting at most.
    let maxCount: Int
    private(set) var waiting: [Waiting] = []

    init(maxCount: Int = 4096) {
        self.maxCount = maxCount
    }

    /// Keeps `bye` until ``take(now:)``; false (nothing kept) when ``maxCount`` are already waiting.
    mutating func hold(_ bye: SIPMessage, branch: String, now: UInt64) -> Bool {
        guard waiting.count < maxCount else { return false }
        waiting.append(Waiting(bye: bye, branch: branch, deadline: now &+ Self.lifetime))
        return true
    }

    /// Every BYE still in time, in the order they were made; the rest is dropped. Empties the queue.
    mutating func take(now: UInt64) -> (due: [Waiting], expired: Int) {
        defer { waiting.removeAll() }
        let due = waiting.filter { $0.deadline > now }
        return (due, waiting.count - due.count)
    }

    /// Drops the BYEs whose time has passed; returns how many.
    mutating func expire(now: UInt64) -> Int {
        let before = waiting.count
        waiting.removeAll { $0.deadline <= now }
        return before - waiting.count
    }
}
