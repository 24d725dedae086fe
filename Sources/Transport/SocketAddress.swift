#if canImport(Glibc)
    import Glibc
#endif

/// An IPv4 or IPv6 address and a TCP port, as text and as a `sockaddr` on demand.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address family.
    public enum Family: Sendable, Hashable {
        /// IPv4.
        case inet
        /// IPv6.
        case inet6
    }

    /// The address's family.
    public let family: Family
    /// The IP address in its canonical text form ("127.0.0.1", "::1").
    public let host: String
    /// The port.
    public let port: UInt16

    /// Parses an IPv4 or IPv6 literal (no host names: resolving is not the transport's job).
    public init(ip: String, port: UInt16) throws(TransportError) {
        var address4 = in_addr()
        var address6 = in6_addr()
        if inet_pton(AF_INET, ip, &address4) == 1 {
            self.init(family: .inet, binary: withUnsafeBytes(of: address4) { Array($0) }, port: port)
        } else if inet_pton(AF_INET6, ip, &address6) == 1 {
            self.init(family: .inet6, binary: withUnsafeBytes(of: address6) { Array($0) }, port: port)
        } else {
            throw TransportError(.invalidAddress, "\"\(ip)\" is not an IPv4 or IPv6 address")
        }
    }

    private init(family: Family, binary: [UInt8], port: UInt16) {
        self.family = family
        self.port = port
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        _ = binary.withUnsafeBytes { bytes in
            inet_ntop(family == .inet ? AF_INET : AF_INET6, bytes.baseAddress, &text, socklen_t(text.count))
        }
        self.host = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Reads an address the kernel filled in (accept, getsockname); nil for other families.
    init?(_ storage: sockaddr_storage) {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let address = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self) }
            self.init(
                family: .inet, binary: withUnsafeBytes(of: address.sin_addr) { Array($0) },
                port: UInt16(bigEndian: address.sin_port))
        case AF_INET6:
            let address = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self) }
            self.init(
                family: .inet6, binary: withUnsafeBytes(of: address.sin6_addr) { Array($0) },
                port: UInt16(bigEndian: address.sin6_port))
        default:
            return nil
        }
    }

    var protocolFamily: Int32 { family == .inet ? AF_INET : AF_INET6 }

    /// Calls `body` with this address as a `sockaddr` and its length.
    func withSockAddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        switch family {
        case .inet:
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            _ = inet_pton(AF_INET, host, &address.sin_addr)
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .inet6:
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            _ = inet_pton(AF_INET6, host, &address.sin6_addr)
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// "127.0.0.1:5061" or "[::1]:5061".
    public var description: String {
        family == .inet ? "\(host):\(port)" : "[\(host)]:\(port)"
    }
}
