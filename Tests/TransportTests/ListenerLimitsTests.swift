import Foundation
import SottoTestSupport
import Synchronization
import TLS
import Testing

@testable import Transport

/// The listener's accept-time limits over real sockets (handshakes under way, accepts per second per
/// address), the per-address key for IPv6, the owner-driven idle timer, and accept4's flags.
@Suite struct ListenerLimitsTests {
    let certificates: TestCertificates

    init() async throws { certificates = try await TestCertificates.shared }

    func client(_ recorder: Recorder, to server: TestServer) throws -> TLSStream {
        try TLSStream.connect(
            to: SocketAddress(ip: "127.0.0.1", port: server.port),
            context: TLSContext(.client(serverName: "localhost", caFile: certificates.caFile)),
            loop: EventLoop(label: "test.client"), logger: recorder.logger, handlers: recorder.handlers())
    }

    /// Two peers that never finish their handshakes hold both slots: a third connection is closed at accept.
    @Test func handshakesUnderWayAreCapped() async throws {
        let server = try await TestServer(limits: TCPLimits(maxHandshakes: 2))
        defer { server.listener.stop() }
        let first = try RawClient(port: server.port)
        let second = try RawClient(port: server.port)
        #expect(await eventually { server.counters.connectionsOpen == 2 })
        let third = try RawClient(port: server.port)
        #expect(third.waitForClose())
        #expect(server.counters.refusedTooManyHandshakes == 1)
        #expect(server.recorder.logs.contains { $0.contains("2 TLS handshakes are already under way") })
        _ = (first, second)
    }

    @Test func aFinishedHandshakeFreesItsSlot() async throws {
        let server = try await TestServer(limits: TCPLimits(maxHandshakes: 1))
        defer { server.listener.stop() }
        let one = Recorder()
        let two = Recorder()
        _ = try client(one, to: server)
        #expect(await eventually { one.handshakes == 1 })
        _ = try client(two, to: server)
        #expect(await eventually { two.handshakes == 1 })
        #expect(server.counters.refusedTooManyHandshakes == 0)
    }

    /// Five connections one after the other from one address, each closed before the next, with a rate of two
    /// per second (and a bucket of two: one connection open at a time): the bucket's two get in, the rest are
    /// closed at accept and counted.
    @Test func acceptsPerSecondPerAddressAreLimited() async throws {
        let server = try await TestServer(
            limits: TCPLimits(maxConnectionsPerAddress: 1, acceptsPerSecondPerAddress: 2))
        defer { server.listener.stop() }
        for attempt in 1...5 {
            do {
                let client = try RawClient(port: server.port)
                _ = await eventually {
                    server.counters.connectionsAccepted + server.counters.refusedAcceptRate == attempt
                }
                _ = client
            }
            #expect(await eventually { server.counters.connectionsOpen == 0 })
        }
        #expect(server.counters.refusedAcceptRate >= 2)
        #expect(server.counters.connectionsAccepted <= 3)
        #expect(server.counters.refusedTooManyFromAddress == 0)
        #expect(server.recorder.logs.contains { $0.contains("opened more than 2 connections in a second") })
        // Refusals are logged at most once a second, not once each.
        #expect(server.recorder.logs.filter { $0.contains("refused") }.count == 1)
    }

    /// The bucket holds at least the connections an address may have open: they may all come at once.
    @Test func anAddressMayOpenItsWholeAllowanceAtOnce() async throws {
        let server = try await TestServer(
            limits: TCPLimits(maxConnectionsPerAddress: 8, acceptsPerSecondPerAddress: 2))
        defer { server.listener.stop() }
        let clients = try (0..<8).map { _ in try RawClient(port: server.port) }
        #expect(await eventually { server.counters.connectionsOpen == 8 })
        #expect(server.counters.refusedAcceptRate == 0)
        _ = clients
    }

    @Test(arguments: [
        ("2001:db8:1:2::1", 64, "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:9", 64, "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", 64, "2001:db8:1:3::/64"),
        ("2001:db8:1:2:ffff::9", 56, "2001:db8:1::/56"),
        ("2001:db8:1:2::1", 128, "2001:db8:1:2::1"),
        ("::ffff:192.0.2.7", 64, "192.0.2.7"),
        ("192.0.2.7", 64, "192.0.2.7"),
    ])
    func perAddressLimitsKeyIPv6OnItsPrefix(address: String, prefix: Int, key: String) throws {
        #expect(try SocketAddress(ip: address, port: 5061).limitKey(ipv6PrefixLength: prefix) == key)
    }

    @Test func theRateLimiterRefillsAndForgetsFullBuckets() {
        var limiter = AddressRateLimiter(rate: 2, burst: 2, sweepThreshold: 2, maxKeys: 3)
        let second: UInt64 = 1_000_000_000
        var allowed: [Bool] = []
        for (key, now) in [("a", 0), ("a", 0), ("a", 0), ("a", second / 2), ("b", second / 2), ("c", second / 2)] {
            allowed.append(limiter.allow(key, now: now))
        }
        // Two at once, none more, one back after half a second; new keys while the table has room.
        #expect(allowed == [true, true, false, true, true, true])
        let full = limiter.allow("d", now: second / 2)
        #expect(!full, "the table is full and nothing has refilled")
        let swept = limiter.allow("d", now: 5 * second)
        #expect(swept, "full buckets are swept to make room")
        #expect(limiter.keyCount == 1)
    }

    /// With the owner in charge of the idle timer, bytes that the owner does not count keep nothing alive.
    @Test func bytesTheOwnerDoesNotCountDoNotResetTheIdleTimer() async throws {
        let server = try await TestServer(
            limits: TCPLimits(idleTimeout: .milliseconds(300), idleResetByOwner: true), echo: false)
        defer { server.listener.stop() }
        let recorder = Recorder()
        let stream = try client(recorder, to: server)
        #expect(await eventually { recorder.handshakes == 1 })
        let closed = await eventually(.seconds(5)) {
            stream.send([0x0d])
            try? await Task.sleep(for: .milliseconds(50))
            return server.counters.closed(.idleTimeout) == 1
        }
        #expect(closed, "a byte every 50 ms kept the connection open")
    }

    @Test func acceptedSocketsAreNonBlockingAndCloseOnExec() async throws {
        let flags = Mutex<(status: Int32, descriptor: Int32)?>(nil)
        let server = try await TestServer(onHandshake: { stream in
            let fd = stream.byteStream.fd
            flags.withLock { $0 = (fcntl(fd, F_GETFL), fcntl(fd, F_GETFD)) }
        })
        defer { server.listener.stop() }
        let recorder = Recorder()
        _ = try client(recorder, to: server)
        #expect(await eventually { flags.withLock { $0 != nil } })
        let seen = try #require(flags.withLock { $0 })
        #expect(seen.status & O_NONBLOCK != 0)
        #expect(seen.descriptor & FD_CLOEXEC != 0)
    }
}
