import Transport

#if canImport(Glibc)
    import Glibc
#endif

/// The admin socket's directory: created when missing, checked when present.
///
/// Whoever can write to the directory can remove the socket and put their own in its place, and then see
/// every command `sottoctl` sends and answer it with lies. So the directory must belong to Sotto's uid, to
/// root, or to the account Sotto switches to once started (`process.run_as_user`), and must not be writable by its group or by others, unless it has the sticky bit (as /tmp
/// does: then only a file's owner may remove or rename it). A directory Sotto creates gets mode 0750 and,
/// when `admin.socket_group` is set, that group, so its members can reach the socket and nobody else can
/// even list it. Only the directory itself is checked, not the ones above it.
enum AdminSocketDirectory {
    /// Creates the directory of `socketPath` (and missing parents, 0755) with mode 0750 and `group` if it is
    /// missing, then checks it. Throws a sentence naming the directory and what to change.
    static func prepare(for socketPath: String, group: UInt32?, owner: UInt32? = nil) throws(AdminServerError) {
        let directory = parent(of: socketPath)
        var info = stat()
        if stat(directory, &info) != 0 {
            guard errno == ENOENT else {
                throw AdminServerError(
                    .unsafeDirectory,
                    "the admin socket's directory \(directory) could not be read: \(errnoSentence(errno))")
            }
            try create(directory, group: group)
            guard stat(directory, &info) == 0 else {
                throw AdminServerError(
                    .unsafeDirectory,
                    "the admin socket's directory \(directory) could not be read: \(errnoSentence(errno))")
            }
        }
        try check(directory, info, owner: owner)
    }

    /// Why `info` (of `directory`) is not safe to hold the socket, as an error; nothing if it is.
    static func check(_ directory: String, _ info: stat, owner: UInt32? = nil) throws(AdminServerError) {
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw AdminServerError(
                .unsafeDirectory, "the admin socket's directory \(directory) is not a directory")
        }
        let me = geteuid()
        guard info.st_uid == me || info.st_uid == 0 || info.st_uid == owner else {
            throw AdminServerError(
                .unsafeDirectory,
                "the admin socket's directory \(directory) belongs to uid \(info.st_uid), neither Sotto's (\(me)) nor "
                    + "root's: its owner could replace the socket; chown it, or put the socket elsewhere")
        }
        let mode = info.st_mode & 0o7777
        let sticky = mode & mode_t(S_ISVTX) != 0
        guard mode & 0o022 == 0 || sticky else {
            throw AdminServerError(
                .unsafeDirectory,
                "the admin socket's directory \(directory) is writable by \(mode & 0o002 != 0 ? "others" : "its group") "
                    + "(mode 0\(String(mode, radix: 8))) without the sticky bit: they could replace the socket; "
                    + "chmod go-w \(directory)")
        }
    }

    private static func create(_ directory: String, group: UInt32?) throws(AdminServerError) {
        let above = parent(of: directory)
        var info = stat()
        if above != directory, stat(above, &info) != 0, errno == ENOENT {
            try createParents(above)
        }
        guard mkdir(directory, 0o750) == 0 || errno == EEXIST else {
            throw AdminServerError(
                .unsafeDirectory,
                "the admin socket's directory \(directory) could not be created: \(errnoSentence(errno))")
        }
        // mkdir's mode is cut by the umask; the mode is set explicitly.
        guard chmod(directory, 0o750) == 0 else {
            throw AdminServerError(
                .unsafeDirectory, "chmod 0750 on \(directory) failed: \(errnoSentence(errno))")
        }
        if let group, chown(directory, UInt32.max, group) != 0 {
            throw AdminServerError(
                .unsafeDirectory, "giving \(directory) to group \(group) failed: \(errnoSentence(errno))")
        }
    }

    /// `mkdir -p` with mode 0755 for the directories above the socket's own.
    private static func createParents(_ directory: String) throws(AdminServerError) {
        let above = parent(of: directory)
        var info = stat()
        if above != directory, stat(above, &info) != 0, errno == ENOENT {
            try createParents(above)
        }
        guard mkdir(directory, 0o755) == 0 || errno == EEXIST else {
            throw AdminServerError(.unsafeDirectory, "\(directory) could not be created: \(errnoSentence(errno))")
        }
    }

    /// The directory part of `path` (`.` for a bare name, `/` for a name in the root).
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let head = String(path[..<slash])
        return head.isEmpty ? "/" : head
    }
}
