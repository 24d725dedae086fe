/// One key of the config file: its section and name, the TOML type it takes, how a value is checked
/// and stored, and how the value in use is shown. The table of these (``ConfigKey/all``) is the single list
/// of keys: the file reader, the command-line overrides, the unknown-key check and the effective-config
/// listing (``SottoConfig/effectiveValues()``) all go through it, so a value is validated the same way
/// wherever it comes from and no key can be left out of the listing.
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

    /// A value of the key's ``Kind``, taken out of the TOML document or a flag, or shown as the value in use.
    typealias Value = ConfigValue

    /// Checks a value and writes it into the config; relative paths resolve with the resolver given.
    typealias Store = @Sendable (inout SottoConfig, Value, PathResolver) throws(InvalidValue) -> Void

    /// Gives the key's value in use, of the key's ``Kind`` and in the form the file takes (integers in the key's
    /// unit), so the listing can carry each value with its own type.
    typealias Show = @Sendable (SottoConfig) -> Value

    /// The section, e.g. `media`.
    let section: String
    /// The key within its section, e.g. `ports`.
    let name: String
    /// The TOML type it takes.
    let kind: Kind
    /// Shows the value in use.
    let show: Show
    /// Checks and stores a value.
    let store: Store

    /// `section.name`, as errors and docs spell it.
    var dotted: String { section + "." + name }

    /// A string key; `parse` checks it and stores it, `show` gives the text in use.
    static func string(
        _ section: String, _ name: String,
        _ parse: @escaping @Sendable (inout SottoConfig, String, PathResolver) throws(InvalidValue) -> Void,
        show: @escaping @Sendable (SottoConfig) -> String
    ) -> ConfigKey {
        ConfigKey(section: section, name: name, kind: .string, show: { .string(show($0)) }) {
            (config, value, paths) throws(InvalidValue) in
            if case .string(let text) = value { try parse(&config, text, paths) }
        }
    }

    /// An integer key that must lie in `range`, kept at `path` and shown from there.
    static func integer(
        _ section: String, _ name: String, in range: ClosedRange<Int>,
        _ path: WritableKeyPath<SottoConfig, Int> & Sendable
    ) -> ConfigKey {
        integer(section, name, in: range, set: { $0[keyPath: path] = $1 }, show: { $0[keyPath: path] })
    }

    /// An integer key counting `unit`s that must lie in `range`, kept as a duration at `path` and shown in
    /// whole `unit`s.
    static func duration(
        _ section: String, _ name: String, in range: ClosedRange<Int>, _ unit: TimeUnit,
        _ path: WritableKeyPath<SottoConfig, Duration> & Sendable
    ) -> ConfigKey {
        integer(
            section, name, in: range, set: { $0[keyPath: path] = unit.duration($1) },
            show: { unit.count($0[keyPath: path]) })
    }

    /// An integer key that must lie in `range`; `set` stores it, `show` gives the number in use.
    private static func integer(
        _ section: String, _ name: String, in range: ClosedRange<Int>,
        set: @escaping @Sendable (inout SottoConfig, Int) -> Void,
        show: @escaping @Sendable (SottoConfig) -> Int
    ) -> ConfigKey {
        ConfigKey(section: section, name: name, kind: .integer, show: { .integer(show($0)) }) {
            (config, value, _) throws(InvalidValue) in
            guard case .integer(let number) = value else { return }
            guard range.contains(number) else {
                throw InvalidValue("\(number) is out of range; it must be \(range.lowerBound)-\(range.upperBound)")
            }
            set(&config, number)
        }
    }

    /// A boolean key, kept at `path` and shown from there.
    static func boolean(
        _ section: String, _ name: String, _ path: WritableKeyPath<SottoConfig, Bool> & Sendable
    ) -> ConfigKey {
        ConfigKey(section: section, name: name, kind: .boolean, show: { .boolean($0[keyPath: path]) }) {
            (config, value, _) throws(InvalidValue) in
            if case .boolean(let flag) = value { config[keyPath: path] = flag }
        }
    }

    /// An array-of-strings key; `parse` checks it and stores it, `show` gives the items in use.
    static func strings(
        _ section: String, _ name: String,
        _ parse: @escaping @Sendable (inout SottoConfig, [String]) throws(InvalidValue) -> Void,
        show: @escaping @Sendable (SottoConfig) -> [String]
    ) -> ConfigKey {
        ConfigKey(section: section, name: name, kind: .strings, show: { .strings(show($0)) }) {
            (config, value, _) throws(InvalidValue) in
            if case .strings(let items) = value { try parse(&config, items) }
        }
    }

    /// The key spelled `dotted`, if there is one.
    static func named(_ dotted: String) -> ConfigKey? {
        all.first { $0.dotted == dotted }
    }

    /// The unit an integer duration key counts in, as its name's suffix says (`_s`, `_ms`).
    enum TimeUnit: Sendable {
        case seconds
        case milliseconds

        /// `count` of this unit.
        func duration(_ count: Int) -> Duration {
            switch self {
            case .seconds: .seconds(count)
            case .milliseconds: .milliseconds(count)
            }
        }

        /// The whole units in `duration`.
        func count(_ duration: Duration) -> Int {
            let (seconds, attoseconds) = duration.components
            switch self {
            case .seconds: return Int(seconds)
            case .milliseconds: return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
            }
        }
    }

    /// The sections, in the order the docs list them.
    static let sections: [String] = all.reduce(into: []) { names, key in
        if names.last != key.section { names.append(key.section) }
    }
}
