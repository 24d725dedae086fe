import Foundation
import Glibc
import SottoTestSupport
import Testing

/// `--check-config` binds nothing and opens no audit log, so it runs beside the relay it checks.
@Suite(.serialized) struct CheckConfigTests {
    @Test func theCheckRunsBesideARunningRelay() async throws {
        let setup = try await SottoSetup()
        let config = try setup.writeConfig(extra: "[process]\nallow_root = true\n")
        let relay = try setup.start(["--config", config])
        try await relay.waitForOutput("sotto is running")
        // The running relay holds the SIP port, the admin socket and the audit log (locked).
        let check = try await setup.runToEnd(["--check-config", "--config", config])
        #expect(check.status == 0, "\(check.stdout)")
        #expect(check.stdout.contains("\(config): the configuration is valid (file descriptors: "))
        #expect(relay.isRunning)
        // The relay's admin socket is still its own: the check neither replaced nor removed it.
        var info = stat()
        #expect(stat(setup.adminSocket, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK)
        relay.signal(SIGTERM)
        #expect(try await relay.exitStatus() == 0)
    }

    @Test func theCheckNeitherBindsTheListenerNorOpensTheAuditLog() async throws {
        let setup = try await SottoSetup()
        let held = TCPPortHolder(port: setup.sipPort)
        #expect(held.port == setup.sipPort)
        let config = try setup.writeConfig(extra: "[process]\nallow_root = true\n")
        // An audit log nobody can create: its directory is a regular file.
        let blocker = try setup.directory.write("not-a-directory")
        let text = try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(
            of: setup.auditLog, with: blocker + "/audit.jsonl")
        try text.write(toFile: config, atomically: true, encoding: .utf8)

        let check = try await setup.runToEnd(["--check-config", "--config", config])
        #expect(check.status == 0, "\(check.stdout)")
        #expect(!FileManager.default.fileExists(atPath: setup.adminSocket), "the check bound no admin socket")
        // A real start meets both and says so.
        let start = try await setup.runToEnd(["--config", config])
        #expect(start.status != 0)
        #expect(start.stdout.contains("sip.listen") || start.stdout.contains("audit"), "\(start.stdout)")
    }
}
