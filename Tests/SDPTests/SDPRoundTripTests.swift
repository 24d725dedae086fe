import Foundation
import Testing

@testable import SDP

@Suite("RFC 4566 parse and serialise, byte for byte")
struct SDPRoundTripTests {
    static let names = Fixtures.all.map(\.name)

    static func fixture(_ name: String) -> String { Fixtures.all.first { $0.name == name }!.text }

    @Test("a realistic description writes back byte for byte and parses to an equal value", arguments: names)
    func roundTrip(_ name: String) throws {
        let text = Self.fixture(name)
        let parsed = try SDPSessionDescription(parsing: text)
        #expect(parsed.text == text)
        #expect(parsed.bytes == Array(text.utf8))
        let again = try SDPSessionDescription(parsing: parsed.bytes)
        #expect(again == parsed)
        #expect(parsed.lines.map(\.description).joined() + parsed.trailer == text)
    }

    @Test(
        "bare LF, CRLF, a mix, trailing whitespace and no final line break are each kept",
        arguments: [
            "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 4000 RTP/SAVP 0\n",
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\ns=-\r\nc=IN IP4 192.0.2.1\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n",
            "v=0 \r\no=- 1 1 IN IP4 192.0.2.1\t\r\ns=-\r\nc=IN IP4 192.0.2.1  \r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0 \r\n",
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0",
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n\r\n\r\n",
        ])
    func sloppyButKept(_ text: String) throws {
        let parsed = try SDPSessionDescription(parsing: text)
        #expect(parsed.text == text)
        #expect(parsed.media.count == 1)
        #expect(parsed.media[0].port == 4000)
        #expect(parsed.connection?.address == "192.0.2.1")
    }

    @Test("line breaks and the trailer are recorded per line")
    func endings() throws {
        let parsed = try SDPSessionDescription(parsing: "v=0\no=- 1 1 IN IP4 h\r\ns=x \nt=0 0\r\n\n")
        #expect(parsed.sessionLines.map(\.ending) == [.lf, .crlf, .lf, .crlf])
        #expect(parsed.sessionLines[2].text == "s=x ")
        #expect(parsed.sessionName == "x")
        #expect(parsed.trailer == "\n")
        #expect(parsed.lineEnding == .lf)
        #expect(parsed.media.isEmpty)
    }

    @Test("unknown attributes and unread lines stay in place, in order")
    func unknownLinesKept() throws {
        let parsed = try SDPSessionDescription(parsing: Fixtures.webRTCOffer)
        let names = parsed.media[0].attributes.map { String($0.name) }
        #expect(names.prefix(4) == ["rtcp", "candidate", "ice-ufrag", "ice-pwd"])
        #expect(parsed.media[0].attributeValues("ssrc") == ["1001 cname:user@example"])
        #expect(parsed.attributeValues("msid-semantic") == [" WMS stream0"])
        #expect(parsed.attributeValues("extmap-allow-mixed") == [""])
    }

    @Test("the session part's fields read as RFC 4566 §5 defines them")
    func sessionFields() throws {
        let parsed = try SDPSessionDescription(parsing: Fixtures.manyCryptoLines)
        let origin = try #require(parsed.origin)
        #expect(origin.username == "sam" && origin.sessionID == "2890844526" && origin.sessionVersion == "2890842807")
        #expect(origin.networkType == "IN" && origin.addressType == "IP4" && origin.address == "10.47.16.5")
        #expect(parsed.sessionName == "SRTP Discussion")
        #expect(parsed.connection == (try SDPConnection(address: "168.2.17.12")))
        let timed = try SDPSessionDescription(
            parsing: Fixtures.asteriskAnswer.replacingFirst(
                "c=IN IP4 198.51.100.7\n", with: "c=IN IP4 198.51.100.7\nb=CT:384\nb=AS:256\n"))
        #expect(timed.bandwidths.map(\.type) == ["CT", "AS"] && timed.bandwidths.map(\.bandwidth) == [384, 256])
    }

    @Test("repeated t= and r= lines, z= and k= in their places are accepted")
    func timingGroups() throws {
        let text =
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=1 2\r\nr=7d 1h 0 25h\r\nr=1 2 3\r\n"
            + "t=3 4\r\nt=5 6\r\nz=2882844526 -1h 2898848070 0\r\nk=prompt\r\na=recvonly\r\n"
        let parsed = try SDPSessionDescription(parsing: text)
        #expect(parsed.text == text)
        #expect(parsed.direction == .recvonly)
    }
}

extension String {
    /// The string with its first occurrence of `target` replaced (tests use Foundation only where they must).
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
