import Glibc

/// An IPv4 or IPv6 address and port held by value in a `sockaddr_storage`: the form the media path
/// uses, because reading one from `recvmmsg` and comparing two (a leg's latched peer against a
/// datagram's sender) must not allocate. `SocketAddress` is the control plane's text-friendly form;
/// the two convert both ways.
public struct UDPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The raw storage.
    public var storage: sockaddr_storage
    /// The length of the part of `storage` in use.
    public var length: socklen_t

    /// An address from its raw form (as `recvmmsg` fills it in).
    public init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    /// Parses a numeric IPv4 or IPv6 address (no name lookup) and a port.
    public init?(ip: String, port: UInt16) {
        var storage = sockaddr_storage()
        if ip.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, ip, &address.sin6_addr) == 1 else { return nil }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in6.self) }
            self.init(storage: storage, length: socklen_t(MemoryLayout<sockaddr_in6>.size))
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            guard inet_pton(AF_INET, ip, &address.sin_addr) == 1 else { return nil }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in.self) }
            self.init(storage: storage, length: socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }

    /// The same address as a raw `sockaddr`.
    public init(_ address: SocketAddress) {
        var storage = sockaddr_storage()
        let length = address.withSockAddr { pointer, length in
            withUnsafeMutableBytes(of: &storage) {
                $0.copyMemory(from: UnsafeRawBufferPointer(start: pointer, count: Int(length)))
            }
            return length
        }
        self.init(storage: storage, length: length)
    }

    /// The same address in the control plane's form; nil for a family other than IPv4/IPv6.
    public var socketAddress: SocketAddress? { SocketAddress(storage) }

    /// The same IP with another port.
    public func withPort(_ port: UInt16) -> UDPAddress {
        var copy = self
        withUnsafeMutableBytes(of: &copy.storage) { bytes in
            // sin_port and sin6_port sit at the same offset, right after the family.
            bytes.storeBytes(of: port.bigEndian, toByteOffset: 2, as: UInt16.self)
        }
        return copy
    }

    /// The address family (`AF_INET` or `AF_INET6`).
    public var family: Int32 { Int32(storage.ss_family) }

    /// The port, in host order.
    public var port: UInt16 {
        withUnsafeBytes(of: storage) { bytes in
            family == AF_INET6
                ? UInt16(bigEndian: bytes.load(as: sockaddr_in6.self).sin6_port)
                : UInt16(bigEndian: bytes.load(as: sockaddr_in.self).sin_port)
        }
    }

    /// The numeric address, e.g. `127.0.0.1` or `::1`.
    public var ip: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        withUnsafeBytes(of: storage) { bytes in
            if family == AF_INET6 {
                var address = bytes.load(as: sockaddr_in6.self).sin6_addr
                _ = inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
            } else {
                var address = bytes.load(as: sockaddr_in.self).sin_addr
                _ = inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
            }
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `ip:port`, with IPv6 addresses in brackets.
    public var description: String { family == AF_INET6 ? "[\(ip)]:\(port)" : "\(ip):\(port)" }

    public static func == (lhs: UDPAddress, rhs: UDPAddress) -> Bool {
        guard lhs.length == rhs.length else { return false }
        return withUnsafeBytes(of: lhs.storage) { l in
            withUnsafeBytes(of: rhs.storage) { r in memcmp(l.baseAddress!, r.baseAddress!, Int(lhs.length)) == 0 }
        }
    }

    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes(of: storage) { hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: $0[..<Int(length)])) }
    }
}
