import SDP
import SRTP
import SottoTestSupport
import Testing

/// SDES key parameters (RFC 4568 §6.1) and key generation.
@Suite struct SRTPKeyMaterialTests {
    /// RFC 4568 §4's example line: `inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4`.
    @Test func rfc4568Example() throws {
        let key = try SRTPKeyMaterial(
            sdesKeyParameter: "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4",
            profile: .aesCM128HMACSHA1_80)
        #expect(key.lifetime == 1 << 20)
        #expect(key.mki == (try SRTPMasterKeyIdentifier(value: 1, length: 4)))
        #expect(key.mki?.bytes == [0, 0, 0, 1])
        #expect(Array(key.key) == hex("3d2d6e4025 5e7821426a 7566723929 3f"))
        #expect(key.sdesKeyParameter == "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4")
    }

    @Test(arguments: SRTPProfile.allCases) func generatedKeysRoundTrip(_ profile: SRTPProfile) throws {
        let key = try SRTPKeyMaterial.generate(for: profile)
        let again = try SRTPKeyMaterial(sdesKeyParameter: key.sdesKeyParameter, profile: profile)
        #expect(again == key)
        #expect(key.key.count == profile.masterKeyLength)
        #expect(key.salt.count == profile.masterSaltLength)
        #expect(try SRTPKeyMaterial.generate(for: profile) != key, "two draws from the CSPRNG are different")
    }

    /// Both directions of the one SDES grammar: a key written into an `a=crypto` line by SDP, parsed back by SDP,
    /// and taken by SRTP, is the same key, with its lifetime and MKI.
    @Test(arguments: SRTPProfile.allCases) func keyThroughCryptoAttributeText(_ profile: SRTPProfile) throws {
        let generated = try SRTPKeyMaterial.generate(for: profile)
        let variants = [
            generated,
            try SRTPKeyMaterial(
                profile: profile, key: Array(generated.key), salt: Array(generated.salt), lifetime: 1 << 31,
                mki: try SRTPMasterKeyIdentifier(value: 0x0102, length: 2)),
            try SRTPKeyMaterial(
                profile: profile, key: Array(generated.key), salt: Array(generated.salt), lifetime: 1000,
                mki: try SRTPMasterKeyIdentifier(value: 7, length: 8)),
        ]
        for key in variants {
            let line = try SDPCryptoAttribute(tag: 1, suite: profile.rawValue, keyParameters: [key.keyParameter])
            let parsed = try SDPCryptoAttribute(parsing: line.value)
            #expect(parsed.keyParameters.count == 1)
            let suite = try #require(SRTPProfile(rawValue: parsed.suite))
            let again = try SRTPKeyMaterial(keyParameter: parsed.keyParameters[0], profile: suite)
            #expect(again == key)
            #expect(again.lifetime == key.lifetime && again.mki == key.mki)
            #expect(parsed.keyParameters[0].text == key.sdesKeyParameter)
        }
    }

    @Test func lifetimeForms() throws {
        let base = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80).sdesKeyParameter
        #expect(
            try SRTPKeyMaterial(sdesKeyParameter: base + "|2^31", profile: .aesCM128HMACSHA1_80).lifetime == 1 << 31)
        let decimal = try SRTPKeyMaterial(sdesKeyParameter: base + "|1000", profile: .aesCM128HMACSHA1_80)
        #expect(decimal.lifetime == 1000)
        #expect(decimal.sdesKeyParameter == base + "|1000")
    }

    /// Real phones drop the `=` padding; a 28-octet GCM key-salt is where it shows.
    @Test func missingPaddingIsAccepted() throws {
        let key = try SRTPKeyMaterial.generate(for: .aeadAES128GCM)
        let text = key.sdesKeyParameter
        #expect(text.hasSuffix("="))
        let unpadded = String(text.drop { _ in false }.prefix { $0 != "=" })
        #expect(try SRTPKeyMaterial(sdesKeyParameter: unpadded, profile: .aeadAES128GCM) == key)
    }

    @Test(arguments: [
        "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",  // no inline:
        "inline:",  // nothing
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB!",  // not base64
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtx",  // too short for the suite
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^49",  // beyond 2^48
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|0",  // zero lifetime
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:0",  // MKI of no octets
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|256:1",  // MKI value too big
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1:4|2^20",  // MKI before lifetime
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4|x",  // too many fields
        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|abc",  // lifetime not a number
    ])
    func malformedParametersAreRefused(_ text: String) {
        #expect(throws: SRTPError.self) {
            _ = try SRTPKeyMaterial(sdesKeyParameter: text, profile: .aesCM128HMACSHA1_80)
        }
    }

    @Test func errorsNeverEchoTheKey() throws {
        let text = "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
        do {
            _ = try SRTPKeyMaterial(sdesKeyParameter: text, profile: .aeadAES256GCM)
            Issue.record("a 30-octet key was accepted for AES-256-GCM")
        } catch {
            #expect(error.code == .invalidKeyParameter)
            #expect(!error.description.contains("PS1uQCVeeCF"))
            #expect(error.reason.contains("44 octets"))
        }
        let key = try SRTPKeyMaterial(sdesKeyParameter: text, profile: .aesCM128HMACSHA1_80)
        #expect(!"\(key)".contains("PS1u"))
        #expect("\(key)".contains("redacted"))
    }

    @Test func keyLengthsAreChecked() {
        #expect(throws: SRTPError(.invalidKey, "")) {
            try SRTPKeyMaterial(
                profile: .aes256CMHMACSHA1_80, key: [UInt8](repeating: 1, count: 16),
                salt: [UInt8](repeating: 2, count: 14))
        }
    }
}
