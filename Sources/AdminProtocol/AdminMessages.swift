/// The admin socket's wire format: newline-delimited JSON over a Unix stream socket. Each request is one
/// line, `{"id": 1, "cmd": "sessions", "args": {...}}`; each response one line with the same `id` and either
/// `result` or `error`. `watch` answers with a stream of results under the request's `id` until the client
/// closes. docs/admin-protocol.md describes every command.

/// One request line.
public struct AdminRequest: Codable, Sendable, Equatable {
    /// Chosen by the client, echoed in the response.
    public var id: Int
    /// A command name from ``AdminCommand/table``.
    public var cmd: String
    /// Named arguments; strings, numbers and booleans.
    public var args: [String: AdminValue]?

    /// A request.
    public init(id: Int, cmd: String, args: [String: AdminValue]? = nil) {
        self.id = id
        self.cmd = cmd
        self.args = args
    }
}

/// A scalar argument value.
public enum AdminValue: Codable, Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case int(Int)
    case bool(Bool)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        }
    }

    public var description: String {
        switch self {
        case .string(let value): value
        case .int(let value): String(value)
        case .bool(let value): String(value)
        }
    }
}

/// An error response's body.
public struct AdminError: Codable, Sendable, Equatable, Error {
    /// A stable code for scripts (see ``Code``).
    public var code: String
    /// One sentence for people.
    public var message: String

    /// The codes the server uses.
    public enum Code: String, Sendable {
        /// The line is not JSON, or not a request.
        case badRequest = "bad_request"
        /// No command by that name.
        case unknownCommand = "unknown_command"
        /// A required argument is missing or has the wrong type.
        case badArguments = "bad_arguments"
        /// The peer's role may not run this command.
        case forbidden
        /// The session (or other object) named does not exist.
        case notFound = "not_found"
        /// The audit log could not be written, so the command was not carried out.
        case auditFailed = "audit_failed"
        /// The connection used up its allowance (of refused requests, or of snapshots); the message says
        /// when to try again.
        case rateLimited = "rate_limited"
        /// The command was allowed and understood, but what it names is in a state that forbids it (a recording on
        /// legal hold cannot be deleted, a call that is not recorded cannot be paused); the message says why.
        case refused
        /// Anything else.
        case failed
    }

    /// An error.
    public init(_ code: Code, _ message: String) {
        self.code = code.rawValue
        self.message = message
    }
}

/// One response line: `result` (any JSON value, a command's result type) or `error`.
public struct AdminResponse<Result: Codable & Sendable>: Codable, Sendable {
    public var id: Int?
    public var result: Result?
    public var error: AdminError?

    /// A success.
    public init(id: Int?, result: Result) {
        self.id = id
        self.result = result
        self.error = nil
    }

    /// A failure.
    public init(id: Int?, error: AdminError) {
        self.id = id
        self.result = nil
        self.error = error
    }
}
