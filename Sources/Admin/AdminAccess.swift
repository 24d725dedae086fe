import AdminProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Who gets which role on the admin socket: sets of uids and gids per role, from the config.
///
/// A peer's role is the highest one that names its uid, its primary gid or one of its supplementary groups.
/// Roles are explicit: uid 0 gets no role unless the config grants one (root can open the socket file
/// whatever its mode, but being able to connect is not the same as being allowed to act).
public struct AdminAccess: Sendable, Equatable {
    /// The uids granted each role.
    public var uids: [AdminRole: Set<UInt32>]
    /// The gids granted each role.
    public var gids: [AdminRole: Set<UInt32>]

    /// Access from explicit id sets; an empty value grants nothing to anyone.
    public init(uids: [AdminRole: Set<UInt32>] = [:], gids: [AdminRole: Set<UInt32>] = [:]) {
        self.uids = uids
        self.gids = gids
    }

    /// Access from config specs per role: `uid:1000`, `gid:27`, `user:alice`, `group:supervisors`.
    ///
    /// User and group names are resolved now (getpwnam/getgrnam), so a later rename does not change who
    /// holds a role until the next start; an unknown name is an error naming it.
    public init(specs: [AdminRole: [String]]) throws(AdminAccessError) {
        self.init()
        for role in AdminRole.allCases {
            for spec in specs[role] ?? [] {
                try grant(role, spec: spec)
            }
        }
    }

    /// Grants `role` to what `spec` names (`uid:N`, `gid:N`, `user:NAME`, `group:NAME`).
    public mutating func grant(_ role: AdminRole, spec: String) throws(AdminAccessError) {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw AdminAccessError(
                spec: spec, reason: "expected uid:N, gid:N, user:NAME or group:NAME")
        }
        let kind = parts[0]
        let value = String(parts[1])
        switch kind {
        case "uid":
            guard let uid = UInt32(value) else {
                throw AdminAccessError(spec: spec, reason: "\"\(value)\" is not a numeric uid")
            }
            uids[role, default: []].insert(uid)
        case "gid":
            guard let gid = UInt32(value) else {
                throw AdminAccessError(spec: spec, reason: "\"\(value)\" is not a numeric gid")
            }
            gids[role, default: []].insert(gid)
        case "user":
            guard let user = UserDatabase.user(named: value) else {
                throw AdminAccessError(spec: spec, reason: "there is no user named \"\(value)\"")
            }
            uids[role, default: []].insert(user.uid)
        case "group":
            guard let gid = UserDatabase.group(named: value) else {
                throw AdminAccessError(spec: spec, reason: "there is no group named \"\(value)\"")
            }
            gids[role, default: []].insert(gid)
        default:
            throw AdminAccessError(
                spec: spec, reason: "\"\(kind)\" is not one of uid, gid, user, group")
        }
    }

    /// The role granted to `uid`, `gid` or any of `supplementaryGroups` that takes precedence
    /// (``AdminRole/precedence``: the auditor, then admin, operator, viewer); nil if none is.
    public func role(uid: UInt32, gid: UInt32, supplementaryGroups: [UInt32]) -> AdminRole? {
        for role in AdminRole.allCases.sorted(by: { $0.precedence > $1.precedence }) {
            if uids[role]?.contains(uid) == true { return role }
            if let granted = gids[role], !granted.isEmpty {
                if granted.contains(gid) || supplementaryGroups.contains(where: granted.contains) { return role }
            }
        }
        return nil
    }

    /// The supplementary groups of `uid` from the user database (getpwuid + getgrouplist); empty for a uid
    /// with no passwd entry.
    ///
    /// This is the database's view, not the connecting process's actual group list (which `SO_PEERCRED` does
    /// not carry): a process that dropped its groups still gets the roles its user's groups grant.
    public static func supplementaryGroups(ofUID uid: UInt32) -> [UInt32] {
        guard let user = UserDatabase.user(id: uid) else { return [] }
        return UserDatabase.groupList(user: user.name, primaryGroup: user.gid)
    }
}

/// The reentrant passwd/group lookups, with the buffer grown on ERANGE.
enum UserDatabase {
    struct User {
        var name: String
        var uid: UInt32
        var gid: UInt32
    }

    static func user(named name: String) -> User? {
        lookupUser { entry, buffer, size, result in getpwnam_r(name, entry, buffer, size, result) }
    }

    static func user(id uid: UInt32) -> User? {
        lookupUser { entry, buffer, size, result in getpwuid_r(uid, entry, buffer, size, result) }
    }

    static func group(named name: String) -> UInt32? {
        var size = 4096
        while size <= 1 << 20 {
            var entry = Glibc.group()
            var result: UnsafeMutablePointer<Glibc.group>?
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            defer { buffer.deallocate() }
            let status = getgrnam_r(name, &entry, buffer, size, &result)
            if status == ERANGE {
                size *= 4
                continue
            }
            guard status == 0, let found = result else { return nil }
            return found.pointee.gr_gid
        }
        return nil
    }

    static func groupList(user: String, primaryGroup: UInt32) -> [UInt32] {
        var count: Int32 = 64
        while count <= 65536 {
            var groups = [gid_t](repeating: 0, count: Int(count))
            var found = count
            if getgrouplist(user, primaryGroup, &groups, &found) >= 0 {
                return Array(groups.prefix(Int(found)))
            }
            // -1: too small; `found` now holds the number needed.
            count = max(found, count * 2)
        }
        return []
    }

    private static func lookupUser(
        _ call: (
            UnsafeMutablePointer<passwd>, UnsafeMutablePointer<CChar>, Int,
            UnsafeMutablePointer<UnsafeMutablePointer<passwd>?>
        ) -> Int32
    ) -> User? {
        var size = 4096
        while size <= 1 << 20 {
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            defer { buffer.deallocate() }
            let status = call(&entry, buffer, size, &result)
            if status == ERANGE {
                size *= 4
                continue
            }
            guard status == 0, let found = result, let name = found.pointee.pw_name else { return nil }
            return User(name: String(cString: name), uid: found.pointee.pw_uid, gid: found.pointee.pw_gid)
        }
        return nil
    }
}
