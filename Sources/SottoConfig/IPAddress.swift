import Glibc

/// Checks on IP address literals, done with `inet_pton` so that Sotto accepts exactly what the socket
/// calls that later use the address accept.
enum IPAddress {
    /// `AF_INET` or `AF_INET6` for an IPv4 or IPv6 literal (no brackets, no zone), else nil.
    static func family(of text: String) -> Int32? {
        var storage = in6_addr()
        if inet_pton(AF_INET, text, &storage) == 1 { return AF_INET }
        if inet_pton(AF_INET6, text, &storage) == 1 { return AF_INET6 }
        return nil
    }

    /// Whether `text` is an IP literal.
    static func isValid(_ text: String) -> Bool { family(of: text) != nil }

    /// Whether `text` is the any-address (`0.0.0.0`, or `::` in any spelling): fine to bind, meaningless
    /// to write into SDP or Via because a peer cannot send to it.
    static func isWildcard(_ text: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return v4.s_addr == 0 }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return false }
        return withUnsafeBytes(of: &v6) { bytes in bytes.allSatisfy { $0 == 0 } }
    }

    /// Whether `text` is a host name by RFC 1123 §2.1: dot-separated labels of letters, digits and
    /// hyphens, no label longer than 63 or starting or ending with a hyphen, 253 characters at most. A
    /// name made only of digits and dots is an IPv4 address gone wrong, not a name.
    static func isHostName(_ text: String) -> Bool {
        var name = Substring(text)
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        guard name.contains(where: { !($0.isASCII && ($0.isNumber || $0 == ".")) }) else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-" else { return false }
            return label.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
            }
        }
    }
}
