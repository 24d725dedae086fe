import Foundation
import SottoTestSupport
import Synchronization
import Testing
import Transport

/// The plain stream over real sockets (a `socketpair`, loopback TCP): delivery and leftovers, pausing,
/// each close reason, the output bound and last words.
@Suite struct ByteStreamTests {
    /// What a stream's handlers saw, written on the loop, read by the test.
    final class Seen: Sendable {
        struct State {
            var opened = 0
            var offers: [[UInt8]] = []
            var received: [UInt8] = []
            var closes: [TCPCloseReason] = []
            var logs: [String] = []
        }

        let state = Mutex(State())
        var opened: Int { state.withLock { $0.opened } }
        var offers: [[UInt8]] { state.withLock { $0.offers } }
        var received: [UInt8] { state.withLock { $0.received } }
        var closes: [TCPCloseReason] { state.withLock { $0.closes } }
        var logs: [String] { state.withLock { $0.logs } }

        var logger: TransportLogger {
            TransportLogger { _, line in self.state.withLock { $0.logs.append(line) } }
        }

        /// Records every offer; `consume` says how much of it to take (all by default).
        func handlers(
            consume: @escaping @Sendable (ByteStream, UnsafeRawBufferPointer) -> Int = { $1.count }
        ) -> ByteStreamHandlers {
            ByteStreamHandlers(
                onOpen: { _ in self.state.withLock { $0.opened += 1 } },
                onData: { stream, bytes in
                    let taken = consume(stream, bytes)
                    self.state.withLock {
                        $0.offers.append(Array(bytes))
                        $0.received += bytes.prefix(taken)
                    }
                    return taken
                },
                onClose: { _, reason in self.state.withLock { $0.closes.append(reason) } })
        }
    }

    /// One end of a `socketpair` as a started ``ByteStream``, the other as a raw fd the test plays the peer with.
    struct Pair {
        let loop = EventLoop(label: "test.bytes")
        let stream: ByteStream
        let peer: Int32
        let seen = Seen()
        let counters = TransportCounters()

        init(
            limits: StreamLimits = StreamLimits(),
            consume: @escaping @Sendable (ByteStream, UnsafeRawBufferPointer) -> Int = { $1.count }
        ) {
            var fds: [Int32] = [0, 0]
            precondition(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
            peer = fds[1]
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(peer, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            stream = ByteStream(
                adopting: fds[0], peer: "the test peer", loop: loop, limits: limits, counters: counters,
                logger: seen.logger)
            stream.start(seen.handlers(consume: consume))
        }

        func write(_ text: String) {
            _ = Array(text.utf8).withUnsafeBytes { send(peer, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }

        /// Reads until end of file (or 5 s): what the stream sent.
        func readToEnd() -> [UInt8] {
            var all: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = recv(peer, &buffer, buffer.count, 0)
                if count <= 0 { return all }
                all += buffer[0..<count]
            }
        }

        func onLoop(_ work: @escaping @Sendable (ByteStream) -> Void) {
            let stream = self.stream
            loop.queue.sync { work(stream) }
        }
    }

    @Test func bytesArriveAndLeftoversAreOfferedAgainWithTheNext() async throws {
        // Takes whole lines only, like a framer.
        let pair = Pair(consume: { _, bytes in (bytes.lastIndex(of: 0x0a) ?? -1) + 1 })
        defer { close(pair.peer) }
        #expect(await eventually { pair.seen.opened == 1 })
        pair.write("one\ntw")
        #expect(await eventually { pair.seen.received == Array("one\n".utf8) })
        pair.write("o\n")
        #expect(await eventually { pair.seen.received == Array("one\ntwo\n".utf8) })
        // "tw" was offered again, in front of the bytes that completed it.
        #expect(pair.seen.offers.last == Array("two\n".utf8))
        pair.stream.close()
        #expect(pair.readToEnd().isEmpty)
        #expect(await eventually { pair.seen.closes.map(\.kind) == [.closedLocally] })
        #expect(pair.seen.closes.first?.detail == "Sotto closed the connection with the test peer")
    }

    @Test func aPausedStreamReadsNothingUntilResumedAndThenOffersItsLeftoversFirst() async throws {
        // Takes one line per offer and pauses, like the admin socket while a command runs.
        let pair = Pair(consume: { stream, bytes in
            guard let newline = bytes.firstIndex(of: 0x0a) else { return 0 }
            stream.pauseReading()
            return newline + 1
        })
        defer { close(pair.peer) }
        pair.write("first\nsecond\n")
        #expect(await eventually { pair.seen.received == Array("first\n".utf8) })
        pair.write("third\n")
        try await Task.sleep(for: .milliseconds(50))
        #expect(pair.seen.received == Array("first\n".utf8), "nothing is offered while paused")
        pair.onLoop { $0.resumeReading() }
        // The leftover line comes at once, without a read; the stream paused again after it.
        #expect(pair.seen.received == Array("first\nsecond\n".utf8))
        pair.onLoop { $0.resumeReading() }
        #expect(await eventually { pair.seen.received == Array("first\nsecond\nthird\n".utf8) })
        #expect(pair.seen.closes.isEmpty)
    }

    @Test func thePeerClosingIsClosedByPeer() async throws {
        let pair = Pair()
        pair.write("bye")
        close(pair.peer)
        #expect(await eventually { pair.seen.closes.map(\.kind) == [.closedByPeer] })
        #expect(pair.seen.received == Array("bye".utf8))
        // A Unix socket is not called a TCP connection.
        #expect(pair.seen.closes.first?.detail == "the test peer closed the connection")
        #expect(pair.counters.closed(.closedByPeer) == 1)
        #expect(pair.counters.connectionsOpen == 0)
    }

    @Test func unconsumedInputPastTheLimitCloses() async throws {
        let pair = Pair(limits: StreamLimits(maxInputBytes: 1024), consume: { _, _ in 0 })
        defer { close(pair.peer) }
        pair.write(String(repeating: "a", count: 1000))
        try await Task.sleep(for: .milliseconds(50))
        #expect(pair.seen.closes.isEmpty, "1000 bytes are within the limit")
        pair.write(String(repeating: "a", count: 100))
        #expect(await eventually { pair.seen.closes.map(\.kind) == [.inputLimit] })
        #expect(pair.seen.closes.first?.detail.contains("1100 bytes that could not be processed") == true)
        #expect(pair.seen.logs.contains { $0.contains("over the limit of 1024") })
        #expect(pair.counters.closed(.inputLimit) == 1)
    }

    @Test func aPeerThatDoesNotReadIsClosedAtTheOutputLimit() async throws {
        let pair = Pair(limits: StreamLimits(maxOutputBytes: 100_000))
        defer { close(pair.peer) }
        let chunk = [UInt8](repeating: 0x42, count: 16_384)
        let sent = Mutex(0)
        pair.onLoop { stream in
            // Far more than the kernel's socket buffers hold: the rest must pile up in the stream.
            for _ in 0..<1000 where stream.state == .open {
                chunk.withUnsafeBytes { _ = stream.sendOnLoop($0) }
                sent.withLock { $0 += 1 }
            }
        }
        #expect(pair.seen.closes.map(\.kind) == [.outputLimit])
        #expect(pair.seen.closes.first?.detail.contains("unread, over the limit of 100000") == true)
        #expect(sent.withLock { $0 } < 1000)
        // What reached the peer is what the socket took, not the whole queue.
        #expect(pair.readToEnd().count < 1000 * chunk.count)
    }

    @Test func oneSendIntoAnEmptyQueueIsTakenWholeEvenPastTheBound() async throws {
        let pair = Pair(limits: StreamLimits(maxOutputBytes: 1024))
        defer { close(pair.peer) }
        let reply = [UInt8](repeating: 0x43, count: 2 << 20)
        pair.onLoop { stream in
            #expect(reply.withUnsafeBytes { stream.sendOnLoop($0) })
            stream.close(.closedLocally, "done", lastWords: [])
        }
        // Last words (here none) after the queue: the whole reply goes out first, as far as the socket took it
        // without waiting; the rest is dropped at the close.
        let got = pair.readToEnd()
        #expect(got.count > 0 && got.count <= reply.count)

        let reader = Pair(limits: StreamLimits(maxOutputBytes: 1024))
        defer { close(reader.peer) }
        reader.onLoop { stream in _ = reply.withUnsafeBytes { stream.sendOnLoop($0) } }
        // A peer that keeps reading gets all of it, and the stream stays open.
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while all.count < reply.count {
            let count = recv(reader.peer, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            all += buffer[0..<count]
        }
        #expect(all == reply)
        #expect(reader.seen.closes.isEmpty)
    }

    @Test func lastWordsFollowTheQueueBeforeTheClose() async throws {
        let pair = Pair()
        defer { close(pair.peer) }
        pair.onLoop { stream in
            _ = Array("reply\n".utf8).withUnsafeBytes { stream.sendOnLoop($0) }
            stream.close(.closedLocally, "closing", lastWords: Array("error\n".utf8))
            #expect(!Array("late\n".utf8).withUnsafeBytes { stream.sendOnLoop($0) })
        }
        #expect(String(decoding: pair.readToEnd(), as: UTF8.self) == "reply\nerror\n")
        #expect(pair.seen.closes.map(\.detail) == ["closing"])
    }

    @Test func aSilentPeerIsClosedAfterTheIdleTimeout() async throws {
        let started = ContinuousClock.now
        let pair = Pair(limits: StreamLimits(idleTimeout: .milliseconds(200)))
        defer { close(pair.peer) }
        #expect(await eventually { pair.seen.closes.map(\.kind) == [.idleTimeout] })
        #expect(ContinuousClock.now - started >= .milliseconds(190))
        #expect(pair.seen.closes.first?.detail.contains("sent nothing for") == true)
    }

    @Test func aStreamClosedBeforeItStartsClosesItsSocketAndSaysItsLastWords() async throws {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[1]) }
        let loop = EventLoop(label: "test.unstarted")
        let stream = ByteStream(adopting: fds[0], peer: "refused", loop: loop, logger: .none)
        loop.queue.sync { stream.close(.closedLocally, "refused", lastWords: Array("no\n".utf8)) }
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(recv(fds[1], &buffer, buffer.count, 0) == 3)
        #expect(recv(fds[1], &buffer, buffer.count, 0) == 0)
        #expect(stream.state == .closed)
    }

    @Test func aPlainTCPConnectionConnectsAndFailsWithTheSystemsWords() async throws {
        // A listening TCP socket on loopback, accepted by hand.
        let listening = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                #expect(bind(listening, $0, length) == 0)
                #expect(listen(listening, 4) == 0)
                #expect(getsockname(listening, $0, &length) == 0)
            }
        }
        let port = UInt16(bigEndian: address.sin_port)
        let seen = Seen()
        let stream = try ByteStream.connect(
            to: SocketAddress(ip: "127.0.0.1", port: port), loop: EventLoop(label: "test.tcp"), logger: seen.logger,
            handlers: seen.handlers())
        let accepted = accept(listening, nil, nil)
        close(listening)
        #expect(await eventually { seen.opened == 1 })
        stream.send(Array("hello".utf8))
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(recv(accepted, &buffer, buffer.count, 0) == 5)
        close(accepted)
        #expect(await eventually { seen.closes.map(\.kind) == [.closedByPeer] })
        #expect(seen.closes.first?.detail == "127.0.0.1:\(port) closed the TCP connection")

        // Nothing listens there once the listening socket is closed.
        let refused = Seen()
        _ = try ByteStream.connect(
            to: SocketAddress(ip: "127.0.0.1", port: port), loop: EventLoop(label: "test.tcp"), logger: refused.logger,
            handlers: refused.handlers())
        #expect(await eventually { !refused.closes.isEmpty })
        #expect(refused.closes.first?.kind == .connectFailed)
        #expect(refused.closes.first?.detail.contains("Connection refused") == true)
        #expect(refused.opened == 0)
    }
}
