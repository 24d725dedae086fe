/// Which calls are recorded: `recording.mode` and the `[[recording.rule]]` list, decided once per call on its
/// INVITE (docs/recording.md, "Which calls"). First matching rule wins; in mode `all` a call no rule matches is
/// recorded, in mode `rules` it is not.
public struct RecordingPolicy: Sendable, Equatable {
    /// `recording.mode`.
    public enum Mode: String, Sendable, Equatable {
        case all
        case rules
    }

    /// One `[[recording.rule]]`: every condition it sets must hold (an unset one matches anything).
    public struct Rule: Sendable, Equatable {
        /// Glob patterns (`*` for any run of characters), matched case-insensitively against the whole URI.
        public var caller: String?
        public var callee: String?
        public var requestURI: String?
        /// A header the PBX (or phone) set, name case-insensitive, value a glob: `X-Sotto-Record: yes`.
        public var header: (name: String, value: String)?
        /// Whether a matching call is recorded.
        public var record: Bool
        /// Days a recording from this rule is kept (nil: `recording.retention_days`).
        public var retentionDays: Int?

        /// A rule.
        public init(
            caller: String? = nil, callee: String? = nil, requestURI: String? = nil,
            header: (name: String, value: String)? = nil, record: Bool, retentionDays: Int? = nil
        ) {
            self.caller = caller
            self.callee = callee
            self.requestURI = requestURI
            self.header = header
            self.record = record
            self.retentionDays = retentionDays
        }

        public static func == (lhs: Rule, rhs: Rule) -> Bool {
            lhs.caller == rhs.caller && lhs.callee == rhs.callee && lhs.requestURI == rhs.requestURI
                && lhs.header?.name == rhs.header?.name && lhs.header?.value == rhs.header?.value
                && lhs.record == rhs.record && lhs.retentionDays == rhs.retentionDays
        }
    }

    /// What the policy says about one call.
    public struct Decision: Sendable, Equatable {
        public var record: Bool
        public var retentionDays: Int
    }

    public var mode: Mode
    public var rules: [Rule]
    /// `recording.retention_days`.
    public var retentionDays: Int

    /// A policy.
    public init(mode: Mode, rules: [Rule], retentionDays: Int) {
        self.mode = mode
        self.rules = rules
        self.retentionDays = retentionDays
    }

    /// The decision for a call with these parties and headers (`headers` as name/value pairs, as received).
    public func decide(caller: String, callee: String, requestURI: String, headers: [(name: String, value: String)])
        -> Decision
    {
        for rule in rules where Self.matches(rule, caller: caller, callee: callee, requestURI: requestURI, headers) {
            return Decision(record: rule.record, retentionDays: rule.retentionDays ?? retentionDays)
        }
        return Decision(record: mode == .all, retentionDays: retentionDays)
    }

    static func matches(
        _ rule: Rule, caller: String, callee: String, requestURI: String, _ headers: [(name: String, value: String)]
    ) -> Bool {
        if let pattern = rule.caller, !Glob.matches(pattern, caller) { return false }
        if let pattern = rule.callee, !Glob.matches(pattern, callee) { return false }
        if let pattern = rule.requestURI, !Glob.matches(pattern, requestURI) { return false }
        if let wanted = rule.header {
            let name = wanted.name.lowercased()
            guard
                headers.contains(where: {
                    $0.name.lowercased() == name
                        && Glob.matches(wanted.value, $0.value.trimmingCharacters(in: " \t"))
                })
            else { return false }
        }
        return true
    }
}

/// `*`-only glob matching, case-insensitive, over the whole string (no character classes: SIP URIs and header
/// values need none, and an operator reading a rule should see exactly what it matches).
public enum Glob {
    /// Whether `text` matches `pattern` as a whole.
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        let pattern = Array(pattern.lowercased().utf8)
        let text = Array(text.lowercased().utf8)
        // Iterative, with backtracking to the last star only: linear in practice, never exponential.
        var (p, t) = (0, 0)
        var star: Int?
        var resume = 0
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = p
                p += 1
                resume = t
            } else if p < pattern.count, pattern[p] == text[t] {
                p += 1
                t += 1
            } else if let star {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        let drop = Set(set)
        var slice = Substring(self)
        while let first = slice.first, drop.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, drop.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
