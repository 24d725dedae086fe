import SIP

/// Sotto's own URIs in Via, Record-Route and Path, and the Route edits of RFC 3261 §16.4 and §16.12.
struct LocalAddress {
    let host: String
    let port: Int

    /// Whether `uri` names Sotto (host compared without case and IPv6 brackets; no port means 5061 for
    /// TLS).
    func matches(_ uri: SIPURI) -> Bool {
        Self.normalise(uri.host) == Self.normalise(host) && (uri.port ?? 5061) == port
    }

    /// Whether a Via's sent-by is Sotto's.
    func matches(_ via: SIPVia) -> Bool {
        Self.normalise(via.host) == Self.normalise(host) && (via.port ?? 5061) == port
    }

    /// `<sip:TOKEN@host:port;transport=tls;lr>` (Record-Route) or with `;ob` (Path, RFC 5626 §5.3).
    func routeURI(token: String, outbound: Bool) -> SIPNameAddress {
        var parameters = [SIPParameter(name: "transport", value: "tls"), SIPParameter(name: "lr")]
        if outbound { parameters.append(SIPParameter(name: "ob")) }
        return SIPNameAddress(uri: SIPURI(user: token, host: hostForURI, port: port, parameters: parameters))
    }

    /// A Via for a request Sotto sends.
    func via(branch: String) -> SIPVia {
        SIPVia(
            transport: "TLS", host: hostForURI, port: port, parameters: [SIPParameter(name: "branch", value: branch)])
    }

    private var hostForURI: String { host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host }

    private static func normalise(_ host: String) -> String {
        var text = host.lowercased()
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        return text
    }
}

extension SIPMessage {
    /// Removes the first Route value, rewriting the Route headers as one value per header.
    mutating func removeFirstRoute() throws(SIPError) {
        let remaining = try routes().dropFirst()
        let position = headers.firstIndex { $0.canonicalName == "route" } ?? 0
        try removeHeaders(named: "Route")
        for (offset, route) in remaining.enumerated() {
            try insertHeader(SIPHeader(name: "Route", value: route.description), at: position + offset)
        }
    }

    /// Inserts `header` above every header of the same name (Record-Route, Path: the newest on top), or
    /// after the Via headers when there is none.
    mutating func insertOnTop(_ header: SIPHeader) throws(SIPError) {
        if let position = headers.firstIndex(where: { $0.hasName(header.name) }) {
            try insertHeader(header, at: position)
        } else {
            let afterVia = headers.lastIndex { $0.canonicalName == "via" }.map { $0 + 1 } ?? 0
            try insertHeader(header, at: afterVia)
        }
    }

    /// The body when it is SDP; nil when there is no body; throws when the body is something else.
    var sdpBody: [UInt8]? {
        get throws(ProxyRefusal) {
            guard !body.isEmpty else { return nil }
            guard let type = contentType, type.isSDP else {
                throw ProxyRefusal(
                    status: 415, reason: "Unsupported Media Type",
                    warning: "only application/sdp bodies are accepted on this request",
                    extra: [SIPHeader(name: "Accept", value: "application/sdp")])
            }
            return body
        }
    }
}

/// A request Sotto answers itself with an error.
struct ProxyRefusal: Error {
    let status: Int
    let reason: String
    let warning: String?
    var extra: [SIPHeader] = []
    /// Counted in `srtp_refusals` (SDP refused by the media policy) when answered.
    var isMediaPolicy = false
}
