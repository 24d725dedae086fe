internal import CSottoProcess
import Glibc
import SottoConfig

/// The process-wide protections `sotto` sets up before it reads a key, and the switch to an unprivileged account
/// once its sockets are bound.
enum ProcessHardening {
    /// SIGPIPE ignored: a write to a closed pipe or socket (stderr piped into a log collector that went away, a
    /// peer gone between two writes) fails with EPIPE instead of killing the relay and every call on it.
    static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// No core dumps: `RLIMIT_CORE` 0 (soft and hard, so nothing in the process can raise it again) and the
    /// process not dumpable (`PR_SET_DUMPABLE` 0, which also keeps other processes of the same user from
    /// attaching with ptrace or reading its memory through /proc). A core file would hold TLS private keys and
    /// SRTP master keys. Called before any key is read, and again after ``drop(to:)``: the kernel resets the
    /// dumpable flag when the process's ids change.
    static func disableCoreDumps() throws(StartError) {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        guard setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none) == 0 else {
            throw StartError(
                description: "could not turn core dumps off (RLIMIT_CORE): \(errnoText())", isConfiguration: false)
        }
        guard CSottoProcess_set_dumpable(0) == 0, CSottoProcess_get_dumpable() == 0 else {
            throw StartError(
                description: "could not make the process non-dumpable: \(errnoText())", isConfiguration: false)
        }
    }

    /// Raises the soft `RLIMIT_NOFILE` to the hard limit (no privilege needed) and returns the soft limit now in
    /// effect: every call holds 4 UDP sockets, and the common soft default of 1024 would stop the relay near 250
    /// calls whatever the hard limit allows.
    static func raiseDescriptorLimit() -> Int {
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = rlimit(rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max)
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    /// Becomes `drop`'s user and group for good: supplementary groups cleared to the one group, then the group,
    /// then the user (in that order: once the uid is not root, the group can no longer change). Called as root,
    /// setgid and setuid set the real, effective and saved ids together. The result is checked, including that
    /// root cannot be taken back (which also proves the saved ids are gone); a switch that did not hold is an
    /// error, never a relay left running as root.
    static func drop(to drop: PrivilegeDrop) throws(StartError) {
        var groups = [drop.gid]
        guard setgroups(1, &groups) == 0 else { throw failure("setgroups(\(drop.gid))") }
        guard setgid(drop.gid) == 0 else { throw failure("setgid(\(drop.gid))") }
        guard setuid(drop.uid) == 0 else { throw failure("setuid(\(drop.uid))") }
        let held = getuid() == drop.uid && geteuid() == drop.uid && getgid() == drop.gid && getegid() == drop.gid
        var kept = [gid_t](repeating: 0, count: 64)
        let count = getgroups(Int32(kept.count), &kept)
        let groupsHeld = count >= 0 && kept.prefix(Int(count)).allSatisfy { $0 == drop.gid }
        // The proof that root is gone: taking it back must fail.
        let rootRefused = drop.uid == 0 || (setuid(0) != 0 && setgid(0) != 0)
        guard held, groupsHeld, rootRefused else {
            throw StartError(
                description: "switching to \(drop.user) (uid \(drop.uid), gid \(drop.gid)) did not hold; not running",
                isConfiguration: false)
        }
        try disableCoreDumps()
    }

    /// A user named by `name` (a name or a number) in the system's user database; a bare number that names no
    /// account is that uid with no primary group.
    static func user(_ name: String) -> PrivilegeDrop.Account? {
        if let entry = getpwnam(name) { return .init(uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid) }
        guard let number = UInt32(name) else { return nil }
        if let entry = getpwuid(number) { return .init(uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid) }
        return .init(uid: number, gid: nil)
    }

    /// A group named by `name` (a name or a number).
    static func group(_ name: String) -> UInt32? {
        if let entry = getgrnam(name) { return entry.pointee.gr_gid }
        return UInt32(name)
    }

    private static func failure(_ call: String) -> StartError {
        StartError(description: "could not switch account: \(call) failed: \(errnoText())", isConfiguration: false)
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
