/// A configuration value Sotto refuses, with where it came from and why.
///
/// Every error names its source (the config file's path, or `command line` for a flag), the key (dotted,
/// `media.ports`, or the flag, `--media-ports`) and a sentence saying what is wrong, so a bad config is
/// refused at start with enough to fix it (docs/architecture.md, rule 4). A TOML syntax error has no key; it
/// carries the line and column instead.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The config file's path as given, or `command line` for an override.
    public let file: String
    /// The dotted key (`media.ports`) or the flag (`--media-ports`); nil for a file that cannot be read
    /// or does not parse as TOML.
    public let key: String?
    /// One sentence for a person: what is wrong with the value and, where it helps, what would be right.
    public let reason: String
    /// For a TOML syntax error, the 1-based line it was found on.
    public let line: Int?
    /// For a TOML syntax error, the 1-based column it was found at.
    public let column: Int?

    /// The `file` of an error about a command-line flag.
    public static let commandLine = "command line"

    /// An error about one key of `file`.
    public init(file: String, key: String?, reason: String, line: Int? = nil, column: Int? = nil) {
        self.file = file
        self.key = key
        self.reason = reason
        self.line = line
        self.column = column
    }

    /// `conf/sotto.toml: media.ports: "30000-2" is not a port range LOW-HIGH with LOW <= HIGH`, or for a
    /// syntax error `conf/sotto.toml:3:9: ...`.
    public var description: String {
        if let key {
            return "\(file): \(key): \(reason)"
        }
        if let line {
            return "\(file):\(line):\(column ?? 0): \(reason)"
        }
        return "\(file): \(reason)"
    }
}

/// Why one value is refused, before it is known whether the value came from the file or a flag: the
/// reader that called the parser wraps it into a ``ConfigError`` naming the file and key.
struct InvalidValue: Error {
    let reason: String

    init(_ reason: String) {
        self.reason = reason
    }
}
