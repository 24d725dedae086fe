/// Log lines for one kind of event (a refusal, say) at most once per interval: the first line of an
/// interval goes out at once, the ones after it are counted and their number is added to the next
/// line that goes out. A flood of refusals thus costs a counter increment each, not a log line each.
/// Confined to one loop; time is passed in, in monotonic nanoseconds.
struct RateLimitedLog {
    private let logger: TransportLogger
    private var gate: LogGate

    /// At most one line per `interval` (one second unless told) to `logger`.
    init(_ logger: TransportLogger, interval: Duration = .seconds(1)) {
        self.logger = logger
        gate = LogGate(interval: interval)
    }

    /// Logs `message` unless a line went out less than an interval ago; then only counts it.
    mutating func log(_ level: TransportLogger.Level, _ message: @autoclosure () -> String, now: UInt64) {
        guard let held = gate.admit(now: now) else { return }
        logger.log(level, message() + (held > 0 ? " (\(held) more like it since the last line)" : ""))
    }
}
