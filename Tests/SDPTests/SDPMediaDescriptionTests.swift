import Testing

@testable import SDP

@Suite("Media sections: m= fields, c=, b=, rtpmap, fmtp, ptime, direction, rtcp-mux, rtcp")
struct SDPMediaDescriptionTests {
    @Test("the baresip offer's audio section reads as sent")
    func baresip() throws {
        let parsed = try SDPSessionDescription(parsing: Fixtures.baresipOffer)
        let audio = try #require(parsed.media.first)
        #expect(audio.media == "audio" && audio.port == 10000 && audio.proto == "RTP/SAVP")
        #expect(audio.field.formats == ["96", "0", "8", "101"] && audio.field.portCount == nil)
        #expect(audio.rtpMaps.map(\.payloadType) == [96, 0, 8, 101])
        #expect(audio.rtpMaps[0].encodingName == "opus" && audio.rtpMaps[0].clockRate == 48000)
        #expect(audio.rtpMaps[0].encodingParameters == "2" && audio.rtpMaps[1].encodingParameters == nil)
        #expect(audio.formatParameters.map(\.format) == ["96", "101"])
        #expect(audio.formatParameters[1].parameters == "0-15")
        #expect(audio.ptime == 20 && audio.maxptime == nil)
        #expect(audio.rtcpMux && audio.rtcp == nil)
        #expect(audio.direction == .sendrecv)
        #expect(audio.bandwidths == [try SDPBandwidth(parsing: "AS:128")])
        #expect(audio.connections.isEmpty)
        #expect(parsed.connection(forMedia: 0)?.address == "192.0.2.20")
        #expect(!audio.isRejected && audio.isSecureProfile)
    }

    @Test("the Asterisk answer's a=rtcp port and maxptime read (RFC 3605)")
    func asterisk() throws {
        let audio = try SDPSessionDescription(parsing: Fixtures.asteriskAnswer).media[0]
        #expect(audio.rtcp == (try SDPRTCPAttribute(port: 17229)))
        #expect(!audio.rtcpMux && audio.maxptime == 150)
    }

    @Test("IPv6 connection data and an a=rtcp with an address read (RFC 4566 §5.7, RFC 3605 §2.1)")
    func ipv6() throws {
        let parsed = try SDPSessionDescription(parsing: Fixtures.webRTCOffer)
        let audio = parsed.media[0]
        let connection = try #require(audio.connections.first)
        #expect(connection.isIPv6 && connection.address == "2001:db8::10" && connection.networkType == "IN")
        #expect(audio.rtcp?.port == 50001 && audio.rtcp?.connection == connection)
        #expect(audio.rtcp?.value == "50001 IN IP6 2001:db8::10")
        #expect(audio.proto == "RTP/SAVPF" && audio.isSecureProfile)
        #expect(parsed.origin?.addressType == "IP6")
        #expect(audio.bandwidths.first?.type == "TIAS" && audio.bandwidths.first?.bandwidth == 64000)
        #expect(parsed.connection == nil)
    }

    @Test("two m-lines: each has its own attributes and direction; the session's applies when it has none")
    func twoSections() throws {
        let parsed = try SDPSessionDescription(parsing: Fixtures.audioVideo)
        #expect(parsed.media.map(\.media) == ["audio", "video"])
        #expect(parsed.direction(forMedia: 0) == .sendonly)
        #expect(parsed.direction(forMedia: 1) == .sendrecv)
        #expect(parsed.media[1].rtpMaps.first?.encodingName == "MPV")
        #expect(parsed.media[0].rtpMaps.isEmpty)
        #expect(parsed.connection(forMedia: 1)?.address == "192.0.2.201")
        let inherited = try SDPSessionDescription(
            parsing: Fixtures.manyCryptoLines.replacingFirst(
                "t=2873397496 2873404696\r\n", with: "t=2873397496 2873404696\r\na=inactive\r\n"))
        #expect(inherited.media[0].direction == nil && inherited.direction(forMedia: 0) == .inactive)
    }

    @Test("a port 0 stream is rejected and may go without c=; a port count reads (RFC 3264 §6, RFC 4566 §5.14)")
    func portZero() throws {
        let parsed = try SDPSessionDescription(parsing: Fixtures.rejectedVideo)
        #expect(parsed.media[1].isRejected && parsed.media[1].port == 0 && !parsed.media[0].isRejected)
        #expect(parsed.connection(forMedia: 1) == nil)
        let counted = try SDPMediaField(parsing: "video 51372/2 RTP/AVP 99")
        #expect(counted.port == 51372 && counted.portCount == 2 && counted.value == "video 51372/2 RTP/AVP 99")
    }

    @Test("malformed attribute values are kept and their views are nil")
    func malformedAttributes() throws {
        let text =
            Fixtures.plainOffer + "a=rtpmap:200 X/8000\r\na=rtpmap:9\r\na=fmtp:101\r\na=ptime:20.5\r\n"
            + "a=rtcp:99999\r\na=rtcp:5 IN IP4\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80\r\na=sendrecv:x\r\n"
        let parsed = try SDPSessionDescription(parsing: text)
        let audio = parsed.media[0]
        #expect(parsed.text == text)
        #expect(audio.rtpMaps.map(\.payloadType) == [0])
        #expect(audio.formatParameters.isEmpty && audio.ptime == nil && audio.rtcp == nil)
        #expect(audio.cryptoAttributes.isEmpty && audio.direction == nil)
        #expect(audio.attributeValues("rtpmap").count == 3)
    }

    @Test(
        "field parsers refuse what RFC 4566 does not allow",
        arguments: [
            "rtpmap 128 X/8000", "rtpmap 0 PCMU", "rtpmap 0 /8000", "rtpmap 0 PCMU/x", "fmtp  x", "rtcp x",
            "rtcp 5 IN", "connection IN IP4", "connection IN IP4 a b", "bandwidth :5", "media audio x RTP/AVP 0",
            "media audio 1/70000 RTP/AVP 0", "origin - 1 2 IN IP4",
        ])
    func fieldRefused(_ input: String) {
        let (kind, value) = (input.prefix { $0 != " " }, String(input.drop { $0 != " " }.dropFirst()))
        #expect(throws: SDPError.self) {
            switch kind {
            case "rtpmap": _ = try SDPRTPMap(parsing: value)
            case "fmtp": _ = try SDPFormatParameters(parsing: value)
            case "rtcp": _ = try SDPRTCPAttribute(parsing: value)
            case "connection": _ = try SDPConnection(parsing: value)
            case "bandwidth": _ = try SDPBandwidth(parsing: value)
            case "media": _ = try SDPMediaField(parsing: value)
            default: _ = try SDPOrigin(parsing: value)
            }
        }
    }

    @Test("values built for lines refuse whitespace, line breaks and out-of-range ports")
    func buildRefused() throws {
        #expect(throws: SDPError.self) { try SDPConnection(address: "192.0.2.1\r\nm=audio") }
        #expect(throws: SDPError.self) { try SDPConnection(address: "") }
        #expect(throws: SDPError.self) {
            try SDPMediaField(media: "audio", port: 65536, proto: "RTP/AVP", formats: ["0"])
        }
        #expect(throws: SDPError.self) { try SDPMediaField(media: "audio", port: 1, proto: "RTP/AVP", formats: []) }
        #expect(throws: SDPError.self) { try SDPRTCPAttribute(port: -1) }
        #expect(try SDPConnection(address: "::1").value == "IN IP6 ::1")
        #expect(try SDPConnection(address: "192.0.2.1").value == "IN IP4 192.0.2.1")
        #expect(
            try SDPMediaField(media: "audio", port: 5, portCount: 2, proto: "RTP/SAVP", formats: ["0", "8"]).value
                == "audio 5/2 RTP/SAVP 0 8")
    }

    @Test("a section built from an m= field holds only its m= line")
    func built() throws {
        let section = SDPMediaDescription(
            field: try SDPMediaField(
                media: "audio", port: 4000, proto: "RTP/SAVP",
                formats: ["0"]))
        #expect(section.lines.map(\.description) == ["m=audio 4000 RTP/SAVP 0\r\n"])
        #expect(section.lines[0].type == "m" && section.lines[0].value == "audio 4000 RTP/SAVP 0")
        #expect(section.lines[0].attribute == nil)
    }
}
