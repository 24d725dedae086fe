#if canImport(Glibc)
    import Glibc
#endif

/// The few socket calls Transport makes the same way everywhere.
enum Socket {
    /// A non-blocking, close-on-exec TCP socket with Nagle off (SIP messages are small and
    /// latency-sensitive).
    static func make(family: Int32) throws(TransportError) -> Int32 {
        let fd = socket(
            family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw TransportError(.socketFailed, "a TCP socket could not be created: \(errnoSentence(errno))")
        }
        setNoDelay(fd)
        return fd
    }

    /// A non-blocking, close-on-exec Unix stream socket, or -1 with errno set.
    static func makeUnix() -> Int32 {
        socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }

    /// Makes an adopted socket (a `socketpair` end) non-blocking and close-on-exec, with Nagle off for
    /// TCP. Accepted sockets get both from `accept4` instead (see ``Acceptor``).
    static func prepareAccepted(_ fd: Int32, tcp: Bool) -> Bool {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else { return false }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        if tcp {
            setNoDelay(fd)
        }
        return true
    }

    /// Whether `fd` is an IPv4 or IPv6 socket.
    static func isTCP(_ fd: Int32) -> Bool {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let family = Int32(storage.ss_family)
        return named == 0 && (family == AF_INET || family == AF_INET6)
    }

    static func setNoDelay(_ fd: Int32) {
        var on: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) -> Bool {
        var value = value
        return setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0
    }
}
