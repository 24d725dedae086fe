import Foundation
import Glibc

/// A bound Unix datagram socket standing in for systemd's notification socket (`$NOTIFY_SOCKET`): it reads what
/// the process under test sends. A name starting with `@` is in Linux's abstract namespace.
public final class NotifySocket: @unchecked Sendable {
    /// The name to put in `NOTIFY_SOCKET`.
    public let name: String
    private let fd: Int32

    /// Binds `name` (a path, or `@` and an abstract name); reads wait at most 5 s.
    public init(name: String) throws {
        self.name = name
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let length = socklen_t(2 + bytes.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard fd >= 0, bound == 0 else {
            if fd >= 0 { close(fd) }
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The next datagram, or nil when none came within 5 s.
    public func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer.prefix(count), as: UTF8.self)
    }

    /// Datagrams until one contains `text` (returned), or nil after `attempts` reads without it.
    public func receive(containing text: String, attempts: Int = 6) -> String? {
        for _ in 0..<attempts {
            guard let message = receive() else { return nil }
            if message.contains(text) { return message }
        }
        return nil
    }

    deinit {
        close(fd)
        if !name.hasPrefix("@") { unlink(name) }
    }
}
