import Admin
import AdminProtocol
import Foundation
import Logging
import SottoTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Who the next connection is treated as: the tests cannot connect as other uids, so the server's
/// `peerIdentity` seam asks this. Set it, connect, and wait for a reply before the next.
final class NextPeer: Sendable {
    private let uid = Mutex<UInt32>(0)

    func set(_ value: UInt32) { uid.withLock { $0 = value } }

    func install(_ configuration: inout AdminServerConfiguration) {
        configuration.peerUID = { [self] _ in uid.withLock { $0 } }
    }
}

/// The admin socket's limits on abuse: reserved connections, connections per uid, snapshots and refusals per
/// connection, bounded audit lines for refusals, and a safe socket directory.
@Suite struct AdminLimitTests {
    static let viewers: Set<UInt32> = Set(5001...5020)
    static let access = AdminAccess(
        uids: [.viewer: viewers, .operator: [6001, 6002], .admin: [7001], .auditor: [8001]])

    /// A client connected as `uid`, checked to be admitted (it answers `version`).
    func connect(_ running: RunningServer, _ next: NextPeer, as uid: UInt32) throws -> TestClient {
        next.set(uid)
        let client = try running.client()
        _ = try client.result(AdminVersion.self, 1, "version")
        return client
    }

    /// The refusal line a client connected as `uid` gets, or nil if it was admitted.
    func refusal(_ running: RunningServer, _ next: NextPeer, as uid: UInt32) throws -> String? {
        next.set(uid)
        let client = try running.client()
        client.send(line: #"{"id":1,"cmd":"version"}"#)
        let reply = try client.reply()
        guard errorCode(reply) != nil else { return nil }
        #expect(client.readLine() == .closed)
        return errorMessage(reply)
    }

    @Test func theLastConnectionsAreKeptForOperatorsAndAdmins() throws {
        let next = NextPeer()
        let running = try RunningServer(access: Self.access) {
            $0.maxConnections = 6
            $0.reservedConnections = 2
            next.install(&$0)
        }
        var held: [TestClient] = []
        for uid in UInt32(5001)...5004 { held.append(try connect(running, next, as: uid)) }
        // A fifth viewer would take a reserved slot.
        let refused = try refusal(running, next, as: 5005)
        #expect(refused?.contains("kept for operators, admins and auditors") == true, "\(refused ?? "admitted")")
        #expect(running.server.refusedConnections("reserved") == 1)
        // An operator and an auditor still get in.
        held.append(try connect(running, next, as: 6001))
        held.append(try connect(running, next, as: 8001))
        // Now the total limit holds for everyone.
        #expect(try refusal(running, next, as: 6002)?.contains("too many admin connections") == true)
        #expect(running.server.connectionCount == 6)
    }

    @Test func oneUIDCannotTakeMoreThanItsShare() throws {
        let next = NextPeer()
        let running = try RunningServer(access: Self.access) {
            $0.maxConnectionsPerUID = 3
            next.install(&$0)
        }
        var held: [TestClient] = []
        for _ in 0..<3 { held.append(try connect(running, next, as: 5001)) }
        let refused = try refusal(running, next, as: 5001)
        #expect(refused?.contains("uid 5001 already has 3 admin connections open") == true, "\(refused ?? "admitted")")
        #expect(running.server.refusedConnections("per uid") == 1)
        // Another uid is not affected; and once one of 5001's closes, 5001 may connect again.
        held.append(try connect(running, next, as: 5002))
        held.removeFirst()
        #expect(eventually { running.server.connectionCount == 3 })
        held.append(try connect(running, next, as: 5001))
    }

    @Test func snapshotsArePacedPerConnection() throws {
        let running = try RunningServer {
            $0.snapshotLimit = AdminRateLimit(perSecond: 0.001, burst: 3)
        }
        let client = try running.client()
        for (id, command) in ["sessions", "stats", "metrics"].enumerated() {
            #expect(errorCode(try client.call(id, command)) == nil)
        }
        let limited = try client.call(9, "sessions")
        #expect(errorCode(limited) == "rate_limited", "\(limited)")
        #expect(errorMessage(limited).contains("per connection"))
        #expect(errorCode(try client.call(10, "session", ["id": 1])) == "rate_limited")
        // Commands that take no snapshot are not limited; another connection has its own allowance.
        #expect(errorCode(try client.call(11, "version")) == nil)
        #expect(errorCode(try running.client().call(12, "sessions")) == nil)
        #expect(running.server.rateLimited("snapshots") == 2)
    }

    @Test func watchFramesPastTheAllowanceAreSkipped() throws {
        let running = try RunningServer {
            $0.snapshotLimit = AdminRateLimit(perSecond: 0.001, burst: 2)
        }
        let client = try running.client()
        client.send(line: #"{"id":1,"cmd":"watch","args":{"interval_ms":100}}"#)
        #expect(try client.reply()["id"] as? Int == 1)
        #expect(try client.reply()["id"] as? Int == 1)
        #expect(eventually { running.server.rateLimited("watch") >= 3 })
        client.setTimeout(.milliseconds(300))
        #expect(client.readLine() == .timedOut)
    }

    @Test func refusedRequestsPastTheAllowanceAreNotEvenRead() throws {
        let running = try RunningServer(access: AdminAccess(uids: [.viewer: [getuid()]])) {
            $0.refusalLimit = AdminRateLimit(perSecond: 0.001, burst: 3)
        }
        let client = try running.client()
        #expect(errorCode(try client.call(1, "no-such-command")) == "unknown_command")
        client.send(line: "junk")
        #expect(errorCode(try client.reply()) == "bad_request")
        #expect(errorCode(try client.call(3, "terminate", ["id": 1])) == "forbidden")
        // Out of refusals: everything is turned away, unread and unaudited, a valid request included.
        let limited = try client.call(4, "terminate", ["id": 2])
        #expect(errorCode(limited) == "rate_limited", "\(limited)")
        #expect(errorMessage(limited).contains("too many refused requests"))
        #expect(errorCode(try client.call(5, "version")) == "rate_limited")
        #expect(running.server.rateLimited("refusals") == 2)
        let audited = try String(contentsOfFile: running.auditPath, encoding: .utf8).split(separator: "\n")
        #expect(audited.count == 1)
        // Another connection is not affected.
        #expect(errorCode(try running.client().call(6, "version")) == nil)
    }

    @Test func refusedArgumentsAreCutInTheAuditLog() throws {
        let running = try RunningServer(access: AdminAccess(uids: [.viewer: [getuid()]]))
        let client = try running.client()
        var arguments: [String: Any] = ["id": String(repeating: "9", count: 60_000)]
        for index in 0..<20 { arguments[String(repeating: "k", count: 200) + "\(index)"] = "v" }
        #expect(errorCode(try client.call(1, "terminate", arguments)) == "forbidden")
        let line = try String(contentsOfFile: running.auditPath, encoding: .utf8)
        #expect(line.utf8.count < 4096, "\(line.utf8.count) bytes")
        let args = try #require(parse(String(line.dropLast()))["args"] as? [String: String])
        #expect(args["id"]?.hasSuffix("…(60000 bytes)") == true)
        #expect(args["…"] == "13 more arguments left out")
        #expect(AuditLog.verify(path: running.auditPath).isValid)
    }

    @Test func aFloodOfRefusalsWritesABoundedAuditAndOneSummary() throws {
        let next = NextPeer()
        let running = try RunningServer(access: Self.access) {
            $0.auditRefusalLimit = AdminRateLimit(perSecond: 0.001, burst: 5)
            $0.refusalLimit = AdminRateLimit(perSecond: 1000, burst: 1000)
            next.install(&$0)
        }
        let viewer = try connect(running, next, as: 5001)
        for id in 0..<50 {
            #expect(errorCode(try viewer.call(id, "terminate", ["id": 1])) == "forbidden")
        }
        #expect(try String(contentsOfFile: running.auditPath, encoding: .utf8).split(separator: "\n").count == 5)
        #expect(running.server.auditLinesSuppressed == 45)
        // The next line written is preceded by one line saying what was left out.
        let admin = try connect(running, next, as: 7001)
        #expect(errorCode(try admin.call(1, "log-level", ["level": "debug"])) == nil)
        let records = try String(contentsOfFile: running.auditPath, encoding: .utf8).split(separator: "\n").map {
            parse(String($0))
        }
        #expect(records.count == 7)
        #expect(records[5]["cmd"] as? String == "audit-suppressed")
        #expect((records[5]["args"] as? [String: String])?["refusals"] == "45")
        #expect(records[6]["cmd"] as? String == "log-level")
        #expect(AuditLog.verify(path: running.auditPath).isValid)
    }

    @Test func aFloodThatStopsStillGetsItsSummaryLine() throws {
        // The idle sweep (a quarter of the idle timeout) writes the summary when no other line comes.
        let running = try RunningServer(access: AdminAccess(uids: [.viewer: [getuid()]])) {
            $0.auditRefusalLimit = AdminRateLimit(perSecond: 0.001, burst: 1)
            $0.idleTimeout = .milliseconds(400)
        }
        let client = try running.client()
        for id in 0..<4 {
            #expect(errorCode(try client.call(id, "terminate", ["id": 1])) == "forbidden")
        }
        let written = {
            (try? String(contentsOfFile: running.auditPath, encoding: .utf8))?.split(separator: "\n").map {
                parse(String($0))
            } ?? []
        }
        // One summary normally; more if a sweep came between the refusals on a slow machine.
        let suppressed = {
            written().filter { $0["cmd"] as? String == "audit-suppressed" }.compactMap {
                ($0["args"] as? [String: String])?["refusals"].flatMap { Int($0) }
            }.reduce(0, +)
        }
        #expect(eventually { suppressed() == 3 })
        #expect(written().filter { $0["cmd"] as? String == "terminate" }.count == 1)
    }

    @Test func rotatingTheAuditLogOnRequestKeepsTheChain() throws {
        let running = try RunningServer(access: AdminAccess(uids: [.operator: [getuid()]]))
        let client = try running.client()
        #expect(errorCode(try client.call(1, "log-level", ["level": "debug"])) == nil)
        running.server.rotateAuditLog()  // what the relay does on SIGHUP
        let rotated = {
            ((try? FileManager.default.contentsOfDirectory(atPath: running.directory.path)) ?? [])
                .filter { $0.hasPrefix("audit.log.") }
        }
        #expect(eventually { rotated().count == 1 })
        #expect(errorCode(try client.call(2, "log-level", ["level": "info"])) == nil)
        let files = AuditFiles.chainOrder(rotated().map { running.directory.file($0) } + [running.auditPath]).chain
        let reports = AuditLog.verify(paths: files, expectedHead: running.server.auditLog.head)
        #expect(reports.count == 2 && reports.allSatisfy { $0.verification.isValid }, "\(reports)")
    }

    // MARK: - The socket's directory

    func makeServer(socket path: String, _ directory: TemporaryDirectory) throws(AdminServerError) -> AdminServer {
        try AdminServer(
            configuration: AdminServerConfiguration(
                socketPath: path, access: AdminAccess(uids: [.admin: [getuid()]]),
                auditLogPath: directory.file("audit.log")),
            backend: FakeAdminBackend(), logger: Logger(label: "admin-test") { _ in SwiftLogNoOpLogHandler() })
    }

    @Test func aMissingDirectoryIsCreatedPrivate() throws {
        let directory = try TemporaryDirectory()
        let server = try makeServer(socket: directory.file("run/sotto/admin.sock"), directory)
        defer { server.stop() }
        var info = stat()
        #expect(stat(directory.file("run/sotto"), &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o750)
    }

    @Test(arguments: [(0o777, false), (0o775, false), (0o1777, true), (0o755, true), (0o700, true)])
    func aDirectoryOthersCanWriteIsRefused(mode: Int, accepted: Bool) throws {
        let directory = try TemporaryDirectory()
        let socketDirectory = directory.file("run")
        #expect(mkdir(socketDirectory, 0o700) == 0)
        #expect(chmod(socketDirectory, mode_t(mode)) == 0)
        do {
            let server = try makeServer(socket: socketDirectory + "/admin.sock", directory)
            server.stop()
            #expect(accepted, "mode 0\(String(mode, radix: 8)) was accepted")
        } catch {
            #expect(!accepted, "mode 0\(String(mode, radix: 8)): \(error)")
            #expect(error.code == .unsafeDirectory)
            #expect(error.reason.contains("chmod go-w"), "\(error.reason)")
        }
    }

    @Test func aDirectoryOwnedBySomeoneElseIsRefused() throws {
        let directory = try TemporaryDirectory()
        let socketDirectory = directory.file("run")
        #expect(mkdir(socketDirectory, 0o755) == 0)
        guard chown(socketDirectory, 65534, 65534) == 0 else {
            Issue.record("this test needs to run as root (chown)")
            return
        }
        #expect(throws: AdminServerError(.unsafeDirectory, "")) {
            _ = try makeServer(socket: socketDirectory + "/admin.sock", directory)
        }
    }
}
