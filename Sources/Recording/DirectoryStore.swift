import CSottoNet
import Glibc
import Synchronization

/// The recording directory as a ``RecordingStore``: one sealed container file per recording, beside the index.
///
/// Opened once, by path, and then used only through the open directory descriptor (`openat`, `unlinkat`,
/// `fstatat`), so renaming or replacing the directory's path afterwards does not redirect a single write. The
/// directory is made mode 0700 (and an existing one tightened to it), must belong to the user Sotto runs as, and
/// must not be a symbolic link. Files are created 0600, exclusively, and opened with `O_NOFOLLOW`, so a link
/// planted in the directory is refused, never followed. Every descriptor is close-on-exec.
public final class DirectoryStore: RecordingStore {
    /// The directory's path, as given.
    public let path: String
    private let directory: Int32

    /// Opens `path`, creating it (mode 0700) when absent; its parent must exist.
    public init(path: String) throws(RecordingStoreError) {
        self.path = path
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw Self.failure("cannot create the recording directory \(path)", errno)
        }
        // O_NOFOLLOW on the last component: a symbolic link in place of the directory is refused (ELOOP), since
        // it could point the relay's writes anywhere its user can write.
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ELOOP || code == ENOTDIR {
                throw RecordingStoreError(
                    .unsafe, "the recording directory \(path) is a symbolic link or not a directory; give the real one")
            }
            throw Self.failure("cannot open the recording directory \(path)", code)
        }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw Self.failure("cannot read the recording directory \(path)", code)
        }
        // Another user's directory could be emptied or watched by that user; refuse it rather than write there.
        guard info.st_uid == geteuid() else {
            Glibc.close(descriptor)
            throw RecordingStoreError(
                .unsafe, "the recording directory \(path) belongs to uid \(info.st_uid), not to Sotto's (\(geteuid()))")
        }
        // Only Sotto's user may list, read or remove recordings: tighten a directory made with a wider mode.
        if info.st_mode & 0o077 != 0 && fchmod(descriptor, 0o700) != 0 {
            let code = errno
            Glibc.close(descriptor)
            throw Self.failure("cannot make the recording directory \(path) mode 0700", code)
        }
        directory = descriptor
    }

    deinit {
        Glibc.close(directory)
    }

    public func create(_ name: String) throws(RecordingStoreError) -> any RecordingFile {
        try check(name)
        let descriptor = openat(directory, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let code = errno
            if code == EEXIST { throw RecordingStoreError(.exists, "\(shown(name)) exists already") }
            throw Self.failure("cannot create \(shown(name))", code)
        }
        // The new entry is durable before the first chunk is: a crash never leaves synced chunks in a file the
        // directory has lost.
        guard fsync(directory) == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw Self.failure("cannot sync the recording directory \(path) after creating \(name)", code)
        }
        return DirectoryFile(descriptor: descriptor, name: shown(name))
    }

    public func read(_ name: String, maximumBytes: Int) throws(RecordingStoreError) -> [UInt8] {
        let descriptor = try openForReading(name)
        defer { Glibc.close(descriptor) }
        let size = try Self.size(of: descriptor, shown(name))
        // Checked before the buffer is allocated.
        guard size <= maximumBytes else {
            throw RecordingStoreError(.tooLarge, "\(shown(name)) is \(size) bytes, more than \(maximumBytes)")
        }
        return try Self.read(descriptor, offset: 0, length: size, shown(name))
    }

    public func read(_ name: String, offset: Int, length: Int) throws(RecordingStoreError) -> [UInt8] {
        guard offset >= 0, length >= 0 else {
            throw RecordingStoreError(.io, "a read of \(shown(name)) needs a non-negative offset and length")
        }
        let descriptor = try openForReading(name)
        defer { Glibc.close(descriptor) }
        let size = try Self.size(of: descriptor, shown(name))
        guard offset < size else { return [] }
        return try Self.read(descriptor, offset: offset, length: min(length, size - offset), shown(name))
    }

    public func size(_ name: String) throws(RecordingStoreError) -> Int? {
        try check(name)
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return nil }
            throw Self.failure("cannot read \(shown(name))", errno)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw RecordingStoreError(.unsafe, "\(shown(name)) is not a regular file")
        }
        return Int(info.st_size)
    }

    @discardableResult
    public func remove(_ name: String) throws(RecordingStoreError) -> Bool {
        try check(name)
        guard unlinkat(directory, name, 0) == 0 else {
            if errno == ENOENT { return false }
            throw Self.failure("cannot remove \(shown(name))", errno)
        }
        // The unlink is only durable once the directory's entry is: without this a power cut could bring the
        // file back.
        guard fsync(directory) == 0 else {
            throw Self.failure("cannot sync the recording directory \(path) after removing \(name)", errno)
        }
        return true
    }

    public func exists(_ name: String) -> Bool {
        guard Self.isValidName(name) else { return false }
        var info = stat()
        return fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0
    }

    /// One `syncfs(2)` on the directory's file system: every file's appended bytes durable in one call, rather than a
    /// `fdatasync` per recording per round (measured: at 250 recorded calls those were a third of the writer's CPU).
    public func syncAll() throws(RecordingStoreError) {
        guard CSottoNet_syncfs(directory) == 0 else {
            throw Self.failure("cannot sync the recording file system at \(path)", errno)
        }
    }

    /// Makes the directory's entries durable (after files are created in it).
    public func syncDirectory() throws(RecordingStoreError) {
        guard fsync(directory) == 0 else { throw Self.failure("cannot sync the recording directory \(path)", errno) }
    }

    private func check(_ name: String) throws(RecordingStoreError) {
        guard Self.isValidName(name) else {
            throw RecordingStoreError(.invalidName, "\"\(name)\" is not a recording file name")
        }
    }

    private func shown(_ name: String) -> String { path + "/" + name }

    private func openForReading(_ name: String) throws(RecordingStoreError) -> Int32 {
        try check(name)
        let descriptor = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ELOOP { throw RecordingStoreError(.unsafe, "\(shown(name)) is a symbolic link") }
            throw Self.failure("cannot read \(shown(name))", errno)
        }
        return descriptor
    }

    private static func size(of descriptor: Int32, _ shown: String) throws(RecordingStoreError) -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failure("cannot read \(shown)", errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw RecordingStoreError(.unsafe, "\(shown) is not a regular file")
        }
        return Int(info.st_size)
    }

    private static func read(
        _ descriptor: Int32, offset: Int, length: Int, _ shown: String
    ) throws(RecordingStoreError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: length)
        var done = 0
        while done < length {
            let count = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + done, length - done, off_t(offset + done))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("cannot read \(shown)", errno)
            }
            if count == 0 { break }
            done += count
        }
        return done == length ? bytes : Array(bytes[..<done])
    }

    /// An error for a failed call, its kind from `code`.
    static func failure(_ what: String, _ code: Int32) -> RecordingStoreError {
        let kind: RecordingStoreError.Kind =
            switch code {
            case ENOENT: .notFound
            case ENOSPC, EDQUOT: .full
            case ELOOP: .unsafe
            default: .io
            }
        return RecordingStoreError(kind, "\(what): \(String(cString: strerror(code)))")
    }
}

/// A file of a ``DirectoryStore`` being written.
final class DirectoryFile: RecordingFile {
    private struct State {
        var descriptor: Int32
        var size: Int
    }

    private let state: Mutex<State>
    private let name: String

    init(descriptor: Int32, name: String) {
        state = Mutex(State(descriptor: descriptor, size: 0))
        self.name = name
    }

    deinit {
        close()
    }

    var size: Int { state.withLock { $0.size } }

    func append(_ bytes: [UInt8]) throws(RecordingStoreError) {
        let result: Int32 = state.withLock { state in
            guard state.descriptor >= 0 else { return EBADF }
            var done = 0
            while done < bytes.count {
                let count = bytes.withUnsafeBytes {
                    write(state.descriptor, $0.baseAddress! + done, bytes.count - done)
                }
                if count < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += count
                state.size += count
            }
            return 0
        }
        if result != 0 { throw DirectoryStore.failure("cannot write \(name)", result) }
    }

    func sync() throws(RecordingStoreError) {
        let result: Int32 = state.withLock { state in
            guard state.descriptor >= 0 else { return EBADF }
            return fdatasync(state.descriptor) == 0 ? 0 : errno
        }
        if result != 0 { throw DirectoryStore.failure("cannot sync \(name)", result) }
    }

    func close() {
        state.withLock { state in
            if state.descriptor >= 0 { Glibc.close(state.descriptor) }
            state.descriptor = -1
        }
    }
}
