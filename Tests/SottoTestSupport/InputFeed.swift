import Dispatch
import Glibc

/// Writes to a child's standard input without blocking anyone: bytes queue up and a Dispatch write source sends
/// them as the child reads. Sent with `MSG_NOSIGNAL` (the descriptor is a socket), so a child that exits without
/// reading costs the test an error, not a SIGPIPE.
///
/// `@unchecked Sendable`: all state is touched only on `queue`.
final class InputFeed: @unchecked Sendable {
    private var descriptor: Int32
    private let queue: DispatchQueue
    private var pending: [UInt8] = []
    private var sent = 0
    private var closing = false
    private var source: (any DispatchSourceWrite)?
    private var armed = false

    /// Takes ownership of `descriptor` (closed by ``close()``).
    init(descriptor: Int32, queue: DispatchQueue) {
        self.descriptor = descriptor
        self.queue = queue
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    /// Queues `bytes` for the child.
    func write(_ bytes: [UInt8]) {
        queue.async { [self] in
            guard descriptor >= 0 else { return }
            pending += bytes
            flush()
        }
    }

    /// Closes the child's input once everything queued is sent: the child reads end of file.
    func close() {
        queue.async { [self] in
            closing = true
            flush()
        }
    }

    /// Sends until done or the socket is full; in the second case the write source resumes it.
    private func flush() {
        guard descriptor >= 0 else { return }
        while sent < pending.count {
            let count = pending[sent...].withUnsafeBytes {
                send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if count > 0 {
                sent += count
            } else if count < 0 && errno == EINTR {
                continue
            } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                arm()
                return
            } else {
                // The child closed its end (or exited): what is left has nowhere to go.
                closing = true
                break
            }
        }
        pending.removeAll(keepingCapacity: true)
        sent = 0
        disarm()
        if closing { closeNow() }
    }

    private func arm() {
        if source == nil {
            let source = DispatchSource.makeWriteSource(fileDescriptor: descriptor, queue: queue)
            source.setEventHandler { [self] in flush() }
            self.source = source
            armed = true
            source.activate()
        } else if !armed {
            armed = true
            source?.resume()
        }
    }

    private func disarm() {
        if armed {
            armed = false
            source?.suspend()
        }
    }

    /// Closes the descriptor; with a source, only once Dispatch has let go of it (its cancel handler).
    private func closeNow() {
        let descriptor = self.descriptor
        self.descriptor = -1
        guard let source else {
            Glibc.close(descriptor)
            return
        }
        self.source = nil
        source.setCancelHandler { Glibc.close(descriptor) }
        source.cancel()
        if !armed { source.resume() }
        armed = false
    }
}
