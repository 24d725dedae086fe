/// Editing the session part, and attributes across the whole description: what the Proxy does to every offer and answer
/// it relays besides the per-stream edits (docs/architecture.md, "A call, step by step"). Each helper writes the lines
/// it changes canonically and leaves every other line's bytes, and line break, as they were.
extension SDPSessionDescription {
    /// Points the session-level `c=` line at `address`: `c=IN IP4 <address>`, or `IN IP6` when the address holds
    /// a `:` (RFC 4566 §5.7).
    ///
    /// Replaces the session's `c=` line in place, keeping its line break, or, when the session part has none,
    /// inserts one where RFC 4566 §5 puts it: after `v= o= s= i= u= e= p=`, before `b=` and `t=`.
    public mutating func setSessionConnection(address: String) throws(SDPError) {
        let connection = try SDPConnection(address: address)
        if let index = sessionLines.firstIndex(where: { $0.type == "c" }) {
            sessionLines[index] = SDPLine(type: "c", value: connection.value, ending: sessionLines[index].ending)
        } else {
            let position = sessionLines.firstIndex { !"vosiuep".contains($0.type) } ?? sessionLines.count
            sessionLines.insert(SDPLine(type: "c", value: connection.value, ending: lineEnding), at: position)
        }
    }

    /// Sets the unicast address of the `o=` line (RFC 4566 §5.2) to `address`, with `IN IP4`, or `IN IP6` when the
    /// address holds a `:`. The username, session id and session version are kept as written.
    ///
    /// Throws when `address` cannot stand in a line (empty, whitespace, a line break) or the description has no
    /// well-formed `o=` line (the parser never lets such a description through).
    public mutating func setOriginAddress(_ address: String) throws(SDPError) {
        let connection = try SDPConnection(address: address)
        guard let index = sessionLines.firstIndex(where: { $0.type == "o" }),
            let origin = try? SDPOrigin(checking: sessionLines[index].value)
        else {
            throw SDPError(.missingLine, "the description has no o= line to edit", offset: 0, expected: "\"o=\"")
        }
        let value = [
            origin.username, origin.sessionID, origin.sessionVersion, "IN", connection.addressType, connection.address,
        ].joined(separator: " ")
        sessionLines[index] = SDPLine(type: "o", value: value, ending: sessionLines[index].ending)
    }

    /// Removes every attribute whose name is in `names`, in the session part and in every media section; returns
    /// how many lines went. Names compare case-sensitively (RFC 4566 §5.13).
    @discardableResult
    public mutating func removeAttributes(named names: Set<String>) -> Int {
        removeLines { line in line.attribute.map { names.contains(String($0.name)) } ?? false }
    }

    /// Removes every session-level attribute whose name is in `names`, leaving the media sections alone; returns
    /// how many lines went. For attributes that belong to media sections only, such as `a=crypto` (RFC 4568 §9.1),
    /// so one a peer put in the session part is not passed on.
    @discardableResult
    public mutating func removeSessionAttributes(named names: Set<String>) -> Int {
        let before = sessionLines.count
        sessionLines.removeAll { line in line.attribute.map { names.contains(String($0.name)) } ?? false }
        return before - sessionLines.count
    }

    /// Keeps only the attributes `keep` accepts and removes every other `a=` line, in the session part and in every
    /// media section; returns how many lines went. `keep` gets the attribute's name and whether the line is in the
    /// session part. Names are passed as written: an allow-list compares them case-sensitively (RFC 4566 §5.13), so
    /// `a=Crypto` is not `a=crypto`.
    @discardableResult
    public mutating func keepAttributes(where keep: (_ name: Substring, _ atSessionLevel: Bool) -> Bool) -> Int {
        let before = sessionLines.count + media.reduce(0) { $0 + $1.lines.count }
        sessionLines.removeAll { line in line.attribute.map { !keep($0.name, true) } ?? false }
        for index in media.indices {
            media[index].lines.removeAll { line in line.attribute.map { !keep($0.name, false) } ?? false }
        }
        return before - sessionLines.count - media.reduce(0) { $0 + $1.lines.count }
    }

    /// Removes the free-text and contact lines `i=`, `u=`, `e=` and `p=` (RFC 4566 §5.4-5.6), in the session part
    /// and in every media section; returns how many lines went. They carry whatever the peer wrote, which nothing
    /// on the other side needs.
    @discardableResult
    public mutating func removeDescriptiveLines() -> Int {
        removeLines { "iuep".contains($0.type) }
    }

    /// Removes every `k=` line (RFC 4566 §5.12), in the session part and in every media section; returns how many
    /// lines went. A `k=` line carries an encryption key in the clear, which must not travel from one leg to the
    /// other (docs/architecture.md, rule 2).
    @discardableResult
    public mutating func removeKeyLines() -> Int {
        removeLines { $0.type == "k" }
    }

    /// Removes the lines matching `predicate` (never a `v=`, `o=`, `s=`, `t=` or `m=` line: callers match `a=` and
    /// `k=` lines) from the session part and every media section; returns how many went.
    private mutating func removeLines(where predicate: (SDPLine) -> Bool) -> Int {
        let before = sessionLines.count + media.reduce(0) { $0 + $1.lines.count }
        sessionLines.removeAll(where: predicate)
        for index in media.indices { media[index].lines.removeAll(where: predicate) }
        return before - sessionLines.count - media.reduce(0) { $0 + $1.lines.count }
    }
}
