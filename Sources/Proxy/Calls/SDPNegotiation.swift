import SDP
import SRTP

/// Why Sotto refuses an offer (`488 Not Acceptable Here`) or an answer (the call attempt is torn down both ways):
/// docs/architecture.md, rule 1, docs/media-policy.md.
///
/// The reason is one sentence fit for `Warning: 399 <host> "<reason>"` and for a log: ASCII, no `"` or `\`, and
/// never key material. Text copied from the peer's SDP (a protocol, a suite name) is cut short and any other
/// character is replaced with `?`.
package struct MediaRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The sentence, e.g. `SRTP is required: stream 1 (audio) offers RTP/AVP`.
    package let reason: String

    /// A refusal with its sentence.
    package init(_ reason: String) { self.reason = reason }

    /// The reason.
    package var description: String { reason }
}

/// The media policy as pure functions over session descriptions: read an offer or an answer into a ``MediaPlan`` (or
/// refuse it), and write the description Sotto forwards to the other side, with the relay's address and ports and
/// Sotto's own keys (docs/architecture.md, rules 1 and 2 and "A call, step by step"; docs/media-policy.md).
///
/// No sockets and no media engine: the proxy asks the engine for ports and keys and passes them in. The write
/// functions throw ``SDP/SDPError`` (code `invalidValue`) when the plan, ports and keys passed in do not fit the
/// description, or an address or port cannot be written; that is a bug in the caller, never the peer's doing.
/// Streams are numbered from 1 in sentences, like `m=` lines in RFC 3264; ``MediaPlan/Stream/index`` is from 0.
package enum SDPNegotiation {
    /// The attributes Sotto passes on in a media section; every other `a=` line is removed from each description
    /// Sotto forwards (docs/sdp.md, "The attributes that pass", gives the reason for each).
    ///
    /// An allow-list, not a denylist: what Sotto does not understand cannot carry a peer's key or address to the
    /// other side under a name Sotto did not think of (`a=acap:1 crypto:... inline:KEY` and `a=pcfg` of RFC 5939,
    /// `a=Crypto` in another case, `a=alt`, vendor `a=x-*`), and cannot negotiate something the relay does not
    /// do (ICE, DTLS-SRTP, MIKEY, BUNDLE, encrypted header extensions). `rtcp` and `crypto` are rewritten with
    /// Sotto's own port and keys before this list applies; `rtcp-mux` stays only where it is agreed.
    package static let mediaAttributes: Set<String> = [
        "rtpmap", "fmtp", "ptime", "maxptime", "sendrecv", "sendonly", "recvonly", "inactive", "rtcp", "rtcp-mux",
        "crypto", "rtcp-fb", "label", "framerate", "maxprate",
    ]

    /// The attributes Sotto passes on in the session part: the direction attributes only (RFC 3264 §5.1 hold).
    /// `a=crypto` and `a=rtcp` belong to media sections (RFC 4568 §9.1, RFC 3605), so a peer's session-level one is
    /// removed rather than rewritten.
    package static let sessionAttributes: Set<String> = ["sendrecv", "sendonly", "recvonly", "inactive"]

    /// The session parameters that switch SRTP protection off (RFC 4568 §6.3.2-6.3.3).
    static let disablingParameters: Set<String> = ["UNENCRYPTED_SRTP", "UNENCRYPTED_SRTCP", "UNAUTHENTICATED_SRTP"]

    // MARK: - Reading

    /// Why a section is not usable: the end of a sentence that starts with the stream's label.
    struct Unusable: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    /// The stream's parts that do not depend on SRTP, as an inactive stream: address, ports, rtcp-mux, clock.
    static func baseStream(_ sdp: SDPSessionDescription, _ index: Int) -> MediaPlan.Stream {
        let section = sdp.media[index]
        let rtcp = section.isRejected ? nil : section.rtcp
        let separate = section.isRejected ? 0 : rtcp?.port ?? (section.port < 65535 ? section.port + 1 : 0)
        return MediaPlan.Stream(
            index: index, media: section.media, isActive: false,
            peerAddress: sdp.connection(forMedia: index)?.address ?? "", peerRTPPort: section.port,
            peerSeparateRTCPPort: separate, peerRTCPAddress: rtcp?.connection?.address, rtcpMux: section.rtcpMux,
            cryptoTag: nil, key: nil, clockRate: clockRate(section))
    }

    /// The RTP clock rate of the section's first format: its `a=rtpmap`, else the static payload type's
    /// (RFC 3551 §6, tables 4 and 5), else 8000.
    static func clockRate(_ section: SDPMediaDescription) -> UInt32 {
        guard let first = section.field.formats.first, let payloadType = Int(first) else { return 8000 }
        if let map = section.rtpMaps.first(where: { $0.payloadType == payloadType }), map.clockRate > 0 {
            return UInt32(clamping: map.clockRate)
        }
        switch payloadType {
        case 6: return 16000
        case 10, 11: return 44100
        case 16: return 11025
        case 17: return 22050
        case 14, 25, 26, 28, 31, 32, 33, 34: return 90000
        default: return 8000
        }
    }

    /// The key of one `a=crypto` key parameter for `suite`, when the SRTP module takes it.
    static func key(_ parameter: SDPCryptoKeyParameter, suite: String) -> SRTPKeyMaterial? {
        guard let profile = SRTPProfile(rawValue: suite) else { return nil }
        return try? SRTPKeyMaterial(keyParameter: parameter, profile: profile)
    }

    /// Why a line's single usable-looking key still cannot key a leg, as the end of a sentence; nil when it can.
    ///
    /// A leg holds one master key, so a line with several (told apart by MKI, RFC 4568 §6.1) is refused rather
    /// than failing when the peer switches keys. An MKI with a `_32` suite cannot be checked on SRTCP by libsrtp2
    /// (``SRTP/SRTPProfile/supportsMKI``).
    static func keyLimitation(_ attribute: SDPCryptoAttribute, key: SRTPKeyMaterial) -> String? {
        if attribute.keyParameters.count > 1 {
            return "gives several master keys on one a=crypto line, which Sotto does not support"
        }
        if key.mki != nil && !key.profile.supportsMKI {
            return "gives an MKI with \(key.profile.rawValue), which Sotto does not support"
        }
        return nil
    }

    /// The disabling session parameters on `attributes`, each once, in order.
    static func disablingParameters(of attributes: [SDPCryptoAttribute]) -> [String] {
        var seen: Set<String> = []
        return attributes.flatMap(\.sessionParameters).compactMap { parameter in
            let name = parameter.uppercased()
            return disablingParameters.contains(name) && seen.insert(name).inserted ? name : nil
        }
    }

    // MARK: - Writing

    /// Throws an `invalidValue` error saying `reason` unless `condition` holds: for arguments that do not fit.
    static func require(_ condition: Bool, _ reason: @autoclosure () -> String) throws(SDPError) {
        guard condition else {
            throw SDPError(.invalidValue, reason(), offset: 0, expected: "a plan, ports and keys that fit the SDP")
        }
    }

    /// The `a=crypto` line carrying one of Sotto's keys under `tag`.
    static func cryptoAttribute(tag: Int, key: SRTPKeyMaterial) throws(SDPError) -> SDPCryptoAttribute {
        try SDPCryptoAttribute(tag: tag, suite: key.profile.rawValue, keyParameters: [key.keyParameter])
    }

    /// Points an active stream at the relay: RTP/SAVP or RTP/SAVPF (upper case), the relay's port, `c=` and
    /// `a=rtcp`, and `crypto` as its only `a=crypto` lines.
    static func activate(
        _ section: inout SDPMediaDescription, relayAddress: String, ports: RelayPorts, crypto: [SDPCryptoAttribute]
    ) throws(SDPError) {
        try require((1...65535).contains(ports.rtp), "an active stream needs a relay RTP port from 1 to 65535")
        try section.setProto(section.proto.uppercased() == "RTP/SAVPF" ? "RTP/SAVPF" : "RTP/SAVP")
        try section.setConnection(address: relayAddress, port: ports.rtp, rtcpPort: ports.rtcp)
        section.replaceCryptoAttributes(with: crypto)
    }

    /// Disables a stream: port 0, no `a=crypto`, no `a=rtcp`; its own `c=`, if any, names the relay, so no peer
    /// address passes through.
    static func deactivate(_ section: inout SDPMediaDescription, relayAddress: String) throws(SDPError) {
        if section.connections.isEmpty {
            try section.setPort(0)
            section.removeAttributes("rtcp")
        } else {
            try section.setConnection(address: relayAddress, port: 0)
        }
        section.replaceCryptoAttributes(with: [])
    }

    /// The rewrites every forwarded description gets: the session `c=` (when there is one) and the `o=` address
    /// name the relay; only the attributes of ``sessionAttributes`` and ``mediaAttributes`` stay; `k=` lines and
    /// the free-text `i=`, `u=`, `e=`, `p=` lines go.
    static func rewriteSession(_ sdp: inout SDPSessionDescription, relayAddress: String) throws(SDPError) {
        if sdp.connection != nil { try sdp.setSessionConnection(address: relayAddress) }
        try sdp.setOriginAddress(relayAddress)
        // Security: an allow-list, so no attribute Sotto does not understand reaches the other side (a key in
        // a=acap or a=pcfg, an address in a=alt or a vendor a=x-*).
        sdp.keepAttributes { name, atSessionLevel in
            (atSessionLevel ? sessionAttributes : mediaAttributes).contains(String(name))
        }
        sdp.removeKeyLines()
        sdp.removeDescriptiveLines()
    }

    // MARK: - Sentences

    /// `stream <n> (<media>)`, numbered from 1.
    static func label(_ index: Int, _ media: String) -> String {
        "stream \(index + 1) (\(printable(media)))"
    }

    /// Peer text made safe for a Warning header's quoted string and a log line: visible ASCII except `"` and
    /// `\`, anything else as `?`, at most `limit` characters.
    static func printable(_ text: some StringProtocol, limit: Int = 40) -> String {
        var out = ""
        for byte in text.utf8.prefix(limit) {
            let safe = byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
            out.unicodeScalars.append(Unicode.Scalar(safe ? byte : UInt8(ascii: "?")))
        }
        return text.utf8.count > limit ? out + "..." : out
    }

    /// Peer suite names as a list for a sentence: the first four, made printable.
    static func suiteList(_ suites: [String]) -> String {
        let shown = suites.prefix(4).map { printable($0) }.joined(separator: ", ")
        return suites.count > 4 ? shown + ", ..." : shown
    }
}
