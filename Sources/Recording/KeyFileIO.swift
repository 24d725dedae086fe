import Glibc

/// The key files' I/O: reads bounded before allocating, creates without replacing.
enum KeyFileIO {
    static func read(
        path: String, limit: Int, privateKey: Bool, error: (String) -> VaultCryptoError
    ) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw error("\(path): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw error("\(path): cannot stat: \(String(cString: strerror(errno)))") }
        guard status.st_mode & S_IFMT == S_IFREG else { throw error("\(path): not a regular file") }
        // A private key others can read is no longer private: refuse it (as ssh does) rather than use it.
        if privateKey, status.st_mode & 0o077 != 0 {
            throw error(
                "\(path): mode \(String(status.st_mode & 0o777, radix: 8)) lets others read the key; chmod 600 it")
        }
        // The limit is checked before the buffer is allocated.
        guard status.st_size <= limit else {
            throw error("\(path): \(status.st_size) bytes, more than the \(limit) a key file may hold")
        }
        // A fixed buffer one byte over the limit: a file that grew after fstat is caught below, never cut short.
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        var total = 0
        while total < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + total, $0.count - total) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw error("\(path): cannot read: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            total += count
        }
        guard total <= limit else { throw error("\(path): more than the \(limit) bytes a key file may hold") }
        return Array(bytes.prefix(total))
    }

    static func create(path: String, mode: mode_t, contents: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw VaultCryptoError(.keyFile, "\(path): cannot create: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var written = 0
        while written < contents.count {
            let count = contents.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                throw VaultCryptoError(.keyFile, "\(path): cannot write: \(String(cString: strerror(errno)))")
            }
            written += count
        }
        guard fsync(fd) == 0 else {
            throw VaultCryptoError(.keyFile, "\(path): cannot sync: \(String(cString: strerror(errno)))")
        }
    }
}
