#if canImport(Glibc)
    import Glibc
#endif

/// Who is on the other end of a Unix socket, as the kernel recorded it at `connect()` (`SO_PEERCRED`).
public struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    /// The peer's process id at connect time.
    public var pid: Int32
    /// The peer's effective user id.
    public var uid: UInt32
    /// The peer's effective group id.
    public var gid: UInt32

    /// Credentials as given.
    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

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

    /// "pid 42 (uid 1000)".
    public var description: String { "pid \(pid) (uid \(uid))" }
}
