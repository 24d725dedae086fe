/// Editing a media section: what the Proxy does to each offer and answer it relays (docs/architecture.md, "A call, step
/// by step"). Each helper writes the lines it changes canonically and leaves every other line's bytes as they were.
extension SDPMediaDescription {
    /// Points the stream at `address` and `port`: the relay's side of the leg.
    ///
    /// Rewrites the `m=` port (its port count, protocol and formats kept) and replaces the section's `c=` lines
    /// with one `c=IN IP4|IP6 <address>` where the first was, or right after `m=` and `i=` when the section used
    /// the session's (RFC 4566 §5 order). The old `a=rtcp` lines (RFC 3605) named the peer's RTCP port, so they
    /// are removed; with `rtcpPort`, one `a=rtcp:<port>` naming the new address takes the first one's place (or
    /// ends the section).
    public mutating func setConnection(address: String, port: Int, rtcpPort: Int? = nil) throws(SDPError) {
        let connection = try SDPConnection(address: address)
        guard (0...65535).contains(port) else {
            throw SDPError(.invalidValue, "a port is 0 to 65535", offset: 0, expected: "a port in 0...65535")
        }
        let rtcp = try rtcpPort.map { (rtcpPort) throws(SDPError) in
            try SDPRTCPAttribute(port: rtcpPort, connection: connection)
        }
        field = field.with(port: port)
        lines[0] = SDPLine(type: "m", value: field.value, ending: endingForEdit(lines[0]))

        let connectionLine = SDPLine(type: "c", value: connection.value, ending: defaultEnding)
        if let first = lines.firstIndex(where: { $0.type == "c" }) {
            lines[first] = connectionLine
            removeLines(after: first) { $0.type == "c" }
        } else {
            let position = lines.firstIndex(where: { !["m", "i"].contains($0.type) }) ?? lines.count
            lines.insert(connectionLine, at: position)
        }

        let rtcpLines = rtcp.map { [SDPLine(type: "a", value: "rtcp:" + $0.value, ending: defaultEnding)] } ?? []
        replaceLines(where: { $0.isAttribute("rtcp") }, with: rtcpLines)
    }

    /// Replaces every `a=crypto` line with `attributes`, in order, where the first one was, or at the end of the
    /// section when it had none (RFC 4568 §7: Sotto offers its own keys on each leg, docs/architecture.md, rule 2).
    public mutating func replaceCryptoAttributes(with attributes: [SDPCryptoAttribute]) {
        let newLines = attributes.map { SDPLine(type: "a", value: "crypto:" + $0.value, ending: defaultEnding) }
        replaceLines(where: { $0.isAttribute("crypto") }, with: newLines)
    }

    /// Adds `a=<name>` or `a=<name>:<value>` at the end of the section.
    public mutating func appendAttribute(_ name: String, value: String? = nil) throws(SDPError) {
        guard SDPText.isToken(name), !name.contains(":"), value.map({ SDPText.isLineSafe($0) }) ?? true else {
            throw SDPError(
                .invalidValue, "an attribute name is a token without : and a value has no line break",
                offset: 0, expected: "a token name and a line-safe value")
        }
        let text = value.map { name + ":" + $0 } ?? name
        lines.append(SDPLine(type: "a", value: text, ending: defaultEnding))
    }

    /// Removes every attribute called `name`; returns how many lines went.
    @discardableResult
    public mutating func removeAttributes(_ name: String) -> Int {
        let before = lines.count
        lines.removeAll { $0.isAttribute(name) }
        return before - lines.count
    }

    /// Sets the section's direction (RFC 4566 §6, RFC 3264 §6.1): replaces its direction attributes with one,
    /// where the first was, or at the end.
    public mutating func setDirection(_ direction: SDPDirection) {
        let line = SDPLine(type: "a", value: direction.rawValue, ending: defaultEnding)
        replaceLines(where: { line in SDPDirection.allCases.contains { line.isAttribute($0.rawValue) } }, with: [line])
    }

    /// Replaces the lines matching `predicate` with `newLines` at the first match's place, or at the end.
    private mutating func replaceLines(where predicate: (SDPLine) -> Bool, with newLines: [SDPLine]) {
        let position = lines.firstIndex(where: predicate) ?? lines.count
        let kept = lines[..<position].count
        lines.removeAll(where: predicate)
        lines.insert(contentsOf: newLines, at: min(kept, lines.count))
    }

    private mutating func removeLines(after index: Int, where predicate: (SDPLine) -> Bool) {
        let head = lines[...index]
        lines = Array(head) + lines[(index + 1)...].filter { !predicate($0) }
    }

    /// An edited line keeps the line break of the line it replaces, unless that was the missing final one.
    private func endingForEdit(_ line: SDPLine) -> SDPLine.Ending {
        line.ending == .none ? defaultEnding : line.ending
    }
}
