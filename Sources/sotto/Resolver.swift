import Glibc
import Transport

/// Host names to addresses with `getaddrinfo`, once at start (the PBX address).
enum Resolver {
    /// The first address `host` resolves to, with `port`.
    static func first(host: String, port: UInt16) -> SocketAddress? {
        all(host: host, port: port, limit: 1).first
    }

    /// Every address `host` resolves to (IPv4 and IPv6, each once), with `port`: at most `limit`.
    static func all(host: String, port: UInt16 = 0, limit: Int = 64) -> [SocketAddress] {
        if let literal = try? SocketAddress(ip: host, port: port) { return [literal] }
        var found: [SocketAddress] = []
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let list = result else { return [] }
        defer { freeaddrinfo(list) }
        var node: UnsafeMutablePointer<addrinfo>? = list
        while let entry = node {
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            let family = entry.pointee.ai_family
            let ok: Bool
            if family == AF_INET {
                ok = entry.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    var address = $0.pointee.sin_addr
                    return inet_ntop(AF_INET, &address, &buffer, socklen_t(buffer.count)) != nil
                }
            } else if family == AF_INET6 {
                ok = entry.pointee.ai_addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    var address = $0.pointee.sin6_addr
                    return inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil
                }
            } else {
                ok = false
            }
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if ok, let address = try? SocketAddress(ip: text, port: port), !found.contains(address) {
                found.append(address)
                if found.count >= limit { break }
            }
            node = entry.pointee.ai_next
        }
        return found
    }
}
