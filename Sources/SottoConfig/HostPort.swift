import Glibc

/// A host and a TCP port: a listening address, or where the PBX is.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    /// An IP literal (IPv6 without brackets) or a host name.
    public var host: String
    /// The port, 1-65535.
    public var port: UInt16

    /// A host and port as they are; the config loader is what checks them.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with an IPv6 host in brackets (`[::1]:5061`).
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Whether the host is an IPv6 literal.
    public var isIPv6: Bool { IPAddress.family(of: host) == AF_INET6 }

    /// Parses `sip.listen`: `IP:PORT`, with an IPv6 address in brackets (`[::]:5061`). The host must be
    /// an address, not a name, because Sotto binds to it.
    static func parseListen(_ text: String) throws(InvalidValue) -> HostPort {
        let (host, port) = try split(text)
        guard let port else {
            throw InvalidValue("\"\(text)\" has no port; write IP:PORT, e.g. 0.0.0.0:5061 or [::]:5061")
        }
        guard IPAddress.isValid(host) else {
            throw InvalidValue(
                "\"\(text)\": \"\(host)\" is not an IP address (Sotto binds to it; use 0.0.0.0 or [::] for all)")
        }
        return HostPort(host: host, port: try parsePort(port, in: text))
    }

    /// Splits `host`, `host:port`, `[v6]` or `[v6]:port`; the port is returned unparsed.
    static func split(_ text: String) throws(InvalidValue) -> (host: String, port: Substring?) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw InvalidValue("\"\(text)\" opens \"[\" for an IPv6 address but has no \"]\"")
            }
            let host = String(text[text.index(after: text.startIndex)..<close])
            guard IPAddress.family(of: host) == AF_INET6 else {
                throw InvalidValue("\"\(text)\": \"\(host)\" in brackets is not an IPv6 address")
            }
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (host, nil) }
            guard rest.first == ":" else {
                throw InvalidValue("\"\(text)\" has \"\(rest)\" after \"]\" where \":PORT\" was expected")
            }
            return (host, rest.dropFirst())
        }
        let colons = text.count(where: { $0 == ":" })
        if colons == 0 { return (text, nil) }
        guard colons == 1, let colon = text.firstIndex(of: ":") else {
            throw InvalidValue("\"\(text)\": write an IPv6 address in brackets, e.g. [2001:db8::1]:5061")
        }
        return (String(text[..<colon]), text[text.index(after: colon)...])
    }

    /// A decimal port 1-65535.
    static func parsePort(_ text: Substring, in whole: String) throws(InvalidValue) -> UInt16 {
        guard !text.isEmpty, text.utf8.count <= 5, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let value = UInt16(text), value > 0
        else {
            throw InvalidValue("\"\(whole)\": \"\(text)\" is not a port 1-65535")
        }
        return value
    }
}
