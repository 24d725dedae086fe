import Foundation
import SottoTestSupport
import Synchronization
import Testing
import Transport

/// The Unix listener over a real socket file in a temporary directory: mode, group, credentials, stale
/// and live sockets, and stop.
@Suite struct UnixListenerTests {
    /// A temporary directory, removed when the value goes away.
    final class Directory: Sendable {
        let path: String

        init() {
            var template = Array("/tmp/sotto-unix-XXXXXX".utf8CString)
            let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            precondition(made != nil, "mkdtemp failed")
            path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }

        func file(_ name: String) -> String { path + "/" + name }

        deinit {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// Calls `body` with a `sockaddr_un` for `path`.
    static func withAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    /// A blocking client socket connected to `path`, or -1.
    static func connectClient(_ path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard withAddress(path, { connect(fd, $0, $1) }) == 0 else {
            close(fd)
            return -1
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// A socket file nobody listens on, as a crashed process leaves behind.
    static func leaveStaleSocket(_ path: String) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(withAddress(path, { bind(fd, $0, $1) }) == 0)
        close(fd)
    }

    @Test func acceptsWithThePeersCredentialsAndServesAStream() async throws {
        let directory = Directory()
        let path = directory.file("test.sock")
        let loop = EventLoop(label: "test.unix")
        let listener = try UnixListener(path: path, group: getgid(), loop: loop, logger: .none)
        var info = stat()
        #expect(lstat(path, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        #expect(info.st_mode & 0o777 == 0o660)
        #expect(info.st_gid == getgid())
        #expect(!listener.removedStaleSocket)

        let accepted = Mutex<[PeerCredentials?]>([])
        let echoed = Mutex<[UInt8]>([])
        listener.start { stream, credentials in
            accepted.withLock { $0.append(credentials) }
            stream.start(
                ByteStreamHandlers(onData: { stream, bytes in
                    echoed.withLock { $0 += bytes }
                    stream.sendOnLoop(bytes)
                    return bytes.count
                }))
        }
        let client = Self.connectClient(path)
        #expect(client >= 0)
        defer { close(client) }
        _ = Array("ping\n".utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, 0) }
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(recv(client, &buffer, buffer.count, 0) == 5)
        #expect(Array(buffer[0..<5]) == Array("ping\n".utf8))
        let credentials = try #require(accepted.withLock { $0.first } ?? nil)
        #expect(credentials.uid == getuid())
        #expect(credentials.gid == getgid())
        #expect(credentials.pid == getpid())
        #expect(listener.counters.connectionsAccepted == 1)

        listener.stop()
        #expect(await eventually { access(path, F_OK) != 0 })
        // A connection already handed out stays open; its owner closes it.
        _ = Array("again\n".utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, 0) }
        #expect(recv(client, &buffer, buffer.count, 0) == 6)
        listener.stop()  // idempotent
    }

    @Test func aStaleSocketIsReplacedAndALiveOneIsLeftAlone() async throws {
        let directory = Directory()
        let path = directory.file("test.sock")
        Self.leaveStaleSocket(path)
        let loop = EventLoop(label: "test.unix")
        let listener = try UnixListener(path: path, name: "test socket", loop: loop, logger: .none)
        #expect(listener.removedStaleSocket)
        listener.start { stream, _ in stream.close() }
        defer { listener.stop() }

        #expect(throws: TransportError(.addressInUse, "")) {
            _ = try UnixListener(path: path, name: "test socket", loop: loop, logger: .none)
        }
        do {
            _ = try UnixListener(path: path, name: "test socket", loop: loop, logger: .none)
        } catch {
            #expect(error.reason == "another process is listening on the test socket \(path)")
        }
        // Still the first listener's, and still answering.
        let client = Self.connectClient(path)
        #expect(client >= 0)
        close(client)
    }

    @Test func somethingElseAtThePathAndBadPathsAreRefused() throws {
        let directory = Directory()
        let path = directory.file("test.sock")
        try "precious".write(toFile: path, atomically: false, encoding: .utf8)
        let loop = EventLoop(label: "test.unix")
        #expect(throws: TransportError(.invalidAddress, "")) {
            _ = try UnixListener(path: path, loop: loop, logger: .none)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious")
        #expect(throws: TransportError(.invalidAddress, "")) {
            _ = try UnixListener(path: "/tmp/" + String(repeating: "x", count: 110), loop: loop, logger: .none)
        }
        #expect(throws: TransportError(.invalidAddress, "")) {
            try UnixListener.checkPath("")
        }
        #expect(throws: TransportError(.bindFailed, "")) {
            _ = try UnixListener(path: directory.file("missing/test.sock"), loop: loop, logger: .none)
        }
    }

    @Test func stopLeavesAFileThatIsNoLongerItsOwn() throws {
        let directory = Directory()
        let path = directory.file("test.sock")
        let loop = EventLoop(label: "test.unix")
        let first = try UnixListener(path: path, loop: loop, logger: .none)
        // Someone removed the file and another listener took the path.
        unlink(path)
        let second = try UnixListener(path: path, loop: loop, logger: .none)
        loop.queue.sync { first.stop() }
        #expect(access(path, F_OK) == 0)
        loop.queue.sync { second.stop() }
        #expect(access(path, F_OK) != 0)
    }
}
