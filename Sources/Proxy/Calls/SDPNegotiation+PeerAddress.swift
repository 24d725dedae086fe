import SRTP

/// The media addresses a peer's SDP may name, and the keys it may give (docs/media-policy.md, "Peer addresses").
///
/// Until a leg latches on its first authenticated packet, Sotto sends the other side's media to the address and
/// port the SDP declared. Without a check, one INVITE could aim a stream of packets at any host: a third party,
/// the relay's own media ports, the host's loopback services. So an active stream's `c=` (and `a=rtcp` address)
/// must be a unicast address outside the refused kinds, or, when `media.allowed_peer_networks` is set, inside one
/// of those networks.
extension SDPNegotiation {
    /// The rule for peer media addresses, made once from the configuration.
    package struct PeerPolicy: Sendable, Equatable {
        /// The networks a peer's media address must lie in; empty: any address outside the refused kinds.
        package var allowedNetworks: [PeerNetwork]
        /// Sotto's own addresses (its media address and SIP host), as bytes.
        package var ownAddresses: [[UInt8]]
        /// Sotto's media ports: on its own addresses, only these are allowed (any other port is another service on
        /// the relay's host).
        package var ownPorts: ClosedRange<Int>?
        /// Whether Sotto's media address is itself a loopback address (a relay and its peers on one host): then a
        /// loopback peer is the only kind it can reach, and is allowed.
        package var loopbackScope: Bool

        /// A policy from the configuration's values. `allowedNetworks` holds CIDR strings (`10.0.0.0/8`,
        /// `2001:db8::/32`, or a bare address for a single host); the configuration checked them, and one that
        /// does not parse is left out.
        package init(
            mediaAddress: String = "", host: String = "", ownPorts: ClosedRange<Int>? = nil,
            allowedNetworks: [String] = []
        ) {
            self.allowedNetworks = allowedNetworks.compactMap(PeerNetwork.init(cidr:))
            self.ownAddresses = [mediaAddress, host].compactMap(PeerNetwork.bytes(of:))
            self.ownPorts = ownPorts
            self.loopbackScope =
                PeerNetwork.bytes(of: mediaAddress).map { PeerNetwork.kind(of: $0) == .loopback }
                ?? false
        }

        /// Why `address` (as written in `c=`, perhaps with a multicast `/ttl`) cannot be a destination for media
        /// on `port`, as the end of a sentence; nil when it can.
        func refusal(_ address: String, port: Int) -> String? {
            guard !address.contains("/") else { return "is a multicast address (with a TTL or count)" }
            // A host name (RFC 4566 §5.7 allows one): Sotto does not resolve it, so nothing is sent before the
            // leg latches on an authenticated packet.
            guard let bytes = PeerNetwork.bytes(of: address) else { return nil }
            let kind = PeerNetwork.kind(of: bytes)
            if kind == .loopback && loopbackScope && allowedNetworks.isEmpty { return nil }
            if let kind, !allowedNetworks.contains(where: { $0.admits(kind) && $0.contains(bytes) }) {
                return "is \(kind.rawValue)"
            }
            if !allowedNetworks.isEmpty && !allowedNetworks.contains(where: { $0.contains(bytes) }) {
                return "is outside media.allowed_peer_networks"
            }
            // Sotto's own address is fine on a media port: a call between two agents through a PBX that does not
            // anchor media crosses Sotto twice, and the second crossing's peer is the first one's relay port. On
            // any other port it is another service on the relay's host; a co-located PBX on that address is
            // listed in media.allowed_peer_networks by its own address. A loopback relay is a lab: skipped.
            if !loopbackScope, ownAddresses.contains(bytes), let ownPorts, !ownPorts.contains(port),
                !allowedNetworks.contains(where: { $0.prefix == bytes.count * 8 && $0.contains(bytes) })
            {
                return "is Sotto's own address, on a port outside its media ports"
            }
            return nil
        }
    }

    /// Checks the addresses of a plan's active streams against `policy`, and turns the old hold form (`c=` 0.0.0.0
    /// or `::`, RFC 3264 §8.4) into no destination at all: an empty address, so nothing is sent there and the leg
    /// keeps the destination it had. Returns the plan, or a refusal naming the first refused address.
    static func checkPeers(_ plan: MediaPlan, _ policy: PeerPolicy, side: String) -> Result<MediaPlan, MediaRefusal> {
        var out = plan
        for index in out.streams.indices where out.streams[index].isActive {
            var stream = out.streams[index]
            if PeerNetwork.isUnspecified(stream.peerAddress) {
                // Security: sendto() to 0.0.0.0 reaches the relay's own host on Linux; hold means "send nothing".
                if stream.peerRTCPAddress == stream.peerAddress { stream.peerRTCPAddress = "" }
                stream.peerAddress = ""
            }
            if PeerNetwork.isUnspecified(stream.peerRTCPAddress) { stream.peerRTCPAddress = "" }
            let checks = [
                (stream.peerAddress, stream.peerRTPPort), (stream.peerRTCPAddress, stream.peerSeparateRTCPPort),
            ]
            for (address, port) in checks where !address.isEmpty {
                if let why = policy.refusal(address, port: port) {
                    return .failure(
                        MediaRefusal(
                            "\(side) \(label(index, stream.media)) names media address \(printable(address)), "
                                + "which \(why)"))
                }
            }
            out.streams[index] = stream
        }
        return .success(out)
    }

    /// Whether two keys have the same master key and salt, compared without stopping at the first difference
    /// (the comparison's time says nothing about Sotto's key).
    static func sameKey(_ lhs: SRTPKeyMaterial, _ rhs: SRTPKeyMaterial) -> Bool {
        lhs.storage.equals(rhs.storage)
    }
}
