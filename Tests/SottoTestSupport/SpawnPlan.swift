import Foundation
import Glibc

/// The file actions and attributes of one `posix_spawn`, and the sockets made for it: the child's ends (closed
/// here once the child has its copies) and the test's ends (handed to the caller once the child started).
struct SpawnPlan {
    private var actions = posix_spawn_file_actions_t()
    private var attributes = posix_spawnattr_t()
    private var childEnds: [Int32] = []
    private var testEnds: [Int32] = []
    private var started = false

    /// A plan whose child gets an empty signal mask and every signal's default disposition.
    init() throws {
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    }

    /// Sets up descriptor 0; the test's end of the socket when there is one.
    mutating func setInput(_ input: ChildProcess.Input) throws -> Int32? {
        if case .null = input {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            return nil
        }
        return try connect(0)
    }

    /// Sets up descriptor 1 or 2; the test's end of the socket when the output is captured.
    mutating func setOutput(_ output: ChildProcess.Output, descriptor: Int32) throws -> Int32? {
        switch output {
        case .null:
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_WRONLY, 0)
        case .file(let path):
            posix_spawn_file_actions_addopen(&actions, descriptor, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        case .standardOutput:
            posix_spawn_file_actions_adddup2(&actions, 1, descriptor)
        case .capture:
            return try connect(descriptor)
        }
        return nil
    }

    /// A close-on-exec socket pair: one end becomes the child's `descriptor`, the other is the test's.
    private mutating func connect(_ descriptor: Int32) throws -> Int32 {
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            throw TestHarnessError("socketpair failed: \(String(cString: strerror(errno)))")
        }
        childEnds.append(ends[1])
        testEnds.append(ends[0])
        // dup2 onto the standard descriptor clears close-on-exec on the copy only.
        posix_spawn_file_actions_adddup2(&actions, ends[1], descriptor)
        return ends[0]
    }

    /// Starts the child.
    mutating func start(_ executable: String, _ arguments: [String], environment: [String: String]?) throws
        -> pid_t
    {
        let environment = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, &argv, &envp)
        guard result == 0 else {
            throw TestHarnessError("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        started = true
        return pid
    }

    /// Frees the plan and closes the child's ends (and the test's, when the child never started).
    mutating func release() {
        posix_spawn_file_actions_destroy(&actions)
        posix_spawnattr_destroy(&attributes)
        for descriptor in childEnds + (started ? [] : testEnds) { close(descriptor) }
        childEnds = []
        testEnds = []
    }
}
