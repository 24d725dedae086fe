import SDP
import SRTP

/// Reading an offer and writing the offer Sotto forwards (docs/architecture.md, "A call, step by step").
extension SDPNegotiation {
    /// Reads an offer: which streams Sotto relays and with which of the offerer's keys.
    ///
    /// Each `m=` line with a port is checked with ``SDP/SDPMediaDescription/srtpVerdict(allowedSuites:keyIsUsable:)``
    /// against `allowed`; a key is usable when `SRTPKeyMaterial(keyParameter:profile:)` takes it (lifetime and
    /// MKI included), the line carries only that one key, and an MKI comes with a suite that supports one. For a
    /// usable stream the line whose suite comes first in `allowed` is chosen (the allow-list is Sotto's order of
    /// preference), the lowest tag among lines of that suite. A stream that is not usable is disabled: it stays
    /// in the plan inactive, with ``MediaPlan/Stream/disabledReason``, and is forwarded with port 0. A port-0
    /// stream is inactive without a reason.
    ///
    /// The media addresses of active streams are checked against `peers` (``PeerPolicy``), and an active
    /// stream's chosen key must differ from Sotto's current key toward the offerer on that stream (`sottoKeys`,
    /// indexed like the `m=` lines): a peer that sends back Sotto's own key would have both directions of the
    /// stream under one key.
    ///
    /// - Returns: the plan, or a refusal when no stream stays active (with the first disabled stream's reason),
    ///   the offer has no `m=` line, names a refused media address, or gives back Sotto's key.
    package static func readOffer(
        _ sdp: SDPSessionDescription, allowed: [SRTPProfile], peers: PeerPolicy = PeerPolicy(),
        sottoKeys: [SRTPKeyMaterial?] = []
    ) -> Result<MediaPlan, MediaRefusal> {
        guard !sdp.media.isEmpty else {
            return .failure(MediaRefusal("SRTP is required: the offer has no m= line"))
        }
        var streams: [MediaPlan.Stream] = []
        var firstReason: String?
        for index in sdp.media.indices {
            var stream = baseStream(sdp, index)
            defer { streams.append(stream) }
            guard !sdp.media[index].isRejected else { continue }
            switch chooseCrypto(sdp.media[index], allowed: allowed) {
            case .success(let (attribute, key)):
                stream.isActive = true
                stream.cryptoTag = attribute.tag
                stream.key = key
            case .failure(let why):
                let reason = "SRTP is required: \(label(index, sdp.media[index].media)) \(why.text)"
                stream.disabledReason = reason
                firstReason = firstReason ?? reason
            }
        }
        guard streams.contains(where: \.isActive) else {
            return .failure(MediaRefusal(firstReason ?? "the offer has no active stream: every m= line has port 0"))
        }
        for stream in streams where sottoKeys.indices.contains(stream.index) {
            // Security: the same key both ways would reuse Sotto's keystream toward the peer for the peer's packets.
            if let peer = stream.key, let own = sottoKeys[stream.index], sameKey(peer, own) {
                return .failure(
                    MediaRefusal("the offer's \(label(stream.index, stream.media)) gives back Sotto's own key"))
            }
        }
        return checkPeers(MediaPlan(streams: streams), peers, side: "the offer's")
    }

    /// The preferred usable `a=crypto` line of an offered section and its key, or the end of a sentence saying
    /// why there is none.
    static func chooseCrypto(
        _ section: SDPMediaDescription, allowed: [SRTPProfile]
    ) -> Result<(SDPCryptoAttribute, SRTPKeyMaterial), Unusable> {
        let names = allowed.map(\.rawValue)
        let verdict = section.srtpVerdict(allowedSuites: Set(names)) { suite, parameter in
            key(parameter, suite: suite) != nil
        }
        switch verdict {
        case .usable(let attributes):
            var best: (rank: Int, tag: Int, attribute: SDPCryptoAttribute, key: SRTPKeyMaterial)?
            var limitation: String?
            for attribute in attributes {
                guard let rank = names.firstIndex(of: attribute.suite),
                    let key = key(attribute.keyParameters[0], suite: attribute.suite)
                else { continue }
                if let why = keyLimitation(attribute, key: key) {
                    limitation = limitation ?? why
                    continue
                }
                if best.map({ (rank, attribute.tag) < ($0.rank, $0.tag) }) ?? true {
                    best = (rank, attribute.tag, attribute, key)
                }
            }
            guard let best else { return .failure(Unusable(limitation ?? "has a key that does not parse")) }
            return .success((best.attribute, best.key))
        case .notSecureProfile:
            return .failure(Unusable("offers \(printable(section.proto))"))
        case .noCrypto:
            return .failure(Unusable("has no a=crypto line"))
        case .noAllowedSuite:
            let suites = section.offeredSuites
            guard !suites.isEmpty else { return .failure(Unusable("has no a=crypto line that parses")) }
            return .failure(Unusable("offers only suites outside the allow-list (\(suiteList(suites)))"))
        case .protectionDisabled:
            let parameters = disablingParameters(of: section.cryptoAttributes.filter { names.contains($0.suite) })
            return .failure(
                Unusable("switches encryption or authentication off (\(parameters.joined(separator: ", ")))"))
        case .noUsableKey:
            return .failure(Unusable("has a key that does not parse"))
        }
    }

    /// Writes the offer Sotto forwards to the other side.
    ///
    /// For each active stream of `plan`: the protocol RTP/SAVP (RTP/SAVPF when it was SAVPF), the port
    /// `ports[i].rtp`, a media-level `c=` naming `relayAddress`, `a=rtcp:<ports[i].rtcp>` (none when that is nil:
    /// the peer then uses rtcp-mux if it is kept and agreed, else RTP + 1), and one `a=crypto` line per key in
    /// `keys[i]`, tagged 1, 2, ... in that order. Each inactive stream gets port 0 and loses its `a=crypto` and
    /// `a=rtcp` lines; `ports[i]` and `keys[i]` are not read for it. Then the session rewrites: session `c=` and
    /// `o=` address name the relay (`IN IP6` for an IPv6 address); every attribute outside ``mediaAttributes``
    /// and ``sessionAttributes`` goes (ICE, DTLS, MIKEY and anything else Sotto does not understand), and so do
    /// `k=`, `i=`, `u=`, `e=` and `p=` lines. Every other line keeps its bytes.
    ///
    /// - Parameters:
    ///   - ports: indexed like `plan.streams`.
    ///   - keys: indexed like `plan.streams`; at least one key per active stream. For a re-offer, pass the keys
    ///     of the previous offer again when their suites are unchanged, so the crypto context is kept
    ///     (RFC 4568 §7.1.4).
    /// - Throws: ``SDP/SDPError`` with code `invalidValue` when `plan`, `ports` or `keys` do not fit `sdp`, an
    ///   active stream has no key, or `relayAddress` or a port cannot be written.
    package static func writeOffer(
        _ sdp: SDPSessionDescription, plan: MediaPlan, relayAddress: String, ports: [RelayPorts],
        keys: [[SRTPKeyMaterial]]
    ) throws(SDPError) -> SDPSessionDescription {
        let count = sdp.media.count
        try require(
            plan.streams.count == count && ports.count == count && keys.count == count,
            "the plan, ports and keys must have one entry per m= line (\(count))")
        var out = sdp
        for (index, stream) in plan.streams.enumerated() {
            try require(stream.index == index, "the plan's streams must be in m= line order")
            guard stream.isActive else {
                try deactivate(&out.media[index], relayAddress: relayAddress)
                continue
            }
            try require(!keys[index].isEmpty, "active stream \(index + 1) needs at least one key")
            var crypto: [SDPCryptoAttribute] = []
            for (offset, key) in keys[index].enumerated() {
                crypto.append(try cryptoAttribute(tag: offset + 1, key: key))
            }
            try activate(&out.media[index], relayAddress: relayAddress, ports: ports[index], crypto: crypto)
        }
        try rewriteSession(&out, relayAddress: relayAddress)
        return out
    }
}
