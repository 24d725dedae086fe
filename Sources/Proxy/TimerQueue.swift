/// Deadlines on the injected clock. The I/O layer calls ``SIPProxy/tick()`` often (every 100 ms);
/// tests move their clock and tick, so no test waits for time to pass.
struct TimerQueue<Event> {
    private var entries: [(deadline: UInt64, sequence: UInt64, event: Event)] = []
    private var sequence: UInt64 = 0

    var count: Int { entries.count }

    /// Adds an event due at `deadline`.
    mutating func schedule(_ event: Event, at deadline: UInt64) {
        sequence &+= 1
        // Kept sorted by deadline then insertion; few timers are live at once (a handful per call).
        let entry = (deadline, sequence, event)
        let index = entries.firstIndex { $0.deadline > deadline } ?? entries.count
        entries.insert(entry, at: index)
    }

    /// Removes and returns every event due at or before `now`, earliest first.
    mutating func popDue(now: UInt64) -> [Event] {
        let due = entries.prefix { $0.deadline <= now }
        guard !due.isEmpty else { return [] }
        entries.removeFirst(due.count)
        return due.map(\.event)
    }
}
