/// Headers read on request: everything but the hot headers is kept as text until asked for.
extension SIPMessage {
    /// The headers named `name` (ignoring case, compact forms expanded), in order.
    public func headers(named name: String) -> [SIPHeader] {
        let canonical = SIPHeaderName.canonical(name)
        return headers.filter { $0.canonicalName == canonical }
    }

    /// The value of the first header named `name`.
    public func firstValue(of name: String) -> String? {
        let canonical = SIPHeaderName.canonical(name)
        return headers.first { $0.canonicalName == canonical }?.value
    }

    /// The Route set, top first (RFC 3261 §20.34): name-addr values only.
    public func routes() throws(SIPError) -> [SIPNameAddress] {
        try addresses(named: "route", what: "the Route", requireBrackets: true)
    }

    /// The Record-Route set, top first (RFC 3261 §20.30).
    public func recordRoutes() throws(SIPError) -> [SIPNameAddress] {
        try addresses(named: "record-route", what: "the Record-Route", requireBrackets: true)
    }

    /// The Path set, top first (RFC 3327 §4).
    public func paths() throws(SIPError) -> [SIPNameAddress] {
        try addresses(named: "path", what: "the Path", requireBrackets: true)
    }

    /// The Contact headers (RFC 3261 §20.10): `*`, or the addresses across every Contact header. No Contact at
    /// all gives an empty list.
    public func contacts() throws(SIPError) -> SIPContactList {
        let contactHeaders = headers(named: "contact")
        if contactHeaders.count == 1, contactHeaders[0].value == "*" { return .wildcard }
        return .addresses(try addresses(named: "contact", what: "the Contact", requireBrackets: false))
    }

    /// The option tags of every Supported header (RFC 3261 §20.37); an empty Supported gives none.
    public func supported() throws(SIPError) -> [String] { try optionTags(named: "supported") }

    /// The option tags of every Require header (RFC 3261 §20.32).
    public func required() throws(SIPError) -> [String] { try optionTags(named: "require") }

    private func addresses(named name: String, what: String, requireBrackets: Bool) throws(SIPError)
        -> [SIPNameAddress]
    {
        var all: [SIPNameAddress] = []
        for header in headers where header.canonicalName == name {
            all += try SIPValueList.parseEach(header.value, base: 0, what: what) { (cursor) throws(SIPError) in
                try SIPNameAddress.parse(cursor, what: what, requireBrackets: requireBrackets)
            }
        }
        return all
    }

    /// option-tag = token, comma-separated (RFC 3261 §25.1).
    private func optionTags(named name: String) throws(SIPError) -> [String] {
        var tags: [String] = []
        for header in headers where header.canonicalName == name && !header.value.isEmpty {
            tags += try SIPValueList.parseEach(header.value, base: 0, what: "the \(header.name)") {
                (cursor) throws(SIPError) -> String in
                var element = cursor
                let token = try element.token("an option tag")
                try element.expectEnd("an option tag")
                return element.string(token)
            }
        }
        return tags
    }
}
