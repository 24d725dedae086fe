/// One value of the `config` command's result, as a JSON value of the key's own type: a number, a boolean, an
/// array of strings or a string, so scripts can compare `max_calls` with a number and test
/// `require_client_cert` as a boolean.
///
/// Durations are integers in the unit the key's name gives (`idle_timeout_s`, `handshake_timeout_ms`), as the
/// config file takes them; `media.ports` is the string `LOW-HIGH`, as the file takes it.
public enum AdminConfigValue: Codable, Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case strings([String])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Each JSON type maps to one case (JSONDecoder reads neither `true` as an Int nor `1` as a Bool).
        if let value = try? container.decode(Bool.self) {
            self = .boolean(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode([String].self) {
            self = .strings(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .boolean(let value): try container.encode(value)
        case .strings(let value): try container.encode(value)
        }
    }

    /// The value as the config file spells it, for people: `0`, `false`, lists comma-separated.
    public var description: String {
        switch self {
        case .string(let value): value
        case .integer(let value): String(value)
        case .boolean(let value): String(value)
        case .strings(let value): value.joined(separator: ",")
        }
    }
}

/// The `config` command's result: section → key → value.
public typealias AdminConfig = [String: [String: AdminConfigValue]]
