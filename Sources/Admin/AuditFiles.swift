import Transport

#if canImport(Glibc)
    import Glibc
#endif

/// The audit log's files on disk: how the files beside the live log are named, and the system calls that
/// open, move and copy them without following a symbolic link.
///
/// Next to the live log `admin-audit.jsonl` there may be:
/// - `admin-audit.jsonl.20261207T132645.123Z`: a rotated file (by size or on SIGHUP); the next file's first
///   line chains to its last line and names it;
/// - `admin-audit.jsonl.broken-20261207T132645.123Z`: a file whose chain was found broken in the middle at
///   start, kept untouched as evidence; the next file's first line records the break;
/// - `admin-audit.jsonl.torn-20261207T132645.123Z`: the bytes after the last newline of a file cut short by
///   a crash, moved aside; not part of the chain.
///
/// The stamps sort in time order as text, so the chain's order is the files' order by stamp, the live log
/// last (``AuditFiles/chainOrder(_:)``).
public enum AuditFiles {
    /// What a file beside the live log is, from its name.
    public enum Kind: Sendable, Equatable {
        /// The live log (no recognised suffix).
        case live
        /// A rotated file, with its stamp.
        case rotated(String)
        /// A file set aside because its chain was broken, with its stamp.
        case broken(String)
        /// A torn tail moved aside, with its stamp (not part of the chain).
        case torn(String)
    }

    /// What `path`'s name says it is.
    public static func kind(of path: String) -> Kind {
        // The stamp has a dot of its own (before the milliseconds): it is the last two dot-separated parts.
        let parts = baseName(path).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return .live }
        let tail = parts[parts.count - 2] + "." + parts[parts.count - 1]
        for (prefix, make) in [("broken-", Kind.broken), ("torn-", Kind.torn)] where tail.hasPrefix(prefix) {
            let stamp = String(tail.dropFirst(prefix.count))
            if isStamp(stamp) { return make(stamp) }
        }
        return isStamp(String(tail)) ? .rotated(String(tail)) : .live
    }

    /// The files of one chain in the order they were written (by stamp, the live log last), and the files
    /// that are not part of a chain (torn tails), from a list in any order (a shell glob, say).
    public static func chainOrder(_ paths: [String]) -> (chain: [String], skipped: [String]) {
        var keyed: [(key: String, path: String)] = []
        var skipped: [String] = []
        for path in paths {
            switch kind(of: path) {
            case .torn: skipped.append(path)
            case .rotated(let stamp), .broken(let stamp): keyed.append((stamp, path))
            // "~" sorts after every digit: the live log comes last.
            case .live: keyed.append(("~" + baseName(path), path))
            }
        }
        return (keyed.sorted { ($0.key, $0.path) < ($1.key, $1.path) }.map(\.path), skipped)
    }

    /// `20261207T132645.123Z`, optionally followed by `-N` when two files got the same millisecond.
    static func isStamp(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return false }
        let digit = { (byte: UInt8) in byte >= 0x30 && byte <= 0x39 }
        let shape = Array("dddddddd_Tdddddd.dddZ".utf8).filter { $0 != UInt8(ascii: "_") }
        for (index, expected) in shape.enumerated() {
            let byte = bytes[index]
            if expected == UInt8(ascii: "d") ? !digit(byte) : byte != expected { return false }
        }
        let rest = bytes[20...]
        return rest.isEmpty || (rest.first == UInt8(ascii: "-") && rest.count > 1 && rest.dropFirst().allSatisfy(digit))
    }

    /// The current time as a file-name stamp, `20261207T132645.123Z` (UTC, no colons).
    static func stamp() -> String {
        let time = AuditLog.timestamp()  // 2026-12-07T13:26:45.123Z
        return String(time.filter { $0 != "-" && $0 != ":" })
    }

    /// The last path component.
    static func baseName(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
    }

    /// Opens `path` read-write for appending, creating it with mode 0600, never through a symbolic link:
    /// a link at the audit log's path could point the log at any file Sotto can write (or hide it).
    static func openLog(_ path: String, exclusive: Bool = false) throws(AuditError) -> Int32 {
        let flags = O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (exclusive ? O_EXCL : 0)
        let fd = open(path, flags, 0o600)
        guard fd >= 0 else {
            let error = errno
            if error == ELOOP {
                throw AuditError(
                    .symbolicLink,
                    "the audit log \(path) is a symbolic link; Sotto does not follow one there (it could point the "
                        + "log at any file Sotto may write): set admin.audit_log to the real file's path")
            }
            throw AuditError(.openFailed, "the audit log \(path) could not be opened: \(errnoSentence(error))")
        }
        return fd
    }

    /// Whether `fd` is a regular file (a device such as /dev/full has no chain to guard, rotate or repair).
    static func isRegular(_ fd: Int32) -> Bool {
        var info = stat()
        return fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// The device and inode of `fd`, or of `path` without following a link; nil if there is none.
    static func identity(fd: Int32) -> FileIdentity? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    static func identity(path: String) -> FileIdentity? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// The size of `fd`'s file.
    static func size(_ fd: Int32) -> Int {
        var info = stat()
        return fstat(fd, &info) == 0 ? Int(info.st_size) : 0
    }

    /// Gives the file at `path` the name `<path>.<label><stamp>` (with `-2`, `-3`, ... when that name is taken),
    /// never replacing a file; returns the new path. `link` then `unlink`, so the file always has a name.
    static func moveAside(_ path: String, label: String) throws(AuditError) -> String {
        let stamp = stamp()
        for attempt in 1...100 {
            let target = "\(path).\(label)\(stamp)\(attempt == 1 ? "" : "-\(attempt)")"
            if link(path, target) == 0 {
                guard unlink(path) == 0 else {
                    let error = errno
                    unlink(target)
                    throw AuditError(
                        .rotateFailed, "the audit log \(path) could not be renamed: \(errnoSentence(error))")
                }
                syncDirectory(of: path)
                return target
            }
            if errno != EEXIST {
                throw AuditError(
                    .rotateFailed, "the audit log \(path) could not be renamed to \(target): \(errnoSentence(errno))")
            }
        }
        throw AuditError(.rotateFailed, "the audit log \(path) could not be renamed: every name for it is taken")
    }

    /// Writes `bytes` to a new file `<path>.<label><stamp>` (mode 0600, never through a link) and syncs it;
    /// returns its path.
    static func writeAside(_ bytes: [UInt8], path: String, label: String) throws(AuditError) -> String {
        let stamp = stamp()
        for attempt in 1...100 {
            let target = "\(path).\(label)\(stamp)\(attempt == 1 ? "" : "-\(attempt)")"
            let fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd < 0 {
                if errno == EEXIST { continue }
                throw AuditError(.recoveryFailed, "\(target) could not be created: \(errnoSentence(errno))")
            }
            defer { close(fd) }
            var written = 0
            while written < bytes.count {
                let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else {
                    let error = errno
                    unlink(target)
                    throw AuditError(.recoveryFailed, "writing \(target) failed: \(errnoSentence(error))")
                }
                written += count
            }
            guard fsync(fd) == 0 else {
                let error = errno
                unlink(target)
                throw AuditError(.recoveryFailed, "syncing \(target) failed: \(errnoSentence(error))")
            }
            syncDirectory(of: path)
            return target
        }
        throw AuditError(.recoveryFailed, "no file name next to \(path) was free for the torn tail")
    }

    /// Reads `count` bytes of `fd` from `offset`.
    static func read(_ fd: Int32, offset: Int, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done))
            }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { return nil }
            done += got
        }
        return bytes
    }

    /// The path `fd` has now (it may have been moved since it was opened), from /proc.
    static func currentPath(of fd: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = readlink("/proc/self/fd/\(fd)", &buffer, 4096)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.hasSuffix(" (deleted)") ? nil : text
    }

    /// Syncs the directory holding `path`, so a rename or a new file survives a crash.
    static func syncDirectory(of path: String) {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}

/// A file's device and inode: whether a path still names the file a descriptor has open.
struct FileIdentity: Equatable, Sendable {
    var device: UInt64
    var inode: UInt64
}
