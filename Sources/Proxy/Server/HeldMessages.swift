/// Softphone messages waiting for the connection to the PBX, in arrival order, bounded in count and bytes.
///
/// While the upstream connection is down and being attempted, a message that would be answered `503` waits
/// here instead, for at most its deadline; when the connection comes up every message goes on in order, and
/// when the attempt fails or the deadline passes it goes to the proxy as it would have at once (and gets its
/// `503` then). Deadlines grow with arrival, so what has expired is always a prefix of the queue.
struct HeldMessages {
    struct Held {
        let flow: FlowID
        let bytes: [UInt8]
        let deadline: UInt64
    }

    /// Messages held at most.
    let maxCount: Int
    /// Message bytes held at most.
    let maxBytes: Int
    private(set) var messages: [Held] = []
    private(set) var bytes = 0

    init(maxCount: Int = 512, maxBytes: Int = 2_097_152) {
        self.maxCount = maxCount
        self.maxBytes = maxBytes
    }

    var isEmpty: Bool { messages.isEmpty }

    /// Holds `message`; false (and nothing held) when that would pass a bound.
    mutating func hold(_ message: [UInt8], from flow: FlowID, until deadline: UInt64) -> Bool {
        guard messages.count < maxCount, bytes + message.count <= maxBytes else { return false }
        messages.append(Held(flow: flow, bytes: message, deadline: deadline))
        bytes += message.count
        return true
    }

    /// Whether a message of `flow` is waiting.
    func contains(flow: FlowID) -> Bool {
        messages.contains { $0.flow == flow }
    }

    /// Takes every message, oldest first.
    mutating func takeAll() -> [Held] {
        let all = messages
        messages = []
        bytes = 0
        return all
    }

    /// Takes the messages whose deadline is at or before `now`, oldest first.
    mutating func takeExpired(now: UInt64) -> [Held] {
        let count = messages.prefix { $0.deadline <= now }.count
        guard count > 0 else { return [] }
        let expired = Array(messages[..<count])
        messages.removeFirst(count)
        bytes -= expired.reduce(0) { $0 + $1.bytes.count }
        return expired
    }

    /// Drops the messages of a flow that closed.
    mutating func drop(flow: FlowID) {
        messages.removeAll { $0.flow == flow }
        bytes = messages.reduce(0) { $0 + $1.bytes.count }
    }
}
