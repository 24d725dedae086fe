import Glibc

extension SDPNegotiation {
    /// A network of peer media addresses: `address/prefix` (docs/media-policy.md, `media.allowed_peer_networks`).
    package struct PeerNetwork: Sendable, Equatable {
        /// The kinds of address Sotto refuses by default.
        enum Kind: String {
            case unspecified = "an unspecified address (0.0.0.0/8)"
            case loopback = "a loopback address"
            case multicast = "a multicast address"
            case broadcast = "a broadcast address"
            case linkLocal = "a link-local address"
            case reserved = "a reserved address (240.0.0.0/4)"
        }

        /// The network's address bytes (4 or 16), masked to the prefix.
        let bytes: [UInt8]
        /// The prefix length in bits.
        let prefix: Int

        /// A network from `address/prefix`, or a bare address (a single host); nil when it does not parse.
        package init?(cidr: String) {
            let parts = cidr.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let bytes = Self.bytes(of: String(parts[0])) else { return nil }
            let bits = bytes.count * 8
            let prefix = parts.count == 2 ? Int(parts[1]) : bits
            guard let prefix, (0...bits).contains(prefix) else { return nil }
            self.bytes = Self.masked(bytes, prefix)
            self.prefix = prefix
        }

        init(_ bytes: [UInt8], _ prefix: Int) {
            self.bytes = Self.masked(bytes, prefix)
            self.prefix = prefix
        }

        /// Whether `address` (bytes of the same family) lies in the network.
        func contains(_ address: [UInt8]) -> Bool {
            address.count == bytes.count && Self.masked(address, prefix) == bytes
        }

        /// Whether the network lies wholly inside the range of a refused `kind`: listing `127.0.0.0/8` admits loopback
        /// peers, listing `0.0.0.0/0` does not.
        func admits(_ kind: Kind) -> Bool {
            Self.ranges(kind).contains { range in
                range.bytes.count == bytes.count && prefix >= range.prefix && range.contains(bytes)
            }
        }

        /// The bytes of an IPv4 or IPv6 literal, an IPv4-mapped IPv6 address as its IPv4 bytes; nil otherwise.
        static func bytes(of text: String) -> [UInt8]? {
            var v4 = in_addr()
            if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
            var v6 = in6_addr()
            guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
                return Array(bytes[12...])
            }
            return bytes
        }

        /// Whether `text` is the any-address, `0.0.0.0` or `::` in any spelling.
        static func isUnspecified(_ text: String) -> Bool {
            guard let bytes = bytes(of: text) else { return false }
            return bytes.allSatisfy { $0 == 0 }
        }

        /// The refused kind `address` belongs to, or nil for an ordinary unicast address.
        static func kind(of address: [UInt8]) -> Kind? {
            for kind in [Kind.unspecified, .loopback, .multicast, .broadcast, .linkLocal, .reserved]
            where ranges(kind).contains(where: { $0.contains(address) }) {
                return kind
            }
            return nil
        }

        /// The ranges of each refused kind (RFC 6890 special-purpose registries; RFC 4291 for IPv6).
        static func ranges(_ kind: Kind) -> [PeerNetwork] {
            switch kind {
            case .unspecified: [PeerNetwork([0, 0, 0, 0], 8), PeerNetwork([UInt8](repeating: 0, count: 16), 128)]
            case .loopback: [PeerNetwork([127, 0, 0, 0], 8), PeerNetwork([UInt8](repeating: 0, count: 15) + [1], 128)]
            case .multicast:
                [PeerNetwork([224, 0, 0, 0], 4), PeerNetwork([0xFF] + [UInt8](repeating: 0, count: 15), 8)]
            case .broadcast: [PeerNetwork([255, 255, 255, 255], 32)]
            case .linkLocal:
                [PeerNetwork([169, 254, 0, 0], 16), PeerNetwork([0xFE, 0x80] + [UInt8](repeating: 0, count: 14), 10)]
            case .reserved: [PeerNetwork([240, 0, 0, 0], 4)]
            }
        }

        private static func masked(_ bytes: [UInt8], _ prefix: Int) -> [UInt8] {
            bytes.enumerated().map { index, byte in
                let bits = min(max(prefix - index * 8, 0), 8)
                return bits == 8 ? byte : byte & ~(UInt8(0xFF) >> bits)
            }
        }
    }
}
