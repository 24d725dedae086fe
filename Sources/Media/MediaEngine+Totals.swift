import Synchronization
internal import Transport

extension MediaEngine {
    /// Counters over every session since the engine started, live and ended, all legs added together: what the
    /// `*_total` metrics report. Monotonic: an ended session's counters are added to the totals as it ends, and a
    /// report never shows less than an earlier one (a session that ends while this runs is counted once, from
    /// whichever side saw it). Waits on the loops, like ``snapshot()``.
    public func totals() -> LegCounters { snapshotWithTotals().totals }

    /// ``snapshot()`` and ``totals()`` from one visit to the loops (the admin socket's `stats` needs both).
    public func snapshotWithTotals() -> (sessions: [MediaSessionSnapshot], totals: LegCounters) {
        // Ended first, then live: a session moves from live to ended only after it has left the table, so
        // reading in this order may miss one that is ending (made up for by the floor below) but never counts
        // one twice.
        var sum = endedTotals.withLock { $0 }
        let live = snapshot()
        for session in live {
            for stream in session.streams { for leg in stream { sum.add(leg.counters) } }
        }
        let totals = reportedTotals.withLock { reported in
            reported.raise(to: sum)
            return reported
        }
        return (live, totals)
    }

    /// On the loop: the legs whose re-latch count moved since the sweep last looked.
    static func newRelatches(_ sessions: [MediaSession]) -> [RelatchNotice] {
        var notices: [RelatchNotice] = []
        for session in sessions {
            for (index, stream) in session.streams.enumerated() {
                for leg in [stream.a, stream.b] where leg.counters.relatched != leg.reportedRelatches {
                    notices.append(
                        RelatchNotice(
                            session: session.id, stream: index, side: leg.side,
                            count: leg.counters.relatched &- leg.reportedRelatches, now: leg.latchedRTP))
                    leg.reportedRelatches = leg.counters.relatched
                }
            }
        }
        return notices
    }

    /// Logs re-latches (docs/architecture.md, rule 3: a re-latch raises an alert): one warning line at most
    /// every ``RelatchLog/interval``, naming one session and counting the rest. The count is also in each leg's
    /// `relatched` counter, in ``totals()`` and on the admin socket.
    func reportRelatches(_ notices: [RelatchNotice]) {
        guard let first = notices.first else { return }
        let now = clock.now()
        let others: UInt64? = relatchLog.withLock { log in
            log.pending &+= notices.reduce(0) { $0 &+ $1.count }
            if let last = log.last, now &- last < RelatchLog.interval { return nil }
            defer { (log.last, log.pending) = (now, 0) }
            return log.pending &- first.count
        }
        guard let others else { return }
        let side = first.side == .a ? "A" : "B"
        configuration.logger.log(
            .warning,
            "media session \(first.session) stream \(first.stream) leg \(side) re-latched to "
                + "\(first.now?.description ?? "-") on an authenticated packet"
                + (others > 0 ? " (\(others) other re-latches since the last report)" : ""))
    }
}

/// One leg whose peer moved (an authenticated packet from a new address), seen by the sweep.
struct RelatchNotice {
    var session: UInt64
    var stream: Int
    var side: LegSide
    /// Re-latches since the sweep last looked.
    var count: UInt64
    /// The address it latched to.
    var now: UDPAddress?
}

/// The re-latch log line's rate limit.
struct RelatchLog {
    /// At most one line per 10 s.
    static let interval: UInt64 = 10_000_000_000
    /// When the last line was written (MediaClock nanoseconds).
    var last: UInt64?
    /// Re-latches not yet reported.
    var pending: UInt64 = 0
}

extension LegCounters {
    /// Raises each counter to at least `other`'s value.
    mutating func raise(to other: LegCounters) {
        packetsIn = max(packetsIn, other.packetsIn)
        bytesIn = max(bytesIn, other.bytesIn)
        packetsOut = max(packetsOut, other.packetsOut)
        bytesOut = max(bytesOut, other.bytesOut)
        relatched = max(relatched, other.relatched)
        for reason in MediaDropReason.allCases { self[reason] = max(self[reason], other[reason]) }
    }
}
