import AdminProtocol
import Dispatch
import Logging
import Synchronization
import Transport

#if canImport(Glibc)
    import Glibc
#endif

/// The admin socket: a Unix stream socket speaking newline-delimited JSON (docs/admin-protocol.md).
///
/// The socket and its connections are Transport's (a ``UnixListener`` handing out ``ByteStream``s), on the
/// server's own event loop; commands (and the audit log's `fsync`) run on a concurrent worker queue and come
/// back as reply bytes, so a slow backend call or a slow disk holds up only the client that asked. Roles come from the peer's uid and groups
/// (`SO_PEERCRED`) through ``AdminAccess``; a peer with none gets one error line, is audited and is closed.
///
/// Limits (``AdminServerConfiguration``): connections, line length, output queued for a client that does
/// not read, idle time. Junk and unknown commands get an error reply and the connection carries on; a line
/// that is too long or carries a NUL byte gets an error and a close, since the framing can no longer be
/// trusted.
///
/// Call ``stop()`` when done: the listener holds the server until then.
public final class AdminServer: @unchecked Sendable {
    /// What it was set up with.
    public let configuration: AdminServerConfiguration
    /// The audit log the server writes.
    public let auditLog: AuditLog

    let backend: any AdminBackend
    let logger: Logger
    /// The loop the socket, the connections and the server's state live on.
    let loop = EventLoop(label: "sotto.admin")
    let workers = DispatchQueue(label: "sotto.admin.work", attributes: .concurrent)
    /// The loop's queue.
    var queue: DispatchQueue { loop.queue }

    private let listener: UnixListener
    private var sweepTimer: DispatchSourceTimer?
    private var connections: [Int: AdminConnection] = [:]
    private var admitting = 0
    private var nextNumber = 1
    private var started = false
    private var stopped = false
    private var admittingPerUID: [UInt32: Int] = [:]
    private var closeCounts: [AdminConnection.CloseReason: Int] = [:]
    private var refusedTooMany = 0
    /// Connections turned away, by limit (`per uid`, `reserved`).
    private var refusedConnections: [String: Int] = [:]
    /// Each kind of refusal's log lines, at most one every ten seconds.
    private var refusalLogs: [String: LogGate] = [:]
    /// Requests answered `rate_limited` and `watch` frames skipped, by kind (from workers and the loop).
    let limitCounts = Mutex(LimitCounts())

    /// Rate-limit events by kind: how many, and each kind's log lines (at most one every ten seconds).
    struct LimitCounts {
        var total: [String: Int] = [:]
        var logs: [String: LogGate] = [:]
    }
    /// Bounds the audit lines refusals write.
    let refusalThrottle: AuditRefusalThrottle
    /// The tokens `recordings-export` hands out, each bound to its connection.
    let exportGrants: AdminExportGrants

    /// Opens the audit log, checks (or creates) the socket's directory, binds the socket (mode 0660,
    /// `socketGroup` if set) and listens; ``start()`` begins accepting.
    ///
    /// A socket file already at the path is removed only if nothing is listening on it (a relay that
    /// crashed); anything else at the path, or a live listener, is an error. The directory must be safe
    /// (``AdminSocketDirectory``).
    public init(
        configuration: AdminServerConfiguration, backend: any AdminBackend, logger: Logger
    ) throws(AdminServerError) {
        let path = configuration.socketPath
        do {
            try UnixListener.checkPath(path, name: "admin socket")
        } catch {
            throw Self.setupError(error)
        }
        try AdminSocketDirectory.prepare(
            for: path, group: configuration.socketGroup, owner: configuration.socketDirectoryOwner)
        do {
            auditLog = try AuditLog(
                path: configuration.auditLogPath, maxBytes: configuration.auditMaxBytes, logger: logger)
        } catch {
            throw AdminServerError(.auditLogFailed, error.reason)
        }
        do {
            listener = try UnixListener(
                path: path, name: "admin socket", group: configuration.socketGroup, loop: loop,
                limits: AdminConnection.streamLimits(configuration),
                logger: TransportLogger(bridging: logger, prefix: "admin socket: "))
        } catch {
            throw Self.setupError(error)
        }
        if listener.removedStaleSocket {
            logger.info("removed a stale admin socket nobody was listening on", metadata: ["path": "\(path)"])
        }
        self.configuration = configuration
        self.backend = backend
        self.logger = logger
        self.refusalThrottle = AuditRefusalThrottle(configuration.auditRefusalLimit)
        self.exportGrants = AdminExportGrants(
            lifetime: UInt64(max(0, Self.nanoseconds(configuration.exportTokenLifetime))),
            perConnection: configuration.maxExportsPerConnection, total: configuration.maxExports,
            clock: configuration.exportClock ?? { DispatchTime.now().uptimeNanoseconds })
    }

    /// Starts accepting connections.
    public func start() {
        queue.async { [self] in
            guard !started, !stopped else { return }
            started = true
            listener.start { [self] stream, peer in admit(stream, peer) }

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
            listener.stop()
            for connection in Array(connections.values) {
                connection.close(.serverStopped)
            }
            logger.info("admin socket closed", metadata: ["path": "\(configuration.socketPath)"])
        }
    }

    /// Starts a new audit log file, chained to the current one (SIGHUP): on a worker, so the caller's loop does
    /// not wait for the disk. A failure is logged and the current file stays in use.
    public func rotateAuditLog() {
        workers.async { [self] in
            do throws(AuditError) {
                if try auditLog.rotate(reason: "signal") == nil {
                    logger.info("audit log not rotated: it is empty", metadata: ["path": "\(auditLog.path)"])
                }
            } catch {
                logger.error("audit log not rotated; it stays in use", metadata: ["reason": "\(error.reason)"])
            }
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

    /// How many connections were turned away by `limit`: `per uid` or `reserved`.
    package func refusedConnections(_ limit: String) -> Int { queue.sync { refusedConnections[limit] ?? 0 } }

    /// Requests answered `rate_limited` (`refusals`, `snapshots`) and `watch` frames skipped (`watch`).
    package func rateLimited(_ kind: String) -> Int { limitCounts.withLock { $0.total[kind] ?? 0 } }

    /// Export tokens live now (each bound to its connection).
    package var exportTokenCount: Int { exportGrants.count }

    /// Requests refused by a recordings limit (`exports`, `read length`).
    package func limitRefusals(_ kind: String) -> Int { limitCounts.withLock { $0.total[kind] ?? 0 } }

    /// Refusals whose audit line was left out (counted into `audit-suppressed` lines).
    package var auditLinesSuppressed: Int { refusalThrottle.totalSuppressed }

    // MARK: - Accepting

    private func admit(_ stream: ByteStream, _ credentials: PeerCredentials?) {
        let maximum = configuration.maxConnections
        if connections.count + admitting >= maximum {
            refusedTooMany += 1
            refuse(stream, limit: "too many", "too many admin connections (\(maximum) open); try again later")
            return
        }
        guard let kernel = credentials else {
            logger.warning("admin socket: refused a connection whose peer credentials are unknown")
            stream.close(.closedLocally, "the peer credentials are unknown")
            return
        }
        let peer = PeerCredentials(
            pid: kernel.pid, uid: configuration.peerUID?(kernel.uid) ?? kernel.uid, gid: kernel.gid)
        // Per uid, checked before the role lookup: one user (a dashboard opening `watch` after `watch`)
        // cannot take every connection.
        let perUID = configuration.maxConnectionsPerUID
        let open = connections.values.count { $0.peer.uid == peer.uid } + admittingPerUID[peer.uid, default: 0]
        if open >= perUID {
            refuse(
                stream, limit: "per uid",
                "uid \(peer.uid) already has \(open) admin connections open, the most one uid may have; close one "
                    + "first")
            return
        }
        admitting += 1
        admittingPerUID[peer.uid, default: 0] += 1
        let access = configuration.access
        // The group lookup can go to NSS (LDAP, ...), so it runs off the socket's loop.
        workers.async { [self] in
            let groups = AdminAccess.supplementaryGroups(ofUID: peer.uid)
            let role = access.role(uid: peer.uid, gid: peer.gid, supplementaryGroups: groups)
            var refused: AdminError?
            if role == nil {
                let error = AdminError(.forbidden, "uid \(peer.uid) has no role on this admin socket")
                audit(peer: peer, role: nil, command: "connect", arguments: [:], result: error.code)
                refused = error
            }
            let refusal = refused
            queue.async { [self] in
                admitting -= 1
                admittingPerUID[peer.uid, default: 1] -= 1
                if admittingPerUID[peer.uid] == 0 { admittingPerUID[peer.uid] = nil }
                if let refusal {
                    logger.notice(
                        "admin socket: refused a peer with no role",
                        metadata: ["uid": "\(peer.uid)", "gid": "\(peer.gid)", "pid": "\(peer.pid)"])
                    stream.close(.closedLocally, refusal.message, lastWords: Self.errorLine(id: nil, refusal))
                    return
                }
                guard !stopped, let role else {
                    stream.close()
                    return
                }
                // The last slots are kept for operators, admins and auditors: viewers (dashboards, `watch`)
                // cannot lock out the people who may end a call or must reach a recording. Decided once the
                // role is known.
                let reserved = configuration.reservedConnections
                if role == .viewer, connections.count + admitting >= maximum - reserved {
                    refuse(
                        stream, limit: "reserved",
                        "the last \(reserved) of \(maximum) admin connections are kept for operators, admins and "
                            + "auditors; "
                            + "try again later")
                    return
                }
                let connection = AdminConnection(
                    number: nextNumber, stream: stream, peer: peer, role: role, server: self)
                nextNumber += 1
                connections[connection.number] = connection
                log(connection, .debug, "connected")
                connection.start()
            }
        }
    }

    /// Turns a connection away for a limit: one error line, a close, a count, and a log line at most every
    /// ten seconds per limit (saying how many were not logged).
    private func refuse(_ stream: ByteStream, limit: String, _ message: String) {
        if limit != "too many" { refusedConnections[limit, default: 0] += 1 }
        let now = DispatchTime.now().uptimeNanoseconds
        if let unlogged = refusalLogs[limit, default: LogGate(interval: .seconds(10))].admit(now: now) {
            logger.warning(
                "admin socket: refused a connection: \(message)",
                metadata: ["limit": "\(limit)", "not-logged-since-last": "\(unlogged)"])
        }
        let error = AdminError(.failed, message)
        stream.close(.closedLocally, message, lastWords: Self.errorLine(id: nil, error))
    }

    func connectionClosed(_ connection: AdminConnection, _ reason: AdminConnection.CloseReason) {
        connections[connection.number] = nil
        // Its export tokens die with it: they were only ever good on this connection.
        exportGrants.dropConnection(connection.number)
        closeCounts[reason, default: 0] += 1
        log(connection, .debug, "closed (\(reason.rawValue))")
    }

    // MARK: - Idle connections

    private func sweepIdle() {
        // A flood of refusals that stopped still gets its summary line, within a sweep period.
        if refusalThrottle.hasSuppressed {
            workers.async { [self] in writeSuppressedSummary() }
        }
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

    /// The admin server's error for a socket Transport could not set up, with Transport's sentence.
    private static func setupError(_ error: TransportError) -> AdminServerError {
        let code: AdminServerError.Code
        switch error.code {
        case .invalidAddress: code = .invalidSocketPath
        case .addressInUse: code = .alreadyListening
        case .bindFailed: code = .bindFailed
        case .permissionsFailed: code = .permissionsFailed
        case .listenFailed: code = .listenFailed
        default: code = .socketFailed
        }
        return AdminServerError(code, error.reason)
    }
}
