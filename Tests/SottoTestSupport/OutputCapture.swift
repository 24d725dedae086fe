import Dispatch
import Glibc
import Synchronization

/// Collects what a child writes to one of its output descriptors, as it arrives: a Dispatch read source on the
/// test's (non-blocking) end drains it, so the child never stalls on a full buffer and no thread waits in `read`.
///
/// `@unchecked Sendable`: the source is only touched on `queue`; the bytes are behind a lock.
final class OutputCapture: @unchecked Sendable {
    private let descriptor: Int32
    private let queue: DispatchQueue
    private let collected = Mutex<[UInt8]>([])
    private var source: (any DispatchSourceRead)?

    /// Takes ownership of `descriptor` (closed when capture ends).
    init(descriptor: Int32, queue: DispatchQueue) {
        self.descriptor = descriptor
        self.queue = queue
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        let source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)
        source.setEventHandler { [self] in drain() }
        source.setCancelHandler { close(descriptor) }
        self.source = source
        source.activate()
    }

    /// Everything read so far.
    var bytes: [UInt8] { collected.withLock { $0 } }

    /// Reads what is left and stops (on `queue`, once the child exited). Whatever the child wrote before exiting
    /// is in the buffer by now; end of file is not awaited, since a grandchild may hold the descriptor open.
    func finish() {
        dispatchPrecondition(condition: .onQueue(queue))
        drain()
        source?.cancel()
        source = nil
    }

    /// Reads until the descriptor would block; stops at end of file or an error.
    private func drain() {
        guard let source else { return }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count > 0 {
                collected.withLock { $0 += buffer[..<count] }
                continue
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            source.cancel()
            self.source = nil
            return
        }
    }
}
