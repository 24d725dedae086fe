internal import CSottoNet
import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// The accept loop of a listening socket, shared by ``TCPListener`` and ``UnixListener``: one read
/// source on the loop, a bounded number of accepts per wakeup, and a pause when the process runs out
/// of descriptors. Accepted sockets come out non-blocking and close-on-exec from `accept4` itself.
///
/// Owns the listening fd from init: the source's cancel handler closes it, or ``stop()`` does when
/// the source was never made. State lives on the loop.
final class Acceptor: @unchecked Sendable {
    /// What the log calls this socket ("127.0.0.1:5061", "the admin socket /run/sotto/admin.sock").
    let name: String
    let loop: EventLoop

    private let fd: Int32
    private let tcp: Bool
    private let logger: TransportLogger
    private var onAccept: ((Int32, sockaddr_storage) -> Void)?
    private var source: DispatchSourceRead?
    private var paused = false
    private var stopped = false

    /// Takes over `fd`, a bound and listening socket.
    init(fd: Int32, tcp: Bool, name: String, loop: EventLoop, logger: TransportLogger) {
        self.fd = fd
        self.tcp = tcp
        self.name = name
        self.loop = loop
        self.logger = logger
    }

    deinit {
        if source == nil && !stopped {
            Glibc.close(fd)
        }
    }

    /// Accepts on the loop, handing each new socket and the peer's address to `onAccept`, which then
    /// owns the socket.
    func start(_ onAccept: @escaping (Int32, sockaddr_storage) -> Void) {
        dispatchPrecondition(condition: .onQueue(loop.queue))
        guard source == nil, !stopped else { return }
        self.onAccept = onAccept
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: loop.queue)
        source.setEventHandler { [self] in acceptReady() }
        source.setCancelHandler { [fd] in Glibc.close(fd) }
        self.source = source
        source.activate()
    }

    /// Stops accepting and closes the listening socket. On the loop; idempotent.
    func stop() {
        dispatchPrecondition(condition: .onQueue(loop.queue))
        guard !stopped else { return }
        stopped = true
        onAccept = nil
        guard let source else {
            Glibc.close(fd)
            return
        }
        source.cancel()
        if paused {
            // A suspended source runs no cancel handler, and releasing one traps.
            paused = false
            source.resume()
        }
    }

    /// Accepts what is queued, a bounded number per wakeup (the source fires again for the rest).
    private func acceptReady() {
        for _ in 0..<64 where !stopped {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &storage) {
                // accept4 sets O_NONBLOCK and FD_CLOEXEC atomically: a socket made blocking by a missed
                // fcntl would stall the whole loop on one slow peer, and one without close-on-exec could
                // leak into a child process started meanwhile.
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    CSottoNet_accept_nonblocking(fd, $0, &length)
                }
            }
            if client < 0 {
                let error = errno
                switch error {
                case EINTR, ECONNABORTED:
                    continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // The socket stays readable, so pause rather than spin until fds free up.
                    logger.log(.warning, "accepting on \(name) failed: \(errnoSentence(error)); pausing 100 ms")
                    pause()
                    return
                default:
                    return  // EAGAIN: nothing left
                }
            }
            guard let onAccept else {
                Glibc.close(client)
                continue
            }
            if tcp {
                Socket.setNoDelay(client)
            }
            onAccept(client, storage)
        }
    }

    private func pause() {
        guard let source, !paused else { return }
        paused = true
        source.suspend()
        loop.queue.asyncAfter(deadline: .now() + .milliseconds(100)) { [self] in
            guard paused else { return }
            paused = false
            self.source?.resume()
        }
    }
}
