import SDP
import SIP
import SRTP

/// Tokens, branches and the SDP the generator writes; its SIP messages are made with `SIPMessageBuilder` (the
/// relay's own builder) and parsed back with Sotto's `SIP` module (what a softphone does), never handed to
/// the relay in any other form.
enum SIPText {
    static func token(_ length: Int = 12) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<length).map { _ in alphabet.randomElement()! })
    }

    static func branch() -> String { "z9hG4bK-lg" + token(16) }

    /// An audio offer or answer: one RTP/SAVP stream with rtcp-mux and one crypto line.
    static func sdp(
        ip: String, port: UInt16, codec: Codec, ptime: Int, cryptoTag: Int, key: SRTPKeyMaterial,
        direction: String = "sendrecv"
    ) -> String {
        var lines = [
            "v=0", "o=loadgen \(UInt32.random(in: 1...UInt32.max)) 1 IN IP4 \(ip)", "s=sotto-loadgen",
            "c=IN IP4 \(ip)", "t=0 0", "m=audio \(port) RTP/SAVP \(codec.payloadType)", "a=rtpmap:\(codec.rtpmap)",
        ]
        if codec == .opus { lines.append("a=fmtp:111 minptime=10;useinbandfec=1") }
        lines += [
            "a=ptime:\(ptime)", "a=rtcp-mux", "a=\(direction)",
            "a=crypto:\(cryptoTag) \(key.profile.rawValue) \(key.sdesKeyParameter)",
        ]
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Where an SDP body says to send media, and the keys it offers (tag, key), in its order.
    struct MediaTarget {
        var address: UDPTarget
        var keys: [(tag: Int, key: SRTPKeyMaterial)]
        var rtcpMux: Bool
        /// The stream's direction (its own attribute, else the session's, else sendrecv; RFC 3264 §5.1).
        var direction: SDPDirection = .sendrecv
    }

    struct UDPTarget {
        var ip: String
        var port: UInt16
    }

    /// Reads the first audio stream of `body`; nil when it has none the generator can use.
    static func mediaTarget(_ body: [UInt8]) -> MediaTarget? {
        guard let description = try? SDPSessionDescription(parsing: body),
            let index = description.media.firstIndex(where: { $0.media == "audio" && $0.port > 0 }),
            let connection = description.connection(forMedia: index)
        else { return nil }
        let media = description.media[index]
        var keys: [(Int, SRTPKeyMaterial)] = []
        for crypto in media.cryptoAttributes {
            guard let profile = SRTPProfile(rawValue: crypto.suite), let parameter = crypto.keyParameters.first,
                let key = try? SRTPKeyMaterial(keyParameter: parameter, profile: profile)
            else { continue }
            keys.append((crypto.tag, key))
        }
        return MediaTarget(
            address: UDPTarget(ip: connection.address, port: UInt16(clamping: media.port)), keys: keys,
            rtcpMux: media.rtcpMux, direction: description.direction(forMedia: index))
    }
}
