internal import TOMLKit

extension SottoConfig {
    /// Parses the TOML document `text` as the config file `file` (named in errors, and the directory
    /// relative paths are taken from). Every key is checked; unknown sections and keys are errors, so a
    /// typo never silently leaves a default in place.
    public init(parsing text: String, file: String) throws(ConfigError) {
        self.init()
        self.file = file
        let document: TOMLTable
        do {
            document = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(
                file: file, key: nil, reason: "TOML syntax error: \(error.description)",
                line: error.source.begin.line, column: error.source.begin.column)
        } catch {
            throw ConfigError(file: file, key: nil, reason: "TOML syntax error: \(error)")
        }
        let paths = PathResolver(directoryOf: file)
        for sectionName in document.keys.sorted() {
            guard let section = document[sectionName] else { continue }
            guard ConfigKey.sections.contains(sectionName) else {
                throw ConfigError(file: file, key: sectionName, reason: Self.unknownTopLevel(sectionName, section.type))
            }
            guard let table = section.table, section.type == .table else {
                throw ConfigError(
                    file: file, key: sectionName,
                    reason: "expected a section ([\(sectionName)]), found \(Self.describe(section.type))")
            }
            for name in table.keys.sorted() {
                let dotted = sectionName + "." + name
                // An array of tables, which no entry of the key table reads: the recording rules.
                if dotted == Self.recordingRuleKey, let value = table[name] {
                    try readRecordingRules(value, file: file)
                    continue
                }
                guard let key = ConfigKey.named(dotted), let value = table[name] else {
                    let known = ConfigKey.all.filter { $0.section == sectionName }.map(\.dotted)
                    throw ConfigError(
                        file: file, key: dotted,
                        reason: "unknown key \"\(dotted)\"" + Self.suggestion(for: dotted, among: known))
                }
                do {
                    try key.store(&self, try Self.value(value, as: key.kind), paths)
                } catch {
                    throw ConfigError(file: file, key: dotted, reason: error.reason)
                }
            }
        }
    }

    /// Why a top-level name that is not a section is refused, with a hint where one helps: a section
    /// name one typo away, or the section a stray key belongs in.
    private static func unknownTopLevel(_ name: String, _ type: TOMLType) -> String {
        guard type != .table else {
            return "unknown section [\(name)]" + suggestion(for: name, among: ConfigKey.sections)
        }
        let homes = ConfigKey.all.filter { $0.name == name }.map { "[\($0.section)]" }
        guard homes.isEmpty else {
            return "unknown key \"\(name)\" (keys go in a section: put it under \(homes.joined(separator: " or ")))"
        }
        return "unknown key \"\(name)\"" + suggestion(for: name, among: ConfigKey.sections)
    }

    /// The TOML value as the kind the key takes, or the reason it is the wrong type.
    private static func value(
        _ value: TOMLValueConvertible, as kind: ConfigKey.Kind
    ) throws(InvalidValue) -> ConfigKey.Value {
        switch kind {
        case .string:
            if value.type == .string, let text = value.string { return .string(text) }
        case .integer:
            if value.type == .int, let number = value.int { return .integer(number) }
        case .boolean:
            if value.type == .bool, let flag = value.bool { return .boolean(flag) }
        case .strings:
            if value.type == .array, let array = value.array {
                var items: [String] = []
                for (index, item) in array.enumerated() {
                    guard item.type == .string, let text = item.string else {
                        throw InvalidValue(
                            "expected an array of strings, but item \(index + 1) is \(describe(item.type))")
                    }
                    items.append(text)
                }
                return .strings(items)
            }
        }
        throw InvalidValue("expected \(kind.expected), found \(describe(value.type))")
    }

    /// "a string", "an integer", ... for errors.
    private static func describe(_ type: TOMLType) -> String {
        switch type {
        case .string: "a string"
        case .int: "an integer"
        case .double: "a floating-point number"
        case .bool: "a boolean"
        case .array: "an array"
        case .table: "a table"
        case .date: "a date"
        case .time: "a time"
        case .dateTime: "a date-time"
        }
    }

    /// ` (did you mean "sip.listen"?)` when one known name is within two edits of `name`, else "".
    private static func suggestion(for name: String, among known: [String]) -> String {
        let close = known.map { ($0, editDistance(name, $0)) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }
        guard let close else { return "" }
        return " (did you mean \"\(close.0)\"?)"
    }

    /// Levenshtein distance over characters.
    private static func editDistance(_ a: String, _ b: String) -> Int {
        let b = Array(b)
        var previous = Array(0...b.count)
        for (i, left) in a.enumerated() {
            var current = [i + 1]
            for (j, right) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (left == right ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
