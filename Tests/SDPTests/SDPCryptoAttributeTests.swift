import Testing

@testable import SDP

@Suite("RFC 4568 a=crypto: tag, suite, key parameters, session parameters")
struct SDPCryptoAttributeTests {
    @Test("the RFC 4568 §4 example reads as tag 1, AES_CM_128_HMAC_SHA1_80, lifetime 2^20, MKI 1:4")
    func rfc4568Example() throws {
        let value = "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4"
        let crypto = try SDPCryptoAttribute(parsing: value)
        #expect(crypto.tag == 1 && crypto.suite == "AES_CM_128_HMAC_SHA1_80")
        #expect(crypto.keyParameters.count == 1 && crypto.sessionParameters.isEmpty)
        let key = crypto.keyParameters[0]
        #expect(key.method == "inline" && key.keySalt == "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR")
        #expect(key.lifetime == "2^20" && key.lifetimePackets == 1 << 20)
        #expect(key.mki == (try SDPCryptoKeyParameter.MKI(value: "1", length: 4)))
        #expect(key.text == "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4")
        #expect(crypto.value == value)
        #expect(crypto.description == "a=crypto:" + value)
    }

    @Test("several key parameters, a decimal lifetime and session parameters are each kept")
    func manyParameters() throws {
        let parsed = try SDPSessionDescription(parsing: Fixtures.manyCryptoLines)
        let lines = parsed.media[0].cryptoAttributes
        #expect(lines.map(\.tag) == [1, 2, 3])
        #expect(lines[0].keyParameters.map { $0.mki?.value } == ["1", "2"])
        #expect(lines[0].keyParameters.map(\.lifetimePackets) == [1 << 20, 1 << 20])
        #expect(lines[0].sessionParameters == ["FEC_ORDER=FEC_SRTP"])
        #expect(lines[1].keyParameters[0].lifetime == "1048576" && lines[1].keyParameters[0].lifetimePackets == 1 << 20)
        #expect(lines[1].keyParameters[0].mki == nil)
        #expect(lines[1].sessionParameters == ["KDR=1", "UNENCRYPTED_SRTCP"])
        #expect(
            parsed.media[0].offeredSuites == [
                "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
                "F8_128_HMAC_SHA1_80",
            ])
        for line in lines { #expect(try SDPCryptoAttribute(parsing: line.value) == line) }
    }

    @Test("an attribute built from parts writes the canonical value")
    func build() throws {
        let keys = [
            try SDPCryptoKeyParameter(
                keySalt: "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz", lifetime: "2^31",
                mki: try .init(value: "7", length: 2)),
            try SDPCryptoKeyParameter(keySalt: "NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj"),
        ]
        let crypto = try SDPCryptoAttribute(
            tag: 12, suite: "AES_CM_128_HMAC_SHA1_32", keyParameters: keys,
            sessionParameters: ["KDR=2"])
        #expect(
            crypto.value == "12 AES_CM_128_HMAC_SHA1_32 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
                + "|2^31|7:2;inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj KDR=2")
        #expect(try SDPCryptoAttribute(parsing: crypto.value) == crypto)
    }

    @Test(
        "a key parameter in any case of inline, with key only, parses",
        arguments: [
            "inline:YUJDZGVmZ2hpSktMTU5PUFFSU1RVVldYWVphYmNk", "INLINE:YUJDZGVmZ2hpSktMTU5PUFFSU1RVVldYWVphYmNk==",
            "Inline:a+/=|4096", "inline:abc|2^48|340282366920938463463374607431768211455:128",
        ])
    func keyParameterParses(_ text: String) throws {
        #expect(try SDPCryptoKeyParameter(parsing: text).text == text)
    }

    @Test(
        "a malformed key parameter is refused at the byte that breaks it",
        arguments: [
            ("inline", 0), ("dtls:abc", 0), ("inline:", 7), ("inline:ab!c", 9), ("inline:ab=c", 10),
            ("inline:abc|2^x", 11), ("inline:abc|1:0", 11), ("inline:abc|1:129", 11), ("inline:abc|1:4|2^20", 15),
            ("inline:abc|2^20|2^20", 16), ("inline:abc|1:4|2:4", 15), ("inline:abc|1|2|3", 15), ("inline:abc|:4", 11),
        ] as [(String, Int)])
    func keyParameterRefused(_ text: String, _ offset: Int) {
        do {
            _ = try SDPCryptoKeyParameter(parsing: text)
            Issue.record("\(text) parsed")
        } catch {
            #expect(error.code == .invalidKeyParameter)
            #expect(error.offset == offset, "\(error)")
        }
    }

    @Test(
        "a malformed a=crypto value is refused with its offset",
        arguments: [
            ("1 AES_CM_128_HMAC_SHA1_80", SDPError.Code.invalidCrypto, 25),
            ("x AES_CM_128_HMAC_SHA1_80 inline:abc", .invalidCrypto, 0),
            ("1234567890 AES_CM_128_HMAC_SHA1_80 inline:abc", .invalidCrypto, 0),
            ("1 AES-CM inline:abc", .invalidCrypto, 2),
            ("1 AES_CM_128_HMAC_SHA1_80 inline:abc;inline:a?c", .invalidKeyParameter, 45),
            ("1 AES_CM_128_HMAC_SHA1_80 inline:abc;", .invalidKeyParameter, 37),
        ] as [(String, SDPError.Code, Int)])
    func attributeRefused(_ value: String, _ code: SDPError.Code, _ offset: Int) {
        do {
            _ = try SDPCryptoAttribute(parsing: value)
            Issue.record("\(value) parsed")
        } catch {
            #expect(error.code == code)
            #expect(error.offset == offset, "\(error)")
        }
    }

    @Test("building refuses what cannot be written into a line")
    func buildRefused() throws {
        let key = try SDPCryptoKeyParameter(keySalt: "abcd")
        #expect(throws: SDPError.self) { try SDPCryptoKeyParameter(keySalt: "ab cd") }
        #expect(throws: SDPError.self) { try SDPCryptoKeyParameter(keySalt: "ab|2^20") }
        #expect(throws: SDPError.self) { try SDPCryptoKeyParameter(keySalt: "abcd", lifetime: "2^20|1:4") }
        #expect(throws: SDPError.self) { try SDPCryptoKeyParameter.MKI(value: "1x", length: 4) }
        #expect(throws: SDPError.self) { try SDPCryptoKeyParameter.MKI(value: "1", length: 0) }
        #expect(throws: SDPError.self) { try SDPCryptoAttribute(tag: 1_000_000_000, suite: "X", keyParameters: [key]) }
        #expect(throws: SDPError.self) { try SDPCryptoAttribute(tag: 1, suite: "AES CM", keyParameters: [key]) }
        #expect(throws: SDPError.self) { try SDPCryptoAttribute(tag: 1, suite: "X", keyParameters: []) }
        #expect(throws: SDPError.self) {
            try SDPCryptoAttribute(tag: 1, suite: "X", keyParameters: [key], sessionParameters: ["KDR=1\r\nm=x"])
        }
        #expect(try SDPCryptoAttribute(tag: 0, suite: "X", keyParameters: [key]).value == "0 X inline:abcd")
    }

    @Test("the RFC 4568 §4 key and salt decode to 30 octets, the key first")
    func decodesKeySalt() throws {
        let key = try SDPCryptoKeyParameter(parsing: "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4")
        let octets = try #require(key.decodedKeySalt())
        #expect(octets.count == 30)
        #expect(octets.prefix(4) == [0x3D, 0x2D, 0x6E, 0x40])
    }

    @Test("octets, lifetime and MKI written as a key parameter parse back to the same parameter and octets")
    func writesFromOctets() throws {
        let octets = (0..<46).map { UInt8($0 * 7 & 0xFF) }
        let lifetimes: [(packets: UInt64?, written: String?)] = [
            (nil, nil), (1 << 20, "2^20"), (1000, "1000"), (1, "2^0"),
        ]
        for length in [30, 44, 46] {
            let bytes = Array(octets[..<length])
            for (packets, written) in lifetimes {
                let mki = try SDPCryptoKeyParameter.MKI(value: "258", length: 2)
                let key = SDPCryptoKeyParameter(keyAndSalt: bytes, lifetimePackets: packets, mki: mki)
                #expect(key.method == "inline" && key.lifetime == written && key.lifetimePackets == packets)
                #expect(key.text.hasSuffix("|258:2") && key.text.hasPrefix("inline:" + key.keySalt))
                let again = try SDPCryptoKeyParameter(parsing: key.text)
                #expect(again == key)
                #expect(again.decodedKeySalt() == bytes)
            }
        }
    }

    @Test(
        "base64 that passes the syntax check but does not decode has no octets; missing padding does",
        arguments: [
            ("inline:abc", 2), ("inline:abcd", 3), ("inline:abd", nil), ("inline:ab===", nil), ("inline:a", nil),
        ]
            as [(String, Int?)])
    func decodingEdges(_ text: String, _ count: Int?) throws {
        #expect(try SDPCryptoKeyParameter(parsing: text).decodedKeySalt()?.count == count)
    }

    @Test("a lifetime that does not fit 64 bits has no packet count")
    func hugeLifetime() throws {
        #expect(try SDPCryptoKeyParameter(parsing: "inline:abc|2^64").lifetimePackets == nil)
        #expect(try SDPCryptoKeyParameter(parsing: "inline:abc|99999999999999999999").lifetimePackets == nil)
        #expect(try SDPCryptoKeyParameter(parsing: "inline:abc|2^63").lifetimePackets == 1 << 63)
    }
}
