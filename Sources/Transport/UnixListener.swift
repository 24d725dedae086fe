import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// A Unix stream socket listening at a path, whose accepted connections become ``ByteStream``s on
/// one ``EventLoop``, each handed over with the peer's credentials (`SO_PEERCRED`).
///
/// The socket file gets its mode (0660 unless told otherwise) and, when given, its group before
/// `listen()`: until then a connect is refused, so the moment between `bind()` and `chmod()`, when
/// the file has the umask's mode, lets no one in. A socket file already at the path is removed only
/// when nothing listens on it (a process that crashed); a live listener, or anything that is not a
/// socket, is an error. ``stop()`` removes the file again if it is still this listener's.
///
/// The listener does not keep the streams it hands out: their owner closes them.
public final class UnixListener: @unchecked Sendable {
    /// The socket file's path.
    public let path: String
    /// The loop the listener and its streams live on.
    public let loop: EventLoop
    /// The limits every accepted stream enforces.
    public let limits: StreamLimits
    /// Accepted streams and their closes by reason.
    public let counters: TransportCounters
    /// Whether a stale socket file (one nobody listened on) was removed to make room.
    public let removedStaleSocket: Bool

    private let acceptor: Acceptor
    private let identity: (device: UInt64, inode: UInt64)
    private let logger: TransportLogger
    private var stopped = false

    /// Creates the socket file and listens; call ``start(_:)`` to accept.
    ///
    /// - Parameters:
    ///   - path: where the socket file goes (1 to 107 bytes, the size of `sun_path`).
    ///   - name: what error sentences call the socket ("admin socket").
    ///   - mode: the socket file's permission bits.
    ///   - group: the group the file is given (`chown`), so its members can connect; nil keeps the
    ///     process's.
    ///   - loop: the loop for the listener and its connections.
    ///   - limits: the limits for every connection.
    ///   - counters: where connections are counted.
    ///   - logger: where accept failures and the streams' closes are logged.
    ///   - backlog: the kernel's accept queue length.
    public init(
        path: String,
        name: String = "Unix socket",
        mode: UInt32 = 0o660,
        group: UInt32? = nil,
        loop: EventLoop,
        limits: StreamLimits = StreamLimits(),
        counters: TransportCounters = TransportCounters(),
        logger: TransportLogger = .standardError,
        backlog: Int32 = 64
    ) throws(TransportError) {
        try Self.checkPath(path, name: name)
        removedStaleSocket = try Self.removeStaleSocket(at: path, name: name)
        let fd = Socket.makeUnix()
        guard fd >= 0 else {
            throw TransportError(.socketFailed, "a Unix socket could not be created: \(errnoSentence(errno))")
        }
        func fail(_ code: TransportError.Code, _ reason: String, unlinking: Bool) -> TransportError {
            Glibc.close(fd)
            if unlinking { unlink(path) }
            return TransportError(code, reason)
        }
        guard Self.withSocketAddress(path, { bind(fd, $0, $1) }) == 0 else {
            throw fail(.bindFailed, "binding the \(name) \(path) failed: \(errnoSentence(errno))", unlinking: false)
        }
        guard chmod(path, mode_t(mode)) == 0 else {
            throw fail(
                .permissionsFailed, "chmod 0\(String(mode, radix: 8)) on \(path) failed: \(errnoSentence(errno))",
                unlinking: true)
        }
        if let group, chown(path, UInt32.max, group) != 0 {
            throw fail(
                .permissionsFailed, "giving \(path) to group \(group) failed: \(errnoSentence(errno))", unlinking: true)
        }
        guard listen(fd, backlog) == 0 else {
            throw fail(.listenFailed, "listening on \(path) failed: \(errnoSentence(errno))", unlinking: true)
        }
        var info = stat()
        _ = lstat(path, &info)
        self.identity = (UInt64(info.st_dev), UInt64(info.st_ino))
        self.path = path
        self.loop = loop
        self.limits = limits
        self.counters = counters
        self.logger = logger
        self.acceptor = Acceptor(fd: fd, tcp: false, name: "the \(name) \(path)", loop: loop, logger: logger)
    }

    /// Checks that `path` fits a `sockaddr_un`, before anything is created for it.
    public static func checkPath(_ path: String, name: String = "Unix socket") throws(TransportError) {
        guard !path.isEmpty, path.utf8.count < 108 else {
            throw TransportError(.invalidAddress, "the \(name) path \"\(path)\" must be 1 to 107 bytes long")
        }
    }

    /// Accepts on the loop: each connection becomes a stream, not yet started, handed to
    /// `onAccept` with its peer's credentials (nil when the kernel will not say). The owner starts
    /// or closes it. The listener holds `onAccept` until ``stop()``.
    public func start(_ onAccept: @escaping @Sendable (ByteStream, PeerCredentials?) -> Void) {
        loop.execute { [self] in
            guard !stopped else { return }
            acceptor.start { [self] client, _ in
                let credentials = PeerCredentials.of(client)
                let stream = ByteStream(
                    fd: client, peer: credentials?.description ?? "a client of \(path)", state: .open, overTCP: false,
                    loop: loop, limits: limits, counters: counters, logger: logger)
                onAccept(stream, credentials)
            }
        }
    }

    /// Stops accepting, closes the listening socket and removes the socket file if it is still
    /// this listener's (not one a later process put there). Streams already handed out stay open.
    /// Done by the time it returns when called on the loop; idempotent.
    public func stop() {
        loop.execute { [self] in
            guard !stopped else { return }
            stopped = true
            acceptor.stop()
            var info = stat()
            if lstat(path, &info) == 0, UInt64(info.st_dev) == identity.device, UInt64(info.st_ino) == identity.inode {
                unlink(path)
            }
        }
    }

    /// Removes a socket file nobody listens on; refuses to touch a live socket or anything not a
    /// socket. Returns whether one was removed.
    private static func removeStaleSocket(at path: String, name: String) throws(TransportError) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else { return false }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw TransportError(
                .invalidAddress, "\(path) exists and is not a socket; not removing it for the \(name)")
        }
        // Non-blocking, so a live listener with a full backlog answers EAGAIN instead of hanging the start.
        let probe = Socket.makeUnix()
        guard probe >= 0 else {
            throw TransportError(.socketFailed, "a Unix socket could not be created: \(errnoSentence(errno))")
        }
        defer { Glibc.close(probe) }
        let connected = withSocketAddress(path) { connect(probe, $0, $1) } == 0
        let error = errno
        if connected || error == EAGAIN {
            throw TransportError(.addressInUse, "another process is listening on the \(name) \(path)")
        }
        guard error == ECONNREFUSED else {
            throw TransportError(
                .addressInUse, "\(path) exists and could not be probed (\(errnoSentence(error))); not removing it")
        }
        guard unlink(path) == 0 else {
            throw TransportError(
                .bindFailed, "the stale \(name) \(path) could not be removed: \(errnoSentence(errno))")
        }
        return true
    }

    /// Calls `body` with a `sockaddr_un` for `path` (checked to fit by ``checkPath(_:name:)``).
    static func withSocketAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }
}
