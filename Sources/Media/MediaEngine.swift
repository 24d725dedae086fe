import Dispatch
import Glibc
public import Recording
public import SRTP
import Synchronization
public import Transport

/// The media relay: loops, the port pool, and the sessions on them. The proxy creates, updates and
/// ends sessions through ``MediaControl`` without ever waiting on a loop; the admin socket reads
/// snapshots. Neither touches a loop's state directly: every change is carried out on the session's loop
/// queue.
///
/// The synchronous readers (``snapshot()``, ``endIdleSessions()``, ``flush()``) wait on the loops: call
/// them from any thread but a media loop's own queue and the signalling loop.
public final class MediaEngine: MediaControl, @unchecked Sendable {
    /// How the engine is set up.
    public struct Configuration: Sendable {
        /// The local address media sockets bind to (and that Sotto writes into SDP).
        public var bindIP: String
        /// The UDP port range for media; RTP takes even ports, RTCP the next odd one.
        public var ports: ClosedRange<UInt16>
        /// Media loops (one per core is the intent).
        public var loops: Int
        /// A keyed session with no authenticated packet (RTP or RTCP) on any leg for this long ends as idle.
        /// The timer starts when a stream is keyed in both directions, not at creation.
        public var idleTimeoutNanoseconds: UInt64
        /// The idle timeout of a session whose streams are all on hold or inactive (RFC 3264 directions, given
        /// by ``MediaLegUpdate/direction``): a held call may be silent for a long time.
        public var holdTimeoutNanoseconds: UInt64 = 7_200_000_000_000
        /// Packets kept per leg that arrive before the leg's inbound key (0: none); relayed in order, once
        /// authenticated, when the key arrives. See ``EarlyPacketStore``.
        public var earlyBufferPackets = 8
        /// How old a kept early packet may be when its key arrives.
        public var earlyBufferNanoseconds: UInt64 = 100_000_000
        /// Per leg and second, packets from an address other than the latched one that are authenticated; the
        /// rest are dropped as ``MediaDropReason/unknownSource`` without crypto.
        public var unlatchedAuthBudget = 50
        /// Longer datagrams are dropped before any work (``MediaDropReason/tooLong``).
        public var maxDatagramBytes = 1500
        /// Opens and binds one media socket. A seam for tests, which make it fail as the system would
        /// (`TransportError.outOfDescriptors`); the relay keeps the default.
        public var openSocket: @Sendable (UDPAddress) throws(TransportError) -> UDPSocket = {
            address throws(TransportError) in
            try UDPSocket(binding: address)
        }
        /// Replay window of inbound contexts.
        public var replayWindow: Int
        /// Datagrams per recvmmsg/sendmmsg batch.
        public var batchSize: Int
        /// How often the engine looks for idle sessions by itself (Dispatch-driven engines only).
        public var idleSweepIntervalNanoseconds: UInt64 = 1_000_000_000
        /// Where rate-limited socket error sentences go.
        public var logger: TransportLogger = .standardError
        /// When the loops poll their epoll sets from a timer instead of waking per readiness event.
        public var polling = MediaLoopPolling()
        /// Bytes of the capture ring each loop hands recorded payloads through (`recording.ring_bytes`); 0 when
        /// recording is not configured (no ring, nothing is captured).
        public var captureRingBytes = 0
        /// Serve the loops from Dispatch (the product). False only for the relay benchmark's reference,
        /// which drives a loop from its own thread with `serveOnCurrentThread`.
        public var dispatchDriven = true

        /// Defaults: loopback, 30000-39999, 2 loops, 60 s idle, window 1024, batches of 32.
        public init(
            bindIP: String = "127.0.0.1", ports: ClosedRange<UInt16> = 30000...39999, loops: Int = 2,
            idleTimeoutNanoseconds: UInt64 = 60_000_000_000, replayWindow: Int = 1024, batchSize: Int = 32
        ) {
            self.bindIP = bindIP
            self.ports = ports
            self.loops = loops
            self.idleTimeoutNanoseconds = idleTimeoutNanoseconds
            self.replayWindow = replayWindow
            self.batchSize = batchSize
        }
    }

    let configuration: Configuration
    let clock: any MediaClock
    private let loops: [MediaLoop]
    /// One batch per loop, shared by that loop's sockets (used only on the loop's queue).
    private let batches: [DatagramBatch]
    /// One store per loop for packets that arrive before their leg's key (used only on the loop's queue).
    private let earlyStores: [EarlyPacketStore]
    /// One capture ring per loop when recording is configured, written only by that loop (the recording
    /// writer drains them).
    public let captureRings: [CaptureRing]
    private let pool: Mutex<PortPool>
    let sessions = Mutex<[UInt64: MediaSession]>([:])
    private let nextID = Atomic<UInt64>(1)
    /// In a box, not as a bare function value: reading a function stored as a `Mutex`'s generic value through
    /// `withLock`'s `inout` re-abstracts it and writes the wrapped copy back, so every read would add a thunk
    /// around the handler, and every session ending would call it one frame deeper than the last (found by the
    /// soak: megabytes of stack an hour, and a thread's stack overflowed after about 100,000 calls).
    private let onSessionEnded = Mutex<SessionEndedHandler?>(nil)
    /// Runs what must wait on a loop on behalf of callers that may not (ending sessions), and the idle
    /// sweep.
    private let control = DispatchQueue(label: "sotto.media.control")
    private var sweepTimer: DispatchSourceTimer?
    /// Every ended session's final counters, all legs added together (``totals()``).
    let endedTotals = Mutex(LegCounters())
    /// The last totals reported, so that a report never shows less than an earlier one.
    let reportedTotals = Mutex(LegCounters())
    /// The re-latch log line's rate limit.
    let relatchLog = Mutex(RelatchLog())

    /// Starts the loops, and (Dispatch-driven) a timer that ends idle sessions.
    public init(configuration: Configuration, clock: any MediaClock = SystemMediaClock()) throws(MediaError) {
        guard configuration.loops >= 1, configuration.batchSize >= 1, configuration.earlyBufferPackets >= 0,
            configuration.maxDatagramBytes >= 64, configuration.unlatchedAuthBudget >= 0,
            UDPAddress(ip: configuration.bindIP, port: 0) != nil
        else {
            throw MediaError(
                .invalidConfiguration,
                "media needs at least one loop, a batch size, a numeric bind IP, datagrams of at least 64 bytes "
                    + "and no negative buffer or budget")
        }
        self.configuration = configuration
        self.clock = clock
        var loops: [MediaLoop] = []
        for index in 0..<configuration.loops {
            do {
                loops.append(try MediaLoop(label: "sotto.media.\(index)", polling: configuration.polling))
            } catch {
                throw MediaError(.socketFailed, error.reason)
            }
        }
        self.loops = loops
        // The slots are as long as the longest datagram accepted: the kernel truncates a longer one (MSG_TRUNC)
        // and the loop drops it before any work.
        batches = loops.map { _ in
            DatagramBatch(
                capacity: configuration.batchSize, datagramSize: configuration.maxDatagramBytes,
                tailroom: SRTPContext.maximumTrailerLength)
        }
        earlyStores = loops.map { _ in
            EarlyPacketStore(
                perLeg: configuration.earlyBufferPackets, slotSize: configuration.maxDatagramBytes,
                maxAge: configuration.earlyBufferNanoseconds)
        }
        captureRings =
            configuration.captureRingBytes > 0
            ? loops.map { _ in CaptureRing(bytes: configuration.captureRingBytes) } : []
        pool = Mutex(PortPool(range: configuration.ports))
        if configuration.dispatchDriven {
            for loop in loops { loop.start() }
            let timer = DispatchSource.makeTimerSource(queue: control)
            let interval = DispatchTimeInterval.nanoseconds(Int(configuration.idleSweepIntervalNanoseconds))
            timer.schedule(deadline: .now() + interval, repeating: interval)
            timer.setEventHandler { [weak self] in self?.endIdleSessions() }
            sweepTimer = timer
            timer.resume()
        }
    }

    /// The relay benchmark's reference: runs loop `index` on the calling thread with blocking
    /// `epoll_wait` and no Dispatch, until `running` returns false. Only with `dispatchDriven == false`;
    /// take snapshots after it returns.
    public func serveOnCurrentThread(loop index: Int, while running: () -> Bool) {
        precondition(!configuration.dispatchDriven, "the reference mode needs dispatchDriven == false")
        loops[index].serveBlocking(while: running)
    }

    deinit {
        sweepTimer?.cancel()
        // Sessions first, each on its loop, so no batch can be running on a leg that is being freed.
        for session in sessions.withLock({ Array($0.values) }) { teardown(session, end: .requested) }
        if configuration.dispatchDriven {
            for loop in loops { loop.stop() }
        }
    }

    /// Allocates ports and sockets for a call (``MediaControl``). The sockets are bound here, on the
    /// caller's thread; they join the loop's epoll set on the loop, right after. Should that fail, the
    /// session ends by itself with ``MediaSessionEnd/failed``.
    public func createSession(callID: String, streams specs: [MediaStreamSpec]) throws(MediaError)
        -> MediaSessionPorts
    {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        let loopIndex = Int(id % UInt64(loops.count))
        let loop = loops[loopIndex]
        let now = clock.now()
        var streams: [(a: MediaLeg, b: MediaLeg)] = []
        var ports: [MediaStreamPorts] = []
        do throws(MediaError) {
            for spec in specs {
                let a = try makeLeg(.a, spec: spec, now: now)
                let b: MediaLeg
                do throws(MediaError) {
                    b = try makeLeg(.b, spec: spec, now: now)
                } catch {
                    release(a)
                    throw error
                }
                a.other = b
                b.other = a
                streams.append((a, b))
                ports.append(
                    MediaStreamPorts(
                        rtpA: a.rtpSocket.localAddress.port, rtpB: b.rtpSocket.localAddress.port,
                        rtcpA: a.rtcpSocket?.localAddress.port, rtcpB: b.rtcpSocket?.localAddress.port))
            }
        } catch {
            for stream in streams {
                release(stream.a)
                release(stream.b)
            }
            throw error
        }
        let session = MediaSession(
            id: id, callID: callID, loop: loop, loopIndex: loopIndex, created: now, streams: streams)
        let (batch, early) = (batches[loopIndex], earlyStores[loopIndex])
        let ring = captureRings.isEmpty ? nil : captureRings[loopIndex]
        let budget = configuration.unlatchedAuthBudget
        sessions.withLock { $0[id] = session }
        // The loop's work holds the engine weakly: an engine let go while the work waits must not be freed
        // on the loop (its teardown waits on the loops).
        let (clock, logger) = (clock, configuration.logger)
        loop.submit { [weak self] in
            do throws(TransportError) {
                try Self.register(
                    session, batch: batch, early: early, unlatchedBudget: budget, clock: clock, logger: logger,
                    ring: ring)
            } catch {
                logger.log(.warning, "media session \(id) could not join its loop: \(error.reason)")
                self?.registrationFailed(session)
            }
        }
        return MediaSessionPorts(id: id, ports: ports)
    }

    /// A session whose sockets could not join its loop ends by itself (``MediaSessionEnd/failed``).
    private func registrationFailed(_ session: MediaSession) {
        control.async { [self] in
            guard sessions.withLock({ $0.removeValue(forKey: session.id) }) != nil else { return }
            notifyEnded(teardown(session, end: .failed))
        }
    }

    /// Puts a session's sockets into its loop's epoll set. On the loop.
    private static func register(
        _ session: MediaSession, batch: DatagramBatch, early: EarlyPacketStore, unlatchedBudget: Int,
        clock: any MediaClock, logger: TransportLogger, ring: CaptureRing?
    ) throws(TransportError) {
        var token = session.id << 16
        for (index, stream) in session.streams.enumerated() {
            for leg in [stream.a, stream.b] {
                for (socket, isRTCP) in [(leg.rtpSocket, false)] + (leg.rtcpSocket.map { [($0, true)] } ?? []) {
                    let port = MediaPort(
                        leg: leg, isRTCPPort: isRTCP, batch: batch, early: early, unlatchedBudget: unlatchedBudget,
                        clock: clock, logger: logger, captureRing: ring, stream: index)
                    try session.loop.register(fd: socket.fd, token: token, handler: port)
                    session.ports.append((socket.fd, token, port))
                    token += 1
                }
            }
        }
    }

    /// Sets what one leg of one stream knows about its peer (``MediaControl``). Checked and the SRTP
    /// contexts made here, on the caller's thread (making one allocates and derives keys, which the loop
    /// must not pay for); installed on the loop after, in the order updates were made.
    public func updateLeg(_ update: MediaLegUpdate) throws(MediaError) {
        let id = update.session
        guard let session = sessions.withLock({ $0[id] }) else {
            throw MediaError(.unknownSession, "no media session \(id)")
        }
        guard session.streams.indices.contains(update.stream) else {
            throw MediaError(.unknownStream, "session \(id) has no stream \(update.stream)")
        }
        // RFC 4568 §7.1.4: a re-offer that keeps a key keeps its crypto context (ROC, replay window,
        // packet indexes). Only a changed key gets a new context: a fresh one for an unchanged key would
        // accept replays of old packets, lose the ROC after a wrap, and reuse keystream outbound.
        let (newPeerKey, newSottoKey) = session.keys.withLock { keys in
            let slot = update.stream * 2 + update.side.rawValue
            let peer = update.peerKey.flatMap { $0 == keys[slot].peer ? nil : $0 }
            let sotto = update.sottoKey.flatMap { $0 == keys[slot].sotto ? nil : $0 }
            return (peer, sotto)
        }
        let inbound: SRTPContext?
        let outbound: SRTPContext?
        do {
            inbound = try newPeerKey.map {
                try SRTPContext(key: $0, direction: .inbound, replayWindow: configuration.replayWindow)
            }
            outbound = try newSottoKey.map { try SRTPContext(key: $0, direction: .outbound) }
        } catch {
            throw MediaError(.keyRejected, "\(error)")
        }
        // The record and the loop's work change under one lock, so they cannot disagree about which key
        // was installed last, whoever else updates this leg.
        session.keys.withLock { keys in
            let slot = update.stream * 2 + update.side.rawValue
            if let newPeerKey { keys[slot].peer = newPeerKey }
            if let newSottoKey { keys[slot].sotto = newSottoKey }
            // Through `submit`, not `queue.async`: the keys must be in force before the peer's first packet,
            // which may follow the answer this update comes from by less than a busy loop's wakeup.
            session.loop.submit { [clock] in
                guard let leg = session.leg(stream: update.stream, side: update.side) else { return }
                defer {
                    let now = clock.now()
                    // The idle timer starts once a stream can carry media both ways, not at the offer.
                    if session.keyedAt == nil && session.isKeyed { session.keyedAt = now }
                    // What either leg of the stream kept before its key goes out once it can: this leg's inbound
                    // key and the other leg's outbound key (the answer sets the two legs one after the other).
                    for entry in session.ports where entry.port.leg.other.outbound != nil {
                        if entry.port.leg === leg || entry.port.leg === leg.other { entry.port.drainEarly(now: now) }
                    }
                }
                if let direction = update.direction, direction != leg.direction {
                    leg.direction = direction
                    session.directionChangedAt = clock.now()
                }
                if let address = update.declaredRTP { leg.declaredRTP = address }
                if let address = update.declaredRTCP { leg.declaredRTCP = address }
                if let inbound {
                    leg.inbound = inbound
                    leg.inboundSSRCs.removeAll(keepingCapacity: true)
                }
                if let outbound { leg.outbound = outbound }
            }
        }
    }

    /// Ends a session (``MediaControl``): it leaves the session table at once; the teardown waits for its
    /// loop on the engine's control queue, and the final snapshot goes to the session-ended handler.
    public func endSession(_ id: UInt64) {
        guard let session = sessions.withLock({ $0.removeValue(forKey: id) }) else { return }
        control.async { [self] in notifyEnded(teardown(session, end: .requested)) }
    }

    public func setSessionEndedHandler(_ handler: @escaping @Sendable (MediaSessionSnapshot) -> Void) {
        let box = SessionEndedHandler(call: handler)
        onSessionEnded.withLock { $0 = box }
    }

    /// Waits until every change asked for so far (updates, ends and their handler calls) has been carried
    /// out. For tests and benchmarks, which then read counters or the port pool.
    public func flush() {
        control.sync {}
        for loop in loops { loop.queue.sync {} }
        control.sync {}
    }

    private func notifyEnded(_ snapshot: MediaSessionSnapshot) {
        onSessionEnded.withLock { $0 }?.call(snapshot)
    }

    /// Ends every keyed session whose legs have been silent for longer than the idle timeout (the hold
    /// timeout when all its streams are on hold), handing each
    /// final snapshot to the session-ended handler, and returns them. The engine's timer calls this in
    /// service; tests call it after moving their clock.
    @discardableResult
    public func endIdleSessions() -> [MediaSessionSnapshot] {
        let all = sessions.withLock { Array($0.values) }
        var idle: [UInt64] = []
        var relatches: [RelatchNotice] = []
        // One visit per loop, not per session: the sweep holds each loop once.
        for (index, loop) in loops.enumerated() {
            let mine = all.filter { $0.loopIndex == index }
            guard !mine.isEmpty else { continue }
            idle += loop.queue.sync {
                relatches += Self.newRelatches(mine)
                // The clock is read on the loop, after its current batch: a packet handled while this
                // sweep waited must not look like one from the future (which would wrap to "idle forever").
                let now = clock.now()
                return mine.filter { session in
                    // A session in setup (no keys yet) is never idle: signalling bounds ringing.
                    guard let last = session.lastActivity else { return false }
                    let timeout =
                        session.isOnHold
                        ? configuration.holdTimeoutNanoseconds : configuration.idleTimeoutNanoseconds
                    return now > last && now - last > timeout
                }
                .map(\.id)
            }
        }
        reportRelatches(relatches)
        var ended: [MediaSessionSnapshot] = []
        for id in idle {
            guard let session = sessions.withLock({ $0.removeValue(forKey: id) }) else { continue }
            let snapshot = teardown(session, end: .idle)
            ended.append(snapshot)
            notifyEnded(snapshot)
        }
        return ended
    }

    /// Sessions copied per visit to a loop by ``snapshot()``: the loop relays nothing while a visit runs, so a
    /// visit is kept short (64 sessions take tens of microseconds) and a snapshot of thousands of calls is many
    /// visits, with the loop's packets served in between.
    static let snapshotChunk = 64

    /// Consistent copies of every live session, each taken on its own loop.
    public func snapshot() -> [MediaSessionSnapshot] {
        let all = sessions.withLock { Array($0.values) }
        return loops.enumerated().flatMap { index, loop in
            let mine = all.filter { $0.loopIndex == index }
            return stride(from: 0, to: mine.count, by: Self.snapshotChunk).flatMap { start in
                let chunk = mine[start..<min(start + Self.snapshotChunk, mine.count)]
                return loop.queue.sync { chunk.map { Self.snapshot($0, now: clock.now()) } }
            }
        }
        .sorted { $0.id < $1.id }
    }

    /// Each loop's wakeup statistics (packets per wakeup, whether it polls), in loop order.
    public func loopStatistics() -> [MediaLoopStatistics] {
        loops.map { $0.statistics() }
    }

    /// Packets kept for a live session's legs that arrived before their keys (waits on the session's loop).
    public func earlyPacketCount(session id: UInt64) -> Int {
        guard let session = sessions.withLock({ $0[id] }) else { return 0 }
        return session.loop.queue.sync {
            session.streams.reduce(0) { $0 + $1.a.earlyCount + $1.b.earlyCount }
        }
    }

    /// Port pairs in use and free.
    public var portUsage: (inUse: Int, free: Int) { pool.withLock { ($0.allocated, $0.available) } }

    private func makeLeg(_ side: LegSide, spec: MediaStreamSpec, now: UInt64) throws(MediaError) -> MediaLeg {
        // A pair whose port another process holds (the range may overlap the kernel's ephemeral ports)
        // goes back to the end of the queue, and the next pair is tried, a bounded number of times.
        var lastError = ""
        for _ in 0..<16 {
            let rtpPort: UInt16
            do {
                rtpPort = try pool.withLock { pool throws(PortPool.Failure) in try pool.allocate() }
            } catch {
                throw MediaError(.portsExhausted, "no free media port pair in \(configuration.ports)")
            }
            do throws(TransportError) {
                let rtp = try configuration.openSocket(UDPAddress(ip: configuration.bindIP, port: rtpPort)!)
                let rtcp: UDPSocket?
                do throws(TransportError) {
                    rtcp =
                        spec.rtcpMux
                        ? nil : try configuration.openSocket(UDPAddress(ip: configuration.bindIP, port: rtpPort + 1)!)
                } catch {
                    rtp.close()
                    throw error
                }
                return MediaLeg(
                    side: side, rtpSocket: rtp, rtcpSocket: rtcp, portPair: rtpPort, clockRate: spec.clockRate, now: now
                )
            } catch {
                // The pair goes back to the pool either way: only EADDRINUSE says anything about the port.
                releasePortPair(rtpPort)
                if error.code == .outOfDescriptors {
                    // Not the ports' fault: no port is tried again and none is set aside, and the message names
                    // the real cause (a misleading "no media ports free" would send an operator to the range).
                    throw MediaError(
                        .outOfDescriptors,
                        "out of file descriptors for media sockets (raise the open-files limit): \(error.reason)")
                }
                lastError = error.description
                guard error.code == .addressInUse else { break }
            }
        }
        throw MediaError(.socketFailed, lastError)
    }

    /// Closes a leg's sockets and gives its port pair back. Only for a leg no loop is serving.
    private func release(_ leg: MediaLeg) {
        leg.rtpSocket.close()
        leg.rtcpSocket?.close()
        releasePortPair(leg.portPair)
    }

    private func releasePortPair(_ port: UInt16) {
        // Only pairs this engine handed out come back here, so the release cannot be refused.
        _ = try? pool.withLock { pool throws(PortPool.Failure) in try pool.release(port) }
    }

    /// Takes a session (already out of the table) off its loop, then closes its sockets and frees its
    /// ports. Waits on the loop: never on the caller's thread of a ``MediaControl`` method.
    @discardableResult
    private func teardown(_ session: MediaSession, end: MediaSessionEnd) -> MediaSessionSnapshot {
        let now = clock.now()
        let early = earlyStores[session.loopIndex]
        let takeOff: () -> MediaSessionSnapshot = {
            session.end = end
            // Out of the epoll set first, then closed.
            for entry in session.ports { session.loop.deregister(fd: entry.fd, token: entry.token) }
            session.ports.removeAll()
            for stream in session.streams {
                for leg in [stream.a, stream.b] {
                    early.discard(leg)
                    leg.inbound = nil
                    leg.outbound = nil
                }
            }
            return Self.snapshot(session, now: now)
        }
        // On the loop already only when the engine itself is being freed there (deinit); waiting on the
        // loop's own queue would trap.
        let snapshot = session.loop.isCurrent ? takeOff() : session.loop.queue.sync(execute: takeOff)
        // The media side lets go of the session's master keys: each key's one buffer (``SRTPKeyMaterial``) is
        // cleared when its last holder lets go, and the contexts made from them were freed on the loop above
        // (libsrtp2 clears the session keys it derived).
        session.keys.withLock { keys in
            for index in keys.indices { keys[index] = LegKeys() }
        }
        // Into the cumulative totals before the session's counters leave with it (``totals()``).
        endedTotals.withLock { totals in
            for stream in snapshot.streams { for leg in stream { totals.add(leg.counters) } }
        }
        // Out of the epoll set now, so no batch can touch the sockets any more.
        for stream in session.streams {
            release(stream.a)
            release(stream.b)
        }
        return snapshot
    }

    private static func snapshot(_ session: MediaSession, now: UInt64) -> MediaSessionSnapshot {
        MediaSessionSnapshot(
            id: session.id, callID: session.callID, loop: session.loopIndex,
            ageNanoseconds: now > session.created ? now - session.created : 0,
            end: session.end,
            streams: session.streams.map { stream in
                [stream.a, stream.b].map { leg in
                    MediaLegSnapshot(
                        side: leg.side, localRTPPort: leg.portPair, declaredPeer: leg.declaredRTP?.description,
                        latchedPeer: leg.latchedRTP?.description, suite: leg.inbound?.profile.rawValue,
                        counters: leg.counters, statistics: leg.statistics)
                }
            })
    }
}

/// The session-ended handler, boxed (see ``MediaEngine``'s `onSessionEnded`).
private final class SessionEndedHandler: Sendable {
    let call: @Sendable (MediaSessionSnapshot) -> Void

    init(call: @escaping @Sendable (MediaSessionSnapshot) -> Void) {
        self.call = call
    }
}
