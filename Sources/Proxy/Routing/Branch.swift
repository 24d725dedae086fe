import SIP

/// Sotto's Via branches (RFC 3261 §8.1.1.7, §16.6 step 8): `z9hG4bK` + a loop-detection hash + a random part.
///
/// The hash covers what decides where a request goes (Request-URI, From and To tags, Call-ID, CSeq number,
/// the Route set left after Sotto's own entry): a request that comes back with Sotto's Via and the same
/// hash has looped (§16.3 step 4). The call that goes A → Sotto → PBX → Sotto → B passes twice with a
/// different Request-URI or Route set each time, so it is not a loop.
enum Branch {
    static let prefix = "z9hG4bK-st-"

    static func loopHash(of request: SIPMessage, routes: [SIPNameAddress]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ text: String) {
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01B3
            }
            hash ^= 0xFF
            hash = hash &* 0x0000_0100_0000_01B3
        }
        mix(request.requestLine?.uriText ?? "")
        mix(request.from.tag ?? "")
        mix(request.to.tag ?? "")
        mix(request.callID)
        mix(String(request.cseq.sequence))
        for route in routes { mix(route.description) }
        return String(hash, radix: 16)
    }

    static func make(loopHash: String) -> String {
        "\(prefix)\(loopHash)-\(RandomToken.make(10))"
    }

    /// The loop hash of a branch Sotto made; nil for anyone else's.
    static func loopHash(ofBranch branch: String) -> Substring? {
        guard branch.hasPrefix(prefix) else { return nil }
        let parts = branch.dropFirst(prefix.count).split(separator: "-")
        return parts.count == 2 ? parts[0] : nil
    }
}
