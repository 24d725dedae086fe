import CSRTP
internal import CSottoSRTPCrypto
import SRTP
import SottoTestSupport
import Testing

/// Known answers from RFC 7714 §16 (SRTP) and §17 (SRTCP) through Sotto's AES-GCM types, driven
/// through libsrtp2's cipher API with the IVs and AAD the RFC derives.
@Suite struct RFC7714VectorTests {
    init() throws { try startOpenSSLBackend() }

    static let key128 = hex("000102030405060708090a0b0c0d0e0f")
    static let key256 = hex("000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1f")
    static let salt = hex("517569642070726f2071756f")  // "Quid pro quo"

    // §16: SSRC 5501a0b2, ROC 0, SEQ f17b; the RTP header is the AAD.
    static let rtpHeader = hex("8040f17b 8041f8d3 5501a0b2")
    static let rtpPayload = hex(
        "47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573")
    static let rtpIV = hex("51753c6580c2726f20718414")

    // §17: SSRC "Mars", SRTCP index 5d4; AAD is the first 8 octets and the E||index word.
    static let rtcpPacket = hex(
        """
        81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
        deadbeef deadbeef deadbeef deadbeef deadbeef
        """
    )
    static let rtcpIV = hex("517524055203726f207170bb")

    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let type: Int  // 128 or 256
        let aad: [UInt8]
        let plaintext: [UInt8]
        let ciphertextAndTag: [UInt8]
        let iv: [UInt8]
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(
            name: "§16.1 AEAD_AES_128_GCM RTP", type: 128, aad: rtpHeader, plaintext: rtpPayload,
            ciphertextAndTag: hex(
                """
                f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833
                899d7f27 beb16a91 52cf765e e4390cce
                """), iv: rtpIV),
        Vector(
            name: "§16.2 AEAD_AES_256_GCM RTP", type: 256, aad: rtpHeader, plaintext: rtpPayload,
            ciphertextAndTag: hex(
                """
                32b1de78 a822fe12 ef9f78fa 332e33aa b1801238 9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b
                7aa3db36 dfffd6b0 f9bb7878 d7a76c13
                """), iv: rtpIV),
        Vector(
            name: "§17.1 AEAD_AES_128_GCM SRTCP", type: 128, aad: Array(rtcpPacket[..<8]) + hex("800005d4"),
            plaintext: Array(rtcpPacket[8...]),
            ciphertextAndTag: hex(
                """
                63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1 730d6fda
                4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade
                """), iv: rtcpIV),
        Vector(
            name: "§17.2 AEAD_AES_256_GCM SRTCP", type: 256, aad: Array(rtcpPacket[..<8]) + hex("800005d4"),
            plaintext: Array(rtcpPacket[8...]),
            ciphertextAndTag: hex(
                """
                d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50 a2eaa5c1 110555be
                8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c b26ac3be
                """), iv: rtcpIV),
        Vector(
            name: "§17.3 AEAD_AES_128_GCM SRTCP, authentication only", type: 128, aad: rtcpPacket + hex("000005d4"),
            plaintext: [], ciphertextAndTag: hex("841dd968 3dd78ec9 2ae58790 125f62b3"), iv: rtcpIV),
        Vector(
            name: "§17.4 AEAD_AES_256_GCM SRTCP, authentication only", type: 256, aad: rtcpPacket + hex("000005d4"),
            plaintext: [], ciphertextAndTag: hex("91db4afb feee5a97 8fab4393 ed2615fe"), iv: rtcpIV),
    ]

    static func cipherType(_ bits: Int) -> srtp_cipher_type_t {
        bits == 128 ? CSottoSRTPCrypto_aes_gcm_128 : CSottoSRTPCrypto_aes_gcm_256
    }

    @Test(arguments: vectors) func encrypts(_ vector: Vector) {
        let out = runCipher(
            Self.cipherType(vector.type), keyAndSalt: (vector.type == 128 ? Self.key128 : Self.key256) + Self.salt,
            iv: vector.iv, aad: vector.aad, data: vector.plaintext, tagLength: 16)
        #expect(out == vector.ciphertextAndTag)
    }

    @Test(arguments: vectors) func decryptsAndVerifies(_ vector: Vector) {
        let key = (vector.type == 128 ? Self.key128 : Self.key256) + Self.salt
        let out = runCipher(
            Self.cipherType(vector.type), keyAndSalt: key, iv: vector.iv, aad: vector.aad,
            data: vector.ciphertextAndTag, decrypt: true, tagLength: 16)
        #expect(out == vector.plaintext)

        // Any flipped bit in AAD, ciphertext or tag must fail verification.
        var tampered = vector.ciphertextAndTag
        tampered[tampered.count - 1] ^= 0x01
        #expect(
            runCipher(
                Self.cipherType(vector.type), keyAndSalt: key, iv: vector.iv, aad: vector.aad, data: tampered,
                decrypt: true, tagLength: 16) == nil)
        var aad = vector.aad
        aad[0] ^= 0x80
        #expect(
            runCipher(
                Self.cipherType(vector.type), keyAndSalt: key, iv: vector.iv, aad: aad, data: vector.ciphertextAndTag,
                decrypt: true, tagLength: 16) == nil)
    }
}
