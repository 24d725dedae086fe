/// Who may do what on the admin socket. Roles come from the peer's uid/gid (`SO_PEERCRED`), mapped in the
/// config's `[admin]` section.
public enum AdminRole: String, Codable, Sendable, CaseIterable, Comparable {
    /// Read-only: sessions, stats, metrics, watch, registrations, version.
    case viewer
    /// A viewer who may also end calls and change the log level.
    case `operator`
    /// Everything, the effective config included.
    case admin

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .operator: 1
        case .admin: 2
        }
    }

    public static func < (lhs: AdminRole, rhs: AdminRole) -> Bool { lhs.rank < rhs.rank }
}
