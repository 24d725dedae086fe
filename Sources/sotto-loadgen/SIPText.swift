import SDP
import SIP
import SRTP

/// The SIP and SDP text the generator writes. Messages are written as text and parsed back with
/// Sotto's `SIP` module (what a softphone does), never handed to the relay in any other form.
enum SIPText {
    static func token(_ length: Int = 12) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<length).map { _ in alphabet.randomElement()! })
    }

    static func branch() -> String { "z9hG4bK-lg" + token(16) }

    /// A request with the given header lines (name: value) and optional SDP body.
    static func request(_ method: String, uri: String, headers: [String], body: String = "") -> [UInt8] {
        message(startLine: "\(method) \(uri) SIP/2.0", headers: headers, body: body)
    }

    /// A response to `request`: its Via, From, To (with `toTag` added when it has none), Call-ID and
    /// CSeq, its Record-Route when `recordRoute`, then `extra` lines.
    static func response(
        to request: SIPMessage, status: Int, reason: String, toTag: String?, recordRoute: Bool = false,
        extra: [String] = [], body: String = ""
    ) -> [UInt8] {
        var lines: [String] = []
        for via in request.headers(named: "Via") { lines.append("Via: \(via.value)") }
        lines.append("From: \(request.firstValue(of: "From") ?? "")")
        var to = request.firstValue(of: "To") ?? ""
        if let toTag, request.to.tag == nil { to += ";tag=\(toTag)" }
        lines.append("To: \(to)")
        lines.append("Call-ID: \(request.callID)")
        lines.append("CSeq: \(request.cseq)")
        if recordRoute {
            for route in request.headers(named: "Record-Route") { lines.append("Record-Route: \(route.value)") }
        }
        return message(startLine: "SIP/2.0 \(status) \(reason)", headers: lines + extra, body: body)
    }

    static func message(startLine: String, headers: [String], body: String) -> [UInt8] {
        var text = startLine + "\r\n"
        for line in headers { text += line + "\r\n" }
        if !body.isEmpty { text += "Content-Type: application/sdp\r\n" }
        text += "Content-Length: \(body.utf8.count)\r\n\r\n" + body
        return Array(text.utf8)
    }

    /// An audio offer or answer: one RTP/SAVP stream with rtcp-mux and one crypto line.
    static func sdp(ip: String, port: UInt16, codec: Codec, ptime: Int, cryptoTag: Int, key: SRTPKeyMaterial) -> String
    {
        var lines = [
            "v=0", "o=loadgen \(UInt32.random(in: 1...UInt32.max)) 1 IN IP4 \(ip)", "s=sotto-loadgen",
            "c=IN IP4 \(ip)", "t=0 0", "m=audio \(port) RTP/SAVP \(codec.payloadType)", "a=rtpmap:\(codec.rtpmap)",
        ]
        if codec == .opus { lines.append("a=fmtp:111 minptime=10;useinbandfec=1") }
        lines += [
            "a=ptime:\(ptime)", "a=rtcp-mux", "a=sendrecv",
            "a=crypto:\(cryptoTag) \(key.profile.rawValue) \(key.sdesKeyParameter)",
        ]
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Where an SDP body says to send media, and the keys it offers (tag, key), in its order.
    struct MediaTarget {
        var address: UDPTarget
        var keys: [(tag: Int, key: SRTPKeyMaterial)]
        var rtcpMux: Bool
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
            rtcpMux: media.rtcpMux)
    }
}
