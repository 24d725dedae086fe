/// One key of the config file: its section and name, the TOML type it takes, and how a value is checked
/// and stored. The table of these (``ConfigKey/all``) is the single list of keys: the file reader, the
/// command-line overrides and the unknown-key check all go through it, so a value is validated the same
/// way wherever it comes from.
struct ConfigKey: Sendable {
    /// The TOML type a key takes.
    enum Kind: Sendable {
        case string
        case integer
        case boolean
        case strings

        /// For "expected ..." in an error.
        var expected: String {
            switch self {
            case .string: "a string"
            case .integer: "an integer"
            case .boolean: "a boolean (true or false)"
            case .strings: "an array of strings"
            }
        }
    }

    /// A value of the key's ``Kind``, taken out of the TOML document or a flag.
    enum Value {
        case string(String)
        case integer(Int)
        case boolean(Bool)
        case strings([String])
    }

    /// Checks a value and writes it into the config; relative paths resolve with the resolver given.
    typealias Store = @Sendable (inout SottoConfig, Value, PathResolver) throws(InvalidValue) -> Void

    /// The section, e.g. `media`.
    let section: String
    /// The key within its section, e.g. `ports`.
    let name: String
    /// The TOML type it takes.
    let kind: Kind
    /// Checks and stores a value.
    let store: Store

    /// `section.name`, as errors and docs spell it.
    var dotted: String { section + "." + name }

    /// A string key; `parse` checks it and stores it.
    static func string(
        _ section: String, _ name: String,
        _ parse: @escaping @Sendable (inout SottoConfig, String, PathResolver) throws(InvalidValue) -> Void
    ) -> ConfigKey {
        ConfigKey(section: section, name: name, kind: .string) { (config, value, paths) throws(InvalidValue) in
            if case .string(let text) = value { try parse(&config, text, paths) }
        }
    }

    /// An integer key that must lie in `range`.
    static func integer(
        _ section: String, _ name: String, in range: ClosedRange<Int>,
        _ set: @escaping @Sendable (inout SottoConfig, Int) -> Void
    ) -> ConfigKey {
        ConfigKey(section: section, name: name, kind: .integer) { (config, value, _) throws(InvalidValue) in
            guard case .integer(let number) = value else { return }
            guard range.contains(number) else {
                throw InvalidValue("\(number) is out of range; it must be \(range.lowerBound)-\(range.upperBound)")
            }
            set(&config, number)
        }
    }

    /// A boolean key.
    static func boolean(
        _ section: String, _ name: String, _ set: @escaping @Sendable (inout SottoConfig, Bool) -> Void
    ) -> ConfigKey {
        ConfigKey(section: section, name: name, kind: .boolean) { (config, value, _) throws(InvalidValue) in
            if case .boolean(let flag) = value { set(&config, flag) }
        }
    }

    /// An array-of-strings key; `parse` checks it and stores it.
    static func strings(
        _ section: String, _ name: String,
        _ parse: @escaping @Sendable (inout SottoConfig, [String]) throws(InvalidValue) -> Void
    ) -> ConfigKey {
        ConfigKey(section: section, name: name, kind: .strings) { (config, value, _) throws(InvalidValue) in
            if case .strings(let items) = value { try parse(&config, items) }
        }
    }

    /// The key spelled `dotted`, if there is one.
    static func named(_ dotted: String) -> ConfigKey? {
        all.first { $0.dotted == dotted }
    }

    /// The sections, in the order the docs list them.
    static let sections: [String] = all.reduce(into: []) { names, key in
        if names.last != key.section { names.append(key.section) }
    }
}
