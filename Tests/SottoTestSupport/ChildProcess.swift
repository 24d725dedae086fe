import Dispatch
import Foundation
import Glibc

/// A child process a test starts, talks to and waits for without holding a thread of Swift's cooperative pool
/// (two threads on a 2-core machine: a test blocked on a child would starve every other test's timing).
///
/// Exit is learnt on a thread of its own (``ExitWatch``); output is drained by Dispatch read sources as it arrives
/// and input fed by a Dispatch write source, so no pipe fills up and nothing waits in `read` or `write`.
/// ``exitStatus(timeout:)`` and ``result(timeout:)`` suspend the test until the child exits; past the timeout the
/// child is killed and they throw, naming the command. A child still running when the value goes away is killed.
///
/// Started with `posix_spawn`, not Foundation's `Process`, for two reasons seen in these tests: `Process` spawns
/// from a Dispatch worker whose blocked signal mask (SIGTERM, SIGINT, SIGWINCH, ...) the child inherits, and it
/// learns of a child's exit through a descriptor the child inherits, so a daemonizing child (the tmux client's
/// server) is never seen to exit. Here the child gets an empty signal mask and default signal dispositions. Every
/// descriptor the test keeps is close-on-exec from the moment it exists (sockets from `socketpair` with
/// `SOCK_CLOEXEC`), so no other child started meanwhile by a test running in parallel inherits it.
public final class ChildProcess: Sendable {
    /// Where the child's standard input comes from.
    public enum Input: Sendable {
        /// `/dev/null`: end of file at once.
        case null
        /// These bytes, then end of file.
        case bytes([UInt8])
        /// Open for ``write(_:)`` until ``closeInput()``.
        case open
    }

    /// Where one of the child's output descriptors goes.
    public enum Output: Sendable {
        /// `/dev/null`.
        case null
        /// Collected for ``stdout`` / ``stderr`` and the result.
        case capture
        /// A file, created or truncated.
        case file(String)
        /// Standard error only: wherever standard output goes, interleaved as written.
        case standardOutput
    }

    /// What a finished child left: its exit status and what it wrote.
    public struct Result: Sendable {
        /// The exit status, or 128 + N for a death by signal N (as a shell reports it).
        public let status: Int32
        /// Standard output, as bytes (empty unless captured).
        public let stdoutBytes: [UInt8]
        /// Standard error, as bytes (empty unless captured on its own).
        public let stderrBytes: [UInt8]

        /// Standard output as UTF-8 text.
        public var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }
        /// Standard error as UTF-8 text.
        public var stderr: String { String(decoding: stderrBytes, as: UTF8.self) }
    }

    /// The child's process id.
    public var pid: pid_t { watch.pid }
    /// The command line, for messages.
    public let command: String
    private let watch: ExitWatch
    private let input: InputFeed?
    private let stdoutCapture: OutputCapture?
    private let stderrCapture: OutputCapture?

    /// Starts `executable` (an absolute path) with `arguments`, in the test's environment unless `environment`
    /// is given.
    public init(
        _ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
        stdin: Input = .null, stdout: Output = .capture, stderr: Output = .capture
    ) throws {
        precondition(!isStandardOutput(stdout), "standard output cannot go to itself")
        command = ([executable] + arguments).joined(separator: " ")
        var spawn = try SpawnPlan()
        defer { spawn.release() }
        let inputEnd = try spawn.setInput(stdin)
        let outputEnd = try spawn.setOutput(stdout, descriptor: 1)
        let errorEnd = try spawn.setOutput(stderr, descriptor: 2)
        let pid = try spawn.start(executable, arguments, environment: environment)

        let queue = DispatchQueue(label: "sotto.test.child.\(pid)")
        input = inputEnd.map { InputFeed(descriptor: $0, queue: queue) }
        let stdoutCapture = outputEnd.map { OutputCapture(descriptor: $0, queue: queue) }
        let stderrCapture = errorEnd.map { OutputCapture(descriptor: $0, queue: queue) }
        self.stdoutCapture = stdoutCapture
        self.stderrCapture = stderrCapture
        watch = ExitWatch(pid: pid) {
            queue.sync {
                stdoutCapture?.finish()
                stderrCapture?.finish()
            }
        }
        if case .bytes(let bytes) = stdin {
            input?.write(bytes)
            input?.close()
        }
    }

    deinit {
        watch.signal(SIGKILL)
        input?.close()
    }

    /// Runs `executable` to the end and returns what it left; stdout is captured, stderr as `stderr` says.
    public static func run(
        _ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
        input: [UInt8]? = nil, stderr: Output = .capture, timeout: Duration = .seconds(30)
    ) async throws -> Result {
        let child = try ChildProcess(
            executable, arguments, environment: environment, stdin: input.map { .bytes($0) } ?? .null,
            stdout: .capture, stderr: stderr)
        return try await child.result(timeout: timeout)
    }

    /// Standard output so far (with standard error when it goes there too).
    public var stdout: String { String(decoding: stdoutBytes, as: UTF8.self) }
    /// Standard output so far, as bytes.
    public var stdoutBytes: [UInt8] { stdoutCapture?.bytes ?? [] }
    /// Standard error so far, when captured on its own.
    public var stderr: String { String(decoding: stderrCapture?.bytes ?? [], as: UTF8.self) }

    /// Whether the child is still running (or its output still being drained).
    public var isRunning: Bool { watch.status == nil }

    /// The exit status once the child has exited, else nil.
    public var status: Int32? { watch.status }

    /// Queues `text` for the child's standard input (``Input/open`` only).
    public func write(_ text: String) {
        precondition(input != nil, "the child's input is not open")
        input?.write(Array(text.utf8))
    }

    /// Closes the child's standard input once what was written is sent.
    public func closeInput() { input?.close() }

    /// Sends `signal` unless the child has already exited.
    public func signal(_ signal: Int32) { watch.signal(signal) }

    /// Waits for the child to exit and returns its status; kills it and throws if it runs past `timeout`.
    public func exitStatus(timeout: Duration = .seconds(30)) async throws -> Int32 {
        let watchdog = Task { [watch] in
            try await Task.sleep(for: timeout)
            return watch.signal(SIGKILL)
        }
        let status = await watch.exitStatus()
        watchdog.cancel()
        if case .success(true) = await watchdog.result {
            var message = "\(command) did not exit within \(timeout) and was killed"
            let errors = stderr.isEmpty ? stdout : stderr
            if !errors.isEmpty { message += "; it had written: \(errors.suffix(2000))" }
            throw TestHarnessError(message)
        }
        return status
    }

    /// Waits for the child to exit (as ``exitStatus(timeout:)``) and returns its status and everything it wrote.
    public func result(timeout: Duration = .seconds(30)) async throws -> Result {
        let status = try await exitStatus(timeout: timeout)
        return Result(
            status: status, stdoutBytes: stdoutCapture?.bytes ?? [], stderrBytes: stderrCapture?.bytes ?? [])
    }

    /// Waits until standard output contains `text`; throws if the child exits first or `timeout` passes.
    public func waitForOutput(_ text: String, timeout: Duration = .seconds(30)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !stdout.contains(text) {
            if !isRunning {
                throw TestHarnessError(
                    "\(command) exited (status \(status ?? -1)) before writing \(text.debugDescription)")
            }
            if clock.now > deadline {
                throw TestHarnessError("\(command) did not write \(text.debugDescription) within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

private func isStandardOutput(_ output: ChildProcess.Output) -> Bool {
    if case .standardOutput = output { return true }
    return false
}
