import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The executables under test sit beside the test bundle in the build products folder.
enum Products {
    static let directory: String = {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
    }()
    static let sottoctl = directory + "/sottoctl"
    static let fixture = directory + "/admin-fixture-server"
}

/// A fresh directory under /tmp, removed on `deinit`. World-traversable (0755) so a test can run sottoctl as
/// another user against a socket inside it and meet the socket's own permission, not the directory's.
final class ScratchDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/sottoctl-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestFailure("mkdtemp failed: errno \(errno)") }
        path = String(cString: made)
        chmod(path, 0o755)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A failure in the test harness itself.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A child process started with posix_spawn, not Foundation's `Process`, for two reasons seen in these tests:
/// `Process` spawns from a Dispatch worker whose signal mask (SIGTERM, SIGINT, SIGWINCH, ... blocked) the child
/// inherits, and it learns of a child's exit through a descriptor the child inherits, so a daemonizing child
/// (the tmux client's server) is never seen to exit. Here the child gets an empty mask and default signal
/// dispositions, and exit is learnt with `waitpid`. A child still running on `deinit` is killed.
final class Child {
    /// Where one of the child's standard descriptors goes.
    enum Redirect {
        case null
        case file(String)
        case descriptor(Int32)
    }

    let pid: pid_t
    private var status: Int32?

    init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        stdin: Redirect = .null, stdout: Redirect = .null, stderr: Redirect = .null
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, redirect) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch redirect {
            case .null: posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_RDWR, 0)
            case .file(let path):
                posix_spawn_file_actions_addopen(&actions, target, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            case .descriptor(let descriptor): posix_spawn_file_actions_adddup2(&actions, descriptor, target)
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let environment = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, &argv, &envp)
        guard result == 0 else { throw TestFailure("cannot start \(executable): \(String(cString: strerror(result)))") }
        self.pid = pid
    }

    /// The exit status (128 + N for a death by signal N) once it exited, else nil; reaps it.
    func poll() -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        let signal = raw & 0x7F
        status = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
        return status
    }

    var isRunning: Bool { poll() == nil }

    /// Waits up to `timeout` seconds for the exit status; nil if it is still running.
    func wait(timeout: TimeInterval = 30) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while poll() == nil && Date() < deadline { usleep(5_000) }
        return poll()
    }

    /// Sends `signal` if it has not been reaped yet.
    func send(_ signal: Int32) {
        if status == nil { kill(pid, signal) }
    }

    deinit {
        if poll() == nil {
            kill(pid, SIGKILL)
            _ = wait(timeout: 10)
        }
    }
}

/// A socket pair whose ends are close-on-exec, so no other child started meanwhile inherits them (a leaked
/// copy of a fixture's stdin would keep it alive after the test closes its end).
func closeOnExecPair() throws -> (Int32, Int32) {
    var ends: [Int32] = [-1, -1]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
        throw TestFailure("socketpair failed: errno \(errno)")
    }
    return (ends[0], ends[1])
}

/// One `admin-fixture-server`: a real admin server (socket, roles, audit log) over a canned relay with
/// sessions 1 and 2. Stopped by closing its stdin.
final class Fixture {
    let directory: ScratchDirectory
    let socketPath: String
    let auditPath: String
    private let child: Child
    private var input: Int32

    /// Starts the fixture with `roles` (flags such as `--admin uid:0`) and waits for its `ready`.
    init(roles: [String] = ["--admin", "uid:0"]) throws {
        directory = try ScratchDirectory()
        socketPath = directory.path + "/admin.sock"
        auditPath = directory.path + "/audit.log"
        let (input, theirInput) = try closeOnExecPair()
        let (output, theirOutput) = try closeOnExecPair()
        defer { close(output) }
        child = try Child(
            Products.fixture, ["--socket", socketPath, "--audit", auditPath] + roles, stdin: .descriptor(theirInput),
            stdout: .descriptor(theirOutput), stderr: .file(directory.path + "/fixture.log"))
        close(theirInput)
        close(theirOutput)
        self.input = input
        // `ready` comes once the socket listens; bounded so a broken fixture fails the test, not hangs it.
        var seen = ""
        let deadline = Date().addingTimeInterval(30)
        while !seen.contains("ready\n") {
            var descriptor = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
            var bytes = [UInt8](repeating: 0, count: 256)
            guard remaining > 0, Glibc.poll(&descriptor, 1, remaining) > 0, case let count = read(output, &bytes, 256),
                count > 0
            else {
                stop()
                throw TestFailure("admin-fixture-server was not ready within 30 s")
            }
            seen += String(decoding: bytes.prefix(count), as: UTF8.self)
        }
    }

    /// Stops the fixture (idempotent): closes its stdin and waits for it to exit.
    func stop() {
        if input >= 0 {
            close(input)
            input = -1
        }
        if child.wait(timeout: 10) == nil { child.send(SIGKILL) }
        _ = child.wait(timeout: 10)
    }

    deinit { stop() }
}

/// What a finished run left behind.
struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `executable` (sottoctl by default) with `arguments` to the end, stdout and stderr to files (so
/// neither can fill a pipe and stall it); killed, and the test failed, after `timeout` seconds.
func run(
    _ arguments: [String], executable: String = Products.sottoctl, environment: [String: String]? = nil,
    timeout: TimeInterval = 30
) throws -> Run {
    let directory = try ScratchDirectory()
    let child = try Child(
        executable, arguments, environment: environment, stdout: .file(directory.path + "/stdout"),
        stderr: .file(directory.path + "/stderr"))
    guard let status = child.wait(timeout: timeout) else {
        throw TestFailure("\(executable) \(arguments) did not finish within \(timeout) s")
    }
    return Run(
        status: status,
        stdout: (try? String(contentsOfFile: directory.path + "/stdout", encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: directory.path + "/stderr", encoding: .utf8)) ?? "")
}

/// Runs sottoctl against `fixture`'s socket.
func sottoctl(_ arguments: [String], on fixture: Fixture) throws -> Run {
    try run(arguments + ["--socket", fixture.socketPath])
}

/// Decodes JSON output.
func decode<Value: Decodable>(_ type: Value.Type, from text: String) throws -> Value {
    try JSONDecoder().decode(type, from: Data(text.utf8))
}

/// Waits until `condition` holds, checking every 50 ms for at most `timeout` seconds.
func waitUntil(timeout: TimeInterval = 15, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return try condition()
}

/// A tmux server of the test's own (`tmux -S PATH`), so nothing touches anyone else's sessions; killed on
/// `deinit`, whatever the test's outcome.
final class Tmux {
    static let executable = "/usr/bin/tmux"

    /// The server's socket lives in a scratch directory: tmux leaves its socket file behind after
    /// `kill-server`, and /tmp/tmux-0 should not fill up with one per test.
    private let directory: ScratchDirectory
    private let socket: String
    let session = "watch"

    /// Starts `command` (a shell command line) in a detached `columns` x `rows` window.
    init(command: String, columns: Int = 120, rows: Int = 40) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw TestFailure("tmux is not installed (apt-get install tmux)")
        }
        directory = try ScratchDirectory()
        socket = directory.path + "/tmux.sock"
        let started = try tmux(["new-session", "-d", "-s", session, "-x", "\(columns)", "-y", "\(rows)", command])
        guard started.status == 0 else { throw TestFailure("tmux new-session failed: \(started.stderr)") }
    }

    deinit { _ = try? tmux(["kill-server"]) }

    /// The visible pane, one string.
    func capture() throws -> String { try tmux(["capture-pane", "-p", "-t", session]).stdout }

    /// A tmux format evaluated for the pane (`#{alternate_on}`, `#{cursor_flag}`, `#{pane_pid}`).
    func format(_ format: String) throws -> String {
        try tmux(["display-message", "-p", "-t", session, format]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
    }

    /// Types `keys` (tmux key names: `q`, `C-c`).
    func send(_ keys: String...) throws {
        _ = try tmux(["send-keys", "-t", session] + keys)
    }

    /// Waits until the pane shows `text`; the pane as last seen.
    func waitFor(_ text: String, timeout: TimeInterval = 15) throws -> (found: Bool, screen: String) {
        var screen = ""
        let found = try waitUntil(timeout: timeout) {
            screen = try capture()
            return screen.contains(text)
        }
        return (found, screen)
    }

    private func tmux(_ arguments: [String]) throws -> Run {
        var environment = ProcessInfo.processInfo.environment
        environment["TMUX"] = nil
        environment["TERM"] = environment["TERM"] ?? "xterm-256color"
        return try run(["-S", socket] + arguments, executable: Self.executable, environment: environment, timeout: 10)
    }
}

/// Single-quoted for sh.
func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
