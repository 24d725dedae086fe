import Testing

@testable import SDP

@Suite("Rewriting a media section as the Proxy does: address, port, crypto lines")
struct SDPRewriteTests {
    static let sottoKey = "QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5"

    static func sottoCrypto() throws -> SDPCryptoAttribute {
        try SDPCryptoAttribute(
            tag: 1, suite: "AES_CM_128_HMAC_SHA1_80",
            keyParameters: [try SDPCryptoKeyParameter(keySalt: sottoKey)])
    }

    @Test("the baresip offer rewritten: only the m=, c= and a=crypto lines change, the others keep their bytes")
    func baresipRewrite() throws {
        var offer = try SDPSessionDescription(parsing: Fixtures.baresipOffer)
        try offer.media[0].setConnection(address: "203.0.113.50", port: 30000)
        offer.media[0].replaceCryptoAttributes(with: [try Self.sottoCrypto()])
        let expected = Fixtures.baresipOffer
            .replacingFirst("m=audio 10000 RTP/SAVP", with: "m=audio 30000 RTP/SAVP")
            .replacingFirst(
                "m=audio 30000 RTP/SAVP 96 0 8 101\r\n",
                with: "m=audio 30000 RTP/SAVP 96 0 8 101\r\nc=IN IP4 203.0.113.50\r\n"
            )
            .replacingFirst("inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz", with: "inline:" + Self.sottoKey)
        #expect(offer.text == expected)
        let again = try SDPSessionDescription(parsing: offer.text)
        #expect(again.connection(forMedia: 0)?.address == "203.0.113.50" && again.media[0].port == 30000)
        #expect(again.media[0].cryptoAttributes == [try Self.sottoCrypto()])
    }

    @Test("an existing media c= is replaced in place, extra ones dropped, IPv6 chosen from the address")
    func replaceConnection() throws {
        var parsed = try SDPSessionDescription(parsing: Fixtures.webRTCOffer)
        try parsed.media[0].setConnection(address: "2001:db8::99", port: 40000, rtcpPort: 40001)
        let audio = parsed.media[0]
        #expect(audio.lines[1].text == "c=IN IP6 2001:db8::99")
        #expect(audio.connections.count == 1 && audio.port == 40000)
        #expect(audio.field.formats == ["111", "63", "9", "0", "8", "13", "110", "126"])
        #expect(audio.rtcp == (try SDPRTCPAttribute(port: 40001, connection: SDPConnection(address: "2001:db8::99"))))
        #expect(audio.lines.firstIndex { $0.text.hasPrefix("a=rtcp:") } == 3)
        let reparsed = try SDPSessionDescription(parsing: parsed.text)
        #expect(reparsed == parsed)
    }

    @Test(
        "without an RTCP port the peer's stale a=rtcp goes; a last line without a break gets one when it stops being last"
    )
    func staleRTCP() throws {
        var parsed = try SDPSessionDescription(parsing: String(Fixtures.asteriskAnswer.dropLast()))
        #expect(parsed.media[0].lines.last?.ending == SDPLine.Ending.none)
        try parsed.media[0].setConnection(address: "192.0.2.77", port: 20000)
        #expect(parsed.media[0].rtcp == nil && !parsed.media[0].hasAttribute("rtcp"))
        #expect(parsed.text.hasSuffix("a=sendrecv"))
        try parsed.media[0].appendAttribute("rtcp-mux")
        #expect(parsed.text.hasSuffix("a=sendrecv\na=rtcp-mux\n"))
        #expect(parsed.text.contains("m=audio 20000 RTP/SAVP 0 101\nc=IN IP4 192.0.2.77\na=crypto"))
        #expect(!parsed.text.contains("\r"))
    }

    @Test("a c= is inserted after m= and i=, before b= (RFC 4566 §5 order)")
    func insertPosition() throws {
        let text = Fixtures.plainOffer.replacingFirst(
            "m=audio 4000 RTP/AVP 0 8\r\n",
            with: "m=audio 4000 RTP/AVP 0 8\r\ni=voice\r\nb=AS:64\r\n")
        var parsed = try SDPSessionDescription(parsing: text)
        try parsed.media[0].setConnection(address: "192.0.2.1", port: 4002)
        #expect(parsed.media[0].lines.map { $0.type } == ["m", "i", "c", "b", "a"])
        #expect(try SDPSessionDescription(parsing: parsed.text) == parsed)
    }

    @Test("crypto lines are replaced where the first was, in order, or appended when there were none")
    func replaceCrypto() throws {
        var parsed = try SDPSessionDescription(parsing: Fixtures.manyCryptoLines + "a=sendrecv\r\n")
        let first = try Self.sottoCrypto()
        let second = try SDPCryptoAttribute(
            tag: 2, suite: "AES_CM_128_HMAC_SHA1_32",
            keyParameters: [try SDPCryptoKeyParameter(keySalt: Self.sottoKey, lifetime: "2^31")])
        parsed.media[0].replaceCryptoAttributes(with: [first, second])
        #expect(parsed.media[0].lines.map { String($0.attribute?.name ?? "") } == ["", "crypto", "crypto", "sendrecv"])
        #expect(parsed.media[0].cryptoAttributes == [first, second])

        var plain = try SDPSessionDescription(parsing: Fixtures.plainOffer)
        plain.media[0].replaceCryptoAttributes(with: [first])
        #expect(plain.media[0].lines.last?.text == "a=crypto:" + first.value)
        plain.media[0].replaceCryptoAttributes(with: [])
        #expect(plain.media[0].cryptoAttributes.isEmpty && plain.text == Fixtures.plainOffer)
    }

    @Test("editing one section leaves the others' bytes alone")
    func otherSectionsUntouched() throws {
        var parsed = try SDPSessionDescription(parsing: Fixtures.audioVideo)
        let video = parsed.media[1]
        try parsed.media[0].setConnection(address: "192.0.2.5", port: 1000)
        #expect(parsed.media[1] == video)
        #expect(parsed.connection?.address == "192.0.2.201")
        #expect(parsed.connection(forMedia: 1)?.address == "192.0.2.201")
        #expect(parsed.connection(forMedia: 0)?.address == "192.0.2.5")
    }

    @Test("attributes and direction can be added, removed and set")
    func attributes() throws {
        var parsed = try SDPSessionDescription(parsing: Fixtures.baresipOffer)
        try parsed.media[0].appendAttribute("x-sotto", value: "relay")
        #expect(parsed.media[0].attributeValues("x-sotto") == ["relay"])
        #expect(parsed.media[0].removeAttributes("rtpmap") == 4)
        #expect(parsed.media[0].rtpMaps.isEmpty)
        parsed.media[0].setDirection(.inactive)
        #expect(parsed.media[0].direction == .inactive && parsed.media[0].attributeValues("sendrecv").isEmpty)
        #expect(throws: SDPError.self) { try parsed.media[0].appendAttribute("bad name") }
        #expect(throws: SDPError.self) { try parsed.media[0].appendAttribute("x", value: "a\r\nm=audio 1 X 0") }
        #expect(throws: SDPError.self) { try parsed.media[0].setConnection(address: "a b", port: 1) }
        #expect(throws: SDPError.self) { try parsed.media[0].setConnection(address: "192.0.2.1", port: 65536) }
        #expect(throws: SDPError.self) {
            try parsed.media[0].setConnection(address: "192.0.2.1", port: 1, rtcpPort: 70000)
        }
        #expect(try SDPSessionDescription(parsing: parsed.text) == parsed)
    }
}
