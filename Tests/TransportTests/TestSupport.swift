import Foundation
import SottoTestSupport
import Synchronization
import TLS
import Transport

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
    ) async throws {
        let certificates = try await TestCertificates.shared
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

/// `openssl s_client` against a test server, what it writes (stdout and stderr) collected as it comes.
///
/// ``finish()`` closes its stdin (s_client then sends close_notify and exits) and kills it if it has not exited
/// within 3 s.
final class SClient: Sendable {
    let child: ChildProcess

    init(port: UInt16, _ extra: [String]) async throws {
        let certificates = try await TestCertificates.shared
        child = try ChildProcess(
            "/usr/bin/openssl",
            [
                "s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost", "-CAfile",
                certificates.caFile, "-verify_return_error",
            ] + extra, stdin: .open, stdout: .capture, stderr: .standardOutput)
    }

    var text: String { child.stdout }

    func send(_ line: String) { child.write(line) }

    /// Ends the client and returns its exit status (128 + 9 when it had to be killed).
    func finish() async -> Int32 {
        child.closeInput()
        return (try? await child.exitStatus(timeout: .seconds(3))) ?? 128 + SIGKILL
    }
}
