import SDP
import SRTP

/// What the test PBX (`sotto-loadgen pbx`) does with a number dialled: the extension table and the
/// offer/answer decision, kept free of sockets so that it can be tested on its own.
enum TestPBXService: String, Sendable, Equatable {
    /// Sends the caller's audio back.
    case echo
    /// Plays a tone.
    case tone
}

/// The test PBX's extensions: which dialled user parts reach which service.
struct TestPBXExtensions: Sendable {
    var echo: [String] = ["echo", "600"]
    var tone: [String] = ["tone", "601"]

    /// The service a Request-URI user part reaches; nil (404) for any other.
    func service(for user: String?) -> TestPBXService? {
        guard let user = user?.lowercased(), !user.isEmpty else { return nil }
        if echo.contains(where: { $0.lowercased() == user }) { return .echo }
        if tone.contains(where: { $0.lowercased() == user }) { return .tone }
        return nil
    }
}

/// One codec of an offer: its payload type and `a=rtpmap` (the static types 0 and 8 may come without one).
struct OfferedCodec: Sendable, Equatable {
    var payloadType: Int
    var name: String
    var clockRate: Int
    var channels: String?
    /// The offer's `a=fmtp` for this payload type, answered as it came.
    var formatParameters: String?

    /// The `a=rtpmap` value.
    var rtpmap: String { "\(payloadType) \(name)/\(clockRate)" + (channels.map { "/\($0)" } ?? "") }
}

/// The test PBX's answer to one offer, or why there is none.
enum TestPBXDecision: Sendable {
    case answer(TestPBXAnswerPlan)
    /// A final status and reason (404, 488) with what to log.
    case refuse(status: Int, reason: String, why: String)
}

/// What an accepted offer is answered with.
struct TestPBXAnswerPlan: Sendable {
    var service: TestPBXService
    var codec: OfferedCodec
    /// The tone's encoder for that codec (tone calls only).
    var toneCodec: ToneCodec?
    /// The crypto line chosen: its tag and the key the offerer sends with (what the PBX decrypts with).
    var cryptoTag: Int
    var offererKey: SRTPKeyMaterial
    var destination: (ip: String, port: UInt16)
    var rtcpMux: Bool
    var ptime: Int
}

/// Decides how the test PBX answers an INVITE.
enum TestPBXPlan {
    /// Formats that are not a voice codec (DTMF events, comfort noise, redundancy): never chosen.
    static let notVoice: Set<String> = ["telephone-event", "cn", "red", "ulpfec", "rtx"]

    /// The static payload types a softphone may offer without `a=rtpmap` (RFC 3551 §6).
    static let staticTypes: [Int: (String, Int)] = [0: ("PCMU", 8000), 8: ("PCMA", 8000), 9: ("G722", 8000)]

    /// Reads the first audio stream of `body` and decides: 404 for an unknown extension, 488 for an offer
    /// that is not SRTP (RTP/SAVP with a usable `a=crypto`: the test PBX takes no plain leg either) or that has
    /// no codec the service can use, else the answer. Echo takes the offer's first voice codec (it only sends
    /// the payload back, so any codec works); tone takes the first that it can encode (Opus, PCMU, PCMA).
    static func decide(user: String?, offer body: [UInt8], extensions: TestPBXExtensions) -> TestPBXDecision {
        guard let service = extensions.service(for: user) else {
            return .refuse(
                status: 404, reason: "Not Found",
                why:
                    "no extension \(user ?? "(none)"); try \((extensions.echo + extensions.tone).joined(separator: ", "))"
            )
        }
        guard let description = try? SDPSessionDescription(parsing: body),
            let index = description.media.firstIndex(where: { $0.media == "audio" && $0.port > 0 }),
            let connection = description.connection(forMedia: index)
        else {
            return .refuse(status: 488, reason: "Not Acceptable Here", why: "the offer has no audio stream")
        }
        let media = description.media[index]
        // Security: only an SRTP offer is answered, and only with SRTP (a suite libsrtp2 knows, a key it parses).
        guard media.isSecureProfile,
            let (tag, key) = media.cryptoAttributes.lazy.compactMap(Self.usableKey).first
        else {
            return .refuse(status: 488, reason: "Not Acceptable Here", why: "the offer is not SRTP with SDES keys")
        }
        let codecs = offeredCodecs(media)
        let chosen: (OfferedCodec, ToneCodec?)?
        switch service {
        case .echo:
            chosen = codecs.first { !notVoice.contains($0.name.lowercased()) }.map { ($0, nil) }
        case .tone:
            chosen = codecs.lazy.compactMap { codec in ToneCodec(name: codec.name).map { (codec, $0) } }.first
        }
        guard let (codec, toneCodec) = chosen else {
            return .refuse(
                status: 488, reason: "Not Acceptable Here",
                why: "no codec for \(service.rawValue) among \(codecs.map(\.name).joined(separator: ", "))")
        }
        let ptime = media.ptime.map { [10, 20, 30, 40, 60].contains($0) ? $0 : 20 } ?? 20
        return .answer(
            TestPBXAnswerPlan(
                service: service, codec: codec, toneCodec: toneCodec, cryptoTag: tag, offererKey: key,
                destination: (connection.address, UInt16(clamping: media.port)), rtcpMux: media.rtcpMux,
                ptime: ptime))
    }

    private static func usableKey(_ crypto: SDPCryptoAttribute) -> (Int, SRTPKeyMaterial)? {
        guard !crypto.disablesProtection, let profile = SRTPProfile(rawValue: crypto.suite),
            let parameter = crypto.keyParameters.first,
            let key = try? SRTPKeyMaterial(keyParameter: parameter, profile: profile)
        else { return nil }
        return (crypto.tag, key)
    }

    /// The stream's codecs in the offer's order.
    static func offeredCodecs(_ media: SDPMediaDescription) -> [OfferedCodec] {
        let maps = Dictionary(media.rtpMaps.map { ($0.payloadType, $0) }, uniquingKeysWith: { first, _ in first })
        let parameters = Dictionary(
            media.formatParameters.map { ($0.format, $0.parameters) }, uniquingKeysWith: { first, _ in first })
        return media.field.formats.compactMap { format in
            guard let type = Int(format) else { return nil }
            let fmtp = parameters[format]
            if let map = maps[type] {
                return OfferedCodec(
                    payloadType: type, name: map.encodingName, clockRate: map.clockRate,
                    channels: map.encodingParameters, formatParameters: fmtp)
            }
            guard let (name, rate) = staticTypes[type] else { return nil }
            return OfferedCodec(payloadType: type, name: name, clockRate: rate, channels: nil, formatParameters: fmtp)
        }
    }

    /// The answer's SDP: one RTP/SAVP stream with the chosen codec and one crypto line (the offer's tag, the
    /// PBX's own key), rtcp-mux when the offer had it.
    static func answerSDP(plan: TestPBXAnswerPlan, ip: String, port: UInt16, ownKey: SRTPKeyMaterial) -> String {
        var lines = [
            "v=0", "o=sotto-test-pbx \(UInt32.random(in: 1...UInt32.max)) 1 IN IP4 \(ip)", "s=sotto test PBX",
            "c=IN IP4 \(ip)", "t=0 0", "m=audio \(port) RTP/SAVP \(plan.codec.payloadType)",
            "a=rtpmap:\(plan.codec.rtpmap)",
        ]
        if let fmtp = plan.codec.formatParameters { lines.append("a=fmtp:\(plan.codec.payloadType) \(fmtp)") }
        lines.append("a=ptime:\(plan.ptime)")
        if plan.rtcpMux { lines.append("a=rtcp-mux") }
        lines += ["a=sendrecv", "a=crypto:\(plan.cryptoTag) \(ownKey.profile.rawValue) \(ownKey.sdesKeyParameter)"]
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
