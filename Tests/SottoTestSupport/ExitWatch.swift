import Foundation
import Glibc
import Synchronization

/// Learns when one child exits, on a thread of its own (not one of Swift's cooperative pool), and reaps it.
///
/// The thread waits in `waitid(WNOWAIT)`, which leaves the child a zombie, runs the `finishing` work (draining
/// the child's output), then reaps it under the same lock ``signal(_:)`` takes: so a signal is only ever sent to
/// this child, never to a later process that reused its pid.
final class ExitWatch: Sendable {
    private struct State {
        var status: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }

    let pid: pid_t
    private let state = Mutex(State())

    /// Starts watching `pid`; `finishing` runs once the child has exited, before anyone learns its status.
    init(pid: pid_t, finishing: @escaping @Sendable () -> Void) {
        self.pid = pid
        Thread.detachNewThread { [self] in
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
            finishing()
            let (status, waiters) = state.withLock { state in
                var raw: Int32 = 0
                _ = waitpid(pid, &raw, 0)
                let signal = raw & 0x7F
                let status = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
                state.status = status
                defer { state.waiters = [] }
                return (status, state.waiters)
            }
            for waiter in waiters { waiter.resume(returning: status) }
        }
    }

    /// The exit status (128 + N for a death by signal N) once the child exited and its output was drained.
    var status: Int32? { state.withLock { $0.status } }

    /// Sends `signal` unless the child has been reaped; whether it was sent.
    @discardableResult
    func signal(_ signal: Int32) -> Bool {
        state.withLock { state in
            guard state.status == nil else { return false }
            return kill(pid, signal) == 0
        }
    }

    /// Suspends until the child exited; holds no thread meanwhile.
    func exitStatus() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status = state.withLock { state in
                if state.status == nil { state.waiters.append(continuation) }
                return state.status
            }
            if let status { continuation.resume(returning: status) }
        }
    }
}
