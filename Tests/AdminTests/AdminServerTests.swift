import Admin
import AdminProtocol
import Foundation
import Logging
import SottoTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The socket file's life: mode and group, stale sockets, a live one, stop; and the fixture executable.
@Suite struct AdminServerTests {
    func makeServer(_ path: String, audit: String) throws(AdminServerError) -> AdminServer {
        var logger = Logger(label: "admin-test")
        logger.logLevel = .critical
        return try AdminServer(
            configuration: AdminServerConfiguration(
                socketPath: path, access: AdminAccess(uids: [.admin: [getuid()]]), auditLogPath: audit),
            backend: FakeAdminBackend(), logger: logger)
    }

    @Test func theSocketIs0660InItsGroupAndGoesAwayOnStop() throws {
        let running = try RunningServer(configure: { $0.socketGroup = 65534 })
        var info = stat()
        #expect(lstat(running.socketPath, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        #expect(info.st_mode & 0o777 == 0o660)
        #expect(info.st_gid == 65534)
        running.server.stop()
        #expect(access(running.socketPath, F_OK) != 0)
        running.server.stop()  // idempotent
    }

    @Test func aStaleSocketIsReplaced() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("admin.sock")
        // A socket file nobody listens on, as a crashed relay leaves behind.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(bound == 0)
        close(fd)
        let server = try makeServer(path, audit: directory.file("audit.log"))
        server.start()
        defer { server.stop() }
        #expect(answersVersion(path))
    }

    @Test func aLiveSocketIsLeftAlone() throws {
        let running = try RunningServer()
        #expect(throws: AdminServerError(.alreadyListening, "")) {
            _ = try makeServer(running.socketPath, audit: running.directory.file("other-audit.log"))
        }
        #expect(answersVersion(running.socketPath))
    }

    @Test func somethingElseAtThePathIsLeftAlone() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("admin.sock")
        try "precious".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(throws: AdminServerError(.invalidSocketPath, "")) {
            _ = try makeServer(path, audit: directory.file("audit.log"))
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious")
    }

    @Test func badPathsAreRefused() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: AdminServerError(.invalidSocketPath, "")) {
            _ = try makeServer("/tmp/" + String(repeating: "x", count: 110), audit: directory.file("audit.log"))
        }
        try "a file".write(toFile: directory.file("file"), atomically: false, encoding: .utf8)
        #expect(throws: AdminServerError(.unsafeDirectory, "")) {
            _ = try makeServer(directory.file("file/admin.sock"), audit: directory.file("audit.log"))
        }
        #expect(throws: AdminServerError(.auditLogFailed, "")) {
            _ = try makeServer(directory.file("admin.sock"), audit: directory.path)
        }
        // Nothing was left behind.
        #expect(access(directory.file("admin.sock"), F_OK) != 0)
    }

    // MARK: - The fixture executable

    /// Starts the fixture (its stdin held open: closing it ends the fixture) and waits for `ready`.
    func startFixture(_ arguments: [String]) async throws -> ChildProcess {
        let fixture = try ChildProcess(
            BuildProducts.path("admin-fixture-server"), arguments, stdin: .open, stderr: .null)
        try await fixture.waitForOutput("ready\n")
        #expect(fixture.stdout == "ready\n")
        return fixture
    }

    @Test func theFixtureServesRolesAndAuditAndExitsWhenStdinCloses() async throws {
        let directory = try TemporaryDirectory()
        let socket = directory.file("fixture.sock")
        let audit = directory.file("audit.log")
        let fixture = try await startFixture([
            "--socket", socket, "--audit", audit, "--viewer", "uid:\(getuid())", "--operator", "uid:4242",
        ])
        let client = try TestClient(path: socket)
        #expect(try client.result(AdminVersion.self, 1, "version").version == FakeAdminBackend.version)
        let sessions = try client.result([AdminSession].self, 2, "sessions")
        #expect(sessions.map(\.id) == [1, 2])
        #expect(errorCode(try client.call(3, "terminate", ["id": 1])) == "forbidden")
        guard case .valid(1, _) = AuditLog.verify(path: audit) else {
            Issue.record("the refusal was not audited: \(AuditLog.verify(path: audit))")
            return
        }
        fixture.closeInput()
        #expect(try await fixture.exitStatus() == 0)
        #expect(access(socket, F_OK) != 0)
    }

    @Test func theFixtureTerminatesAndExitsOnSIGTERM() async throws {
        let directory = try TemporaryDirectory()
        let socket = directory.file("fixture.sock")
        let fixture = try await startFixture([
            "--socket", socket, "--audit", directory.file("audit.log"), "--admin", "user:root",
        ])
        let client = try TestClient(path: socket)
        #expect(try client.result(AdminDone.self, 1, "terminate", ["id": 2]).message.contains("2"))
        #expect(try client.result([AdminSession].self, 2, "sessions").map(\.id) == [1])
        #expect(errorCode(try client.call(3, "log-level", ["level": "debug"])) == nil)
        let config = try client.result(AdminConfig.self, 4, "config")
        #expect(config["sip"]?["key"] != nil)
        fixture.signal(SIGTERM)
        #expect(try await fixture.exitStatus() == 0)
        #expect(access(socket, F_OK) != 0)
    }

    @Test func theFixtureRejectsBadFlags() async throws {
        let result = try await ChildProcess.run(
            BuildProducts.path("admin-fixture-server"),
            ["--socket", "/tmp/x.sock", "--audit", "/tmp/x.log", "--viewer", "user:no-such-user-sotto"], stderr: .null)
        #expect(result.status == 2)
    }
}
