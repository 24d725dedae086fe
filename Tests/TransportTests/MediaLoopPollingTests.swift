import Dispatch
import Glibc
import Testing
import Transport

/// The loop's two modes: readiness events in light load, polling on a timer tick under load, and back.
@Suite struct MediaLoopPollingTests {
    /// A quick policy for tests: poll from 200 readiness events/s measured over 20 ms, back below 100 packets/s.
    static let eager = MediaLoopPolling(
        tickNanoseconds: 1_000_000, enterWakeupsPerSecond: 200, exitPacketsPerSecond: 100,
        windowNanoseconds: 20_000_000)

    struct Pair {
        let legA: UDPSocket
        let legB: UDPSocket
        let phone: UDPSocket
        let pbx: UDPSocket
        let forwarder: Forwarder

        init() throws {
            let loopback = UDPAddress(ip: "127.0.0.1", port: 0)!
            legA = try UDPSocket(binding: loopback)
            legB = try UDPSocket(binding: loopback)
            phone = try UDPSocket(binding: loopback)
            pbx = try UDPSocket(binding: loopback)
            forwarder = Forwarder(out: legB, destination: pbx.localAddress)
        }

        func send(_ count: Int, every microseconds: UInt32) {
            var destination = legA.localAddress.storage
            let payload = [UInt8](repeating: 0x80, count: 172)
            for _ in 0..<count {
                _ = withUnsafePointer(to: &destination) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(phone.fd, payload, payload.count, 0, $0, legA.localAddress.length)
                    }
                }
                usleep(microseconds)
            }
        }

        /// Waits until `count` datagrams in all have been forwarded (at most 5 s).
        func waitForwarded(_ count: Int) -> Int {
            let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
            while forwarder.forwarded.load(ordering: .relaxed) < count
                && DispatchTime.now().uptimeNanoseconds < deadline
            {
                usleep(1000)
            }
            return forwarder.forwarded.load(ordering: .relaxed)
        }
    }

    func waitUntil(_ loop: MediaLoop, _ condition: (MediaLoopStatistics) -> Bool) -> MediaLoopStatistics {
        let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
        var stats = loop.statistics()
        while !condition(stats) && DispatchTime.now().uptimeNanoseconds < deadline {
            usleep(2000)
            stats = loop.statistics()
        }
        return stats
    }

    @Test func pollsUnderLoadAndGoesBackToEventsWhenTrafficFalls() throws {
        let pair = try Pair()
        let loop = try MediaLoop(label: "test.polling", polling: Self.eager)
        loop.queue.sync { try! loop.register(fd: pair.legA.fd, token: 1, handler: pair.forwarder) }
        loop.start()
        defer { loop.stop() }

        // About 2,000 packets/s for 150 ms: far above the enter rate.
        pair.send(300, every: 500)
        let busy = waitUntil(loop) { $0.polling }
        #expect(busy.polling, "the loop polls once its rate passes poll_enter_pps")
        #expect(busy.pollingEntries >= 1)
        #expect(pair.waitForwarded(300) == 300, "nothing is lost while the loop changes mode")
        let ticking = waitUntil(loop) { $0.ticks > 0 }
        #expect(ticking.ticks > 0, "a polling loop is served by its timer")

        // Silence: ticks find nothing, the rate falls under the exit rate, the read source takes over again.
        let quiet = waitUntil(loop) { !$0.polling }
        #expect(!quiet.polling, "the loop goes back to readiness events when traffic falls")
        let ticksWhenQuiet = quiet.ticks
        usleep(50_000)
        #expect(loop.statistics().ticks == ticksWhenQuiet, "no tick runs once the loop is back on events")

        // And the read source serves packets again (it was resumed, not left suspended).
        pair.send(5, every: 10_000)
        #expect(pair.waitForwarded(305) == 305)
        let after = loop.statistics()
        #expect(after.packets == 305)
        #expect(after.packetsPerWakeup.reduce(0, +) == after.wakeups, "every wakeup is in one bucket")
    }

    /// A polling loop goes back to events for a window every probe interval and, traffic unchanged, polls again.
    @Test func aPollingLoopProbesEventsAgain() throws {
        let pair = try Pair()
        var policy = Self.eager
        policy.probeNanoseconds = 60_000_000
        let loop = try MediaLoop(label: "test.probe", polling: policy)
        loop.queue.sync { try! loop.register(fd: pair.legA.fd, token: 1, handler: pair.forwarder) }
        loop.start()
        defer { loop.stop() }
        // About 2,000 packets/s for 400 ms: several probe intervals, all of them busy.
        pair.send(800, every: 500)
        #expect(pair.waitForwarded(800) == 800)
        #expect(loop.statistics().pollingEntries >= 3, "the loop left polling to measure, and came back")
    }

    @Test func aLoopWithPollingOffNeverPolls() throws {
        let pair = try Pair()
        let loop = try MediaLoop(label: "test.events", polling: .off)
        loop.queue.sync { try! loop.register(fd: pair.legA.fd, token: 1, handler: pair.forwarder) }
        loop.start()
        defer { loop.stop() }
        pair.send(300, every: 500)
        #expect(pair.waitForwarded(300) == 300)
        let stats = loop.statistics()
        #expect(!stats.polling)
        #expect(stats.ticks == 0 && stats.pollingEntries == 0)
        #expect(stats.wakeups > 0 && stats.packets == 300)
    }

    @Test func packetsPerWakeupBuckets() {
        let cases: [(Int, Int)] = [
            (0, 0), (1, 1), (2, 2), (3, 3), (4, 3), (5, 4), (8, 4), (9, 5), (512, 10), (513, 11),
        ]
        for (packets, bucket) in cases {
            #expect(MediaLoopStatistics.bucket(packets) == bucket, "\(packets) packets")
            // The bucket's bound holds the count, and the one before it does not.
            if bucket < MediaLoopStatistics.bucketBounds.count {
                #expect(packets <= MediaLoopStatistics.bucketBounds[bucket])
            }
            if bucket > 0 { #expect(packets > MediaLoopStatistics.bucketBounds[bucket - 1]) }
        }
    }

    /// libdispatch takes a descriptor `fstat` calls a regular file for always readable: such an epoll set would
    /// make the loop spin, so it is refused at start.
    @Test func aDescriptorThatLooksLikeARegularFileIsRefused() throws {
        let path = "/tmp/sotto-pollable-\(getpid())"
        let file = open(path, O_CREAT | O_RDWR, 0o600)
        #expect(file >= 0)
        defer {
            close(file)
            unlink(path)
        }
        #expect(throws: TransportError.self) { try MediaLoop.checkPollable(file, label: "test") }
        var pipeEnds: [Int32] = [0, 0]
        #expect(pipe(&pipeEnds) == 0)
        defer { pipeEnds.forEach { close($0) } }
        try MediaLoop.checkPollable(pipeEnds[0], label: "test")
        // And a loop's own epoll set passes (the loop would not exist otherwise).
        _ = try MediaLoop(label: "test.pollable")
        let socket = try UDPSocket(binding: UDPAddress(ip: "127.0.0.1", port: 0)!)
        try MediaLoop.checkPollable(socket.fd, label: "test")
    }
}
