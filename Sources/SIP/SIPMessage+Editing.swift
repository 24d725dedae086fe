/// The edits a proxy makes (RFC 3261 §16.6): add Via, Record-Route and Path at the top, remove its own Via from a
/// response, decrement Max-Forwards, rewrite the body. Each edit fails with ``SIPError/Code/invalidEdit`` and
/// leaves the message unchanged if the result would not be a valid message.
extension SIPMessage {
    /// Inserts `header` at position `index` of ``headers`` (0 is the top).
    public mutating func insertHeader(_ header: SIPHeader, at index: Int = 0) throws(SIPError) {
        try header.validateForInsertion()
        guard (0...headers.count).contains(index) else {
            throw SIPError(
                .invalidEdit, "header position \(index) is outside the message", offset: 0,
                expected: "a position from 0 to \(headers.count)")
        }
        var edited = headers
        edited.insert(header, at: index)
        try commit(headers: edited)
    }

    /// Inserts `header` just after the first header named `name`, or at the top if there is none.
    public mutating func insertHeader(_ header: SIPHeader, afterFirst name: String) throws(SIPError) {
        let position = headers.firstIndex { $0.hasName(name) }.map { $0 + 1 } ?? 0
        try insertHeader(header, at: position)
    }

    /// Appends `header` after the last one.
    public mutating func appendHeader(_ header: SIPHeader) throws(SIPError) {
        try insertHeader(header, at: headers.count)
    }

    /// Removes every header named `name` and returns how many there were.
    @discardableResult
    public mutating func removeHeaders(named name: String) throws(SIPError) -> Int {
        // On a stream Content-Length is what frames the next message (RFC 3261 §18.3): a message sent
        // without one would make the peer read its body as the next message. `replaceBody` keeps it right.
        guard SIPHeaderName.canonical(name) != SIPHeaderName.canonical("Content-Length") else {
            throw SIPError(
                .invalidEdit, "Content-Length cannot be removed: it frames the message on a stream", offset: 0,
                expected: "replaceBody(_:contentType:) to change the body")
        }
        let kept = headers.filter { !$0.hasName(name) }
        let removed = headers.count - kept.count
        try commit(headers: kept)
        return removed
    }

    /// Replaces every header named `name` with one `name: value` at the first one's place (its name kept as
    /// written), or appends it if there was none.
    public mutating func setHeader(_ name: String, value: String) throws(SIPError) {
        let position = headers.firstIndex { $0.hasName(name) }
        let header = SIPHeader(name: position.map { headers[$0].name } ?? name, value: value)
        try header.validateForInsertion()
        var edited = headers
        if let position {
            edited[position] = header
            var index = edited.count - 1
            while index > position {
                if edited[index].hasName(name) { edited.remove(at: index) }
                index -= 1
            }
        } else {
            edited.append(header)
        }
        try commit(headers: edited)
    }

    /// Adds `via` above every other Via (RFC 3261 §16.6 step 8).
    public mutating func insertVia(_ via: SIPVia) throws(SIPError) {
        try insertHeader(SIPHeader(name: "Via", value: via.description), at: 0)
    }

    /// Removes the topmost Via value and returns it (RFC 3261 §16.7 step 3): the whole header when it holds one
    /// value, else that value out of the comma-separated list.
    @discardableResult
    public mutating func removeFirstVia() throws(SIPError) -> SIPVia {
        guard let position = headers.firstIndex(where: { $0.canonicalName == "via" }) else {
            throw SIPError(.invalidEdit, "the message has no Via to remove", offset: 0, expected: "a Via header")
        }
        let header = headers[position]
        let ranges = try withUTF8Bytes(header.value) { (bytes) throws(SIPError) -> [Range<Int>] in
            try SIPValueList.split(SIPCursor(bytes), what: "the Via")
        }
        let utf8 = Array(header.value.utf8)
        let removed = try SIPVia(parsing: String(decoding: utf8[ranges[0]], as: UTF8.self))
        var edited = headers
        if ranges.count == 1 {
            edited.remove(at: position)
        } else {
            let rest = String(decoding: utf8[ranges[1].lowerBound...], as: UTF8.self)
            edited[position] = SIPHeader(name: header.name, value: rest)
        }
        try commit(headers: edited)
        return removed
    }

    /// Replaces the topmost Via value with `via` in place (RFC 3581 `received`/`rport` on a request just
    /// received), keeping any other values of the same header.
    public mutating func replaceFirstVia(with via: SIPVia) throws(SIPError) {
        guard let position = headers.firstIndex(where: { $0.canonicalName == "via" }) else {
            throw SIPError(.invalidEdit, "the message has no Via to replace", offset: 0, expected: "a Via header")
        }
        let header = headers[position]
        let ranges = try withUTF8Bytes(header.value) { (bytes) throws(SIPError) -> [Range<Int>] in
            try SIPValueList.split(SIPCursor(bytes), what: "the Via")
        }
        let utf8 = Array(header.value.utf8)
        var value = via.description
        if ranges.count > 1 {
            value += ", " + String(decoding: utf8[ranges[1].lowerBound...], as: UTF8.self)
        }
        var edited = headers
        edited[position] = SIPHeader(name: header.name, value: value)
        try edited[position].validateForInsertion()
        try commit(headers: edited)
    }

    /// Sets Max-Forwards, adding the header after the Via headers if it is missing.
    public mutating func setMaxForwards(_ value: Int) throws(SIPError) {
        guard (0...255).contains(value) else {
            throw SIPError(.invalidEdit, "Max-Forwards must be from 0 to 255", offset: 0, expected: "0 to 255")
        }
        if headers.contains(where: { $0.canonicalName == "max-forwards" }) {
            try setHeader("Max-Forwards", value: String(value))
        } else {
            let lastVia = headers.lastIndex { $0.canonicalName == "via" }.map { $0 + 1 } ?? 0
            try insertHeader(SIPHeader(name: "Max-Forwards", value: String(value)), at: lastVia)
        }
    }

    /// Replaces the body and sets Content-Length to its length; sets Content-Type when `contentType` is given,
    /// and removes it when the new body is empty.
    public mutating func replaceBody(_ body: [UInt8], contentType: SIPMediaType? = nil) throws(SIPError) {
        var copy = self
        try copy.setHeaderUnchecked("Content-Length", value: String(body.count))
        if let contentType {
            try copy.setHeaderUnchecked("Content-Type", value: contentType.description)
        } else if body.isEmpty {
            copy.headers.removeAll { $0.canonicalName == "content-type" }
        }
        try commit(headers: copy.headers, body: body)
    }

    /// Replaces the Request-URI of a request (RFC 3261 §16.6 step 6, §16.12 strict routing).
    public mutating func setRequestURI(_ uri: SIPURI) throws(SIPError) {
        guard case .request(var line) = startLine else {
            throw SIPError(.invalidEdit, "a response has no Request-URI", offset: 0, expected: "a request")
        }
        line.uri = uri
        try commit(startLine: .request(line), headers: headers)
    }

    /// ``setHeader(_:value:)`` without re-reading the hot headers: for edits that must change two things at once.
    private mutating func setHeaderUnchecked(_ name: String, value: String) throws(SIPError) {
        let position = headers.firstIndex { $0.hasName(name) }
        let header = SIPHeader(name: position.map { headers[$0].name } ?? name, value: value)
        try header.validateForInsertion()
        headers.removeAll { $0.hasName(name) }
        headers.insert(header, at: min(position ?? headers.count, headers.count))
    }
}
