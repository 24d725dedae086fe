import Foundation

/// How numbers, durations and long strings are written in tables (locale-independent on purpose: scripts
/// that scrape the human output should not break on a machine with another locale; they should use --json).
enum Format {
    /// `7s`, `1m05s`, `2h03m`, `3d04h`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds > 0 else { return "0s" }
        let total = Int(seconds)
        let (days, hours, minutes, rest) = (total / 86_400, total / 3_600 % 24, total / 60 % 60, total % 60)
        if days > 0 { return "\(days)d" + twoDigits(hours) + "h" }
        if hours > 0 { return "\(hours)h" + twoDigits(minutes) + "m" }
        if minutes > 0 { return "\(minutes)m" + twoDigits(rest) + "s" }
        return "\(rest)s"
    }

    /// `1,234,567`.
    static func count<Number: BinaryInteger>(_ value: Number) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        return value < 0 ? "-" + grouped : grouped
    }

    /// A fraction as a percentage with two decimals (`0.25%`), `-` when unknown.
    static func percent(_ fraction: Double?) -> String {
        guard let fraction, fraction.isFinite else { return "-" }
        return String(format: "%.2f%%", fraction * 100)
    }

    /// Milliseconds with one decimal (`2.3 ms`), `-` when unknown.
    static func milliseconds(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        return String(format: "%.1f ms", value)
    }

    /// A rate with one decimal (`50.0`).
    static func rate(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        return String(format: "%.1f", value)
    }

    /// `text` cut to `width` characters, the last one replaced by `…` when something was cut.
    static func shorten(_ text: String, to width: Int) -> String {
        guard text.count > width else { return text }
        guard width > 1 else { return String(text.prefix(max(0, width))) }
        return String(text.prefix(width - 1)) + "…"
    }

    /// The sum of a drop table.
    static func total(_ drops: [String: UInt64]) -> UInt64 { drops.values.reduce(0, &+) }

    /// Drop reasons, largest first (ties by name), as `authFailed 10, replay 2`; at most `limit` of them.
    static func reasons(_ drops: [String: UInt64], limit: Int = .max) -> String {
        let sorted = drops.filter { $0.value > 0 }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        var parts = sorted.prefix(limit).map { "\($0.key) \(count($0.value))" }
        if sorted.count > limit { parts.append("…") }
        return parts.joined(separator: ", ")
    }

    /// `12 (authFailed 10, replay 2)`, or `0`.
    static func drops(_ drops: [String: UInt64], limit: Int = .max) -> String {
        let total = total(drops)
        guard total > 0 else { return "0" }
        return "\(count(total)) (\(reasons(drops, limit: limit)))"
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
