import Testing

@testable import SDP

@Suite("Is this media section SRTP Sotto can use? Every verdict")
struct SDPSRTPVerdictTests {
    static let allowed: Set<String> = ["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_256_GCM"]

    /// Stands in for the Proxy's closure: a key is usable when its base64 text has the suite's length
    /// (40 characters for 30 octets of key and salt, 60 for the 44 of AES-256-GCM).
    static func keyIsUsable(_ suite: String, _ key: SDPCryptoKeyParameter) -> Bool {
        key.keySalt.count == (suite == "AEAD_AES_256_GCM" ? 60 : 40)
    }

    static func section(_ lines: String, proto: String = "RTP/SAVP") throws -> SDPMediaDescription {
        let text =
            "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 \(proto) 0\r\n" + lines
        return try SDPSessionDescription(parsing: text).media[0]
    }

    @Test("the baresip offer is usable SRTP with its one line")
    func baresip() throws {
        let audio = try SDPSessionDescription(parsing: Fixtures.baresipOffer).media[0]
        let verdict = audio.srtpVerdict(allowedSuites: Self.allowed, keyIsUsable: Self.keyIsUsable)
        #expect(verdict == .usable(audio.cryptoAttributes) && audio.cryptoAttributes.count == 1)
        #expect(audio.srtpOffer(allowedSuites: Self.allowed, keyIsUsable: Self.keyIsUsable).map(\.tag) == [1])
    }

    @Test("the WebRTC offer keeps both lines in the offered order; RTP/SAVPF counts as secure")
    func webRTC() throws {
        let audio = try SDPSessionDescription(parsing: Fixtures.webRTCOffer).media[0]
        let usable = audio.srtpOffer(allowedSuites: Self.allowed, keyIsUsable: Self.keyIsUsable)
        #expect(usable.map(\.suite) == ["AEAD_AES_256_GCM", "AES_CM_128_HMAC_SHA1_80"])
        let narrow = audio.srtpOffer(allowedSuites: ["AES_CM_128_HMAC_SHA1_80"], keyIsUsable: Self.keyIsUsable)
        #expect(narrow.map(\.tag) == [2])
    }

    @Test("the closure sees each key parameter with its line's suite, and one bad key spoils its line")
    func everyKeyChecked() throws {
        let audio = try SDPSessionDescription(parsing: Fixtures.manyCryptoLines).media[0]
        var seen: [String] = []
        let verdict = audio.srtpVerdict(allowedSuites: Self.allowed) { suite, key in
            seen.append(suite + " " + (key.mki?.value ?? "-"))
            return key.mki?.value != "2"
        }
        #expect(seen.contains("AES_CM_128_HMAC_SHA1_80 1") && seen.contains("AES_CM_128_HMAC_SHA1_80 2"))
        #expect(!seen.contains { $0.hasPrefix("F8_128_HMAC_SHA1_80") })
        // Line 1 has a refused key; line 2 switches SRTCP encryption off (UNENCRYPTED_SRTCP), so it is
        // never usable whatever its key.
        #expect(verdict == .noUsableKey)
    }

    @Test(
        "each refusal reason",
        arguments: [
            (
                "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n", "RTP/AVP",
                SDPSRTPVerdict.notSecureProfile
            ),
            (
                "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
                "UDP/TLS/RTP/SAVPF", .notSecureProfile
            ),
            ("a=rtcp-mux\r\n", "RTP/SAVP", .noCrypto),
            (
                "a=crypto:1 F8_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n", "RTP/SAVP",
                .noAllowedSuite
            ),
            (
                "a=crypto:1 F8_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\na=crypto:2 junk\r\n",
                "RTP/SAVP", .noAllowedSuite
            ),
            ("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=\r\n", "RTP/SAVP", .noUsableKey),
            ("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:not*base64\r\n", "RTP/SAVP", .noUsableKey),
            (
                "a=crypto:1 AES_CM_128_HMAC_SHA1_80 dtls:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n", "rtp/savp",
                .noUsableKey
            ),
            // RFC 4568 §6.3.2-6.3.3: a valid key with encryption or authentication switched off is a plain leg.
            (
                "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz UNENCRYPTED_SRTP\r\n",
                "RTP/SAVP", .protectionDisabled
            ),
            (
                "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz UNENCRYPTED_SRTCP\r\n"
                    + "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz "
                    + "UNAUTHENTICATED_SRTP\r\n",
                "RTP/SAVP", .protectionDisabled
            ),
        ])
    func refusals(_ lines: String, _ proto: String, _ expected: SDPSRTPVerdict) throws {
        let section = try Self.section(lines, proto: proto)
        #expect(section.srtpVerdict(allowedSuites: Self.allowed, keyIsUsable: Self.keyIsUsable) == expected)
        #expect(section.srtpOffer(allowedSuites: Self.allowed, keyIsUsable: Self.keyIsUsable).isEmpty)
    }

    @Test func aProtectedLineIsChosenOverOneThatDisablesProtection() throws {
        let section = try Self.section(
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz UNENCRYPTED_SRTP\r\n"
                + "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
            proto: "RTP/SAVP")
        let offer = section.srtpOffer(allowedSuites: Self.allowed, keyIsUsable: Self.keyIsUsable)
        #expect(offer.map(\.tag) == [2])
    }

    @Test("an empty allow-list allows nothing; a lower-case profile still counts as secure")
    func edges() throws {
        let line = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
        let section = try Self.section(line, proto: "rtp/savp")
        #expect(section.isSecureProfile)
        #expect(section.srtpVerdict(allowedSuites: [], keyIsUsable: Self.keyIsUsable) == .noAllowedSuite)
        #expect(
            section.srtpVerdict(allowedSuites: Self.allowed, keyIsUsable: Self.keyIsUsable).usableAttributes.count
                == 1)
    }
}
