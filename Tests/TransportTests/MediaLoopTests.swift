import Dispatch
import Glibc
import Synchronization
import Testing
import Transport

/// Forwards every datagram received on `a` out of `b` to `destination`, counting.
final class Forwarder: MediaLoopHandler, @unchecked Sendable {
    let batch = DatagramBatch(capacity: 32, tailroom: 148)
    let out: UDPSocket
    let destination: UDPAddress
    let forwarded = Atomic<Int>(0)
    var lastSource: UDPAddress?
    init(out: UDPSocket, destination: UDPAddress) {
        self.out = out
        self.destination = destination
    }
    func readable(fd: Int32, token: UInt64, loop: MediaLoop) -> Int {
        let count = batch.receive(from: fd)
        guard count > 0 else { return 0 }
        for index in 0..<count {
            lastSource = batch.source(index)
            batch.queue(entry: index, slot: index, length: batch.length(index), to: destination)
        }
        let sent = batch.send(count: count, from: out.fd)
        forwarded.add(max(sent, 0), ordering: .relaxed)
        return count
    }
}

@Suite struct MediaLoopTests {
    @Test func forwardsBatchesBetweenSockets() throws {
        let loopback = UDPAddress(ip: "127.0.0.1", port: 0)!
        let legA = try UDPSocket(binding: loopback)  // Sotto's socket facing the softphone
        let legB = try UDPSocket(binding: loopback)  // Sotto's socket facing the PBX
        let phone = try UDPSocket(binding: loopback)
        let pbx = try UDPSocket(binding: loopback)
        let loop = try MediaLoop(label: "test.media")
        let forwarder = Forwarder(out: legB, destination: pbx.localAddress)
        loop.queue.sync { try! loop.register(fd: legA.fd, token: 1, handler: forwarder) }
        loop.start()
        defer { loop.stop() }

        var destination = legA.localAddress.storage
        for i in 0..<200 {
            var payload = [UInt8](repeating: UInt8(i & 0xFF), count: 172)
            payload[0] = 0x80
            let sent = withUnsafePointer(to: &destination) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(phone.fd, payload, payload.count, 0, $0, legA.localAddress.length)
                }
            }
            #expect(sent == 172)
        }
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 2048)
        let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
        while received < 200 && DispatchTime.now().uptimeNanoseconds < deadline {
            let n = recv(pbx.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n == 172 {
                #expect(buffer[1] == UInt8(received & 0xFF), "order kept within one socket")
                received += 1
            } else {
                usleep(1000)
            }
        }
        #expect(received == 200)
        #expect(forwarder.forwarded.load(ordering: .relaxed) == 200)
        loop.queue.sync {
            #expect(forwarder.lastSource == phone.localAddress)
            loop.deregister(fd: legA.fd, token: 1)
        }
    }

    /// After a send list packed slot 1 into entry 0, the next receive must land datagram 0 in slot 0
    /// again (a stale iovec once made the relay decrypt the previous batch's bytes).
    @Test func receiveAfterSendUsesItsOwnSlots() throws {
        let loopback = UDPAddress(ip: "127.0.0.1", port: 0)!
        let receiver = try UDPSocket(binding: loopback)
        let sender = try UDPSocket(binding: loopback)
        let batch = DatagramBatch(capacity: 4, tailroom: 0)
        func send(_ byte: UInt8) {
            var storage = receiver.localAddress.storage
            _ = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(sender.fd, [byte, byte], 2, 0, $0, receiver.localAddress.length)
                }
            }
        }
        send(1)
        send(2)
        #expect(batch.receive(from: receiver.fd) == 2)
        batch.queue(entry: 0, slot: 1, length: 2, to: sender.localAddress)
        #expect(batch.send(count: 1, from: receiver.fd) == 1)
        send(3)
        #expect(batch.receive(from: receiver.fd) == 1)
        #expect(batch.slot(0)[0] == 3)
        #expect(batch.slot(1)[0] == 2, "slot 1 keeps its own bytes")
    }

    /// A handler that removes another socket in the same round, and registers a new one that takes
    /// over the removed socket's slot: the removed socket's event, already fetched by `epoll_wait`,
    /// must not reach the new socket's handler.
    @Test func staleEventOfARemovedSocketIsSkipped() throws {
        final class Swapper: MediaLoopHandler, @unchecked Sendable {
            var calls: [UInt64] = []
            var sockets: [UInt64: UDPSocket] = [:]
            let replacement: UDPSocket
            init(replacement: UDPSocket) { self.replacement = replacement }
            func readable(fd: Int32, token: UInt64, loop: MediaLoop) -> Int {
                calls.append(token)
                var byte: UInt8 = 0
                _ = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
                guard token != 3, calls.count == 1 else { return 1 }
                let other: UInt64 = token == 1 ? 2 : 1
                loop.deregister(fd: sockets[other]!.fd, token: other)
                try! loop.register(fd: replacement.fd, token: 3, handler: self)
                return 1
            }
        }
        let loopback = UDPAddress(ip: "127.0.0.1", port: 0)!
        let first = try UDPSocket(binding: loopback)
        let second = try UDPSocket(binding: loopback)
        let sender = try UDPSocket(binding: loopback)
        let swapper = Swapper(replacement: try UDPSocket(binding: loopback))
        swapper.sockets = [1: first, 2: second]
        for target in [first, second] {
            var storage = target.localAddress.storage
            _ = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(sender.fd, [1], 1, 0, $0, target.localAddress.length)
                }
            }
        }
        usleep(20_000)  // both datagrams queued, so one epoll_wait reports both sockets
        let loop = try MediaLoop(label: "test.stale")
        loop.queue.sync {
            try! loop.register(fd: first.fd, token: 1, handler: swapper)
            try! loop.register(fd: second.fd, token: 2, handler: swapper)
            var rounds = 0
            loop.serveBlocking(timeoutMilliseconds: 1) {
                rounds += 1
                return rounds < 3
            }
        }
        #expect(swapper.calls.count == 1, "handlers called: \(swapper.calls)")
        #expect(swapper.calls.first == 1 || swapper.calls.first == 2)
    }

    /// A loop served by its owner's thread with `poll`: nothing waiting returns 0 after the timeout;
    /// datagrams waiting are handed to the socket's handler once per poll, and the count comes back.
    @Test func pollServesOnceFromTheCallingThread() throws {
        let loopback = UDPAddress(ip: "127.0.0.1", port: 0)!
        let legA = try UDPSocket(binding: loopback)
        let legB = try UDPSocket(binding: loopback)
        let phone = try UDPSocket(binding: loopback)
        let pbx = try UDPSocket(binding: loopback)
        let loop = try MediaLoop(label: "test.poll")
        let forwarder = Forwarder(out: legB, destination: pbx.localAddress)
        loop.queue.sync { try! loop.register(fd: legA.fd, token: 1, handler: forwarder) }
        let started = DispatchTime.now().uptimeNanoseconds
        #expect(loop.poll(timeoutMilliseconds: 5) == 0)
        #expect(DispatchTime.now().uptimeNanoseconds - started >= 4_000_000, "it waited for the timeout")

        var destination = legA.localAddress.storage
        for _ in 0..<3 {
            _ = withUnsafePointer(to: &destination) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(phone.fd, [0x80, 1, 2], 3, 0, $0, legA.localAddress.length)
                }
            }
        }
        usleep(20_000)
        #expect(loop.poll(timeoutMilliseconds: 100) == 3)
        #expect(forwarder.forwarded.load(ordering: .relaxed) == 3)
        #expect(loop.poll(timeoutMilliseconds: 0) == 0)
        loop.queue.sync { loop.deregister(fd: legA.fd, token: 1) }
    }

    /// With timestamps asked for on both the socket and the batch, each datagram carries the kernel's
    /// arrival time (CLOCK_REALTIME), between the send and the read; without them, none.
    @Test func receiveTimestampsComeFromTheKernel() throws {
        func realtime() -> UInt64 {
            var stamp = timespec()
            clock_gettime(CLOCK_REALTIME, &stamp)
            return UInt64(stamp.tv_sec) * 1_000_000_000 + UInt64(stamp.tv_nsec)
        }
        let loopback = UDPAddress(ip: "127.0.0.1", port: 0)!
        let stamped = try UDPSocket(binding: loopback)
        let plain = try UDPSocket(binding: loopback)
        let sender = try UDPSocket(binding: loopback)
        #expect(stamped.enableReceiveTimestamps())
        let before = realtime()
        for target in [stamped, plain] {
            var storage = target.localAddress.storage
            _ = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(sender.fd, [7, 7], 2, 0, $0, target.localAddress.length)
                }
            }
        }
        usleep(20_000)
        let batch = DatagramBatch(capacity: 4, tailroom: 0, receiveTimestamps: true)
        #expect(batch.receive(from: stamped.fd) == 1)
        let after = realtime()
        let arrival = try #require(batch.arrivalTimestamp(0))
        #expect(arrival >= before && arrival <= after, "arrival \(arrival) outside [\(before), \(after)]")
        #expect(batch.receive(from: plain.fd) == 1)
        #expect(batch.arrivalTimestamp(0) == nil, "a socket that was not asked stamps nothing")
        let unstamped = DatagramBatch(capacity: 4, tailroom: 0)
        #expect(unstamped.arrivalTimestamp(0) == nil)
    }

    @Test func addressesParseAndPrint() {
        #expect(UDPAddress(ip: "127.0.0.1", port: 30000)?.description == "127.0.0.1:30000")
        #expect(UDPAddress(ip: "::1", port: 5061)?.description == "[::1]:5061")
        #expect(UDPAddress(ip: "not-an-ip", port: 1) == nil)
        #expect(UDPAddress(ip: "127.0.0.1", port: 1) != UDPAddress(ip: "127.0.0.1", port: 2))
    }

    @Test func bindConflictIsAClearError() throws {
        let first = try UDPSocket(binding: UDPAddress(ip: "127.0.0.1", port: 0)!)
        do {
            _ = try UDPSocket(binding: first.localAddress)
            Issue.record("a second bind to the same port succeeded")
        } catch {
            #expect(error.code == .addressInUse)
            #expect(error.reason.contains("could not be bound: Address already in use"))
        }
    }
}

/// Records, in order, the work and the packets a loop ran: the first packet on `trigger` submits work and sends a
/// datagram to `watched`, whose packets are recorded after.
final class SubmitOrder: MediaLoopHandler, @unchecked Sendable {
    let batch = DatagramBatch(capacity: 8, tailroom: 0)
    let events = Mutex<[String]>([])
    let trigger: Int32
    let sender: UDPSocket
    let watched: UDPAddress

    init(trigger: Int32, sender: UDPSocket, watched: UDPAddress) {
        self.trigger = trigger
        self.sender = sender
        self.watched = watched
    }

    func readable(fd: Int32, token: UInt64, loop: MediaLoop) -> Int {
        let count = batch.receive(from: fd)
        guard count > 0 else { return 0 }
        if fd == trigger {
            loop.submit { [self] in events.withLock { $0.append("work") } }
            batch.queue(entry: 0, slot: 0, length: batch.length(0), to: watched)
            _ = batch.send(count: 1, from: sender.fd)
        } else {
            events.withLock { $0.append("packet") }
        }
        return count
    }
}

extension MediaLoopTests {
    /// Work submitted to a loop runs before any packet that arrives after it, even when the loop is in the middle
    /// of a wakeup and would otherwise serve the new packet in its next round before returning to its queue (a
    /// leg's keys must be in force for the first packet that follows the answer).
    @Test func submittedWorkRunsBeforeLaterPackets() throws {
        let loopback = UDPAddress(ip: "127.0.0.1", port: 0)!
        let first = try UDPSocket(binding: loopback)
        let second = try UDPSocket(binding: loopback)
        let peer = try UDPSocket(binding: loopback)
        let loop = try MediaLoop(label: "test.media.submit")
        let handler = SubmitOrder(trigger: first.fd, sender: peer, watched: second.localAddress)
        loop.queue.sync {
            try! loop.register(fd: first.fd, token: 1, handler: handler)
            try! loop.register(fd: second.fd, token: 2, handler: handler)
        }
        loop.start()
        defer { loop.stop() }
        var destination = first.localAddress.storage
        let payload = [UInt8](repeating: 0x80, count: 20)
        let sent = withUnsafePointer(to: &destination) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(peer.fd, payload, payload.count, 0, $0, first.localAddress.length)
            }
        }
        #expect(sent == 20)
        let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
        while handler.events.withLock({ $0.count }) < 2 && DispatchTime.now().uptimeNanoseconds < deadline {
            usleep(1000)
        }
        #expect(handler.events.withLock { $0 } == ["work", "packet"])
    }
}
