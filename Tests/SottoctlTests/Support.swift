import Foundation
import SottoTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The executables under test, from the build products folder.
enum Products {
    static let sottoctl = BuildProducts.path("sottoctl")
    static let fixture = BuildProducts.path("admin-fixture-server")
}

/// One `admin-fixture-server`: a real admin server (socket, roles, audit log) over a canned relay with
/// sessions 1 and 2. Stopped by closing its stdin; killed if it is still running when the value goes away.
final class Fixture {
    let directory: TemporaryDirectory
    let socketPath: String
    let auditPath: String
    private let child: ChildProcess

    /// Starts the fixture with `roles` (flags such as `--admin uid:0`) and waits for its `ready`.
    init(roles: [String] = ["--admin", "uid:0"]) async throws {
        directory = try TemporaryDirectory("sottoctl-test")
        socketPath = directory.file("admin.sock")
        auditPath = directory.file("audit.log")
        child = try ChildProcess(
            Products.fixture, ["--socket", socketPath, "--audit", auditPath] + roles, stdin: .open,
            stdout: .capture, stderr: .file(directory.file("fixture.log")))
        // `ready` comes once the socket listens; bounded so a broken fixture fails the test, not hangs it.
        try await child.waitForOutput("ready\n", timeout: .seconds(30))
    }

    /// Stops the fixture: closes its stdin and waits for it to exit (killed after 10 s).
    func stop() async {
        child.closeInput()
        _ = try? await child.exitStatus(timeout: .seconds(10))
    }
}

/// Runs `executable` (sottoctl by default) with `arguments` to the end, stdout and stderr captured; killed, and
/// the test failed, after `timeout`.
func run(
    _ arguments: [String], executable: String = Products.sottoctl, environment: [String: String]? = nil,
    timeout: Duration = .seconds(30)
) async throws -> ChildProcess.Result {
    try await ChildProcess.run(executable, arguments, environment: environment, timeout: timeout)
}

/// Runs sottoctl against `fixture`'s socket.
func sottoctl(_ arguments: [String], on fixture: Fixture) async throws -> ChildProcess.Result {
    try await run(arguments + ["--socket", fixture.socketPath])
}

/// Decodes JSON output.
func decode<Value: Decodable>(_ type: Value.Type, from text: String) throws -> Value {
    try JSONDecoder().decode(type, from: Data(text.utf8))
}

/// A tmux server of the test's own (`tmux -S PATH`), so nothing touches anyone else's sessions; killed when the
/// value goes away, whatever the test's outcome.
final class Tmux {
    static let executable = "/usr/bin/tmux"

    /// The server's socket lives in a temporary directory: tmux leaves its socket file behind when it exits,
    /// and /tmp/tmux-0 should not fill up with one per test.
    private let directory: TemporaryDirectory
    private let socket: String
    /// The server's pid (it daemonizes, so it is no child of the test's): SIGTERM ends it and its panes.
    private let server: pid_t
    let session = "watch"

    /// Starts `command` (a shell command line) in a detached `columns` x `rows` window.
    init(command: String, columns: Int = 120, rows: Int = 40) async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw TestHarnessError("tmux is not installed (apt-get install tmux)")
        }
        directory = try TemporaryDirectory("sottoctl-test")
        socket = directory.file("tmux.sock")
        let started = try await Self.tmux(
            socket, ["new-session", "-d", "-s", session, "-x", "\(columns)", "-y", "\(rows)", command])
        guard started.status == 0 else { throw TestHarnessError("tmux new-session failed: \(started.stderr)") }
        let pid = try await Self.tmux(socket, ["display-message", "-p", "#{pid}"]).stdout
        guard let server = pid_t(pid.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestHarnessError("tmux did not say its server's pid: \(pid)")
        }
        self.server = server
    }

    deinit { kill(server, SIGTERM) }

    /// The visible pane, one string.
    func capture() async throws -> String { try await Self.tmux(socket, ["capture-pane", "-p", "-t", session]).stdout }

    /// A tmux format evaluated for the pane (`#{alternate_on}`, `#{cursor_flag}`, `#{pane_pid}`).
    func format(_ format: String) async throws -> String {
        try await Self.tmux(socket, ["display-message", "-p", "-t", session, format]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
    }

    /// Types `keys` (tmux key names: `q`, `C-c`).
    func send(_ keys: String...) async throws {
        _ = try await Self.tmux(socket, ["send-keys", "-t", session] + keys)
    }

    /// Waits until the pane shows `text`; the pane as last seen.
    func waitFor(_ text: String, timeout: Duration = .seconds(15)) async throws -> (found: Bool, screen: String) {
        var screen = ""
        let found = try await eventually(timeout) {
            screen = try await capture()
            return screen.contains(text)
        }
        return (found, screen)
    }

    private static func tmux(_ socket: String, _ arguments: [String]) async throws -> ChildProcess.Result {
        var environment = ProcessInfo.processInfo.environment
        environment["TMUX"] = nil
        environment["TERM"] = environment["TERM"] ?? "xterm-256color"
        return try await run(
            ["-S", socket] + arguments, executable: executable, environment: environment, timeout: .seconds(10))
    }
}

/// Single-quoted for sh.
func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
