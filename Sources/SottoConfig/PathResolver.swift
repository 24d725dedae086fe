import Glibc

/// Turns a relative path from the config into an absolute one and checks that files Sotto will read at
/// start are there, so that a wrong path is reported against its key rather than later by OpenSSL.
struct PathResolver {
    /// The absolute directory relative paths are taken from: the config file's directory, or the
    /// working directory for flags.
    let base: String

    /// Paths relative to `directory`, itself made absolute against the working directory.
    init(directory: String) {
        if directory.hasPrefix("/") {
            base = directory
        } else {
            let cwd = Self.currentDirectory()
            base = directory == "." ? cwd : cwd + "/" + directory
        }
    }

    /// Paths relative to the directory that holds `file`.
    init(directoryOf file: String) {
        guard let slash = file.lastIndex(of: "/") else {
            self.init(directory: ".")
            return
        }
        self.init(directory: slash == file.startIndex ? "/" : String(file[..<slash]))
    }

    /// `path` unchanged if absolute, else joined onto ``base``. No `..` is folded away: the kernel
    /// resolves it the same way when the file is opened, symbolic links included.
    func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return base.hasSuffix("/") ? base + path : base + "/" + path
    }

    /// Resolves `path` and checks it names a readable regular file (or a link to one).
    func readableFile(_ path: String) throws(InvalidValue) -> String {
        guard !path.contains("\0") else { throw InvalidValue("the path contains a NUL character") }
        let resolved = resolve(path)
        let shown = resolved == path ? "\"\(resolved)\"" : "\"\(resolved)\" (from \"\(path)\")"
        var info = stat()
        guard stat(resolved, &info) == 0 else {
            throw InvalidValue("cannot read \(shown): \(Self.errorText(errno))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw InvalidValue("cannot read \(shown): it is not a regular file")
        }
        guard access(resolved, R_OK) == 0 else {
            throw InvalidValue("cannot read \(shown): \(Self.errorText(errno))")
        }
        return resolved
    }

    /// The process's working directory, or `/` in the unlikely case it cannot be had.
    static func currentDirectory() -> String {
        guard let pointer = getcwd(nil, 0) else { return "/" }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    /// `strerror` for `code`, e.g. "No such file or directory".
    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// The whole of a file as UTF-8 text.
    static func readText(_ path: String) throws(InvalidValue) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw InvalidValue("cannot read the config file: \(errorText(errno))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw InvalidValue("cannot read the config file: \(errorText(errno))")
            }
            bytes += chunk[..<count]
            guard bytes.count <= 1 << 20 else {
                throw InvalidValue("the config file is larger than 1 MiB; is it the right file?")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw InvalidValue("the config file is not UTF-8 text")
        }
        return text
    }
}
