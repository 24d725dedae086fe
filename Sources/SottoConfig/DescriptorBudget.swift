/// How Sotto's file descriptors are shared out, worked out at start from the process's descriptor limit
/// (`RLIMIT_NOFILE`, after its soft limit is raised to the hard one) and the config.
///
/// Media is what grows: every audio stream of a call holds 4 UDP sockets (two legs, an RTP and an RTCP socket
/// each). Everything else is reserved first: the TLS connections softphones may open (``SottoConfig/SIPSettings/
/// maxConnections``, but at most a quarter of the limit, so that a large connection cap on a small limit does
/// not leave media nothing), a fixed base for the process itself, and two per media loop. What is left, divided
/// by 4, is the number of calls that fit. A config that allows more calls than fit is refused at start
/// (``SottoConfig/checkDescriptors(limit:loops:)``) rather than failing on a busy day with "no media ports".
public struct DescriptorBudget: Sendable, Equatable {
    /// UDP sockets per audio stream of a call: two legs, an RTP and an RTCP socket each.
    public static let socketsPerCall = 4
    /// Descriptors the process needs whatever the load: standard input, output and error, the SIP listener, the
    /// PBX connection, the admin socket's listener and its connections (16 at most), the audit log, Dispatch's
    /// own descriptors, and files opened on the way (certificates read again on SIGHUP, DNS look-ups, the
    /// random device), with room to spare.
    public static let base = 64
    /// Descriptors per media loop: its epoll set, and one to spare.
    public static let perLoop = 2
    /// The share of the limit at most reserved for TLS connections: a quarter.
    public static let connectionShareDivisor = 4

    /// The descriptor limit the budget is for.
    public let limit: Int
    /// Descriptors kept for TLS connections: `sip.max_connections`, at most a quarter of ``limit``.
    public let connections: Int
    /// Descriptors kept for everything but media and TLS connections: ``base`` and ``perLoop`` per loop.
    public let process: Int

    /// The budget for `limit` descriptors, `maxConnections` TLS connections and `loops` media loops.
    public init(limit: Int, maxConnections: Int, loops: Int) {
        self.limit = max(0, limit)
        connections = min(max(0, maxConnections), self.limit / Self.connectionShareDivisor)
        process = Self.base + Self.perLoop * max(1, loops)
    }

    /// Descriptors left for media sockets.
    public var media: Int { max(0, limit - connections - process) }

    /// Calls (one audio stream each) whose sockets fit in ``media``.
    public var callsThatFit: Int { media / Self.socketsPerCall }
}

extension SottoConfig {
    /// Calls the media port range holds: each audio stream takes two port pairs (an RTP and an RTCP port for
    /// each leg), so a quarter of its ports.
    public var callsThePortsHold: Int {
        (Int(media.ports.upperBound) - Int(media.ports.lowerBound) + 1) / DescriptorBudget.socketsPerCall
    }

    /// Calls this config lets happen at once: `calls.max_calls` when set and the ports hold that many, else as
    /// many as the port range holds.
    public var callsAllowed: Int {
        calls.maxCalls > 0 ? min(calls.maxCalls, callsThePortsHold) : callsThePortsHold
    }

    /// The descriptor budget under `limit` (the process's `RLIMIT_NOFILE`) with `loops` media loops; refuses the
    /// config when the calls it allows (``callsAllowed``) need more descriptors than fit, naming the key that
    /// sets that number: `calls.max_calls` when it is what bounds the calls, else `media.ports`.
    ///
    /// This is a check at start, not part of ``validated()``: the limit belongs to the host, not the file.
    public func checkDescriptors(limit: Int, loops: Int) throws(ConfigError) -> DescriptorBudget {
        let budget = DescriptorBudget(limit: limit, maxConnections: sip.maxConnections, loops: loops)
        let allowed = callsAllowed
        guard allowed > budget.callsThatFit else { return budget }
        let fit = budget.callsThatFit
        let raise =
            "or raise the limit (LimitNOFILE= in a systemd unit, ulimit -n in a shell; Sotto raises its soft "
            + "limit to the hard one itself)"
        let room =
            "the file-descriptor limit (\(limit)) leaves room for \(fit) calls (\(DescriptorBudget.socketsPerCall) "
            + "sockets each, after \(budget.connections) kept for TLS connections and \(budget.process) for the "
            + "process)"
        let source = file ?? ConfigError.commandLine
        if calls.maxCalls > 0 && calls.maxCalls <= callsThePortsHold {
            throw ConfigError(
                file: source, key: "calls.max_calls",
                reason: "\(calls.maxCalls) calls do not fit: \(room); set calls.max_calls to at most \(fit), \(raise)")
        }
        let range = "\(media.ports.lowerBound)-\(media.ports.upperBound)"
        throw ConfigError(
            file: source, key: "media.ports",
            reason: "\(range) holds \(allowed) calls, which do not fit: \(room); set calls.max_calls to at most "
                + "\(fit) or narrow the range, \(raise)")
    }
}
