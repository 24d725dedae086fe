import AdminProtocol
import Dispatch

/// One client's `watch`: a timer on the server queue, at most one snapshot in flight, and the previous
/// frame's packet counts to turn into packets per second.
final class AdminWatch: @unchecked Sendable {
    /// The request's id, repeated on every frame.
    let id: Int
    let interval: Duration
    /// Set while a snapshot is being taken on a worker; a tick that finds it set is skipped (a slow backend
    /// slows the frames, it does not pile them up).
    var inFlight = false
    /// The previous frame's time (monotonic nanoseconds) and packets out per session.
    var baseline: Baseline?
    var timer: DispatchSourceTimer?

    struct Baseline: Sendable {
        var time: UInt64
        var packets: [UInt64: UInt64]
        /// Re-latches per session and leg index, to turn a change into a `relatch` event.
        var relatches: [UInt64: [UInt64]] = [:]
    }

    init(id: Int, interval: Duration) {
        self.id = id
        self.interval = interval
    }

    func cancel() {
        timer?.cancel()
        timer = nil
    }

    /// A frame from one snapshot, with each session's packets per second since `baseline` (0 in the first
    /// frame, and for a session that was not in the previous one), and a `relatch` event for each leg whose
    /// re-latch count moved since `baseline` (none in the first frame: what happened before the watch began is in
    /// the counters).
    static func frame(
        stats: AdminStats, sessions: [AdminSession], now: UInt64, baseline: Baseline?
    ) -> (AdminWatchFrame, Baseline) {
        var packets: [UInt64: UInt64] = [:]
        var relatches: [UInt64: [UInt64]] = [:]
        var events: [AdminWatchEvent] = []
        var annotated = sessions
        for index in annotated.indices {
            let session = annotated[index]
            let counts = session.legs.map { $0.relatches ?? 0 }
            relatches[session.id] = counts
            if let baseline {
                let before = baseline.relatches[session.id] ?? []
                for (leg, count) in counts.enumerated() {
                    let previous = before.indices.contains(leg) ? before[leg] : 0
                    guard count > previous else { continue }
                    events.append(
                        AdminWatchEvent(
                            kind: "relatch", session: session.id, leg: session.legs[leg].side,
                            peer: session.legs[leg].peer, count: count - previous))
                }
            }
            let total = session.legs.reduce(UInt64(0)) { $0 &+ $1.packetsOut }
            packets[session.id] = total
            if let baseline, let before = baseline.packets[session.id], total >= before, now > baseline.time {
                let seconds = Double(now - baseline.time) / 1e9
                annotated[index].packetsPerSecond = Double(total - before) / seconds
            } else {
                annotated[index].packetsPerSecond = 0
            }
        }
        return (
            AdminWatchFrame(stats: stats, sessions: annotated, events: events.isEmpty ? nil : events),
            Baseline(time: now, packets: packets, relatches: relatches)
        )
    }
}

extension AdminServer {
    /// Starts streaming frames to `connection` (on the server queue): the first at once, then every interval.
    func startWatch(id: Int, interval: Duration, on connection: AdminConnection) {
        let watch = AdminWatch(id: id, interval: interval)
        connection.startedWatching(watch)
        guard !connection.closed else { return }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let period = DispatchTimeInterval.nanoseconds(Int(Self.nanoseconds(interval)))
        timer.schedule(deadline: .now(), repeating: period, leeway: .milliseconds(10))
        timer.setEventHandler { [weak self, weak connection] in
            guard let self, let connection else { return }
            tick(watch, connection)
        }
        watch.timer = timer
        timer.activate()
        log(connection, .debug, "watching every \(Self.describe(interval))")
    }

    private func tick(_ watch: AdminWatch, _ connection: AdminConnection) {
        guard !connection.closed, connection.watch === watch, !watch.inFlight else { return }
        // Each frame is a snapshot: past the connection's allowance the frame is skipped (and counted).
        if connection.limiter.takeSnapshot() != nil {
            count("watch")
            return
        }
        watch.inFlight = true
        let baseline = watch.baseline
        workers.async { [self] in
            let stats = backend.stats()
            let sessions = backend.sessions()
            let now = DispatchTime.now().uptimeNanoseconds
            let (frame, next) = AdminWatch.frame(stats: stats, sessions: sessions, now: now, baseline: baseline)
            let line = Self.resultLine(id: watch.id, frame)
            queue.async {
                watch.inFlight = false
                guard connection.watch === watch else { return }
                watch.baseline = next
                connection.send(line)
            }
        }
    }
}
