#if canImport(Glibc)
    import Glibc
#endif

/// Who is on the other end of a Unix socket, as the kernel recorded it at `connect()` (`SO_PEERCRED`).
struct PeerCredentials: Sendable, Equatable {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32

    /// The credentials of `fd`'s peer, or nil if the kernel will not say.
    static func of(_ fd: Int32) -> PeerCredentials? {
        // `struct ucred` is behind _GNU_SOURCE, which Swift's Glibc module does not import; it is three
        // 32-bit fields (pid, uid, gid), laid out exactly as a homogeneous tuple is.
        var raw: (UInt32, UInt32, UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout.size(ofValue: raw))
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &raw, &length) == 0,
            length == MemoryLayout.size(ofValue: raw)
        else { return nil }
        return PeerCredentials(pid: Int32(bitPattern: raw.0), uid: raw.1, gid: raw.2)
    }
}
