/// Who may do what on the admin socket. Roles come from the peer's uid/gid (`SO_PEERCRED`), mapped in the
/// config's `[admin]` section.
///
/// Viewer, operator and admin are steps on one ladder: each may do what the one below may. The auditor stands
/// beside it: a viewer who may also reach the recordings, and the only role that may. Recordings are kept apart
/// from running the relay on purpose (separation of duties): the people who can end calls and read the config
/// cannot list, export, hold or delete what the relay recorded, and the compliance officers who can cannot
/// touch calls. So roles are not ordered; ``may(run:)`` is the one question the server asks.
public enum AdminRole: String, Codable, Sendable, CaseIterable {
    /// Read-only: sessions, stats, metrics, watch, registrations, version.
    case viewer
    /// A viewer who may also end calls, change the log level and start, stop, pause or resume recording.
    case `operator`
    /// Everything on the ladder, the effective config included; not the recordings.
    case admin
    /// A compliance officer: a viewer who may also list, show, export, hold, release and delete recordings.
    case auditor

    /// Whether this role may run `command`.
    public func may(run command: AdminCommand) -> Bool { may(actAs: command.role) }

    /// Whether this role may run a command whose table entry names `required`.
    public func may(actAs required: AdminRole) -> Bool {
        switch (self, required) {
        // The recordings are the auditor's alone: no rank reaches them.
        case (_, .auditor): self == .auditor
        // The auditor is a viewer for everything else.
        case (.auditor, _): required == .viewer
        default: ladder >= required.ladder
        }
    }

    /// Which role a peer gets when its uid and groups are granted more than one: the highest rung of the ladder,
    /// and the auditor above all. An auditor grant is the deliberate, narrow one (a named officer), so it wins
    /// over a broader grant through a group; such a peer loses the ladder's powers on this socket, it does not
    /// gain both.
    public var precedence: Int {
        switch self {
        case .viewer: 0
        case .operator: 1
        case .admin: 2
        case .auditor: 3
        }
    }

    private var ladder: Int {
        switch self {
        case .viewer, .auditor: 0
        case .operator: 1
        case .admin: 2
        }
    }
}
