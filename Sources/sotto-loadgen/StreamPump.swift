import Dispatch
import Foundation
import Glibc
import Histogram
import RTPWire
import SRTP
import Synchronization
import Transport

/// Counters the progress line reads from another thread while the media thread runs.
final class MediaTotals: Sendable {
    let sent = Atomic<Int>(0)
    let received = Atomic<Int>(0)
    let authFailures = Atomic<Int>(0)
}

/// The generator's media thread: it pumps every call's streams through the relay. It paces every
/// stream, sends each tick's packets with one `sendmmsg` per shared socket (a Transport
/// `DatagramBatch`), receives on one epoll set of those sockets (`recvmmsg`), and routes, unprotects
/// and checks every packet.
///
/// Sending and receiving share one thread on purpose: the per-packet state (sequence accounting,
/// the send-time rings, the SRTP contexts, the histograms) is then touched by one thread only, with
/// no lock or atomic on the packet path. The signalling loop talks to it through a small command queue.
///
/// The epoll set is a Transport `MediaLoop`, served by this thread with `poll(timeoutMicroseconds:)`
/// rather than started on Dispatch as the relay's loops are: the thread must wake for its next send as
/// well as for arrivals, so it waits in `epoll_wait` only until the next send is due. On Dispatch that
/// would take a timer source beside the read source, and every Dispatch wakeup costs several syscalls
/// and two thread hops, which a generator playing many calls on one core cannot spare.
final class StreamPump: MediaLoopHandler, @unchecked Sendable {
    enum Command {
        /// Route what the relay sends from the endpoint's destination to it (the answerer's side, before
        /// its 200: the caller starts sending when it has the answer).
        case listen(MediaEndpoint)
        /// Route (if not yet) and start sending.
        case start(MediaEndpoint)
        case stop(CallMedia)
        case finish(CallMedia, [MediaEndpoint], @Sendable (CallMediaResult) -> Void)
        /// `--floor`: route both endpoints of a call and send a latch packet from each until the floor relay
        /// has relayed one (both legs latched); then start both and report the time, or nil after
        /// ``latchTimeoutNanoseconds``.
        case latch(phone: MediaEndpoint, pbx: MediaEndpoint, @Sendable (UInt64?) -> Void)
        case shutdown
    }

    /// Latency in microseconds: index 0 phone → PBX, 1 PBX → phone. Read only after ``shutdown()``.
    private(set) var latency: [Histogram<UInt64>] = [
        Histogram(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three),
        Histogram(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three),
    ]
    let totals = MediaTotals()
    let intervalNanoseconds: UInt64
    let sockets: MediaSockets
    private let epoch = DispatchTime.now().uptimeNanoseconds
    private let pending = Mutex<[Command]>([])
    private let done = DispatchSemaphore(value: 0)
    /// The epoll set of every socket, served only by the media thread (see above).
    private let loop: MediaLoop
    /// Receives with the kernel's arrival timestamps: latency is measured to when a packet reached the
    /// generator's socket, not to when the (possibly busy) media thread got round to reading it.
    private let receiveBatch = DatagramBatch(
        capacity: 64, datagramSize: 1500, tailroom: SRTPContext.maximumTrailerLength, receiveTimestamps: true)
    /// Per socket: which endpoint a packet from a given relay address belongs to.
    private var routes: [[UDPAddress: MediaEndpoint]]
    /// Per socket: the endpoints whose packets fill its send batch, entry by entry, and those packets' indexes.
    private var queuedBy: [[MediaEndpoint]]
    private var queuedIndex: [[UInt64]]
    private var senders: [MediaEndpoint] = []
    private var running = true
    /// Packet slots skipped by finished calls' senders (read after ``shutdown()``).
    private(set) var skippedTotal = 0
    /// Packets from an address no live endpoint expects (read after ``shutdown()``).
    private(set) var strays = 0
    /// At most this many packets per stream in one tick; a stream further behind skips ahead.
    private let catchUp = 8
    /// `--floor`: packets go out plain, with this many bytes after the payload where the SRTP tag would be
    /// (so they are as long as the SIP runs' packets), and arrive unchecked; nil: SRTP.
    let plainTrailerLength: Int?
    /// `--floor`: the calls whose legs are not latched yet, by their ``CallMedia``.
    var latching: [ObjectIdentifier: PendingLatch] = [:]

    init(
        ptimeMilliseconds: Int, socketsPerSide: Int, phoneIP: String, pbxIP: String, plainTrailerLength: Int? = nil
    ) throws(LoadgenError) {
        intervalNanoseconds = UInt64(ptimeMilliseconds) * 1_000_000
        self.plainTrailerLength = plainTrailerLength
        sockets = try MediaSockets(perSide: socketsPerSide, phoneIP: phoneIP, pbxIP: pbxIP, batchSize: 64)
        routes = sockets.sockets.map { _ in [:] }
        queuedBy = sockets.sockets.map { _ in
            var entries: [MediaEndpoint] = []
            entries.reserveCapacity(64)
            return entries
        }
        queuedIndex = sockets.sockets.map { _ in
            var entries: [UInt64] = []
            entries.reserveCapacity(64)
            return entries
        }
        do {
            loop = try MediaLoop(label: "loadgen-media", maxEvents: 64)
        } catch {
            throw LoadgenError("the media thread has no epoll set: \(error.reason)")
        }
    }

    /// The pump's clock: nanoseconds since it was made.
    func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds &- epoch }

    private func realtimeNanoseconds() -> UInt64 {
        var stamp = timespec()
        clock_gettime(CLOCK_REALTIME, &stamp)
        return UInt64(stamp.tv_sec) &* 1_000_000_000 &+ UInt64(stamp.tv_nsec)
    }

    /// A new endpoint of `call` on the next shared socket of `side` (from any thread), sending under a
    /// fresh key of `profile`, which it returns for its SDP. The answerer, which already has the relay's
    /// key from the offer, passes it as `relayKey` for what it receives.
    func endpoint(
        side: Side, call: CallMedia, profile: SRTPProfile, relayKey: SRTPKeyMaterial? = nil
    ) throws -> (endpoint: MediaEndpoint, key: SRTPKeyMaterial) {
        let key = try SRTPKeyMaterial.generate(for: profile)
        let endpoint = MediaEndpoint(side: side, call: call, socket: sockets.assign(side))
        endpoint.outbound = try SRTPContext(key: key, direction: .outbound)
        endpoint.inbound = try relayKey.map { try SRTPContext(key: $0, direction: .inbound) }
        return (endpoint, key)
    }

    /// Adds every socket to the epoll set and starts the media thread.
    func start() throws(LoadgenError) {
        let failure: TransportError? = loop.queue.sync {
            do throws(TransportError) {
                for (index, socket) in sockets.sockets.enumerated() {
                    try loop.register(fd: socket.fd, token: UInt64(index), handler: self)
                }
                return nil
            } catch {
                deregisterAll()
                return error
            }
        }
        if let failure { throw LoadgenError("a media socket could not join the epoll set: \(failure.reason)") }
        let thread = Thread { [self] in
            run()
            done.signal()
        }
        thread.name = "loadgen-media"
        thread.start()
    }

    /// Queues a command for the media thread (from any thread).
    func submit(_ command: Command) {
        pending.withLock { $0.append(command) }
    }

    /// Stops the thread and waits for it; the histograms are final afterwards.
    func shutdown() {
        submit(.shutdown)
        done.wait()
    }

    /// How early a packet may leave: the pump sends what is due within this much of now in one go.
    static let sendAhead: UInt64 = 100_000

    private func run() {
        while running {
            let commands = pending.withLock { queued -> [Command] in
                let taken = queued
                queued.removeAll(keepingCapacity: true)
                return taken
            }
            for command in commands { handle(command) }
            let now = now()
            var earliest = now &+ 5_000_000
            if !latching.isEmpty { earliest = min(earliest, serviceLatches(now: now)) }
            // Everything due within `sendAhead` goes out now, the rest when it is due: packets leave within about
            // 100 µs of their time, spread over the period as independent phones send them (a pump that woke
            // once a millisecond sent them in bursts, and a relay's latency then measured its queue for the burst).
            let due = now &+ Self.sendAhead
            for endpoint in senders {
                if endpoint.nextSend <= due { queueDue(endpoint, now: due) }
                earliest = min(earliest, endpoint.nextSend)
            }
            for index in queuedBy.indices where !queuedBy[index].isEmpty { flush(index) }
            let after = self.now()
            let wait = earliest > after ? Int(min(5_000, (earliest - after) / 1_000)) : 0
            _ = loop.poll(timeoutMicroseconds: wait)
        }
        // Out of the epoll set before closing (which also lets the loop drop its reference to the pump).
        loop.queue.sync { deregisterAll() }
        sockets.closeAll()
    }

    /// Takes every socket out of the epoll set. Call on `loop.queue`.
    private func deregisterAll() {
        for (index, socket) in sockets.sockets.enumerated() { loop.deregister(fd: socket.fd, token: UInt64(index)) }
    }

    private func handle(_ command: Command) {
        switch command {
        case .listen(let endpoint):
            route(endpoint)
        case .start(let endpoint):
            route(endpoint)
            startSending(endpoint)
        case .stop(let call):
            latching[ObjectIdentifier(call)] = nil
            for case let endpoint? in call.endpoints { endpoint.sending = false }
            senders.removeAll { !$0.sending }
        case .finish(let call, let endpoints, let completion):
            latching[ObjectIdentifier(call)] = nil
            for endpoint in endpoints { endpoint.sending = false }
            senders.removeAll { !$0.sending }
            let outcome = result(of: call, endpoints: endpoints)
            skippedTotal += outcome.skipped
            completion(outcome)
            for endpoint in endpoints { unroute(endpoint) }
        case .latch(let phone, let pbx, let completion):
            route(phone)
            route(pbx)
            latching[ObjectIdentifier(phone.call)] = PendingLatch(
                phone: phone, pbx: pbx, deadline: now() &+ Self.latchTimeoutNanoseconds, completion: completion)
        case .shutdown:
            running = false
        }
    }

    /// Starts sending `endpoint`'s stream from now on.
    func startSending(_ endpoint: MediaEndpoint) {
        endpoint.sending = true
        endpoint.nextSend = now()
        senders.append(endpoint)
    }

    func route(_ endpoint: MediaEndpoint) {
        endpoint.call.endpoints[endpoint.side.rawValue] = endpoint
        guard !endpoint.routed, let destination = endpoint.destination else { return }
        routes[endpoint.socketIndex][destination] = endpoint
        endpoint.routed = true
    }

    private func unroute(_ endpoint: MediaEndpoint) {
        guard endpoint.routed, let destination = endpoint.destination else { return }
        endpoint.routed = false
        if routes[endpoint.socketIndex][destination] === endpoint {
            routes[endpoint.socketIndex][destination] = nil
        }
    }

    private func result(of call: CallMedia, endpoints: [MediaEndpoint]) -> CallMediaResult {
        var result = CallMediaResult()
        let bySide = Dictionary(endpoints.map { ($0.side, $0) }, uniquingKeysWith: { first, _ in first })
        // Direction 0: sent by the phone, received by the PBX; direction 1 the other way.
        // With an echo (`--expect-echo`) direction 0 is the round trip, phone to phone, and direction 1 is empty.
        let echo = bySide[.phone]?.expectsEcho == true
        for (direction, (from, far)) in [(Side.phone, Side.pbx), (.pbx, .phone)].enumerated() {
            var entry = DirectionResult()
            let to = echo ? Side.phone : far
            if echo && direction == 1 {
                result.directions[direction] = entry
                continue
            }
            if let sender = bySide[from] {
                entry.sent = Int(sender.sent) - sender.sendErrors
                result.skipped += sender.skipped
            }
            if let receiver = bySide[to] {
                let statistics = receiver.statistics
                let unitsPerMs = Double(call.frames[0].codec.clockRate) / 1000
                entry.received = statistics.received
                entry.reordered = statistics.reordered
                entry.duplicates = statistics.duplicates
                entry.authFailures = statistics.authFailures
                entry.wrongSSRC = statistics.wrongSSRC
                entry.corrupt = statistics.corrupt
                entry.otherDrops = statistics.otherDrops
                entry.jitterMs = statistics.jitter / unitsPerMs
                entry.maxJitterMs = statistics.maxJitter / unitsPerMs
                entry.maxLatencyUs = receiver.maxLatency / 1000
                if to == .phone {
                    result.phoneFirstMedia = statistics.firstArrival
                } else {
                    result.pbxFirstMedia = statistics.firstArrival
                }
            }
            entry.lost = max(0, entry.sent - entry.received)
            result.directions[direction] = entry
        }
        return result
    }

    // MARK: The packet path

    /// Queues the packets `endpoint` has due into its socket's send batch.
    private func queueDue(_ endpoint: MediaEndpoint, now: UInt64) {
        guard let destination = endpoint.destination, endpoint.outbound != nil || plainTrailerLength != nil else {
            return
        }
        let frames = endpoint.call.frames[endpoint.side.rawValue]
        let socket = endpoint.socketIndex
        let batch = sockets.batches[socket]
        var count = 0
        while endpoint.nextSend <= now && count < catchUp {
            if queuedBy[socket].count == batch.capacity { flush(socket) }
            let entry = queuedBy[socket].count
            let index = endpoint.sent
            let slot = batch.slot(entry)
            let fields = RTPHeaderFields(
                marker: index == 0, payloadType: frames.codec.payloadType,
                sequenceNumber: UInt16(truncatingIfNeeded: index),
                timestamp: UInt32(truncatingIfNeeded: index &* UInt64(frames.samplesPerFrame)), ssrc: endpoint.ssrc)
            guard let header = RTPHeader.write(fields, into: slot).value else { break }
            let payload = frames.frame(index)
            payload.withUnsafeBytes {
                (slot.baseAddress! + header).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
            }
            endpoint.sent += 1
            endpoint.nextSend &+= intervalNanoseconds
            count += 1
            let length: Int
            if let outbound = endpoint.outbound {
                guard let protected = outbound.protectRTP(slot, length: header + payload.count).length else {
                    endpoint.sendErrors += 1
                    continue
                }
                length = protected
            } else {
                // `--floor`: plain, followed by zeros where the SRTP tag would be (the floor relay forwards them
                // unread); zeroed so that no stale bytes of the slot leave the process.
                let trailer = plainTrailerLength ?? 0
                (slot.baseAddress! + header + payload.count).initializeMemory(
                    as: UInt8.self, repeating: 0, count: trailer)
                length = header + payload.count + trailer
            }
            batch.queue(entry: entry, slot: entry, length: length, to: destination)
            queuedBy[socket].append(endpoint)
            queuedIndex[socket].append(index)
        }
        if endpoint.nextSend <= now {
            // More than `catchUp` packets behind: the generator is saturated. Skip ahead and count it.
            let behind = (now - endpoint.nextSend) / intervalNanoseconds + 1
            endpoint.skipped += Int(behind)
            endpoint.nextSend &+= behind * intervalNanoseconds
        }
    }

    /// Sends socket `index`'s batch; what the kernel refuses is counted against its endpoints. A
    /// packet's send time is when the batch is handed to the kernel.
    private func flush(_ index: Int) {
        let count = queuedBy[index].count
        let sentAt = now()
        let accepted = max(0, sockets.batches[index].send(count: count, from: sockets.sockets[index].fd))
        for entry in 0..<accepted {
            queuedBy[index][entry].ownRing.store(index: queuedIndex[index][entry], time: sentAt)
        }
        for entry in accepted..<count { queuedBy[index][entry].sendErrors += 1 }
        totals.sent.add(accepted, ordering: .relaxed)
        queuedBy[index].removeAll(keepingCapacity: true)
        queuedIndex[index].removeAll(keepingCapacity: true)
    }

    /// Called by `loop.poll` for a readable socket: receives what is waiting on it.
    func readable(fd: Int32, token: UInt64, loop: MediaLoop) -> Int {
        receive(socket: Int(token), fd: fd)
    }

    /// Drains socket `index` (a bounded number of batches, so sending keeps its pace) and routes
    /// every packet to its endpoint by the relay address it came from. Returns the datagrams received.
    private func receive(socket index: Int, fd: Int32) -> Int {
        var received = 0
        for _ in 0..<8 {
            let count = receiveBatch.receive(from: fd)
            guard count > 0 else { return received }
            received += count
            // Kernel timestamps are CLOCK_REALTIME; the pump's clock is monotonic. The offset between
            // them is taken afresh for every batch, so that a slewing wall clock cannot skew latency.
            let clockNow = now()
            let offset = Int64(bitPattern: realtimeNanoseconds()) &- Int64(bitPattern: clockNow)
            for packet in 0..<count {
                guard let endpoint = routes[index][receiveBatch.source(packet)] else {
                    strays += 1
                    continue
                }
                var arrival = clockNow
                if let stamp = receiveBatch.arrivalTimestamp(packet) {
                    arrival = min(clockNow, UInt64(bitPattern: max(0, Int64(bitPattern: stamp) &- offset)))
                }
                check(
                    endpoint, slot: receiveBatch.slot(packet), length: receiveBatch.length(packet), arrival: arrival)
            }
            if count < receiveBatch.capacity { return received }
        }
        return received
    }

    private func check(_ endpoint: MediaEndpoint, slot: UnsafeMutableRawBufferPointer, length: Int, arrival: UInt64) {
        if plainTrailerLength != nil {
            checkPlain(endpoint, slot: slot, length: length, arrival: arrival)
            return
        }
        guard let inbound = endpoint.inbound else {
            endpoint.statistics.otherDrops += 1
            return
        }
        // SRTCP (RFC 5761 §4: a second octet of 192-223) is not checked: the generator sends none.
        if PacketKind.classify(UnsafeRawBufferPointer(rebasing: slot[..<length])) == .rtcp { return }
        let plain: Int
        switch inbound.unprotectRTP(slot, length: length) {
        case .ok(let octets):
            plain = octets
        case .dropped(.authFailed):
            endpoint.statistics.authFailures += 1
            totals.authFailures.add(1, ordering: .relaxed)
            return
        case .dropped(.replay):
            endpoint.statistics.duplicates += 1
            return
        case .dropped:
            endpoint.statistics.otherDrops += 1
            return
        }
        guard let header = RTPHeader.parse(UnsafeRawBufferPointer(rebasing: slot[..<plain])).value else {
            endpoint.statistics.otherDrops += 1
            return
        }
        if endpoint.expectsEcho && endpoint.echoSSRC == nil { endpoint.echoSSRC = header.ssrc }
        guard header.ssrc == (endpoint.echoSSRC ?? endpoint.expectedSSRC) else {
            endpoint.statistics.wrongSSRC += 1
            return
        }
        let index = endpoint.statistics.indexFor(sequence: header.sequenceNumber)
        // An echo extension sends the endpoint's own audio back; otherwise it hears the other side's.
        let from = endpoint.expectsEcho ? endpoint.side : endpoint.side.other
        let expected = endpoint.call.frames[from.rawValue].frame(index)
        let payload = header.payload
        let same =
            payload.count == expected.count
            && expected.withUnsafeBytes { memcmp($0.baseAddress!, payload.baseAddress!, $0.count) == 0 }
        guard same else {
            endpoint.statistics.corrupt += 1
            return
        }
        record(endpoint, index: index, timestamp: header.timestamp, arrival: arrival)
    }

    /// Counts packet `index` of `endpoint`'s peer as received, and its one-way latency (send time to `arrival`).
    func record(_ endpoint: MediaEndpoint, index: UInt64, timestamp: UInt32, arrival: UInt64) {
        // An echo's packet was sent by this endpoint itself: its latency is the round trip.
        let ring = endpoint.expectsEcho ? endpoint.ownRing : endpoint.peerRing
        if let sentAt = ring.time(of: index), arrival >= sentAt {
            let nanoseconds = arrival - sentAt
            endpoint.maxLatency = max(endpoint.maxLatency, nanoseconds)
            // Direction 0 is phone → PBX, so a packet received by the PBX side (or an echo, back at the phone).
            _ = latency[endpoint.side == .pbx || endpoint.expectsEcho ? 0 : 1].record(max(1, nanoseconds / 1000))
        }
        endpoint.statistics.record(
            index: index, timestamp: timestamp, arrival: arrival,
            clockRate: endpoint.call.frames[0].codec.clockRate)
        totals.received.add(1, ordering: .relaxed)
    }
}
