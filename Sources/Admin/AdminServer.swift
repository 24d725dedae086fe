import AdminProtocol
import Dispatch
import Logging
import Transport

#if canImport(Glibc)
    import Glibc
#endif

/// The admin socket: a Unix stream socket speaking newline-delimited JSON (docs/admin-protocol.md).
///
/// Sockets are non-blocking and driven by Dispatch sources on the server's own serial queue; commands (and
/// the audit log's `fsync`) run on a concurrent worker queue and come back as reply bytes, so a slow backend
/// call or a slow disk holds up only the client that asked. Roles come from the peer's uid and groups
/// (`SO_PEERCRED`) through ``AdminAccess``; a peer with none gets one error line, is audited and is closed.
///
/// Limits (``AdminServerConfiguration``): connections, line length, output queued for a client that does
/// not read, idle time. Junk and unknown commands get an error reply and the connection carries on; a line
/// that is too long or carries a NUL byte gets an error and a close, since the framing can no longer be
/// trusted.
///
/// Call ``stop()`` when done: the sources hold the server until then.
public final class AdminServer: @unchecked Sendable {
    /// What it was set up with.
    public let configuration: AdminServerConfiguration
    /// The audit log the server writes.
    public let auditLog: AuditLog

    let backend: any AdminBackend
    let logger: Logger
    let queue = DispatchQueue(label: "sotto.admin")
    let workers = DispatchQueue(label: "sotto.admin.work", attributes: .concurrent)

    private let listenFD: Int32
    private let socketIdentity: (device: UInt64, inode: UInt64)
    private var acceptSource: DispatchSourceRead?
    private var sweepTimer: DispatchSourceTimer?
    private var connections: [Int: AdminConnection] = [:]
    private var admitting = 0
    private var nextNumber = 1
    private var started = false
    private var stopped = false
    private var closeCounts: [AdminConnection.CloseReason: Int] = [:]
    private var refusedTooMany = 0

    /// Opens the audit log, binds the socket (mode 0660, `socketGroup` if set) and listens; ``start()``
    /// begins accepting.
    ///
    /// A socket file already at the path is removed only if nothing is listening on it (a relay that
    /// crashed); anything else at the path, or a live listener, is an error.
    public init(
        configuration: AdminServerConfiguration, backend: any AdminBackend, logger: Logger
    ) throws(AdminServerError) {
        let path = configuration.socketPath
        guard !path.isEmpty, path.utf8.count < 108 else {
            throw AdminServerError(
                .invalidSocketPath, "the admin socket path \"\(path)\" must be 1 to 107 bytes long")
        }
        do {
            auditLog = try AuditLog(path: configuration.auditLogPath)
        } catch {
            throw AdminServerError(.auditLogFailed, error.reason)
        }
        try Self.removeStaleSocket(at: path, logger: logger)

        let fd = socket(
            AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw AdminServerError(.socketFailed, "a Unix socket could not be created: \(errnoSentence(errno))")
        }
        func fail(_ code: AdminServerError.Code, _ reason: String, unlinking: Bool) -> AdminServerError {
            Glibc.close(fd)
            if unlinking { unlink(path) }
            return AdminServerError(code, reason)
        }
        let bound = Self.withSocketAddress(path) { bind(fd, $0, $1) }
        guard bound == 0 else {
            throw fail(
                .bindFailed, "binding the admin socket \(path) failed: \(errnoSentence(errno))", unlinking: false)
        }
        // Before listen(): until then a connect is refused, so the moment between bind and chmod (when the
        // file has the umask's mode) lets no one in.
        guard chmod(path, 0o660) == 0 else {
            throw fail(.permissionsFailed, "chmod 0660 on \(path) failed: \(errnoSentence(errno))", unlinking: true)
        }
        if let group = configuration.socketGroup, chown(path, UInt32.max, group) != 0 {
            throw fail(
                .permissionsFailed, "giving \(path) to group \(group) failed: \(errnoSentence(errno))", unlinking: true)
        }
        guard listen(fd, 64) == 0 else {
            throw fail(.listenFailed, "listening on \(path) failed: \(errnoSentence(errno))", unlinking: true)
        }
        var info = stat()
        _ = lstat(path, &info)
        self.socketIdentity = (UInt64(info.st_dev), UInt64(info.st_ino))
        self.listenFD = fd
        self.configuration = configuration
        self.backend = backend
        self.logger = logger
    }

    /// Starts accepting connections.
    public func start() {
        queue.async { [self] in
            guard !started, !stopped else { return }
            started = true
            let source = DispatchSource.makeReadSource(fileDescriptor: listenFD, queue: queue)
            source.setEventHandler { [self] in acceptReady() }
            source.setCancelHandler { [listenFD] in _ = Glibc.close(listenFD) }
            acceptSource = source
            source.activate()

            let sweep = DispatchSource.makeTimerSource(queue: queue)
            let period = Self.sweepPeriod(configuration.idleTimeout)
            sweep.schedule(deadline: .now() + period, repeating: period, leeway: .milliseconds(5))
            sweep.setEventHandler { [self] in sweepIdle() }
            sweepTimer = sweep
            sweep.activate()
            logger.info("admin socket listening", metadata: ["path": "\(configuration.socketPath)"])
        }
    }

    /// Closes every connection and the socket, and removes the socket file (if it is still this server's).
    /// Returns once that is done; do not call it from the server's own queue.
    public func stop() {
        queue.sync {
            guard !stopped else { return }
            stopped = true
            sweepTimer?.cancel()
            sweepTimer = nil
            if let acceptSource {
                acceptSource.cancel()
            } else {
                _ = Glibc.close(listenFD)
            }
            acceptSource = nil
            for connection in Array(connections.values) {
                connection.close(.serverStopped)
            }
            var info = stat()
            let path = configuration.socketPath
            if lstat(path, &info) == 0, UInt64(info.st_dev) == socketIdentity.device,
                UInt64(info.st_ino) == socketIdentity.inode
            {
                unlink(path)
            }
            logger.info("admin socket closed", metadata: ["path": "\(path)"])
        }
    }

    /// Connections open now, those whose role is still being looked up included.
    package var connectionCount: Int { queue.sync { connections.count + admitting } }

    /// How many connections closed for `reason` so far.
    package func closes(_ reason: String) -> Int {
        queue.sync { closeCounts.first { $0.key.rawValue == reason }?.value ?? 0 }
    }

    /// How many connections were turned away because `maxConnections` were open.
    package var refusedForLimit: Int { queue.sync { refusedTooMany } }

    // MARK: - Accepting

    private func acceptReady() {
        for _ in 0..<64 where !stopped {
            let client = accept(listenFD, nil, nil)
            if client < 0 {
                switch errno {
                case EINTR, ECONNABORTED: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // The socket stays readable, so pause rather than spin until fds free up.
                    logger.warning("admin socket: accept failed (\(errnoSentence(errno))); pausing 100 ms")
                    acceptSource?.suspend()
                    queue.asyncAfter(deadline: .now() + .milliseconds(100)) { [self] in acceptSource?.resume() }
                    return
                default: return
                }
            }
            // Non-blocking and close-on-exec like the listener (accept4 is not in Swift's Glibc module).
            let flags = fcntl(client, F_GETFL)
            guard flags >= 0, fcntl(client, F_SETFL, flags | O_NONBLOCK) == 0 else {
                Glibc.close(client)
                continue
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            admit(client)
        }
    }

    private func admit(_ client: Int32) {
        if connections.count + admitting >= configuration.maxConnections {
            refusedTooMany += 1
            logger.warning(
                "admin socket: refused a connection, \(configuration.maxConnections) are already open")
            Self.sendBestEffort(
                client,
                Self.errorLine(
                    id: nil,
                    AdminError(
                        .failed,
                        "too many admin connections (\(configuration.maxConnections) open); try again later")))
            Glibc.close(client)
            return
        }
        guard let peer = PeerCredentials.of(client) else {
            logger.warning("admin socket: refused a connection whose peer credentials are unknown")
            Glibc.close(client)
            return
        }
        admitting += 1
        let access = configuration.access
        // The group lookup can go to NSS (LDAP, ...), so it runs off the socket queue.
        workers.async { [self] in
            let groups = AdminAccess.supplementaryGroups(ofUID: peer.uid)
            let role = access.role(uid: peer.uid, gid: peer.gid, supplementaryGroups: groups)
            var refused: [UInt8]?
            if role == nil {
                let error = AdminError(.forbidden, "uid \(peer.uid) has no role on this admin socket")
                audit(peer: peer, role: nil, command: "connect", arguments: [:], result: error.code)
                refused = Self.errorLine(id: nil, error)
            }
            let refusal = refused
            queue.async { [self] in
                admitting -= 1
                if let refusal {
                    logger.notice(
                        "admin socket: refused a peer with no role",
                        metadata: ["uid": "\(peer.uid)", "gid": "\(peer.gid)", "pid": "\(peer.pid)"])
                    Self.sendBestEffort(client, refusal)
                    Glibc.close(client)
                    return
                }
                guard !stopped, let role else {
                    Glibc.close(client)
                    return
                }
                let connection = AdminConnection(
                    number: nextNumber, fd: client, peer: peer, role: role, queue: queue, limits: configuration,
                    server: self)
                nextNumber += 1
                connections[connection.number] = connection
                log(connection, .debug, "connected")
                connection.start()
            }
        }
    }

    func connectionClosed(_ connection: AdminConnection, _ reason: AdminConnection.CloseReason) {
        connections[connection.number] = nil
        closeCounts[reason, default: 0] += 1
        log(connection, .debug, "closed (\(reason.rawValue))")
    }

    // MARK: - Idle connections

    private func sweepIdle() {
        let now = DispatchTime.now().uptimeNanoseconds
        let limit = UInt64(Self.nanoseconds(configuration.idleTimeout))
        for connection in Array(connections.values) where !connection.busy && connection.watch == nil {
            guard now &- connection.lastActivity >= limit else { continue }
            connection.fail(
                AdminError(.failed, "closing: no request in \(Self.describe(configuration.idleTimeout))"), id: nil,
                reason: .idle)
        }
    }

    /// How often idle connections are looked for: a quarter of the timeout, between 10 ms and 5 s.
    static func sweepPeriod(_ timeout: Duration) -> DispatchTimeInterval {
        let quarter = nanoseconds(timeout) / 4
        return .nanoseconds(Int(min(max(quarter, 10_000_000), 5_000_000_000)))
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    static func describe(_ duration: Duration) -> String {
        let milliseconds = nanoseconds(duration) / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }

    // MARK: - Helpers

    func log(_ connection: AdminConnection, _ level: Logger.Level, _ message: String) {
        logger.log(
            level: level, "admin connection \(connection.number): \(message)",
            metadata: ["uid": "\(connection.peer.uid)", "role": "\(connection.role.rawValue)"])
    }

    /// One error reply line: `{"id":1,"error":{"code":"...","message":"..."}}` and a newline.
    static func errorLine(id: Int?, _ error: AdminError) -> [UInt8] {
        let text =
            "{\"id\":\(id.map(String.init) ?? "null"),\"error\":{\"code\":\(JSONText.string(error.code)),"
            + "\"message\":\(JSONText.string(error.message))}}\n"
        return Array(text.utf8)
    }

    /// Writes `bytes` if the socket takes them at once; for a connection about to be closed.
    static func sendBestEffort(_ fd: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
    }

    /// Calls `body` with a `sockaddr_un` for `path`.
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

    /// Removes a socket file nobody listens on; refuses to touch a live socket or anything not a socket.
    private static func removeStaleSocket(at path: String, logger: Logger) throws(AdminServerError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw AdminServerError(
                .invalidSocketPath, "\(path) exists and is not a socket; not removing it for the admin socket")
        }
        // Non-blocking, so a live listener with a full backlog answers EAGAIN instead of hanging the start.
        let probe = socket(
            AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else {
            throw AdminServerError(.socketFailed, "a Unix socket could not be created: \(errnoSentence(errno))")
        }
        defer { Glibc.close(probe) }
        if withSocketAddress(path, { connect(probe, $0, $1) }) == 0 {
            throw AdminServerError(.alreadyListening, "another process is listening on the admin socket \(path)")
        }
        let error = errno
        if error == EAGAIN {
            throw AdminServerError(.alreadyListening, "another process is listening on the admin socket \(path)")
        }
        guard error == ECONNREFUSED else {
            throw AdminServerError(
                .alreadyListening, "\(path) exists and could not be probed (\(errnoSentence(error))); not removing it")
        }
        guard unlink(path) == 0 else {
            throw AdminServerError(
                .bindFailed, "the stale admin socket \(path) could not be removed: \(errnoSentence(errno))")
        }
        logger.info("removed a stale admin socket nobody was listening on", metadata: ["path": "\(path)"])
    }
}
