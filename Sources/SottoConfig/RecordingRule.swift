/// One `[[recording.rule]]`: which calls it matches and what it decides for them.
///
/// Every match key given must match (a rule with none matches every call). `caller`, `callee` and `request_uri`
/// are glob patterns over the whole URI (`*` is any run of characters, nothing else is special), ASCII case
/// ignored. `header` is `"Name: value"`: the INVITE has a header of that name (case ignored) with a value the
/// value pattern matches (a glob too, case ignored, surrounding spaces trimmed).
public struct RecordingRule: Sendable, Equatable {
    /// `caller`: a pattern for the `From` URI.
    public var caller: String?
    /// `callee`: a pattern for the `To` URI.
    public var callee: String?
    /// `request_uri`: a pattern for the INVITE's request URI.
    public var requestURI: String?
    /// `header`'s name (as written).
    public var headerName: String?
    /// `header`'s value pattern.
    public var headerValue: String?
    /// `record`: whether a matching call is recorded.
    public var record: Bool
    /// `retention_days`: how long a matching call's recording is kept; nil: `recording.retention_days`.
    public var retentionDays: Int?
    /// `e2ee`: the route is end-to-end encrypted (a later issue). Accepted only to refuse it together with
    /// `record = true`: the relay holds no media key on such a route, so it has nothing to record.
    public var e2ee: Bool

    /// A rule.
    public init(
        caller: String? = nil, callee: String? = nil, requestURI: String? = nil, headerName: String? = nil,
        headerValue: String? = nil, record: Bool, retentionDays: Int? = nil, e2ee: Bool = false
    ) {
        self.caller = caller
        self.callee = callee
        self.requestURI = requestURI
        self.headerName = headerName
        self.headerValue = headerValue
        self.record = record
        self.retentionDays = retentionDays
        self.e2ee = e2ee
    }

    /// Whether this rule matches a call with these parties and headers.
    public func matches(
        caller: String, callee: String, requestURI: String, headerValues: (String) -> [String]
    ) -> Bool {
        if let pattern = self.caller, !Self.glob(pattern, matches: caller) { return false }
        if let pattern = self.callee, !Self.glob(pattern, matches: callee) { return false }
        if let pattern = self.requestURI, !Self.glob(pattern, matches: requestURI) { return false }
        if let name = headerName, let pattern = headerValue {
            let values = headerValues(name).map { String($0.trimmingSpaces) }
            if !values.contains(where: { Self.glob(pattern, matches: $0) }) { return false }
        }
        return true
    }

    /// The rule as one line, the way the effective-config listing shows it.
    var summary: String {
        var parts: [String] = []
        if let caller { parts.append("caller=\(caller)") }
        if let callee { parts.append("callee=\(callee)") }
        if let requestURI { parts.append("request_uri=\(requestURI)") }
        if let headerName, let headerValue { parts.append("header=\(headerName): \(headerValue)") }
        parts.append("record=\(record)")
        if let retentionDays { parts.append("retention_days=\(retentionDays)") }
        if e2ee { parts.append("e2ee=true") }
        return parts.joined(separator: " ")
    }

    /// Whether `text` matches `pattern` as a whole: `*` matches any run of characters (none included), every
    /// other character itself, ASCII case ignored. Linear in practice: one backtrack point (the last `*`).
    public static func glob(_ pattern: String, matches text: String) -> Bool {
        let pattern = Array(pattern.utf8)
        let text = Array(text.utf8)
        var p = 0
        var t = 0
        var star = -1
        var resume = 0
        while t < text.count {
            if p < pattern.count && pattern[p] == UInt8(ascii: "*") {
                star = p
                resume = t
                p += 1
            } else if p < pattern.count && lower(pattern[p]) == lower(text[t]) {
                p += 1
                t += 1
            } else if star >= 0 {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte + 0x20 : byte
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return self[first...last]
    }
}
