import AdminProtocol
import Logging
import Synchronization
import Transport

#if canImport(Glibc)
    import Glibc
#endif

/// The admin socket's audit log: one JSON line per state-changing command and per refused attempt, each
/// carrying the SHA-256 of the line before it, so a line edited or removed is detectable (``verify(path:)``).
///
/// ```
/// {"time":"2026-11-29T23:50:01.123Z","uid":1000,"role":"operator","cmd":"terminate","args":{"id":"3"},
///  "result":"ok","prev":"<sha256 hex of the previous line's bytes, newline excluded; 64 zeros first>"}
/// ```
/// (one line in the file). Every append is `fsync`'d before it returns: the server carries a command out
/// only once its line is durable, and a failed write is cut off again so the file never ends mid-line.
///
/// One writer per file: a regular file is `flock`ed for as long as the log is open, so a second relay pointed
/// at the same path fails to start instead of forking the chain. The path is opened with `O_NOFOLLOW`.
///
/// The log never stops the relay for what a crash leaves behind. At open the whole chain is checked:
/// - a last line cut short (a crash mid-write) is moved aside into `<path>.torn-<stamp>`, the file is cut
///   back to its last complete line, and an `audit-recover` line records that, chained as usual;
/// - a chain broken in the middle (a line edited, removed or inserted: tampering, or a damaged disk) is not
///   repaired: the file is kept untouched as `<path>.broken-<stamp>`, a new file is started whose first line
///   (`audit-chain-break`) names it, the line and the reason, and the relay logs it at `critical`.
///   `verify` reports that break for as long as the files are kept, so it cannot go unnoticed, and the relay
///   goes on carrying calls (an attacker able to write the log must not be able to keep it down).
///
/// Rotation (``rotate(reason:)``, by size after an append or on SIGHUP): the file is renamed
/// `<path>.<stamp>` (unless something else already moved it) and a new file begins with an `audit-rotate`
/// line that names the previous file and chains to its last line, so the chain runs on across files.
public final class AuditLog: Sendable {
    /// The file's path.
    public let path: String
    /// The size past which an append rotates the file; 0: never by size.
    public let maxBytes: Int

    /// `cmd` of the first line of a rotated-to file.
    static let rotateCommand = "audit-rotate"
    /// `cmd` of the line that records a torn tail moved aside.
    static let recoverCommand = "audit-recover"
    /// `cmd` of the first line of a file started because the chain was found broken.
    static let chainBreakCommand = "audit-chain-break"

    private struct State {
        var fd: Int32
        /// The SHA-256 of the last line written (the next line's `prev`).
        var head: String
        /// The file's size, for rotation by size.
        var size: Int
        /// Whether the file is a regular one (only those are checked, repaired and rotated).
        var regular: Bool
    }

    private let state: Mutex<State>
    private let logger: Logger

    /// Opens (creating with mode 0600) `path` for appending, checks its chain and continues it, after
    /// recovering from a torn last line or a broken chain as described above.
    ///
    /// - Parameters:
    ///   - path: the live log's path; a symbolic link there is refused.
    ///   - maxBytes: rotate once the file reaches this size; 0: never by size.
    ///   - logger: where recoveries, breaks and rotations are reported.
    public init(
        path: String, maxBytes: Int = 0,
        logger: Logger = Logger(label: "sotto.audit", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(AuditError) {
        self.path = path
        self.maxBytes = maxBytes
        self.logger = logger
        var fd = try AuditFiles.openLog(path)
        do throws(AuditError) {
            try Self.lock(fd, path: path)
            let regular = AuditFiles.isRegular(fd)
            var head = SHA256.zeroHex
            if regular {
                let walk = Self.walk(fd: fd, path: path)
                if let reason = walk.readError {
                    throw AuditError(.readFailed, "the audit log \(path) could not be read: \(reason)")
                }
                if let broken = walk.broken {
                    (fd, head) = try Self.startAfterBreak(fd: fd, path: path, broken: broken, logger: logger)
                } else {
                    head = walk.head
                    if walk.tailBytes > 0 {
                        head = try Self.recoverTornTail(fd: fd, path: path, walk: walk, logger: logger)
                    }
                }
            }
            state = Mutex(State(fd: fd, head: head, size: AuditFiles.size(fd), regular: regular))
        } catch {
            close(fd)
            throw error
        }
    }

    deinit {
        _ = state.withLock { close($0.fd) }
    }

    /// The SHA-256 of the last line written: an anchor worth keeping elsewhere (the server logs it with each
    /// append), since cutting lines off the end of the file leaves a chain that is still consistent.
    public var head: String { state.withLock { $0.head } }

    /// Appends one line and `fsync`s it. Returns the new line's SHA-256 (the new ``head``). Past ``maxBytes``
    /// the file is then rotated; a rotation that fails is logged and tried again after the next append.
    ///
    /// - Parameters:
    ///   - uid: the peer's uid.
    ///   - role: the peer's role; nil for a peer with none.
    ///   - command: the command name (`connect` for a peer refused at connect).
    ///   - arguments: the arguments as text.
    ///   - result: `ok` or the error code the command got.
    ///   - time: when; now by default.
    @discardableResult
    public func append(
        uid: UInt32, role: AdminRole?, command: String, arguments: [String: String], result: String,
        time: String = AuditLog.timestamp()
    ) throws(AuditError) -> String {
        let outcome: Result<String, AuditError> = state.withLock { state in
            let line = Self.line(
                uid: uid, role: role, command: command, arguments: arguments, result: result, prev: state.head,
                time: time)
            do throws(AuditError) {
                try Self.writeDurably(fd: state.fd, line: line + [0x0a], path: path)
            } catch {
                return .failure(error)
            }
            state.head = SHA256.hex(line)
            state.size += line.count + 1
            if maxBytes > 0, state.size >= maxBytes, state.regular {
                do throws(AuditError) {
                    try rotateLocked(&state, reason: "size")
                } catch {
                    logger.error("audit log not rotated; it stays in use", metadata: ["reason": "\(error.reason)"])
                }
            }
            return .success(state.head)
        }
        return try outcome.get()
    }

    /// Starts a new file at ``path`` whose first line (`audit-rotate`) names the previous file and chains to
    /// its last line. The previous file is renamed `<path>.<stamp>` if it is still at ``path``; if something
    /// else moved it already (logrotate), its new name is recorded. An empty file is not rotated. Returns the
    /// previous file's path, or nil if nothing was rotated.
    @discardableResult
    public func rotate(reason: String) throws(AuditError) -> String? {
        let outcome: Result<String?, AuditError> = state.withLock { state in
            guard state.regular, state.size > 0 else { return .success(nil) }
            do throws(AuditError) {
                return .success(try rotateLocked(&state, reason: reason))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    @discardableResult
    private func rotateLocked(_ state: inout State, reason: String) throws(AuditError) -> String {
        let previous: String
        if let here = AuditFiles.identity(path: path), here == AuditFiles.identity(fd: state.fd) {
            previous = try AuditFiles.moveAside(path, label: "")
        } else {
            // Moved (or removed) by someone else: its current name, if it still has one.
            previous = AuditFiles.currentPath(of: state.fd) ?? "(removed)"
        }
        let fd = try AuditFiles.openLog(path)
        do throws(AuditError) {
            try Self.lock(fd, path: path)
            guard AuditFiles.size(fd) == 0 else {
                throw AuditError(
                    .rotateFailed,
                    "a non-empty file was put at \(path) after the audit log was moved; it is not Sotto's")
            }
            let line = Self.line(
                uid: getuid(), role: nil, command: Self.rotateCommand,
                arguments: ["previous_file": AuditFiles.baseName(previous), "reason": reason], result: "ok",
                prev: state.head, time: Self.timestamp())
            try Self.writeDurably(fd: fd, line: line + [0x0a], path: path)
            AuditFiles.syncDirectory(of: path)
            close(state.fd)
            state.fd = fd
            state.head = SHA256.hex(line)
            state.size = line.count + 1
        } catch {
            close(fd)
            throw error
        }
        logger.notice(
            "audit log rotated", metadata: ["previous": "\(previous)", "path": "\(path)", "reason": "\(reason)"])
        return previous
    }

    /// One line's bytes, newline excluded; the keys in the documented order.
    private static func line(
        uid: UInt32, role: AdminRole?, command: String, arguments: [String: String], result: String, prev: String,
        time: String
    ) -> [UInt8] {
        let text =
            "{\"time\":\(JSONText.string(time)),\"uid\":\(uid),"
            + "\"role\":\(role.map { JSONText.string($0.rawValue) } ?? "null"),"
            + "\"cmd\":\(JSONText.string(command)),\"args\":\(JSONText.object(arguments)),"
            + "\"result\":\(JSONText.string(result)),\"prev\":\"\(prev)\"}"
        return Array(text.utf8)
    }

    /// The current time as `2026-11-29T23:50:01.123Z` (UTC, milliseconds).
    public static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
            + "T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
            + ".\(pad(Int32(now.tv_nsec / 1_000_000), 3))Z"
    }

    // MARK: - Opening

    /// Locks a regular file against a second writer (a device such as /dev/full is shared by all).
    private static func lock(_ fd: Int32, path: String) throws(AuditError) {
        guard AuditFiles.isRegular(fd), flock(fd, LOCK_EX | LOCK_NB) != 0 else { return }
        let error = errno
        let why = error == EWOULDBLOCK ? "another process has it open for writing" : errnoSentence(error)
        throw AuditError(.openFailed, "the audit log \(path) could not be locked: \(why)")
    }

    /// A crash cut the last line short: its bytes go to `<path>.torn-<stamp>`, the file is cut back to its
    /// last complete line, and an `audit-recover` line says so. Returns the new head.
    private static func recoverTornTail(fd: Int32, path: String, walk: AuditWalk, logger: Logger) throws(AuditError)
        -> String
    {
        guard let tail = AuditFiles.read(fd, offset: walk.completeBytes, count: walk.tailBytes) else {
            throw AuditError(.readFailed, "the torn last line of the audit log \(path) could not be read")
        }
        // The tail is saved (and synced) before the log is cut, so a crash in between loses nothing.
        let aside = try AuditFiles.writeAside(tail, path: path, label: "torn-")
        guard ftruncate(fd, off_t(walk.completeBytes)) == 0, fsync(fd) == 0 else {
            throw AuditError(
                .recoveryFailed,
                "the audit log \(path) could not be cut back to its last complete line: "
                    + errnoSentence(errno))
        }
        let line = Self.line(
            uid: getuid(), role: nil, command: recoverCommand,
            arguments: [
                "torn_file": AuditFiles.baseName(aside), "torn_bytes": String(walk.tailBytes),
                "lines": String(walk.lines),
            ], result: "ok", prev: walk.head, time: timestamp())
        try writeDurably(fd: fd, line: line + [0x0a], path: path)
        logger.warning(
            "audit log: the last line was cut short (a crash while writing); moved it aside and carried on",
            metadata: ["path": "\(path)", "torn-file": "\(aside)", "torn-bytes": "\(walk.tailBytes)"])
        return SHA256.hex(line)
    }

    /// The chain is broken in the middle: the file is kept as it is under `<path>.broken-<stamp>`, and a new
    /// file begins with an `audit-chain-break` line naming it. Returns the new file and its head.
    private static func startAfterBreak(
        fd: Int32, path: String, broken: (line: Int, reason: String), logger: Logger
    ) throws(AuditError) -> (Int32, String) {
        let aside = try AuditFiles.moveAside(path, label: "broken-")
        let fresh = try AuditFiles.openLog(path, exclusive: true)
        do throws(AuditError) {
            try lock(fresh, path: path)
            let line = Self.line(
                uid: getuid(), role: nil, command: chainBreakCommand,
                arguments: [
                    "previous_file": AuditFiles.baseName(aside), "line": String(broken.line),
                    "reason": AuditText.cut(broken.reason, to: 256),
                ], result: "chain_broken", prev: SHA256.zeroHex, time: timestamp())
            try writeDurably(fd: fresh, line: line + [0x0a], path: path)
            AuditFiles.syncDirectory(of: path)
            logger.critical(
                """
                audit log: the chain is broken in the middle (a line edited, removed or inserted); the file is kept \
                as it was and a new chain starts
                """,
                metadata: [
                    "path": "\(path)", "kept-as": "\(aside)", "line": "\(broken.line)", "reason": "\(broken.reason)",
                ])
            close(fd)
            return (fresh, SHA256.hex(line))
        } catch {
            close(fresh)
            throw error
        }
    }

    /// Writes all of `line` and fsyncs; on failure cuts the file back to where it was, so it never ends in a
    /// partial line and the chain can go on once the disk has room.
    private static func writeDurably(fd: Int32, line: [UInt8], path: String) throws(AuditError) {
        var info = stat()
        let regular = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        let before = info.st_size
        func undo() {
            if regular {
                _ = ftruncate(fd, before)
                _ = fsync(fd)
            }
        }
        var written = 0
        while written < line.count {
            let count = line.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                let error = errno
                if error == EINTR { continue }
                undo()
                throw AuditError(.writeFailed, "writing to the audit log \(path) failed: \(errnoSentence(error))")
            }
            written += count
        }
        guard fsync(fd) == 0 else {
            let error = errno
            undo()
            throw AuditError(.syncFailed, "syncing the audit log \(path) failed: \(errnoSentence(error))")
        }
    }
}
