import SottoTestSupport
import Testing

@testable import SottoConfig

/// `media.allowed_peer_networks`: CIDR networks a peer's SDP media address must lie in (docs/media-policy.md).
@Suite struct PeerNetworkKeyTests {
    static let refused: [RefusedValue] = [
        .init(
            ["media.allowed_peer_networks": "[\"10.0.0.0/8\", \"pbx\"]"], "media.allowed_peer_networks",
            "\"pbx\" is not a network ADDRESS/PREFIX"),
        .init(
            ["media.allowed_peer_networks": "[\"10.0.0.0/33\"]"], "media.allowed_peer_networks",
            "\"10.0.0.0/33\" has a prefix length outside 0-32"),
        .init(
            ["media.allowed_peer_networks": "[\"2001:db8::/129\"]"], "media.allowed_peer_networks",
            "outside 0-128"),
        .init(
            ["media.allowed_peer_networks": "[\"10.0.0.0/\"]"], "media.allowed_peer_networks",
            "has a prefix length outside"),
    ]

    @Test(arguments: refused)
    func aNetworkThatDoesNotParseIsRefusedNamingTheKey(_ refused: RefusedValue) throws {
        let directory = try directoryWithCertificates()
        let error = loadError(document(refused.changes), in: directory)
        #expect(error?.key == refused.key)
        #expect(error?.reason.contains(refused.reason) == true, "reason: \(error?.reason ?? "none")")
    }

    @Test func networksAndSingleAddressesAreTakenAsWritten() throws {
        let directory = try directoryWithCertificates()
        let list = "[\"10.0.0.0/8\", \"2001:db8::/32\", \"192.0.2.7\", \"127.0.0.0/8\"]"
        let config = try load(document(["media.allowed_peer_networks": list]), in: directory)
        #expect(config.media.allowedPeerNetworks == ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7", "127.0.0.0/8"])
        #expect(try load(document(), in: directory).media.allowedPeerNetworks == [])
    }
}
