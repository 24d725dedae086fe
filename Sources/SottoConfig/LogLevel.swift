/// How much Sotto logs: `log.level`, lowest first. The executable maps it onto swift-log's levels; this
/// module does not depend on swift-log so that reading a config never pulls in logging.
public enum LogLevel: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Everything, including per-message detail.
    case trace
    /// Detail useful when chasing a problem.
    case debug
    /// Calls starting and ending, connections, and the like.
    case info
    /// Things worth noticing that are not problems.
    case notice
    /// Something went wrong and Sotto carried on.
    case warning
    /// Something failed: a call, a connection.
    case error
    /// Sotto cannot go on.
    case critical

    /// The config spelling, e.g. `info`.
    public var description: String { rawValue }
}
