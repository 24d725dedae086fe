import SDP
import SRTP

/// Reading the answer to an offer Sotto wrote, and writing the answer Sotto forwards to the offerer
/// (docs/architecture.md, "A call, step by step").
extension SDPNegotiation {
    /// Reads the answer to an offer Sotto wrote with ``writeOffer(_:plan:relayAddress:ports:keys:)``.
    ///
    /// The answer must have as many `m=` lines as the offer (RFC 3264 §6). A stream inactive in `offerPlan` must
    /// have port 0 in the answer. A stream active there may be rejected with port 0 (it becomes inactive), but
    /// at least one must stay active. An accepted stream must be RTP/SAVP or RTP/SAVPF with exactly one `a=crypto`
    /// line (RFC 4568 §7.1.2) whose tag is one Sotto offered (1...`offered[i].count`), whose suite is the one
    /// offered under that tag, which switches no protection off, and whose single key parses for that suite.
    /// The answer plan's ``MediaPlan/Stream/rtcpMux`` is true only when the offer offered it and the answer
    /// accepts it: what both legs of the stream then use. An answer key equal to the key Sotto offered under its
    /// tag is refused, and the media addresses of active streams are checked against `peers` (``PeerPolicy``).
    ///
    /// - Parameters: - offered: the keys Sotto offered on each stream, as passed to `writeOffer` (tag n is
    /// `offered[i][n-1]`). - offerPlan: the plan the forwarded offer was written from. - Returns: the answer's plan, or
    /// a refusal: the call attempt is torn down both ways (docs/architecture.md, rule 1).
    package static func readAnswer(
        _ sdp: SDPSessionDescription, offered: [[SRTPKeyMaterial]], offerPlan: MediaPlan,
        peers: PeerPolicy = PeerPolicy()
    ) -> Result<MediaPlan, MediaRefusal> {
        let count = offerPlan.streams.count
        guard sdp.media.count == count else {
            return .failure(
                MediaRefusal(
                    "the answer has \(sdp.media.count) m= lines but the offer had \(count) (RFC 3264 §6)"))
        }
        guard offered.count == count else {
            return .failure(MediaRefusal("Sotto's offer kept keys for \(offered.count) of its \(count) streams"))
        }
        var streams: [MediaPlan.Stream] = []
        for index in sdp.media.indices {
            let section = sdp.media[index]
            var stream = baseStream(sdp, index)
            stream.rtcpMux = section.rtcpMux && offerPlan.streams[index].rtcpMux
            let name = "the answer's \(label(index, section.media))"
            switch (offerPlan.streams[index].isActive, section.isRejected) {
            case (false, false):
                return .failure(MediaRefusal("\(name) has a port, but Sotto's offer disabled that stream"))
            case (_, true):
                if offerPlan.streams[index].isActive { stream.disabledReason = "\(name) is rejected with port 0" }
            case (true, false):
                switch acceptedCrypto(section, offered: offered[index]) {
                case .success(let (tag, key)):
                    stream.isActive = true
                    stream.cryptoTag = tag
                    stream.key = key
                case .failure(let why):
                    return .failure(MediaRefusal("SRTP is required: \(name) \(why.text)"))
                }
            }
            streams.append(stream)
        }
        guard streams.contains(where: \.isActive) else {
            return .failure(MediaRefusal("the answer rejects every stream Sotto offered"))
        }
        return checkPeers(MediaPlan(streams: streams), peers, side: "the answer's")
    }

    /// The tag and key of an accepted answer section's one `a=crypto` line, or the end of a sentence saying why
    /// it is not acceptable.
    static func acceptedCrypto(
        _ section: SDPMediaDescription, offered: [SRTPKeyMaterial]
    ) -> Result<(Int, SRTPKeyMaterial), Unusable> {
        guard section.isSecureProfile else { return .failure(Unusable("answers \(printable(section.proto))")) }
        let lines = section.attributeValues("crypto")
        guard !lines.isEmpty else { return .failure(Unusable("has no a=crypto line")) }
        guard lines.count == 1 else {
            return .failure(Unusable("has \(lines.count) a=crypto lines, where an answer has exactly one"))
        }
        guard let attribute = section.cryptoAttributes.first else {
            return .failure(Unusable("has an a=crypto line that does not parse"))
        }
        guard attribute.tag >= 1 && attribute.tag <= offered.count else {
            return .failure(Unusable("answers crypto tag \(attribute.tag), which was not offered"))
        }
        let profile = offered[attribute.tag - 1].profile
        guard attribute.suite == profile.rawValue else {
            return .failure(
                Unusable(
                    "answers crypto tag \(attribute.tag) with \(printable(attribute.suite)), "
                        + "but it was offered with \(profile.rawValue)"))
        }
        let disabling = disablingParameters(of: [attribute])
        guard disabling.isEmpty else {
            return .failure(
                Unusable("switches encryption or authentication off (\(disabling.joined(separator: ", ")))"))
        }
        guard let key = key(attribute.keyParameters[0], suite: attribute.suite) else {
            return .failure(Unusable("has a key that does not parse"))
        }
        if let why = keyLimitation(attribute, key: key) { return .failure(Unusable(why)) }
        // Security: an answerer that echoes the offered key would have both directions under Sotto's one key.
        if sameKey(key, offered[attribute.tag - 1]) { return .failure(Unusable("gives back the key Sotto offered")) }
        return .success((attribute.tag, key))
    }

    /// Writes the answer Sotto forwards to the original offerer.
    ///
    /// For each stream active in both plans: the protocol RTP/SAVP or RTP/SAVPF as answered (upper case), the
    /// port `ports[i].rtp`, a media-level `c=` naming `relayAddress`, `a=rtcp:<ports[i].rtcp>` (none when nil),
    /// and one `a=crypto` line with the offerer's chosen tag (`offerPlan.streams[i].cryptoTag`) and suite,
    /// carrying Sotto's key `keys[i]`; `a=rtcp-mux` stays only when ``MediaPlan/Stream/rtcpMux`` of the answer plan
    /// says it was offered and accepted. A stream inactive in either plan gets port 0 without `a=crypto` or
    /// `a=rtcp`. Then the same session rewrites as ``writeOffer(_:plan:relayAddress:ports:keys:)``.
    ///
    /// - Parameters:
    ///   - sdp: the answer as received; `answerPlan` was read from it.
    ///   - ports, keys: indexed like the plans' streams; `keys[i]` may be nil for a stream that is not active in
    ///     both. For a re-offer whose suite is unchanged, pass the previous key again (RFC 4568 §7.1.4).
    /// - Throws: ``SDP/SDPError`` with code `invalidValue` when the plans, ports or keys do not fit `sdp`, a key is
    ///   missing or its suite is not the offerer's chosen one, or `relayAddress` or a port cannot be written.
    package static func writeAnswer(
        _ sdp: SDPSessionDescription, answerPlan: MediaPlan, offerPlan: MediaPlan, relayAddress: String,
        ports: [RelayPorts], keys: [SRTPKeyMaterial?]
    ) throws(SDPError) -> SDPSessionDescription {
        let count = sdp.media.count
        try require(
            answerPlan.streams.count == count && offerPlan.streams.count == count && ports.count == count
                && keys.count == count,
            "the plans, ports and keys must have one entry per m= line (\(count))")
        var out = sdp
        for index in 0..<count {
            let offered = offerPlan.streams[index]
            guard offered.isActive && answerPlan.streams[index].isActive else {
                try deactivate(&out.media[index], relayAddress: relayAddress)
                continue
            }
            guard let key = keys[index], let tag = offered.cryptoTag, let chosen = offered.key?.profile else {
                try require(false, "stream \(index + 1) is active but has no key or no offered crypto line")
                continue
            }
            try require(
                key.profile == chosen,
                "Sotto's key for stream \(index + 1) is for \(key.profile.rawValue), "
                    + "but the offerer chose \(chosen.rawValue)")
            let crypto = try cryptoAttribute(tag: tag, key: key)
            try activate(&out.media[index], relayAddress: relayAddress, ports: ports[index], crypto: [crypto])
            // RFC 5761 §5.1.1: an answer may accept rtcp-mux only when the offer offered it.
            if !answerPlan.streams[index].rtcpMux { out.media[index].removeAttributes("rtcp-mux") }
        }
        try rewriteSession(&out, relayAddress: relayAddress)
        return out
    }
}
