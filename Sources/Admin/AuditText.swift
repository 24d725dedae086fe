/// Bounds on what a client's request can put into an audit line: a refused request may carry up to a line's
/// worth (64 KiB) of arguments, and each refusal is a synced line on disk.
enum AuditText {
    /// The longest argument value kept in an audit line, in bytes.
    static let maxValueBytes = 256
    /// The longest argument name kept.
    static let maxNameBytes = 64
    /// The most arguments kept in one line.
    static let maxArguments = 8

    /// `text` cut to at most `limit` bytes of UTF-8 (on a character boundary), with `…(N bytes)` saying how
    /// long it was when it was cut.
    static func cut(_ text: String, to limit: Int) -> String {
        let length = text.utf8.count
        guard length > limit else { return text }
        var kept = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            if used + size > limit { break }
            kept.append(character)
            used += size
        }
        return kept + "…(\(length) bytes)"
    }

    /// `arguments` bounded for an audit line: at most ``maxArguments`` of them (by name), names and values cut;
    /// when some were left out, `…` says how many.
    static func bounded(_ arguments: [String: String]) -> [String: String] {
        guard
            arguments.count > maxArguments
                || arguments.contains(where: { $0.key.utf8.count > maxNameBytes || $0.value.utf8.count > maxValueBytes }
                )
        else { return arguments }
        var kept: [String: String] = [:]
        let names = arguments.keys.sorted()
        for name in names.prefix(maxArguments) {
            kept[cut(name, to: maxNameBytes)] = cut(arguments[name] ?? "", to: maxValueBytes)
        }
        if names.count > maxArguments {
            kept["…"] = "\(names.count - maxArguments) more arguments left out"
        }
        return kept
    }
}
