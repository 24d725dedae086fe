import AdminProtocol
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
/// at the same path fails to start instead of forking the chain.
public final class AuditLog: Sendable {
    /// The file's path.
    public let path: String

    private struct State {
        var fd: Int32
        /// The SHA-256 of the last line written (the next line's `prev`).
        var head: String
    }

    private let state: Mutex<State>

    /// Opens (creating with mode 0600) `path` for appending and reads its last line to continue the chain.
    public init(path: String) throws(AuditError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw AuditError(.openFailed, "the audit log \(path) could not be opened: \(errnoSentence(errno))")
        }
        var info = stat()
        let regular = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        // Only a regular file holds a chain worth guarding (a device such as /dev/full is shared by all).
        guard !regular || flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let error = errno
            close(fd)
            let why = error == EWOULDBLOCK ? "another process has it open for writing" : errnoSentence(error)
            throw AuditError(.openFailed, "the audit log \(path) could not be locked: \(why)")
        }
        let head: String
        do {
            head = try Self.lastLineHash(path: path)
        } catch {
            close(fd)
            throw error
        }
        self.path = path
        self.state = Mutex(State(fd: fd, head: head))
    }

    deinit {
        _ = state.withLock { close($0.fd) }
    }

    /// The SHA-256 of the last line written: an anchor worth keeping elsewhere (the server logs it with each
    /// append), since cutting lines off the end of the file leaves a chain that is still consistent.
    public var head: String { state.withLock { $0.head } }

    /// Appends one line and `fsync`s it. Returns the new line's SHA-256 (the new ``head``).
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
        let result: Result<String, AuditError> = state.withLock { state in
            let text =
                "{\"time\":\(JSONText.string(time)),\"uid\":\(uid),"
                + "\"role\":\(role.map { JSONText.string($0.rawValue) } ?? "null"),"
                + "\"cmd\":\(JSONText.string(command)),\"args\":\(JSONText.object(arguments)),"
                + "\"result\":\(JSONText.string(result)),\"prev\":\"\(state.head)\"}"
            let line = Array(text.utf8)
            do throws(AuditError) {
                try Self.writeDurably(fd: state.fd, line: line + [0x0a], path: path)
            } catch {
                return .failure(error)
            }
            state.head = SHA256.hex(line)
            return .success(state.head)
        }
        return try result.get()
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

    /// The SHA-256 of the file's last line, or 64 zeros for an empty (or non-regular) file.
    private static func lastLineHash(path: String) throws(AuditError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw AuditError(.readFailed, "the audit log \(path) could not be read: \(errnoSentence(errno))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw AuditError(.readFailed, "the audit log \(path) could not be read: \(errnoSentence(errno))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0 else { return SHA256.zeroHex }
        let size = Int(info.st_size)
        var last: UInt8 = 0
        guard pread(fd, &last, 1, off_t(size - 1)) == 1 else {
            throw AuditError(.readFailed, "the audit log \(path) could not be read: \(errnoSentence(errno))")
        }
        guard last == 0x0a else {
            throw AuditError(
                .incompleteLastLine,
                "the audit log \(path) does not end with a newline, so its last line was cut short outside Sotto; "
                    + "check it with AuditLog.verify and move it aside")
        }
        // Walk back from the final newline in chunks until the newline before it (or the file's start).
        var line = [UInt8]()
        var position = size - 1
        while position > 0 {
            let chunk = min(65536, position)
            var buffer = [UInt8](repeating: 0, count: chunk)
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, chunk, off_t(position - chunk)) }
            guard count == chunk else {
                throw AuditError(.readFailed, "the audit log \(path) could not be read: \(errnoSentence(errno))")
            }
            if let newline = buffer.lastIndex(of: 0x0a) {
                line = Array(buffer[(newline + 1)...]) + line
                break
            }
            line = buffer + line
            position -= chunk
        }
        return SHA256.hex(line)
    }
}
