import Foundation
import Glibc
import SottoTestSupport
import Testing

/// The real `sotto` under a lowered `RLIMIT_NOFILE` (set with prlimit, which then runs sotto in its place).
@Suite(.serialized) struct DescriptorLimitTests {
    static let allowRoot = "[process]\nallow_root = true\n"

    @Test func theSoftLimitIsRaisedToTheHardOneAndTheRoomIsLogged() async throws {
        let setup = try await SottoSetup()
        let config = try setup.writeConfig(extra: Self.allowRoot)
        let relay = try setup.start(["--config", config], launcher: ["/usr/bin/prlimit", "--nofile=256:4096"])
        try await relay.waitForOutput("sotto is running")
        #expect(SottoSetup.procFields(relay.pid, "limits", "Max open files").prefix(2) == ["4096", "4096"])
        // 4096 less a quarter for TLS connections, less the process's own (64 + 2 for the one loop), over 4.
        #expect(relay.stdout.contains("file descriptors: 4096; room for \((4096 - 1024 - 66) / 4) calls"))
        relay.signal(SIGTERM)
        #expect(try await relay.exitStatus() == 0)
    }

    @Test func maxCallsThatDoNotFitAreRefusedAtStartAndByTheCheck() async throws {
        let setup = try await SottoSetup()
        let config = try setup.writeConfig(
            mediaPorts: "24000-25999", extra: Self.allowRoot + "[calls]\nmax_calls = 100\n")
        // 256 descriptors: 64 kept for connections, 66 for the process, room for 31 calls.
        for arguments in [["--check-config", "--config", config], ["--config", config]] {
            let result = try await setup.runToEnd(arguments, launcher: ["/usr/bin/prlimit", "--nofile=256:256"])
            #expect(result.status == 78, "\(arguments): \(result.stdout)")
            #expect(
                result.stdout.contains(
                    "sotto: \(config): calls.max_calls: 100 calls do not fit: the file-descriptor limit (256) "
                        + "leaves room for 31 calls"))
            #expect(result.stdout.contains("set calls.max_calls to at most 31"))
        }
        // The same config fits once the limit is raised.
        let fits = try await setup.runToEnd(
            ["--check-config", "--config", config], launcher: ["/usr/bin/prlimit", "--nofile=1024:1024"])
        #expect(fits.status == 0, "\(fits.stdout)")
    }

    @Test func aPortRangeThatDoesNotFitIsRefused() async throws {
        let setup = try await SottoSetup()
        let config = try setup.writeConfig(mediaPorts: "24000-25999", extra: Self.allowRoot)
        let result = try await setup.runToEnd(
            ["--check-config", "--config", config], launcher: ["/usr/bin/prlimit", "--nofile=256:256"])
        #expect(result.status == 78, "\(result.stdout)")
        #expect(result.stdout.contains("media.ports: 24000-25999 holds 500 calls, which do not fit"))
    }
}
