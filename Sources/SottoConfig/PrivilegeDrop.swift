/// The account Sotto switches to once its sockets are bound: the decision, taken from `[process]` and the
/// account it was started as, before anything is bound. Making the switch is the executable's job.
public struct PrivilegeDrop: Sendable, Equatable {
    /// The user to become.
    public let uid: UInt32
    /// The group to become; the only group kept (supplementary groups are dropped).
    public let gid: UInt32
    /// The user as the config names it, for messages.
    public let user: String

    /// A switch to `uid` and `gid`.
    public init(uid: UInt32, gid: UInt32, user: String) {
        self.uid = uid
        self.gid = gid
        self.user = user
    }

    /// A user account as the system's user database knows it.
    public struct Account: Sendable, Equatable {
        /// Its uid.
        public let uid: UInt32
        /// Its primary gid; nil for a bare number that names no account.
        public let gid: UInt32?

        /// An account with `uid` and primary group `gid`.
        public init(uid: UInt32, gid: UInt32?) {
            self.uid = uid
            self.gid = gid
        }
    }
}

extension SottoConfig {
    /// What Sotto does about its account, started with effective ids `euid` and `egid`: nil when it keeps the
    /// account it has, else the switch to make once bound. `user` and `group` look a name or number up (the
    /// executable passes the system's user and group database; tests pass a table).
    ///
    /// Refused, naming the key: running as root without `process.run_as_user` unless `process.allow_root`
    /// (a relay that parses what anyone on the network sends must not hold root for its whole life), a user or
    /// group that does not exist, `run_as_user` naming root without `allow_root`, and a switch the process cannot
    /// make because it is not root.
    public func privilegeDrop(
        euid: UInt32, egid: UInt32, user: (String) -> PrivilegeDrop.Account?, group: (String) -> UInt32?
    ) throws(ConfigError) -> PrivilegeDrop? {
        let source = file ?? ConfigError.commandLine
        func refuse(_ key: String, _ reason: String) -> ConfigError {
            ConfigError(file: source, key: key, reason: reason)
        }
        guard !process.runAsUser.isEmpty else {
            if euid == 0 && !process.allowRoot {
                throw refuse(
                    "process.run_as_user",
                    "Sotto was started as root and process.run_as_user is not set; name an unprivileged account "
                        + "for it to switch to once its sockets are bound, or set process.allow_root = true to keep "
                        + "root on purpose")
            }
            return nil
        }
        guard let account = user(process.runAsUser) else {
            throw refuse("process.run_as_user", "there is no user \"\(process.runAsUser)\"")
        }
        if account.uid == 0 && !process.allowRoot {
            throw refuse(
                "process.run_as_user",
                "\"\(process.runAsUser)\" is root; name an unprivileged account, or set process.allow_root = true")
        }
        let gid: UInt32
        if process.runAsGroup.isEmpty {
            guard let primary = account.gid else {
                throw refuse(
                    "process.run_as_group",
                    "user \(process.runAsUser) has no entry in the user database, so it has no primary group; "
                        + "set process.run_as_group")
            }
            gid = primary
        } else {
            guard let named = group(process.runAsGroup) else {
                throw refuse("process.run_as_group", "there is no group \"\(process.runAsGroup)\"")
            }
            gid = named
        }
        if euid != 0 {
            if account.uid == euid && gid == egid { return nil }
            throw refuse(
                "process.run_as_user",
                "Sotto runs as uid \(euid), not root, so it cannot switch to \(process.runAsUser) (uid \(account.uid), "
                    + "gid \(gid)); start it as root, or as that account without process.run_as_user")
        }
        return PrivilegeDrop(uid: account.uid, gid: gid, user: process.runAsUser)
    }
}
