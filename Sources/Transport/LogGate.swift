/// The decision behind a log line for one kind of event (a refusal, say) that may go out at most once per
/// interval: the first of an interval goes out at once, the ones after it are held back and counted, and the
/// count goes with the next line (or with a summary once the flood has gone quiet). A flood thus costs a
/// counter increment each, not a log line each. The caller owns the logger and the wording; time is passed
/// in, in monotonic nanoseconds. Not thread-safe: its owner serialises access.
public struct LogGate: Sendable {
    private let interval: UInt64
    private var lastLine: UInt64?
    private var held = 0

    /// At most one line per `interval`.
    public init(interval: Duration) {
        self.interval = interval.nanoseconds
    }

    /// Nil when this event is held back (and counted); else log it now, with the number held back since the
    /// last line.
    public mutating func admit(now: UInt64) -> Int? {
        if let lastLine, now &- lastLine < interval {
            held += 1
            return nil
        }
        lastLine = now
        defer { held = 0 }
        return held
    }

    /// The number held back, when there are some and an interval has passed since the last line (for one
    /// summary line once a flood has gone quiet); nil otherwise.
    public mutating func flush(now: UInt64) -> Int? {
        guard held > 0, let lastLine, now &- lastLine >= interval else { return nil }
        self.lastLine = now
        defer { held = 0 }
        return held
    }
}
