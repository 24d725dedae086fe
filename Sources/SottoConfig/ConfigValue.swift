/// A config value of one of the types the file takes: what a key reads out of the TOML document or a flag, and
/// what the effective-config listing gives for it (``SottoConfig/effectiveValues()``), typed so the admin
/// socket can answer numbers, booleans and lists as JSON of their own type.
public enum ConfigValue: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case strings([String])

    /// The value as the config file spells it: integers in the key's unit, `true`/`false`, items
    /// comma-separated.
    public var text: String {
        switch self {
        case .string(let value): value
        case .integer(let value): String(value)
        case .boolean(let value): String(value)
        case .strings(let value): value.joined(separator: ",")
        }
    }
}
