/// When a media loop stops waking per readiness event and polls its epoll set from a timer instead (see
/// ``MediaLoop``): NAPI's idea in user space.
///
/// A Dispatch wakeup on Linux costs about 8 system calls and two cross-thread wakeups (libdispatch's manager
/// thread disarms the one-shot registration, wakes a worker, and re-arms through its own queue after the
/// handler). Where a wakeup carries one or two packets, that cost is paid per packet. A timer tick costs about
/// one wakeup but carries every packet that arrived since the last tick, at the price of up to one tick of
/// added latency. So a loop polls when readiness events come faster than ticks would (by default at twice the
/// tick rate), and goes back to events when packets come more rarely than ticks (events then cannot
/// outnumber ticks, as each carries at least one packet), and for one window every 2 s of polling to measure
/// events again.
public struct MediaLoopPolling: Sendable, Equatable {
    /// The polling tick (`media.poll_tick_us`): a strict Dispatch timer with no leeway.
    public var tickNanoseconds: UInt64
    /// The readiness-event rate, over one ``windowNanoseconds`` window, at or above which the loop polls
    /// (`media.poll_enter_wakeups_per_s`); 0 never polls.
    public var enterWakeupsPerSecond: Int
    /// The packet rate below which a polling loop goes back to readiness events (`media.poll_exit_pps`).
    public var exitPacketsPerSecond: Int
    /// How long the rates are measured over before the loop decides (100 ms: short enough to follow a burst
    /// of calls, long enough to hold a hundred ticks).
    public var windowNanoseconds: UInt64
    /// How long a loop polls before it goes back to events for one window to measure them again (2 s). While
    /// polling, the loop cannot see how often events would come; traffic that changed its shape (busier, so
    /// each event would carry many packets) would otherwise keep it polling where events cost less.
    public var probeNanoseconds: UInt64

    /// The defaults (docs/media.md): a 1 ms tick, polling from 2,000 readiness events/s, back to events
    /// below 1,000 packets/s.
    public init(
        tickNanoseconds: UInt64 = 1_000_000, enterWakeupsPerSecond: Int = 2_000, exitPacketsPerSecond: Int = 1_000,
        windowNanoseconds: UInt64 = 100_000_000, probeNanoseconds: UInt64 = 2_000_000_000
    ) {
        self.tickNanoseconds = tickNanoseconds
        self.enterWakeupsPerSecond = enterWakeupsPerSecond
        self.exitPacketsPerSecond = exitPacketsPerSecond
        self.windowNanoseconds = windowNanoseconds
        self.probeNanoseconds = probeNanoseconds
    }

    /// Never polls: every wakeup is a readiness event.
    public static let off = MediaLoopPolling(enterWakeupsPerSecond: 0, exitPacketsPerSecond: 0)

    /// Whether the loop may poll at all.
    public var enabled: Bool { enterWakeupsPerSecond > 0 }
}

/// What a media loop reports about its wakeups (read with ``MediaLoop/statistics()``).
public struct MediaLoopStatistics: Sendable, Equatable {
    /// The upper bounds of the packets-per-wakeup buckets; a last bucket holds everything above 512.
    public static let bucketBounds: [Int] = [0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512]

    /// True while the loop polls from its timer.
    public var polling = false
    /// Wakeups served: readiness events and polling ticks.
    public var wakeups: UInt64 = 0
    /// Of those, polling ticks.
    public var ticks: UInt64 = 0
    /// Datagrams the loop's handlers consumed.
    public var packets: UInt64 = 0
    /// Times the loop went from events to polling.
    public var pollingEntries: UInt64 = 0
    /// Wakeups by packets served (not cumulative): bucket `i` counts wakeups that served at most
    /// `bucketBounds[i]` packets and more than the bound before it; the last counts those above 512.
    public var packetsPerWakeup = [UInt64](repeating: 0, count: bucketBounds.count + 1)

    public init() {}

    /// The bucket a wakeup that served `packets` falls into.
    @inline(__always)
    public static func bucket(_ packets: Int) -> Int {
        guard packets > 0 else { return 0 }
        // 1 → 1, 2 → 2, 3...4 → 3, 5...8 → 4, ..., above 512 → 11.
        return min(bucketBounds.count, 1 + (Int.bitWidth - (packets - 1).leadingZeroBitCount))
    }
}
