import Admin
import AdminProtocol
import Foundation
import Logging
import SottoTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A running in-process admin server over a ``FakeAdminBackend``, stopped when the value goes away.
final class RunningServer: Sendable {
    let directory: TemporaryDirectory
    let server: AdminServer
    let backend: FakeAdminBackend
    let socketPath: String
    let auditPath: String

    init(
        access: AdminAccess = AdminAccess(uids: [.admin: [getuid()]]), backend: FakeAdminBackend = FakeAdminBackend(),
        auditPath: String? = nil,
        configure: (inout AdminServerConfiguration) -> Void = { _ in }
    ) throws {
        directory = try TemporaryDirectory("sotto-admin")
        socketPath = directory.file("admin.sock")
        self.auditPath = auditPath ?? directory.file("audit.log")
        var configuration = AdminServerConfiguration(
            socketPath: socketPath, access: access, auditLogPath: self.auditPath)
        configure(&configuration)
        var logger = Logger(label: "admin-test")
        // SOTTO_ADMIN_TEST_LOG=debug shows the server's log when a test needs looking into.
        logger.logLevel =
            ProcessInfo.processInfo.environment["SOTTO_ADMIN_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) }
            ?? .critical
        self.backend = backend
        server = try AdminServer(configuration: configuration, backend: backend, logger: logger)
        server.start()
    }

    func client() throws -> TestClient { try TestClient(path: socketPath) }

    deinit {
        server.stop()
    }
}

/// What a read brought.
enum ReadResult: Equatable {
    case line(String)
    case closed
    case timedOut
}

struct ClientError: Error, CustomStringConvertible {
    var description: String
}

/// A blocking test client on the admin socket, with a receive timeout so a stuck server fails the test.
final class TestClient {
    let fd: Int32
    private var buffer = [UInt8]()

    init(path: String, timeout: Duration = .seconds(5)) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ClientError(description: "socket: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard status == 0 else {
            let error = errno
            Glibc.close(fd)
            throw ClientError(description: "connect to \(path): \(String(cString: strerror(error)))")
        }
        setTimeout(timeout)
    }

    deinit { Glibc.close(fd) }

    func setTimeout(_ timeout: Duration) {
        var value = timeval(
            tv_sec: Int(timeout.components.seconds), tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends all of `bytes`; false if the server closed (EPIPE/ECONNRESET).
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += count
        }
        return true
    }

    @discardableResult
    func send(line: String) -> Bool { send(Array((line + "\n").utf8)) }

    /// The next line (newline stripped), or closed/timed out.
    func readLine() -> ReadResult {
        while true {
            if let newline = buffer.firstIndex(of: 0x0a) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeFirst(newline + 1)
                return .line(line)
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer += chunk[0..<count]
                continue
            }
            if count == 0 { return .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN: return .timedOut
            default: return .closed  // ECONNRESET: the server closed with our bytes unread
            }
        }
    }

    /// Reads and drops everything until the server closes; the bytes read, or nil on timeout.
    func drainToClose() -> Int? {
        var total = buffer.count
        buffer.removeAll()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                total += count
                continue
            }
            if count == 0 { return total }
            if errno == EINTR { continue }
            return errno == EAGAIN ? nil : total
        }
    }

    /// Sends a request and returns the reply as a JSON object.
    func call(_ id: Int, _ cmd: String, _ args: [String: Any] = [:]) throws -> [String: Any] {
        var request: [String: Any] = ["id": id, "cmd": cmd]
        if !args.isEmpty { request["args"] = args }
        let data = try JSONSerialization.data(withJSONObject: request)
        send(Array(data) + [0x0a])
        return try reply()
    }

    /// The next line as a JSON object.
    func reply() throws -> [String: Any] {
        switch readLine() {
        case .line(let line):
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw ClientError(description: "not a JSON object: \(line)")
            }
            return object
        case .closed: throw ClientError(description: "the server closed the connection")
        case .timedOut: throw ClientError(description: "no reply in time")
        }
    }

    /// Sends a request and decodes its result as `T` (throws on an error reply).
    func result<T: Decodable>(_ type: T.Type, _ id: Int, _ cmd: String, _ args: [String: Any] = [:]) throws -> T {
        let object = try call(id, cmd, args)
        guard (object["id"] as? Int) == id else { throw ClientError(description: "wrong id in \(object)") }
        guard let result = object["result"] else { throw ClientError(description: "an error: \(object)") }
        let data = try JSONSerialization.data(withJSONObject: result, options: [.fragmentsAllowed])
        return try JSONDecoder().decode(T.self, from: data)
    }
}

/// The error code of a reply, or nil for a result.
func errorCode(_ reply: [String: Any]) -> String? {
    (reply["error"] as? [String: Any])?["code"] as? String
}

/// The error message of a reply.
func errorMessage(_ reply: [String: Any]) -> String {
    (reply["error"] as? [String: Any])?["message"] as? String ?? ""
}

/// A fresh client gets `version` back within `limit`: the server is still answering.
func answersVersion(_ path: String, within limit: Duration = .seconds(3)) -> Bool {
    let clock = ContinuousClock()
    let start = clock.now
    guard let client = try? TestClient(path: path, timeout: limit),
        let version = try? client.result(AdminVersion.self, 99, "version")
    else { return false }
    return version.version == FakeAdminBackend.version && clock.now - start < limit
}

/// Runs a python3 admin client as uid/gid 65534 (nobody) with no supplementary groups, through `setpriv`.
/// Each request line is sent in turn and its reply printed; with none, it prints the first line the server
/// sends unprompted. Output lines: the reply, `EOF`, or `CONNECT_ERROR <errno>`.
func runAsNobody(socket path: String, requests: [String]) async throws -> [String] {
    let script = """
        import socket, sys
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(sys.argv[1])
        except OSError as e:
            print("CONNECT_ERROR", e.errno); sys.exit(0)
        f = s.makefile("rb")
        def show():
            try:
                line = f.readline()
            except OSError:
                line = b""
            print(line.decode().rstrip("\\n") if line else "EOF", flush=True)
        if len(sys.argv) == 2:
            show(); show()
        for request in sys.argv[2:]:
            try:
                s.sendall(request.encode() + b"\\n")
            except OSError:
                pass
            show()
        """
    let result = try await ChildProcess.run(
        "/usr/bin/setpriv",
        ["--reuid", "65534", "--regid", "65534", "--clear-groups", "/usr/bin/python3", "-c", script, path] + requests,
        stderr: .null)
    return result.stdout.split(separator: "\n").map(String.init)
}

/// A JSON reply line parsed.
func parse(_ line: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:]
}

/// Waits (polling, bounded) for `condition`; for events the server reports, not for time to pass.
func eventually(within limit: Duration = .seconds(20), _ condition: () -> Bool) -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + limit
    while clock.now < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
