internal import CSottoNet
import Dispatch
import Glibc
import Synchronization

/// Something a media loop calls when one of its sockets is readable.
public protocol MediaLoopHandler: AnyObject {
    /// Called on the loop's queue when `fd` (registered with `token`) has datagrams waiting. Must do
    /// a bounded amount of work (one batch) and return how many datagrams it consumed.
    func readable(fd: Int32, token: UInt64, loop: MediaLoop) -> Int
}

/// One media event loop: a serial `DispatchQueue` that owns an epoll set of media sockets, driven by
/// one `DispatchSourceRead` on the epoll descriptor (a Dispatch source per socket costs
/// twice the CPU per packet at call rates, because each 50 pps socket holds one packet per wakeup).
/// Under load the loop suspends that source and polls the set from a strict `DispatchSourceTimer`
/// instead, and goes back to the source when traffic falls (``MediaLoopPolling``).
///
/// Everything registered here is used only on `queue`. Register and deregister from the queue too.
public final class MediaLoop: @unchecked Sendable {
    /// The loop's serial queue: sessions living on this loop are touched only here.
    public let queue: DispatchQueue
    /// The per-wakeup packet budget: after this many datagrams the loop yields, and Dispatch calls it
    /// again because the epoll descriptor is still readable.
    public let budget: Int
    private let epollFD: Int32
    private var source: DispatchSourceRead?
    /// The polling tick's timer (made by `start()` when polling is enabled; suspended while not polling).
    private var ticker: DispatchSourceTimer?
    /// When to poll instead of waiting for readiness events.
    public let polling: MediaLoopPolling
    /// Packets and wakeups served since `windowStart` (monotonic nanoseconds): the rates that decide the mode.
    private var windowPackets = 0
    private var windowWakeups = 0
    private var windowStart: UInt64 = 0
    /// When the loop last started polling (monotonic nanoseconds).
    private var pollingSince: UInt64 = 0
    /// Wakeups by packets served, mode changes (on `queue`; ``statistics()`` copies them).
    private var stats = MediaLoopStatistics()
    /// Registered sockets, indexed by the slot number carried in each epoll event (with the slot's
    /// generation, so that an event for a socket removed earlier in the same round is recognised as
    /// stale): the packet path finds its handler by array index, not by hashing a token.
    /// Work handed over by ``submit(_:)``, run on the loop before its next round of packets.
    private let pending = Mutex<[@Sendable () -> Void]>([])
    /// Set while `pending` may hold work: one atomic load per round of `epoll_wait`, not per packet.
    private let hasPending = Atomic<Bool>(false)
    private var slots: [Slot] = []
    private var freeSlots: [Int] = []
    /// The caller's token → its slot (register and deregister only).
    private var slotOfToken: [UInt64: Int] = [:]
    private let events: UnsafeMutablePointer<epoll_event>
    private let maxEvents: Int32
    /// Marks `queue` as this loop's, for ``isCurrent``.
    nonisolated(unsafe) private static let current = DispatchSpecificKey<ObjectIdentifier>()

    /// Creates a loop; `start()` begins serving it. Refuses an epoll descriptor that Dispatch would take
    /// for a regular file (``checkPollable(_:label:)``).
    public init(
        label: String, maxEvents: Int = 256, budget: Int = 4096, polling: MediaLoopPolling = .off
    ) throws(TransportError) {
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else {
            throw TransportError(.socketFailed, "media loop \(label) has no epoll set: \(errnoSentence(errno))")
        }
        do throws(TransportError) {
            try Self.checkPollable(fd, label: label)
        } catch {
            Glibc.close(fd)
            throw error
        }
        epollFD = fd
        self.polling = polling
        queue = DispatchQueue(label: label)
        self.budget = budget
        self.maxEvents = Int32(maxEvents)
        events = .allocate(capacity: maxEvents)
        queue.setSpecific(key: Self.current, value: ObjectIdentifier(self))
    }

    /// True when called on this loop's queue (where waiting on the queue would trap).
    public var isCurrent: Bool { DispatchQueue.getSpecific(key: Self.current) == ObjectIdentifier(self) }

    deinit {
        events.deallocate()
        // A started loop's descriptor is closed by its source's cancel handler; a loop never started
        // (the benchmark's reference mode, or an engine that failed half-way) closes it here.
        if source == nil { Glibc.close(epollFD) }
    }

    /// Refuses a descriptor that `fstat` reports as a regular file. libdispatch's Linux event layer
    /// registers such a descriptor as always readable (a regular file cannot be polled, so it substitutes
    /// an eventfd that is always signalled), and some kernels have reported epoll descriptors that way: the
    /// loop's read source would then fire without end and spin a core while relaying nothing.
    public static func checkPollable(_ fd: Int32, label: String) throws(TransportError) {
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw TransportError(
                .socketFailed, "media loop \(label): fstat on its epoll set failed: \(errnoSentence(errno))")
        }
        if status.st_mode & S_IFMT == S_IFREG {
            throw TransportError(
                .socketFailed,
                "media loop \(label): this kernel reports the loop's epoll descriptor as a regular file, which "
                    + "Dispatch would treat as always readable, so the loop would spin; Sotto does not start")
        }
    }

    /// Starts serving readiness events (and, when ``polling`` is enabled, makes the polling timer).
    public func start() {
        let source = DispatchSource.makeReadSource(fileDescriptor: epollFD, queue: queue)
        source.setEventHandler { [unowned self] in self.serve(tick: false) }
        source.setCancelHandler { [epollFD] in Glibc.close(epollFD) }
        self.source = source
        if polling.enabled {
            // Strict, no leeway: a tick is a packet's wait, so Dispatch may not coalesce or defer it.
            let ticker = DispatchSource.makeTimerSource(flags: .strict, queue: queue)
            ticker.setEventHandler { [unowned self] in self.serve(tick: true) }
            self.ticker = ticker  // created suspended; resumed when the loop starts polling
        }
        windowStart = Self.monotonicNow()  // before the source runs anything on the queue
        source.resume()
    }

    /// Stops the loop; the epoll descriptor is closed once Dispatch has let go of it.
    public func stop() {
        // On the queue: the mode (which of the two sources is suspended) changes only there, and a suspended
        // source must be resumed before it is cancelled and let go.
        queue.async { [self] in
            if stats.polling { source?.resume() } else { ticker?.resume() }
            ticker?.cancel()
            source?.cancel()
        }
    }

    /// The loop's wakeup statistics, copied on the loop (a bounded copy: it never waits for more than the
    /// wakeup in progress).
    public func statistics() -> MediaLoopStatistics {
        // The copy gets its own histogram array: sharing the loop's would make the loop's next wakeup copy it
        // (copy-on-write), an allocation on the loop.
        func copy() -> MediaLoopStatistics {
            var copy = stats
            copy.packetsPerWakeup = stats.packetsPerWakeup.map { $0 }
            return copy
        }
        return isCurrent ? copy() : queue.sync(execute: copy)
    }

    /// Adds a socket to the epoll set (level-triggered `EPOLLIN`); `token` names it to its handler and
    /// to `deregister`, and must be unique on this loop. Call on `queue`.
    public func register(fd: Int32, token: UInt64, handler: MediaLoopHandler) throws(TransportError) {
        dispatchPrecondition(condition: .onQueue(queue))
        let index = freeSlots.popLast() ?? slots.count
        if index == slots.count { slots.append(Slot()) }
        slots[index].fd = fd
        slots[index].token = token
        slots[index].handler = handler
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = UInt64(slots[index].generation) << 32 | UInt64(index)
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 else {
            let reason = errnoSentence(errno)
            release(slot: index)
            throw TransportError(.socketFailed, "media socket \(fd) could not join the epoll set: \(reason)")
        }
        slotOfToken[token] = index
    }

    /// Removes a socket from the epoll set before it is closed. Call on `queue`.
    public func deregister(fd: Int32, token: UInt64) {
        dispatchPrecondition(condition: .onQueue(queue))
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
        if let index = slotOfToken.removeValue(forKey: token) { release(slot: index) }
    }

    private func release(slot index: Int) {
        slots[index].handler = nil
        slots[index].generation &+= 1  // events already fetched for the old socket no longer match
        freeSlots.append(index)
    }

    /// Runs `work` on the loop, before the loop handles any packet that arrives after this call.
    ///
    /// `queue.async` alone does not promise that: a wakeup serves ready sockets round after round (up to
    /// ``budget`` datagrams) without returning to the queue, so a block queued meanwhile waits behind packets
    /// that arrived after it was queued. Changes a caller makes before telling a peer (a leg's keys set
    /// before the answer is forwarded) must be in force for that peer's first packet; so the loop looks for
    /// submitted work at the start of every round as well. Work runs in the order it was submitted.
    public func submit(_ work: @escaping @Sendable () -> Void) {
        pending.withLock { $0.append(work) }
        hasPending.store(true, ordering: .releasing)
        queue.async { [self] in runPending() }
    }

    private func runPending() {
        guard hasPending.exchange(false, ordering: .acquiringAndReleasing) else { return }
        let work = pending.withLock { queued in
            let taken = queued
            queued.removeAll(keepingCapacity: true)
            return taken
        }
        for item in work { item() }
    }

    /// Calls the handler an epoll event names, unless the event is stale; returns datagrams consumed.
    @inline(__always)  // once per ready socket
    private func dispatch(_ data: UInt64) -> Int {
        let index = Int(truncatingIfNeeded: data & 0xFFFF_FFFF)
        guard index < slots.count, slots[index].generation == UInt32(truncatingIfNeeded: data >> 32),
            let handler = slots[index].handler
        else { return 0 }
        return handler.readable(fd: slots[index].fd, token: slots[index].token, loop: self)
    }

    /// The benchmark's reference: serves the same epoll set from the calling thread with blocking
    /// `epoll_wait` (waking at least every `timeoutMilliseconds` to ask `running`), no Dispatch at all,
    /// until `running` turns false. Never combine with `start()`.
    public func serveBlocking(timeoutMilliseconds: Int32 = 50, while running: () -> Bool) {
        while running() { _ = poll(timeoutMilliseconds: timeoutMilliseconds) }
    }

    /// Serves the epoll set once from the calling thread: waits up to `timeoutMilliseconds` (0: not at
    /// all) for a socket to be readable, then calls each ready socket's handler once. Returns the
    /// datagrams the handlers consumed.
    ///
    /// For a loop never started whose owner runs its own thread and has other work between waits (the
    /// load generator paces its sends between polls, with a timeout until its next send is due). That
    /// thread then owns the loop as `queue` otherwise would: register and deregister through
    /// `queue.sync`, before the thread starts polling or from that thread. Never combine with `start()`.
    public func poll(timeoutMilliseconds: Int32) -> Int {
        poll(timeoutMicroseconds: Int(timeoutMilliseconds) * 1000)
    }

    /// ``poll(timeoutMilliseconds:)`` with a timeout in microseconds, for an owner that paces work between polls
    /// more finely than milliseconds (the load generator's sends).
    public func poll(timeoutMicroseconds: Int) -> Int {
        let ready = CSottoNet_epoll_wait_us(epollFD, events, maxEvents, Int64(timeoutMicroseconds))
        var served = 0
        for index in 0..<max(0, Int(ready)) { served += dispatch(events[index].data.u64) }
        return served
    }

    /// One wakeup: a readiness event, or a polling tick.
    private func serve(tick: Bool) {
        let served = drain()
        stats.wakeups &+= 1
        if tick { stats.ticks &+= 1 }
        stats.packets &+= UInt64(served)
        stats.packetsPerWakeup[MediaLoopStatistics.bucket(served)] &+= 1
        guard polling.enabled else { return }
        windowPackets += served
        windowWakeups += 1
        let now = Self.monotonicNow()
        let elapsed = now &- windowStart
        guard elapsed >= polling.windowNanoseconds else { return }
        let perSecond = 1e9 / Double(elapsed)
        let (packetRate, wakeupRate) = (Double(windowPackets) * perSecond, Double(windowWakeups) * perSecond)
        (windowPackets, windowWakeups, windowStart) = (0, 0, now)
        // Events → polling when readiness events come more often than the threshold (by default twice the tick
        // rate): only then do ticks cost fewer wakeups than events. Polling → events when packets come more
        // rarely than the exit rate (by default one per tick): events then cannot outnumber ticks, since each
        // carries at least one packet.
        // And polling → events for one window every `probeNanoseconds`, to measure the events again.
        if !stats.polling && wakeupRate >= Double(polling.enterWakeupsPerSecond) {
            startPolling(now: now)
        } else if stats.polling
            && (packetRate < Double(polling.exitPacketsPerSecond) || now &- pollingSince >= polling.probeNanoseconds)
        {
            stopPolling()
        }
    }

    /// Serves ready sockets round after round until none is ready or the budget is spent.
    private func drain() -> Int {
        var served = 0
        while served < budget {
            if hasPending.load(ordering: .acquiring) { runPending() }
            let ready = epoll_wait(epollFD, events, maxEvents, 0)
            if ready <= 0 { break }
            // A socket removed by an earlier handler in this round leaves a stale event: dispatch skips it.
            for index in 0..<Int(ready) { served += dispatch(events[index].data.u64) }
        }
        return served
    }

    /// From readiness events to the timer. On `queue` (a source's handler may suspend its own source).
    private func startPolling(now: UInt64) {
        guard let source, let ticker else { return }
        source.suspend()
        let tick = DispatchTimeInterval.nanoseconds(Int(polling.tickNanoseconds))
        ticker.schedule(deadline: .now() + tick, repeating: tick, leeway: .nanoseconds(0))
        ticker.resume()
        stats.polling = true
        stats.pollingEntries &+= 1
        pollingSince = now
    }

    /// From the timer back to readiness events; packets that arrive meanwhile make the source fire at once
    /// (the epoll set is level-triggered).
    private func stopPolling() {
        guard let source, let ticker else { return }
        ticker.suspend()
        source.resume()
        stats.polling = false
    }

    private static func monotonicNow() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }
}

/// One registered socket of a media loop.
private struct Slot {
    var fd: Int32 = -1
    var token: UInt64 = 0
    var generation: UInt32 = 0
    var handler: MediaLoopHandler?
}
