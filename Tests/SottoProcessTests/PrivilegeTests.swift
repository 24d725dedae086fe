import Foundation
import Glibc
import SottoTestSupport
import Testing

/// Root, the switch to `process.run_as_user`, core dumps and SIGPIPE, on the real `sotto`.
@Suite(.serialized) struct PrivilegeTests {
    static let runningAsRoot = geteuid() == 0

    @Test(.enabled(if: runningAsRoot, "needs root"))
    func rootWithoutRunAsOrAllowRootIsRefused() async throws {
        let setup = try await SottoSetup()
        let config = try setup.writeConfig()
        let result = try await setup.runToEnd(["--config", config])
        #expect(result.status == 78, "\(result.stdout)")
        #expect(result.stdout.contains("\(config): process.run_as_user: Sotto was started as root"))
        #expect(!FileManager.default.fileExists(atPath: setup.adminSocket), "refused before binding anything")
    }

    @Test(.enabled(if: runningAsRoot, "needs root"))
    func rootSwitchesToRunAsUserOnceBound() async throws {
        let setup = try await SottoSetup()
        // The account Sotto switches to may own the admin socket's directory (and write its audit log there).
        chown(setup.run, SottoSetup.nobody, SottoSetup.nobody)
        chmod(setup.run, 0o750)
        let config = try setup.writeConfig(extra: "[process]\nrun_as_user = \"nobody\"\n")
        let relay = try setup.start(["--config", config])
        try await relay.waitForOutput("sotto is running")
        #expect(relay.stdout.contains("running as nobody"))
        let nobody = String(SottoSetup.nobody)
        #expect(SottoSetup.procFields(relay.pid, "status", "Uid:") == [nobody, nobody, nobody, nobody])
        #expect(SottoSetup.procFields(relay.pid, "status", "Gid:") == [nobody, nobody, nobody, nobody])
        #expect(SottoSetup.procFields(relay.pid, "status", "Groups:") == [nobody])
        // Every thread (the media loops and Dispatch's workers started before the switch), not only the main one.
        let threads = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(relay.pid)/task")
        #expect(threads.count > 1)
        for thread in threads {
            let uids = SottoSetup.procFields(relay.pid, "task/\(thread)/status", "Uid:")
            #expect(uids.isEmpty || uids == [nobody, nobody, nobody, nobody], "thread \(thread): \(uids)")
        }
        // Still the relay: the admin socket it bound as root answers.
        #expect(FileManager.default.fileExists(atPath: setup.adminSocket))
        relay.signal(SIGTERM)
        #expect(try await relay.exitStatus() == 0)
    }

    /// Started unprivileged (setpriv, no run_as), so that /proc/PID's owner tells whether the process is dumpable:
    /// its own uid when it is, root when it is not.
    @Test(.enabled(if: runningAsRoot, "needs root to start sotto as nobody"))
    func coreDumpsAreOff() async throws {
        let setup = try await SottoSetup()
        let config = try setup.writeConfig()
        let relay = try setup.start(
            ["--config", config], launcher: ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        try await relay.waitForOutput("sotto is running")
        #expect(SottoSetup.procFields(relay.pid, "status", "Uid:").first == String(SottoSetup.nobody))
        #expect(SottoSetup.procOwner(relay.pid) == 0, "PR_SET_DUMPABLE 0 makes /proc/PID root's")
        #expect(SottoSetup.procFields(relay.pid, "limits", "Max core file size").prefix(2) == ["0", "0"])
        relay.signal(SIGTERM)
        #expect(try await relay.exitStatus() == 0)
    }

    /// The log goes into a FIFO whose reader closes: the next log line meets a broken pipe, which must not end
    /// the relay (SIGPIPE's default would, status 141). Debian's libsrtp2 also ignores SIGPIPE as a side effect
    /// (its NSS backend's NSPR does, inside srtp_init), so with that build this guards the behaviour rather than
    /// sotto's own `signal(SIGPIPE, SIG_IGN)`, which keeps it with a libsrtp2 built without NSS.
    @Test func aClosedLogPipeDoesNotKillTheRelay() async throws {
        let setup = try await SottoSetup()
        let config = try setup.writeConfig(extra: "[process]\nallow_root = true\n")
        let fifo = setup.directory.file("log.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        // The reader first, so the child's open for writing does not wait for one.
        let reader = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        #expect(reader >= 0)
        let relay = try ChildProcess(
            BuildProducts.path("sotto"), ["--config", config], stdout: .null, stderr: .file(fifo))
        var log = ""
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + .seconds(30)
        while !log.contains("sotto is running") && ContinuousClock.now < deadline && relay.isRunning {
            let count = read(reader, &buffer, buffer.count)
            if count > 0 {
                log += String(decoding: buffer.prefix(count), as: UTF8.self)
            } else {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        #expect(log.contains("sotto is running"), "\(log)")
        close(reader)
        // Draining and stopping are logged: both writes meet the broken pipe.
        relay.signal(SIGTERM)
        #expect(try await relay.exitStatus() == 0)
    }
}
