internal import CSottoSRTPCrypto
import SRTP
import SottoTestSupport
import Testing

/// Known answers from RFC 3711 Appendix B, through Sotto's AES-ICM type, and the SRTP/SRTCP packet
/// vectors libsrtp2 checks itself with (test/srtp_driver.c, `srtp_validate`), whose master key and
/// salt are the ones of Appendix B.3.
@Suite struct RFC3711VectorTests {
    init() throws { try startOpenSSLBackend() }

    /// RFC 3711 Appendix B.2: the AES-CM keystream over the whole 1044512-octet segment; the last
    /// three blocks coincide with NIST SP 800-38A F.5.1.
    @Test func appendixB2Keystream() throws {
        let keystream = try #require(
            runCipher(
                CSottoSRTPCrypto_aes_icm_128,
                keyAndSalt: hex("2B7E151628AED2A6ABF7158809CF4F3C F0F1F2F3F4F5F6F7F8F9FAFBFCFD"),
                iv: [UInt8](repeating: 0, count: 16),
                data: [UInt8](repeating: 0, count: 1_044_512)
            )
        )
        #expect(
            keystream[..<48].elementsEqual(
                hex(
                    """
                    E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB
                    41E95B3BB0A2E8DD477901E4FCA894C0
                    """
                )
            )
        )
        #expect(
            keystream[(keystream.count - 48)...].elementsEqual(
                hex(
                    """
                    EC8CDF7398607CB0F2D21675EA9EA1E4 362B7C3C6773516318A077D7FC5073AE
                    6A2CC3787889374FBEB4C81B17BA6C44
                    """
                )
            )
        )
    }

    /// RFC 3711 Appendix B.3: session encryption key, salt and authentication key from the master
    /// key and salt (labels 0, 2, 1).
    @Test func appendixB3KeyDerivation() throws {
        let masterKey = hex("E1F97A0D3E018BE0D64FA32C06DE4139")
        let masterSalt = hex("0EC675AD498AFEEBB6960B3AABE6")
        let derive = { (label: UInt8, length: Int) in
            deriveSessionKey(
                CSottoSRTPCrypto_aes_icm_128, masterKey: masterKey, masterSalt: masterSalt, label: label, length: length
            )
        }
        #expect(derive(0, 16) == hex("C61E7A93744F39EE10734AFE3FF7A087"))
        #expect(derive(2, 14) == hex("30CBBC08863D8C85D49DB34A9AE1"))
        #expect(derive(1, 20) == hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"))
    }

    /// libsrtp2's `srtp_validate` packet (SSRC cafebabe, SEQ 1234), AES_CM_128_HMAC_SHA1_80 keyed
    /// with the B.3 master key: key derivation, encryption and the 80-bit tag end to end.
    @Test func protectedRTPPacket() throws {
        let key = try SRTPKeyMaterial(
            profile: .aesCM128HMACSHA1_80,
            key: hex("E1F97A0D3E018BE0D64FA32C06DE4139"),
            salt: hex("0EC675AD498AFEEBB6960B3AABE6")
        )
        let plain = hex("800f1234 decafbad cafebabe abababab abababab abababab abababab")
        let expected = hex(
            "800f1234 decafbad cafebabe 4e55dc4c e79978d8 8ca4d215 949d2402 b78d6acc 99ea179b 8dbb")
        let buffer = PacketBuffer()
        let sender = try SRTPContext(key: key, direction: .outbound)
        let protected = sender.protectRTP(buffer.storage, length: buffer.load(plain))
        #expect(protected == .ok(length: expected.count))
        #expect(buffer.bytes(expected.count) == expected)

        let receiver = try SRTPContext(key: key, direction: .inbound)
        #expect(receiver.unprotectRTP(buffer.storage, length: expected.count) == .ok(length: plain.count))
        #expect(buffer.bytes(plain.count) == plain)
    }

    /// The same for SRTCP: the first protected packet carries E=1 and index 1 before the tag.
    @Test func protectedRTCPPacket() throws {
        let key = try SRTPKeyMaterial(
            profile: .aesCM128HMACSHA1_80,
            key: hex("E1F97A0D3E018BE0D64FA32C06DE4139"),
            salt: hex("0EC675AD498AFEEBB6960B3AABE6")
        )
        let plain = hex("81c8000b cafebabe abababab abababab abababab abababab")
        let expected = hex(
            "81c8000b cafebabe 7128035b e487b9bd bef89041 f977a5a8 80000001 993e08cd 54d6c123 0798")
        let buffer = PacketBuffer()
        let sender = try SRTPContext(key: key, direction: .outbound)
        #expect(sender.protectRTCP(buffer.storage, length: buffer.load(plain)) == .ok(length: expected.count))
        #expect(buffer.bytes(expected.count) == expected)

        let receiver = try SRTPContext(key: key, direction: .inbound)
        #expect(receiver.unprotectRTCP(buffer.storage, length: expected.count) == .ok(length: plain.count))
        #expect(buffer.bytes(plain.count) == plain)
    }

    /// RFC 2202 §3 test case 2 through Sotto's HMAC-SHA1 type (case 1 is its registration self-test).
    @Test func hmacSHA1KnownAnswer() throws {
        var auth: UnsafeMutablePointer<srtp_auth_t>?
        #expect(CSottoSRTPCrypto_hmac_sha1.alloc(&auth, 4, 20) == srtp_err_status_ok)
        let a = try #require(auth)
        defer { _ = CSottoSRTPCrypto_hmac_sha1.dealloc(a) }
        let key = Array("Jefe".utf8)
        let data = Array("what do ya want for nothing?".utf8)
        var tag = [UInt8](repeating: 0, count: 20)
        #expect(CSottoSRTPCrypto_hmac_sha1.`init`(a.pointee.state, key, 4) == srtp_err_status_ok)
        // Twice, to show the per-packet restart leaves no state behind.
        for _ in 0..<2 {
            #expect(CSottoSRTPCrypto_hmac_sha1.start(a.pointee.state) == srtp_err_status_ok)
            #expect(CSottoSRTPCrypto_hmac_sha1.update(a.pointee.state, data, 10) == srtp_err_status_ok)
            #expect(
                CSottoSRTPCrypto_hmac_sha1.compute(
                    a.pointee.state, Array(data[10...]), Int32(data.count - 10), 20, &tag)
                    == srtp_err_status_ok)
            #expect(tag == hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"))
        }
    }
}
