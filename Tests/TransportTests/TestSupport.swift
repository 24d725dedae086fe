import Foundation
import SottoTestSupport
import Synchronization
import TLS
import Transport

/// Polls `condition` until it holds or `timeout` passes: waits for an event, never for time.
func eventually(_ timeout: Duration = .seconds(15), _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// What one side of a connection saw, written on the loop, read by the test.
final class Recorder: Sendable {
    struct Seen {
        var handshakes = 0
        var received: [UInt8] = []
        var closes: [TCPCloseReason] = []
        var logs: [String] = []
    }

    let seen = Mutex(Seen())

    var received: [UInt8] { seen.withLock { $0.received } }
    var closes: [TCPCloseReason] { seen.withLock { $0.closes } }
    var handshakes: Int { seen.withLock { $0.handshakes } }
    var logs: [String] { seen.withLock { $0.logs } }

    var logger: TransportLogger {
        TransportLogger { _, line in self.seen.withLock { $0.logs.append(line) } }
    }

    /// Records everything; consumes every byte, echoing it back when `echo` is set.
    func handlers(echo: Bool = false, consume: Bool = true) -> TLSStreamHandlers {
        TLSStreamHandlers(
            onHandshake: { _ in self.seen.withLock { $0.handshakes += 1 } },
            onData: { stream, bytes in
                guard consume else { return 0 }
                self.seen.withLock { $0.received += bytes }
                if echo { stream.sendOnLoop(bytes) }
                return bytes.count
            },
            onClose: { _, reason in self.seen.withLock { $0.closes.append(reason) } }
        )
    }
}

/// A server-role TLS listener on loopback with Sotto's own handlers, stopped at the end of a test.
struct TestServer {
    let loop = EventLoop(label: "test.server")
    let listener: TCPListener
    let recorder = Recorder()
    let context: TLSContext

    init(
        host: String = "127.0.0.1",
        limits: TCPLimits = TCPLimits(),
        requireClientCertificate: Bool = false,
        echo: Bool = true,
        consume: Bool = true,
        onHandshake: (@Sendable (TLSStream) -> Void)? = nil
    ) throws {
        let certificates = TestCertificates.shared
        context = try TLSContext(
            .server(
                certificateChainFile: certificates.serverECDSA.chain, privateKeyFile: certificates.serverECDSA.key,
                clientCAFile: certificates.caFile, requireClientCertificate: requireClientCertificate))
        let recorder = self.recorder
        listener = try TCPListener(
            address: SocketAddress(ip: host, port: 0), context: context, loop: loop, limits: limits,
            logger: recorder.logger
        ) { _ in
            var handlers = recorder.handlers(echo: echo, consume: consume)
            if let onHandshake {
                let recordHandshake = handlers.onHandshake
                handlers.onHandshake = { stream in
                    recordHandshake(stream)
                    onHandshake(stream)
                }
            }
            return handlers
        }
        listener.start()
    }

    var port: UInt16 { listener.localAddress.port }
    var counters: TransportCounters { listener.counters }
}

/// A plain TCP socket for playing a silent or misbehaving peer.
final class RawClient {
    let fd: Int32

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard status == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Blocks (at most 5 s) until the server closes; true on end of file or reset.
    func waitForClose() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 { continue }
            return count == 0 || errno == ECONNRESET
        }
    }
}

/// Runs `openssl s_client` and collects its output on a reader thread.
///
/// No `timeout(1)` wrapper and no SIGTERM: a child spawned from a Dispatch worker thread inherits
/// its blocked signal mask, so neither would work. ``finish()`` closes stdin (s_client then sends
/// close_notify and exits) and kills with SIGKILL if it has not exited within 3 s.
final class SClient: Sendable {
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    let collected = Collected()

    final class Collected: Sendable {
        let data = Mutex<[UInt8]>([])
        func append(_ more: ArraySlice<UInt8>) { data.withLock { $0 += more } }
    }

    init(port: UInt16, _ extra: [String]) throws {
        let certificates = TestCertificates.shared
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments =
            [
                "s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost", "-CAfile",
                certificates.caFile, "-verify_return_error",
            ] + extra
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // Blocking reads until end of file; no readabilityHandler (it spins at end of file).
        let descriptor = output.fileHandleForReading.fileDescriptor
        let collected = self.collected
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(descriptor, &buffer, buffer.count)
                if count <= 0 { return }
                collected.append(buffer[0..<count])
            }
        }
    }

    var text: String { collected.data.withLock { String(decoding: $0, as: UTF8.self) } }

    func send(_ line: String) {
        input.fileHandleForWriting.write(Data(line.utf8))
    }

    /// Ends the client and returns its exit status.
    func finish() -> Int32 {
        try? input.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + .seconds(3)
        while process.isRunning && ContinuousClock.now < deadline {
            usleep(10_000)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
