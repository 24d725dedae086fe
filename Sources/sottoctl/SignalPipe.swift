#if canImport(Glibc)
    import Glibc
#endif

/// The write end of the self-pipe, for the handler (a C function pointer cannot capture it).
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

/// Signals turned into bytes on a pipe, so `watch` sees them in the same `poll` as its input and socket and
/// handles them in ordinary code (restoring the terminal is not async-signal-safe work).
final class SignalPipe {
    /// Poll this for `POLLIN`.
    let readEnd: Int32
    private let writeEnd: Int32
    private let signals: [Int32]
    private var previous: [sigaction] = []

    /// Catches `signals` until ``close()``.
    init(catching signals: [Int32]) throws {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw SottoctlError(.terminal, "cannot create a pipe for signals: \(AdminClient.describe(errno))")
        }
        // Non-blocking both ways: the handler must never block, and draining stops when the pipe is empty.
        // (pipe2 needs _GNU_SOURCE, which Swift's Glibc module does not define.)
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        readEnd = ends[0]
        writeEnd = ends[1]
        self.signals = signals
        signalPipeWriteEnd = writeEnd
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                let saved = errno
                var byte = UInt8(truncatingIfNeeded: number)
                _ = write(signalPipeWriteEnd, &byte, 1)
                errno = saved
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            var old = sigaction()
            sigaction(signal, &action, &old)
            previous.append(old)
        }
        // A parent may have started us with these blocked (a Dispatch worker's mask is inherited through
        // posix_spawn, and from a tmux server down to its panes); then they would never arrive. `watch` runs
        // on this one thread.
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// The signals caught since the last call, in order.
    func drain() -> [Int32] {
        var bytes = [UInt8](repeating: 0, count: 64)
        var caught: [Int32] = []
        while true {
            let count = read(readEnd, &bytes, bytes.count)
            guard count > 0 else { return caught }
            caught += bytes.prefix(count).map { Int32($0) }
        }
    }

    /// Puts the previous handlers back and closes the pipe.
    func close() {
        guard !previous.isEmpty else { return }
        for (signal, var old) in zip(signals, previous) { sigaction(signal, &old, nil) }
        previous = []
        signalPipeWriteEnd = -1
        Glibc.close(readEnd)
        Glibc.close(writeEnd)
    }

    deinit { close() }
}
