#if canImport(Glibc)
    import Glibc
#endif

extension SocketAddress {
    /// The key per-address limits count this peer under: an IPv4 address as it is, an IPv6 address
    /// cut to its first `ipv6PrefixLength` bits (`"2001:db8:1:2::/64"`), an IPv4-mapped IPv6 address
    /// as the IPv4 address it maps.
    ///
    /// Security: one IPv6 host is normally given a whole /64 (RFC 4291 §2.5.1) and can use a fresh
    /// address per connection, so limits keyed on the exact address would not limit it at all.
    public func limitKey(ipv6PrefixLength: Int) -> String {
        family == .inet6 ? Self.limitKey(host: host, ipv6PrefixLength: ipv6PrefixLength) : host
    }

    /// The same key for an address written as text (as a peer's address is kept once its connection is
    /// up); text that is not an IPv6 address is its own key.
    public static func limitKey(host: String, ipv6PrefixLength: Int) -> String {
        var address = in6_addr()
        guard inet_pton(AF_INET6, host, &address) == 1 else { return host }
        var bytes = withUnsafeBytes(of: address) { Array($0) }
        // ::ffff:a.b.c.d is an IPv4 peer on a dual-stack socket: key it as that IPv4 address.
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        let prefix = min(max(ipv6PrefixLength, 0), 128)
        guard prefix < 128 else { return host }
        for index in 0..<16 {
            let kept = min(max(prefix - index * 8, 0), 8)
            bytes[index] &= kept == 0 ? 0 : ~UInt8((1 << (8 - kept)) - 1)
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        _ = bytes.withUnsafeBytes { inet_ntop(AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } + "/\(prefix)"
    }
}
