import Foundation
import SottoTestSupport
import TLS
import Testing
import Transport

/// A slow, silent or greedy peer cannot hold resources past the limits. Short limits (200 ms),
/// and the tests wait for the close event rather than for time.
@Suite struct TCPLimitsTests {
    let certificates: TestCertificates

    init() async throws { certificates = try await TestCertificates.shared }

    func client(_ recorder: Recorder, to server: TestServer, limits: TCPLimits = TCPLimits()) throws -> TLSStream {
        try TLSStream.connect(
            to: SocketAddress(ip: "127.0.0.1", port: server.port),
            context: TLSContext(.client(serverName: "localhost", caFile: certificates.caFile)),
            loop: EventLoop(label: "test.client"), limits: limits, logger: recorder.logger,
            handlers: recorder.handlers())
    }

    @Test func silentPeerIsClosedAfterTheHandshakeTimeout() async throws {
        let server = try await TestServer(limits: TCPLimits(handshakeTimeout: .milliseconds(200)))
        defer { server.listener.stop() }
        let started = ContinuousClock.now
        let silent = try RawClient(port: server.port)
        #expect(silent.waitForClose())
        #expect(ContinuousClock.now - started >= .milliseconds(190))
        #expect(await eventually { server.counters.closed(.handshakeTimeout) == 1 })
        #expect(
            await eventually {
                server.recorder.logs.contains { $0.contains("did not finish the TLS handshake within") }
            })
        #expect(await eventually { server.counters.connectionsOpen == 0 })
    }

    @Test func idlePeerIsClosedAfterTheIdleTimeout() async throws {
        let server = try await TestServer(limits: TCPLimits(idleTimeout: .milliseconds(200)))
        defer { server.listener.stop() }
        let recorder = Recorder()
        _ = try client(recorder, to: server)
        #expect(await eventually { recorder.handshakes == 1 })
        #expect(await eventually { server.counters.closed(.idleTimeout) == 1 })
        // The server said close_notify, so the client sees an orderly close.
        #expect(await eventually { recorder.closes.map(\.kind) == [.closedByPeer] })
    }

    @Test func tooManyConnectionsFromOneAddressAreRefused() async throws {
        let server = try await TestServer(limits: TCPLimits(maxConnectionsPerAddress: 2))
        defer { server.listener.stop() }
        let first = try RawClient(port: server.port)
        let second = try RawClient(port: server.port)
        #expect(await eventually { server.counters.connectionsOpen == 2 })
        let third = try RawClient(port: server.port)
        #expect(third.waitForClose())
        #expect(server.counters.refusedTooManyFromAddress == 1, "\(server.recorder.logs)")
        #expect(server.counters.connectionsOpen == 2)
        #expect(server.recorder.logs.contains { $0.contains("127.0.0.1 already holds 2 connections") })
        _ = (first, second)
    }

    @Test func tooManyConnectionsInAllAreRefused() async throws {
        let server = try await TestServer(limits: TCPLimits(maxConnections: 1))
        defer { server.listener.stop() }
        let first = try RawClient(port: server.port)
        #expect(await eventually { server.counters.connectionsOpen == 1 })
        let second = try RawClient(port: server.port)
        #expect(second.waitForClose())
        #expect(server.counters.refusedTooManyConnections == 1)
        // Once the first one goes, there is room again.
        _ = first
        #expect(server.counters.connectionsAccepted == 1)
    }

    @Test func oversizeUnreadInputClosesTheConnection() async throws {
        // A handler that never consumes (a message that never completes) lets input pile up.
        let server = try await TestServer(limits: TCPLimits(maxInputBytes: 1024), consume: false)
        defer { server.listener.stop() }
        let recorder = Recorder()
        let stream = try client(recorder, to: server)
        #expect(await eventually { recorder.handshakes == 1 })
        stream.send([UInt8](repeating: 0x41, count: 600))
        try await Task.sleep(for: .milliseconds(50))
        #expect(server.counters.closed(.inputLimit) == 0, "600 bytes are within the limit")
        stream.send([UInt8](repeating: 0x41, count: 600))
        #expect(await eventually { server.counters.closed(.inputLimit) == 1 })
        #expect(await eventually { server.recorder.closes.first?.detail.contains("over the limit of 1024") == true })
        #expect(await eventually { !recorder.closes.isEmpty })
    }

    @Test func peerThatDoesNotReadIsClosedAtTheOutputLimit() async throws {
        let chunk = [UInt8](repeating: 0x42, count: 65_536)
        let server = try await TestServer(limits: TCPLimits(maxOutputBytes: 262_144)) { stream in
            // Far more than the kernel's loopback buffers hold: the rest must pile up in Sotto.
            for _ in 0..<512 where stream.state == .open {
                chunk.withUnsafeBytes { _ = stream.sendOnLoop($0) }
            }
        }
        defer { server.listener.stop() }
        let recorder = Recorder()
        let clientLoop = EventLoop(label: "test.stalled-client")
        _ = try TLSStream.connect(
            to: SocketAddress(ip: "127.0.0.1", port: server.port),
            context: TLSContext(.client(serverName: "localhost", caFile: certificates.caFile)),
            loop: clientLoop, logger: recorder.logger,
            handlers: TLSStreamHandlers(
                onHandshake: { _ in clientLoop.queue.suspend() },  // stop reading, like a stuck peer
                onData: { _, bytes in bytes.count }))
        #expect(await eventually { server.counters.closed(.outputLimit) == 1 })
        #expect(await eventually { server.recorder.closes.first?.detail.contains("unread") == true })
        clientLoop.queue.resume()
    }
}
