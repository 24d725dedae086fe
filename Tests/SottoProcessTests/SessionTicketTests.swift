import Foundation
import Glibc
import SottoTestSupport
import Testing

/// The listener issues no stateless session tickets, and phones still resume from the server-side cache; checked
/// with `openssl s_client` against the real `sotto` over TLS 1.2 (where a ticket would carry the master secret).
@Suite(.serialized) struct SessionTicketTests {
    @Test func noTicketIsIssuedAndSessionsResumeById() async throws {
        let setup = try await SottoSetup()
        let config = try setup.writeConfig(extra: "[process]\nallow_root = true\n")
        let relay = try setup.start(["--config", config])
        try await relay.waitForOutput("sotto is running")
        let session = setup.directory.file("session.pem")
        let common = [
            "s_client", "-connect", "127.0.0.1:\(setup.sipPort)", "-tls1_2", "-CAfile", setup.directory.file("ca.pem"),
            "-servername", "localhost",
        ]
        let first = try await ChildProcess.run("/usr/bin/openssl", common + ["-sess_out", session], input: [])
        #expect(first.stdout.contains("Verify return code: 0 (ok)"), "\(first.stdout)")
        #expect(!first.stdout.contains("TLS session ticket"), "a stateless ticket was issued:\n\(first.stdout)")
        let second = try await ChildProcess.run("/usr/bin/openssl", common + ["-sess_in", session], input: [])
        #expect(second.stdout.contains("Reused, TLSv1.2"), "\(second.stdout)")
        relay.signal(SIGTERM)
        #expect(try await relay.exitStatus() == 0)
    }
}
