import Glibc

/// The key per-address limits use for an IP address written as text.
enum AddressPrefix {
    /// An IPv4 address as it is (also when written IPv4-mapped, `::ffff:192.0.2.1`, as a dual-stack listener
    /// shows IPv4 peers: cutting those to a /64 would put every IPv4 peer under one key); an IPv6 address
    /// cut to its first `ipv6PrefixLength` bits, written as its 16 bytes in hex with the length; text that
    /// is not an address, as it is.
    static func key(_ ip: String, ipv6PrefixLength: Int) -> String {
        guard ip.contains(":") else { return ip }
        var address = in6_addr()
        let parsed = ip.withCString { inet_pton(AF_INET6, $0, &address) }
        guard parsed == 1 else { return ip }
        var bytes = withUnsafeBytes(of: address) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return bytes[12...].map { String($0) }.joined(separator: ".")
        }
        let bits = min(max(ipv6PrefixLength, 0), 128)
        for index in bytes.indices {
            let keep = min(max(bits - index * 8, 0), 8)
            bytes[index] &= keep == 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
        return bytes.map { String($0, radix: 16) }.joined(separator: ".") + "/\(bits)"
    }
}
