import Testing

@testable import SDP

@Suite("Rewriting the session part and attributes everywhere, byte for byte elsewhere")
struct SDPSessionRewriteTests {
    @Test("the session c= is replaced in place and keeps its line break")
    func replaceSessionConnection() throws {
        var parsed = try SDPSessionDescription(parsing: Fixtures.asteriskAnswer)
        try parsed.setSessionConnection(address: "203.0.113.9")
        #expect(
            parsed.text == Fixtures.asteriskAnswer.replacing("c=IN IP4 198.51.100.7\n", with: "c=IN IP4 203.0.113.9\n"))
        try parsed.setSessionConnection(address: "2001:db8::9")
        #expect(parsed.connection == (try SDPConnection(networkType: "IN", addressType: "IP6", address: "2001:db8::9")))
        #expect(parsed.sessionLines.filter { $0.type == "c" }.count == 1)
        #expect(try SDPSessionDescription(parsing: parsed.text) == parsed)
    }

    @Test(
        "a missing session c= is inserted after v= o= s= i= u= e= p= and before b= t=",
        arguments: [
            ("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\n", ["v", "o", "s", "c", "t"]),
            (
                "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\ni=x\r\nu=http://x\r\ne=a@b\r\np=+1\r\nb=AS:64\r\nt=0 0\r\na=x\r\n",
                ["v", "o", "s", "i", "u", "e", "p", "c", "b", "t", "a"]
            ),
        ])
    func insertSessionConnection(session: String, order: [Character]) throws {
        let text = session + "m=audio 4000 RTP/SAVP 0\r\nc=IN IP4 192.0.2.1\r\n"
        var parsed = try SDPSessionDescription(parsing: text)
        try parsed.setSessionConnection(address: "192.0.2.7")
        #expect(parsed.sessionLines.map(\.type) == order)
        let reparsed = try SDPSessionDescription(parsing: parsed.text)
        #expect(reparsed == parsed && reparsed.connection?.address == "192.0.2.7")
        #expect(parsed.text.contains("\r\nc=IN IP4 192.0.2.7\r\n"))
    }

    @Test("the o= address changes, IP4 or IP6 after it; username, id and version stay")
    func originAddress() throws {
        var parsed = try SDPSessionDescription(parsing: Fixtures.baresipOffer)
        try parsed.setOriginAddress("2001:db8::5")
        #expect(parsed.sessionLines[1].text == "o=- 1376587712 1937466186 IN IP6 2001:db8::5")
        #expect(parsed.sessionLines[1].ending == .crlf)
        try parsed.setOriginAddress("192.0.2.99")
        let expected = Fixtures.baresipOffer.replacing(
            "o=- 1376587712 1937466186 IN IP4 192.0.2.20", with: "o=- 1376587712 1937466186 IN IP4 192.0.2.99")
        #expect(parsed.text == expected)
        #expect(throws: SDPError.self) { try parsed.setOriginAddress("two words") }
        #expect(throws: SDPError.self) { try parsed.setOriginAddress("") }
        #expect(throws: SDPError.self) { try parsed.setSessionConnection(address: "a\r\nm=audio 1 RTP/AVP 0") }
        #expect(parsed.text == expected)
    }

    @Test("attributes named in a set go from the session and every section; others keep their bytes")
    func removeNamed() throws {
        var parsed = try SDPSessionDescription(parsing: Fixtures.webRTCOffer)
        let removed = parsed.removeAttributes(named: ["candidate", "ice-ufrag", "ice-pwd", "mid", "group"])
        #expect(removed == 6)
        let kept = Fixtures.webRTCOffer.split(separator: "\r\n", omittingEmptySubsequences: false).filter { line in
            !["a=candidate:", "a=ice-ufrag:", "a=ice-pwd:", "a=mid:", "a=group:"].contains { line.hasPrefix($0) }
        }
        #expect(parsed.text == kept.joined(separator: "\r\n"))
        #expect(parsed.removeAttributes(named: ["candidate"]) == 0)
        #expect(
            parsed.removeAttributes(named: ["msid-semantic"]) == 1 && parsed.attributeValues("msid-semantic").isEmpty)
    }

    @Test("session attributes go without touching the sections' attributes of the same name")
    func removeSessionOnly() throws {
        let text = Fixtures.baresipOffer.replacing(
            "t=0 0\r\n",
            with: "t=0 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5\r\n")
        var parsed = try SDPSessionDescription(parsing: text)
        #expect(parsed.removeSessionAttributes(named: ["crypto"]) == 1)
        #expect(parsed.text == Fixtures.baresipOffer)
        #expect(parsed.media[0].cryptoAttributes.count == 1)
    }

    @Test("k= lines go from the session and the sections")
    func removeKeys() throws {
        let text = Fixtures.audioVideo
            .replacing("t=0 0\r\n", with: "t=0 0\r\nk=clear:secret\r\n")
            .replacing("m=video 49174 RTP/SAVP 32\r\n", with: "m=video 49174 RTP/SAVP 32\r\nk=prompt\r\n")
        var parsed = try SDPSessionDescription(parsing: text)
        #expect(parsed.removeKeyLines() == 2)
        #expect(parsed.text == Fixtures.audioVideo)
        #expect(parsed.removeKeyLines() == 0)
    }

    @Test("setPort and setProto rewrite only the m= line, and not at all when nothing changes")
    func portAndProto() throws {
        let odd = Fixtures.plainOffer.replacing("m=audio 4000 RTP/AVP 0 8", with: "m=audio  4000  RTP/AVP 0 8")
        var parsed = try SDPSessionDescription(parsing: odd)
        try parsed.media[0].setPort(4000)
        try parsed.media[0].setProto("RTP/AVP")
        #expect(parsed.text == odd)
        try parsed.media[0].setPort(0)
        #expect(parsed.media[0].lines[0].text == "m=audio 0 RTP/AVP 0 8" && parsed.media[0].isRejected)
        try parsed.media[0].setProto("RTP/SAVP")
        #expect(parsed.text == Fixtures.plainOffer.replacing("m=audio 4000 RTP/AVP", with: "m=audio 0 RTP/SAVP"))
        #expect(throws: SDPError.self) { try parsed.media[0].setPort(65536) }
        #expect(throws: SDPError.self) { try parsed.media[0].setPort(-1) }
        #expect(throws: SDPError.self) { try parsed.media[0].setProto("RTP/ SAVP") }
        #expect(throws: SDPError.self) { try parsed.media[0].setProto("") }
        #expect(parsed.media[0].field.value == "audio 0 RTP/SAVP 0 8")
        #expect(try SDPSessionDescription(parsing: parsed.text) == parsed)
    }

    @Test("a port count survives a port change")
    func portCount() throws {
        let text = Fixtures.plainOffer.replacing("m=audio 4000 RTP/AVP", with: "m=audio 4000/2 RTP/AVP")
        var parsed = try SDPSessionDescription(parsing: text)
        try parsed.media[0].setPort(5000)
        #expect(parsed.media[0].lines[0].text == "m=audio 5000/2 RTP/AVP 0 8")
    }

    @Test("an m= line that ended the input without a break gets one when it is edited")
    func lastLineEnding() throws {
        var parsed = try SDPSessionDescription(parsing: String(Fixtures.rejectedVideo.dropLast()))
        #expect(parsed.media[1].lines[0].ending == .none)
        try parsed.media[1].setProto("RTP/AVP")
        #expect(parsed.text.hasSuffix("m=video 0 RTP/AVP 96\r\n"))
    }
}
