internal import HeapModule

/// Deadlines on the injected clock. The I/O layer calls ``SIPProxy/tick()`` often (every 100 ms);
/// tests move their clock and tick, so no test waits for time to pass.
///
/// A min-heap: every call keeps a few timers (C, B, H, L/M...), so a busy relay holds thousands, and
/// scheduling must not cost a scan of them all.
struct TimerQueue<Event> {
    private var entries = Heap<Entry>()
    private var sequence: UInt64 = 0

    var count: Int { entries.count }

    /// Adds an event due at `deadline`.
    mutating func schedule(_ event: Event, at deadline: UInt64) {
        sequence &+= 1
        entries.insert(Entry(deadline: deadline, sequence: sequence, event: event))
    }

    /// Removes and returns every event due at or before `now`, earliest first (in scheduling order
    /// among equal deadlines).
    mutating func popDue(now: UInt64) -> [Event] {
        var due: [Event] = []
        while let first = entries.min, first.deadline <= now {
            due.append(entries.removeMin().event)
        }
        return due
    }

    private struct Entry: Comparable {
        let deadline: UInt64
        let sequence: UInt64
        let event: Event

        static func < (lhs: Entry, rhs: Entry) -> Bool {
            (lhs.deadline, lhs.sequence) < (rhs.deadline, rhs.sequence)
        }

        static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.deadline == rhs.deadline && lhs.sequence == rhs.sequence
        }
    }
}
