internal import TOMLKit

extension SottoConfig {
    /// The dotted name of the array of rule tables, `[[recording.rule]]`.
    static let recordingRuleKey = "recording.rule"

    /// The keys a rule table takes.
    static let recordingRuleKeys = ["caller", "callee", "request_uri", "header", "record", "retention_days", "e2ee"]

    /// Reads `[[recording.rule]]` tables (or `rule = []`, no rules) into ``RecordingSettings/rules``. Errors name
    /// the rule by number and key, `recording.rule[2].header`.
    mutating func readRecordingRules(_ value: TOMLValueConvertible, file: String) throws(ConfigError) {
        guard value.type == .array, let array = value.array else {
            throw ConfigError(
                file: file, key: Self.recordingRuleKey,
                reason: "expected [[recording.rule]] tables, found a single value")
        }
        var rules: [RecordingRule] = []
        for (index, item) in array.enumerated() {
            let name = "\(Self.recordingRuleKey)[\(index + 1)]"
            guard item.type == .table, let table = item.table else {
                throw ConfigError(file: file, key: name, reason: "expected a [[recording.rule]] table")
            }
            rules.append(try Self.recordingRule(table, name: name, file: file))
        }
        recording.rules = rules
    }

    /// One rule table, checked key by key.
    private static func recordingRule(_ table: TOMLTable, name: String, file: String) throws(ConfigError)
        -> RecordingRule
    {
        var rule = RecordingRule(record: true)
        var sawRecord = false
        for key in table.keys.sorted() {
            let dotted = name + "." + key
            guard let value = table[key] else { continue }
            do throws(InvalidValue) {
                switch key {
                case "caller": rule.caller = try pattern(value)
                case "callee": rule.callee = try pattern(value)
                case "request_uri": rule.requestURI = try pattern(value)
                case "header": (rule.headerName, rule.headerValue) = try header(value)
                case "record":
                    rule.record = try flag(value)
                    sawRecord = true
                case "retention_days":
                    guard value.type == .int, let days = value.int else { throw InvalidValue("expected an integer") }
                    guard (1...3650).contains(days) else {
                        throw InvalidValue("\(days) is out of range; it must be 1-3650")
                    }
                    rule.retentionDays = days
                case "e2ee": rule.e2ee = try flag(value)
                default:
                    throw InvalidValue(
                        "unknown key \"\(key)\" in a rule (it takes \(recordingRuleKeys.joined(separator: ", ")))")
                }
            } catch {
                throw ConfigError(file: file, key: dotted, reason: error.reason)
            }
        }
        guard sawRecord else {
            throw ConfigError(
                file: file, key: name + ".record", reason: "a rule must say record = true or record = false")
        }
        // Rule 10 of the issue: an end-to-end route carries media the relay has no key for; recording it would
        // mean holding that key, which is what end-to-end forbids.
        if rule.e2ee && rule.record {
            throw ConfigError(
                file: file, key: name + ".e2ee",
                reason: "recording and end-to-end encryption do not mix; a rule with "
                    + "e2ee = true cannot have record = true")
        }
        return rule
    }

    /// A glob pattern: a non-empty string of printable characters, at most 512 bytes.
    private static func pattern(_ value: TOMLValueConvertible) throws(InvalidValue) -> String {
        guard value.type == .string, let text = value.string else { throw InvalidValue("expected a string") }
        return try checkedPattern(text)
    }

    /// The checks of a pattern, on its text.
    private static func checkedPattern(_ text: String) throws(InvalidValue) -> String {
        guard !text.isEmpty else { throw InvalidValue("the pattern is empty; use \"*\" to match anything") }
        guard text.utf8.count <= 512 else { throw InvalidValue("the pattern is longer than 512 bytes") }
        guard !text.unicodeScalars.contains(where: { $0.value < 32 || $0.value == 127 }) else {
            throw InvalidValue("the pattern contains a control character")
        }
        return text
    }

    /// `"Name: value pattern"`: a header name (an RFC 3261 token) and a non-empty value pattern.
    private static func header(_ value: TOMLValueConvertible) throws(InvalidValue) -> (String, String) {
        guard value.type == .string, let text = value.string else { throw InvalidValue("expected a string") }
        guard let colon = text.firstIndex(of: ":") else {
            throw InvalidValue("\"\(text)\" is not \"Name: value\" (for example \"X-Sotto-Record: yes\")")
        }
        let name = String(text[..<colon])
        let punctuation = Set("-.!%*_+`'~".utf8)
        let isToken: (UInt8) -> Bool = { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || punctuation.contains(byte)
        }
        guard !name.isEmpty, name.utf8.allSatisfy(isToken) else {
            throw InvalidValue("\"\(name)\" is not a header name")
        }
        let valuePattern = String(text[text.index(after: colon)...]).trimmingCharacters(in: " \t")
        return (name, try checkedPattern(valuePattern))
    }

    private static func flag(_ value: TOMLValueConvertible) throws(InvalidValue) -> Bool {
        guard value.type == .bool, let flag = value.bool else {
            throw InvalidValue("expected a boolean (true or false)")
        }
        return flag
    }
}

extension String {
    /// Without the leading and trailing characters in `set`.
    fileprivate func trimmingCharacters(in set: String) -> String {
        let characters = Set(set)
        guard let first = firstIndex(where: { !characters.contains($0) }),
            let last = lastIndex(where: { !characters.contains($0) })
        else { return "" }
        return String(self[first...last])
    }
}
