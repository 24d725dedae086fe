extension HostPort {
    /// The port of a PBX address that gives none: SIP over TLS (RFC 3261 §19.1.2).
    static let defaultSIPSPort: UInt16 = 5061

    /// Parses `upstream.address`: `host:port`, `host` (port 5061), `sips:host[:port]` or
    /// `sip:host[:port];transport=tls`. The host is an IP literal (IPv6 in brackets) or a name.
    ///
    /// Anything that names another transport (UDP, TCP, SCTP, WebSocket) or is a plain `sip:` URI is
    /// refused rather than quietly upgraded: the operator who wrote it expects a plain leg to the PBX,
    /// and Sotto never makes one (docs/architecture.md, rule 1), so the config must say TLS.
    static func parseUpstream(_ text: String) throws(InvalidValue) -> HostPort {
        let forms = "write host:port, host (port 5061), sips:host[:port] or sip:host[:port];transport=tls"
        var rest = Substring(text)
        var sawTLS = false
        var plainSIP = false
        if let scheme = Self.scheme(of: rest) {
            rest = rest.dropFirst(scheme.count + 1)
            switch scheme {
            case "sips":
                sawTLS = true
            case "sip":
                plainSIP = true
            case "udp", "tcp", "sctp", "ws", "wss":
                throw tlsOnly(text, naming: scheme.uppercased())
            default:
                throw InvalidValue("\"\(text)\": unknown scheme \"\(scheme):\"; \(forms)")
            }
        }
        if rest.hasPrefix("//") {
            throw InvalidValue("\"\(text)\" is not a SIP address; \(forms)")
        }
        var parameters = rest.split(separator: ";", omittingEmptySubsequences: false)
        let hostPart = String(parameters.removeFirst())
        for parameter in parameters {
            let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            switch (pair[0].lowercased(), pair.count == 2 ? pair[1].lowercased() : nil) {
            case ("transport", "tls"):
                sawTLS = true
            case ("transport", let other?):
                throw tlsOnly(text, naming: other.uppercased())
            case ("lr", nil):
                continue
            default:
                throw InvalidValue("\"\(text)\": parameter \";\(parameter)\" is not supported; \(forms)")
            }
        }
        if plainSIP && !sawTLS {
            throw InvalidValue(
                "\"\(text)\" is a plain sip: URI; Sotto only connects to the PBX over TLS, so write "
                    + "sips:HOST[:PORT] or add ;transport=tls")
        }
        if hostPart.contains("@") {
            throw InvalidValue("\"\(text)\" names a user; give only the PBX's host and port")
        }
        let (host, port) = try split(hostPart)
        guard !host.isEmpty else { throw InvalidValue("\"\(text)\" has no host; \(forms)") }
        guard IPAddress.isValid(host) || IPAddress.isHostName(host) else {
            throw InvalidValue("\"\(text)\": \"\(host)\" is neither an IP address nor a host name")
        }
        guard !IPAddress.isWildcard(host) else {
            throw InvalidValue("\"\(text)\": \(host) is the any-address, which Sotto cannot connect to")
        }
        guard let port else { return HostPort(host: host, port: defaultSIPSPort) }
        return HostPort(host: host, port: try parsePort(port, in: text))
    }

    /// The URI scheme `text` starts with, lowercased, or nil for `host[:port]`. A scheme Sotto knows is
    /// one whatever follows (`sip:192.0.2.1` is a URI); any other word before a colon is one only if no
    /// port number follows (`pbx:5061` is a host and port).
    private static func scheme(of text: Substring) -> String? {
        guard let colon = text.firstIndex(of: ":"), let first = text.first, first.isLetter,
            text[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return nil }
        let scheme = text[..<colon].lowercased()
        if ["sip", "sips", "udp", "tcp", "sctp", "ws", "wss"].contains(scheme) { return scheme }
        guard let next = text[colon...].dropFirst().first, !next.isNumber else { return nil }
        return scheme
    }

    private static func tlsOnly(_ text: String, naming transport: String) -> InvalidValue {
        InvalidValue(
            "\"\(text)\" names \(transport); Sotto only connects to the PBX over TLS "
                + "(write host:port, sips:host[:port] or sip:host[:port];transport=tls)")
    }
}
