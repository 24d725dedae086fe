import AdminProtocol
import Dispatch
import Logging
import Transport

#if canImport(Glibc)
    import Glibc
#endif

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Requests: parsed, checked against ``AdminCommand/table`` and the peer's role, audited when they change
/// state (or are refused), then carried out. Runs on the worker queue.
extension AdminServer {
    /// What a request line turned into.
    package enum Outcome: Sendable {
        /// A reply line to send.
        case reply([UInt8])
        /// An error reply line for a refused request: it takes one of the connection's refusal tokens.
        case refused([UInt8])
        /// Start streaming `watch` frames under this id.
        case watch(id: Int, interval: Duration)
    }

    /// A request line from `connection` (on the server queue): handled on a worker, answered on the queue.
    func received(_ line: [UInt8], on connection: AdminConnection) {
        let peer = connection.peer
        let role = connection.role
        let limiter = connection.limiter
        let number = connection.number
        workers.async { [self] in
            let outcome = handle(line, peer: peer, role: role, limiter: limiter, connection: number)
            if case .refused = outcome { limiter.refused() }
            queue.async { [self] in
                switch outcome {
                case .reply(let bytes), .refused(let bytes): connection.completed(bytes)
                case .watch(let id, let interval): startWatch(id: id, interval: interval, on: connection)
                }
            }
        }
    }

    /// One request line, start to finish (package access: the admin-protocol fuzz target calls it directly).
    /// `connection` is the connection's number, which export tokens are bound to.
    package func handle(
        _ line: [UInt8], peer: PeerCredentials, role: AdminRole, limiter: AdminConnectionLimiter, connection: Int = 0
    ) -> Outcome {
        // A connection that used up its refusals is turned away before its line is even decoded.
        if let wait = limiter.refusalsExhausted() {
            count("refusals")
            return .reply(
                Self.errorLine(
                    id: nil,
                    AdminError(
                        .rateLimited,
                        "too many refused requests on this connection; requests are not read for \(wait) ms")))
        }
        let envelope: RequestEnvelope
        do {
            envelope = try JSONDecoder().decode(RequestEnvelope.self, from: Data(line))
        } catch {
            return .refused(Self.errorLine(id: nil, AdminError(.badRequest, "the line is not a JSON object")))
        }
        guard let id = envelope.id else {
            return .refused(Self.errorLine(id: nil, AdminError(.badRequest, "the request has no integer \"id\"")))
        }
        guard let name = envelope.cmd else {
            return .refused(Self.errorLine(id: id, AdminError(.badRequest, "the request has no string \"cmd\"")))
        }
        guard let command = AdminCommand.named(name) else {
            return .refused(
                Self.errorLine(
                    id: id,
                    AdminError(
                        .unknownCommand,
                        "there is no command \"\(AuditText.cut(name, to: 64))\"; the command \"help\" lists them")))
        }
        guard role.may(run: command) else {
            let error = AdminError(
                .forbidden,
                "\(command.name) needs the \(command.role.rawValue) role; uid \(peer.uid) has \(role.rawValue)")
            audit(
                peer: peer, role: role, command: command.name, arguments: Self.auditText(envelope.args),
                result: error.code, always: command.isRecordings)
            return .refused(Self.errorLine(id: id, error))
        }
        let arguments: [String: AdminValue]
        do throws(AdminError) {
            guard !envelope.argsMalformed else {
                throw AdminError(.badArguments, "\"args\" must be an object of strings, integers and booleans")
            }
            arguments = try Self.checkArguments(envelope.args ?? [:], for: command)
        } catch {
            if command.audited {
                guard
                    audit(
                        peer: peer, role: role, command: command.name, arguments: Self.auditText(envelope.args),
                        result: error.code, always: command.isRecordings)
                else { return .reply(Self.errorLine(id: id, Self.auditFailed)) }
            }
            return .refused(Self.errorLine(id: id, error))
        }
        // Each snapshot makes the media and signalling loops stop to answer: a few per second per connection.
        if command.takesSnapshot, command.name != "watch", let wait = limiter.takeSnapshot() {
            count("snapshots")
            return .reply(
                Self.errorLine(
                    id: id,
                    AdminError(
                        .rateLimited,
                        "\(command.name) takes a snapshot of the relay, limited to "
                            + "\(Self.describe(configuration.snapshotLimit)) per connection; try again in \(wait) ms")))
        }
        let request = Request(id: id, peer: peer, role: role, connection: connection)
        return run(command, arguments, request)
    }

    /// Who asked, on which connection, under which request id.
    struct Request {
        var id: Int
        var peer: PeerCredentials
        var role: AdminRole
        var connection: Int
    }

    /// Counts a request answered `rate_limited` (or refused by another limit), or a skipped `watch` frame, by kind;
    /// logs it, as `message`, at most once every ten seconds per kind, with how many were not logged since.
    func count(_ kind: String, log message: String = "admin socket: a connection was rate-limited") {
        let now = DispatchTime.now().uptimeNanoseconds
        let unlogged: Int? = limitCounts.withLock { counts in
            counts.total[kind, default: 0] += 1
            return counts.logs[kind, default: LogGate(interval: .seconds(10))].admit(now: now)
        }
        if let unlogged {
            logger.notice("\(message)", metadata: ["limit": "\(kind)", "not-logged-since-last": "\(unlogged)"])
        }
    }

    /// `10 per second`, `1 every 60 s`.
    static func describe(_ limit: AdminRateLimit) -> String {
        if limit.perSecond >= 1 { return "\(Int(limit.perSecond)) per second" }
        return "1 every \(Int((1 / max(limit.perSecond, 1e-9)).rounded())) s"
    }

    private func run(_ command: AdminCommand, _ arguments: [String: AdminValue], _ request: Request) -> Outcome {
        let (id, peer, role) = (request.id, request.peer, request.role)
        if command.name == "record" || command.isRecordings {
            return runRecordings(command, arguments, request)
        }
        switch command.name {
        case "help":
            return .reply(Self.resultLine(id: id, AdminCommand.table))
        case "version":
            return .reply(Self.resultLine(id: id, backend.version()))
        case "sessions":
            return .reply(Self.resultLine(id: id, backend.sessions()))
        case "session":
            let session = arguments.sessionID
            guard let found = backend.session(id: session) else {
                return .refused(Self.errorLine(id: id, AdminError(.notFound, "there is no session \(session)")))
            }
            return .reply(Self.resultLine(id: id, found))
        case "terminate":
            return terminate(arguments.sessionID, id: id, peer: peer, role: role)
        case "registrations":
            return .reply(Self.resultLine(id: id, backend.registrations()))
        case "stats":
            return .reply(Self.resultLine(id: id, backend.stats()))
        case "watch":
            let milliseconds = arguments["interval_ms"].flatMap(\.integer) ?? 1000
            let interval = Duration.milliseconds(milliseconds)
            guard interval >= configuration.minimumWatchInterval, milliseconds <= 3_600_000 else {
                let least = Self.nanoseconds(configuration.minimumWatchInterval) / 1_000_000
                return .refused(
                    Self.errorLine(
                        id: id,
                        AdminError(.badArguments, "interval_ms must be between \(least) and 3600000")))
            }
            return .watch(id: id, interval: interval)
        case "metrics":
            return .reply(
                Self.resultLine(id: id, PrometheusText.render(stats: backend.stats(), sessions: backend.sessions())))
        case "log-level":
            return setLogLevel(arguments["level"]?.description ?? "", id: id, peer: peer, role: role)
        case "config":
            return .reply(Self.resultLine(id: id, backend.effectiveConfig()))
        default:
            // The table names a command this server does not implement: a programming error worth a reply,
            // not a crash.
            return .reply(
                Self.errorLine(id: id, AdminError(.failed, "the command \(command.name) is not implemented")))
        }
    }

    /// `terminate`: checked, audited, and only then carried out.
    private func terminate(_ session: UInt64, id: Int, peer: PeerCredentials, role: AdminRole) -> Outcome {
        let arguments = ["id": String(session)]
        guard backend.session(id: session) != nil else {
            let error = AdminError(.notFound, "there is no session \(session)")
            guard audit(peer: peer, role: role, command: "terminate", arguments: arguments, result: error.code)
            else { return .reply(Self.errorLine(id: id, Self.auditFailed)) }
            return .refused(Self.errorLine(id: id, error))
        }
        // The line must be durable before the call ends: an action that happened is never missing from the log.
        guard audit(peer: peer, role: role, command: "terminate", arguments: arguments, result: "ok") else {
            return .reply(Self.errorLine(id: id, Self.auditFailed))
        }
        guard backend.terminate(session: session) else {
            // It ended by itself between the check and now: say so in the log too.
            audit(peer: peer, role: role, command: "terminate", arguments: arguments, result: "not_found")
            return .reply(
                Self.errorLine(id: id, AdminError(.notFound, "session \(session) ended before it could be terminated")))
        }
        logger.notice(
            "admin terminated a session", metadata: ["session": "\(session)", "uid": "\(peer.uid)"])
        return .reply(Self.resultLine(id: id, AdminDone("session \(session) terminated: BYE sent both ways")))
    }

    /// `log-level`: checked, audited, and only then carried out.
    private func setLogLevel(_ level: String, id: Int, peer: PeerCredentials, role: AdminRole) -> Outcome {
        let arguments = ["level": level]
        guard Logger.Level(rawValue: level) != nil else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            let error = AdminError(
                .badArguments, "\"\(AuditText.cut(level, to: 64))\" is not a log level; use one of \(names)")
            guard audit(peer: peer, role: role, command: "log-level", arguments: arguments, result: error.code)
            else { return .reply(Self.errorLine(id: id, Self.auditFailed)) }
            return .refused(Self.errorLine(id: id, error))
        }
        guard audit(peer: peer, role: role, command: "log-level", arguments: arguments, result: "ok") else {
            return .reply(Self.errorLine(id: id, Self.auditFailed))
        }
        guard backend.setLogLevel(level) else {
            audit(peer: peer, role: role, command: "log-level", arguments: arguments, result: "failed")
            return .reply(
                Self.errorLine(id: id, AdminError(.failed, "the relay did not accept the log level \(level)")))
        }
        return .reply(Self.resultLine(id: id, AdminDone("log level set to \(level)")))
    }

    static let auditFailed = AdminError(
        .auditFailed, "the audit log could not be written, so the command was not carried out")

    /// Appends to the audit log; false (and an error in the log) if the line could not be made durable.
    ///
    /// Arguments are cut to a few hundred bytes (``AuditText``). A refusal (any `result` other than `ok`) is
    /// written only within ``AdminServerConfiguration/auditRefusalLimit``; past it, it is counted (and
    /// reported as written: the refusal itself stands) and an `audit-suppressed` line later says how many
    /// were left out. With `always` (the recordings commands) a refusal is written whatever the limit: every
    /// attempt on a recording must be in the chain with its uid, recording id and reason. Those lines are still
    /// bounded, by each connection's refusal allowance (``AdminServerConfiguration/refusalLimit``) and the
    /// connection limits.
    @discardableResult
    func audit(
        peer: PeerCredentials, role: AdminRole?, command: String, arguments: [String: String], result: String,
        always: Bool = false
    ) -> Bool {
        let time = AuditLog.timestamp()
        if result != "ok", !always, !refusalThrottle.admit(time: time) { return true }
        writeSuppressedSummary()
        do {
            let head = try auditLog.append(
                uid: peer.uid, role: role, command: command, arguments: AuditText.bounded(arguments),
                result: result, time: time)
            logger.info(
                "admin audit",
                metadata: [
                    "uid": "\(peer.uid)", "role": "\(role?.rawValue ?? "none")", "cmd": "\(command)",
                    "result": "\(result)", "audit_head": "\(head)",
                ])
            return true
        } catch {
            logger.error(
                "admin audit log write failed",
                metadata: ["uid": "\(peer.uid)", "cmd": "\(command)", "reason": "\(error.reason)"])
            return false
        }
    }

    /// Writes the `audit-suppressed` line for refusals left out since the last one, if there were any.
    func writeSuppressedSummary() {
        guard let summary = refusalThrottle.takeSuppressed() else { return }
        do {
            try auditLog.append(
                uid: getuid(), role: nil, command: "audit-suppressed",
                arguments: ["refusals": String(summary.count), "first": summary.first, "last": summary.last],
                result: "suppressed")
            logger.warning(
                "admin audit: refusals past the limit were counted, not written",
                metadata: ["refusals": "\(summary.count)", "first": "\(summary.first)", "last": "\(summary.last)"])
        } catch {
            refusalThrottle.restore(summary)
        }
    }

    /// A request's arguments as text for an audit line, an export token withheld: it is a bearer secret (bound to
    /// its connection, but still not something the log should hand out).
    static func auditText(_ arguments: [String: AdminValue]?) -> [String: String] {
        var text = (arguments ?? [:]).mapValues(\.description)
        if text["token"] != nil { text["token"] = "(withheld)" }
        return text
    }

    /// The arguments checked against the command's table entry: no unknown names, every required one
    /// present, each of its type (an `int` may come as a string of digits).
    static func checkArguments(
        _ given: [String: AdminValue], for command: AdminCommand
    ) throws(AdminError) -> [String: AdminValue] {
        var checked: [String: AdminValue] = [:]
        for name in given.keys.sorted() where !command.arguments.contains(where: { $0.name == name }) {
            let takes =
                command.arguments.isEmpty
                ? "it takes none" : "it takes " + command.arguments.map(\.name).joined(separator: ", ")
            throw AdminError(.badArguments, "\(command.name) has no argument \"\(name)\"; \(takes)")
        }
        for argument in command.arguments {
            guard let value = given[argument.name] else {
                if argument.required {
                    throw AdminError(
                        .badArguments, "\(command.name) needs the argument \"\(argument.name)\" (\(argument.help))")
                }
                continue
            }
            switch (argument.type, value) {
            case ("int", .int(let number)) where number >= 0:
                checked[argument.name] = .int(number)
            case ("int", .string(let text)) where Int(text).map { $0 >= 0 } == true:
                checked[argument.name] = .int(Int(text)!)
            case ("string", .string), ("bool", .bool):
                checked[argument.name] = value
            default:
                let kind = argument.type == "int" ? "a non-negative integer" : "a \(argument.type)"
                throw AdminError(.badArguments, "\"\(argument.name)\" must be \(kind), not \(value.jsonText)")
            }
        }
        return checked
    }

    /// One result reply line: `{"id":1,"result":...}` and a newline. Keys sorted, so replies are stable.
    static func resultLine(id: Int, _ result: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let body = try? encoder.encode(result) else {
            return errorLine(id: id, AdminError(.failed, "the result could not be encoded as JSON"))
        }
        return Array("{\"id\":\(id),\"result\":".utf8) + body + Array("}\n".utf8)
    }
}

/// A request as received, decoded leniently so a reply can say what is wrong (and echo the id when there is
/// one) rather than only that the line did not decode.
struct RequestEnvelope: Decodable {
    var id: Int?
    var cmd: String?
    var args: [String: AdminValue]?
    var argsMalformed = false

    enum CodingKeys: String, CodingKey {
        case id, cmd, args
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try? container.decode(Int.self, forKey: .id)
        cmd = try? container.decode(String.self, forKey: .cmd)
        if container.contains(.args), !((try? container.decodeNil(forKey: .args)) ?? false) {
            do {
                args = try container.decode([String: AdminValue].self, forKey: .args)
            } catch {
                argsMalformed = true
            }
        }
    }
}

extension AdminValue {
    /// The value as an integer, if it is one.
    var integer: Int? {
        if case .int(let value) = self { return value }
        return nil
    }

    /// The value as JSON would spell it, for error messages.
    var jsonText: String {
        switch self {
        case .string(let text): JSONText.string(text)
        case .int(let value): String(value)
        case .bool(let value): String(value)
        }
    }
}

extension [String: AdminValue] {
    /// The checked `id` argument.
    var sessionID: UInt64 { self["id"].flatMap(\.integer).map { UInt64($0) } ?? 0 }
}
