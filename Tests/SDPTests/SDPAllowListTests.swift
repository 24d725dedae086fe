import Testing

@testable import SDP

@Suite("Keeping only allowed attributes, and dropping free-text lines")
struct SDPAllowListTests {
    static let text =
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\ni=about\r\nu=http://x\r\ne=a@b\r\np=+1\r\nc=IN IP4 192.0.2.1\r\n"
        + "t=0 0\r\na=group:BUNDLE 0\r\na=sendonly\r\nm=audio 4000 RTP/SAVP 0\r\ni=stream\r\na=rtpmap:0 PCMU/8000\r\n"
        + "a=Crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\r\na=acap:1 crypto:1 X inline:y\r\na=x-nat:0\r\na=ptime:20\r\n"

    @Test("the predicate sees each name and level; other lines keep their bytes")
    func keepAttributes() throws {
        var parsed = try SDPSessionDescription(parsing: Self.text)
        var seen: [String] = []
        let removed = parsed.keepAttributes { name, atSessionLevel in
            seen.append((atSessionLevel ? "s:" : "m:") + name)
            return atSessionLevel ? name == "sendonly" : ["rtpmap", "ptime"].contains(name)
        }
        #expect(removed == 4)
        #expect(seen == ["s:group", "s:sendonly", "m:rtpmap", "m:Crypto", "m:acap", "m:x-nat", "m:ptime"])
        #expect(
            parsed.text
                == "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\ni=about\r\nu=http://x\r\ne=a@b\r\np=+1\r\n"
                + "c=IN IP4 192.0.2.1\r\nt=0 0\r\na=sendonly\r\nm=audio 4000 RTP/SAVP 0\r\ni=stream\r\n"
                + "a=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n")
        #expect(try SDPSessionDescription(parsing: parsed.text) == parsed)
    }

    @Test("i=, u=, e= and p= go from the session and every section")
    func descriptiveLines() throws {
        var parsed = try SDPSessionDescription(parsing: Self.text)
        #expect(parsed.removeDescriptiveLines() == 5)
        #expect(!parsed.lines.contains { "iuep".contains($0.type) })
        #expect(parsed.lines.map(\.type).filter { $0 != "a" } == ["v", "o", "s", "c", "t", "m"])
    }
}
