internal import CSottoSRTPCrypto
import SRTP
import SottoTestSupport
import Testing

/// Known answers from RFC 6188 §7 (AES-256 in SRTP) through Sotto's AES-ICM-256 type.
@Suite struct RFC6188VectorTests {
    init() throws { try startOpenSSLBackend() }

    /// RFC 6188 §7.1: AES-256 counter-mode keystream, salt F0F1...FCFD, index 0, SSRC 0.
    @Test func section7_1Keystream() throws {
        let keystream = runCipher(
            CSottoSRTPCrypto_aes_icm_256,
            keyAndSalt: hex(
                "57f82fe3613fd170a85ec93c40b1f0922ec4cb0dc025b58272147cc438944a98 f0f1f2f3f4f5f6f7f8f9fafbfcfd"),
            iv: [UInt8](repeating: 0, count: 16),
            data: [UInt8](repeating: 0, count: 48)
        )
        #expect(
            keystream
                == hex(
                    """
                    92bdd28a93c3f52511c677d08b5515a4 9da71b2378a854f67050756ded165bac
                    63c4868b7096d88421b563b8c94c9a31
                    """
                ))
    }

    /// RFC 6188 §7.2: key derivation with a 256-bit master key.
    @Test func section7_2KeyDerivation() throws {
        let masterKey = hex("f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6")
        let masterSalt = hex("3b04803de51ee7c96423ab5b78d2")
        let derive = { (label: UInt8, length: Int) in
            deriveSessionKey(
                CSottoSRTPCrypto_aes_icm_256, masterKey: masterKey, masterSalt: masterSalt, label: label, length: length
            )
        }
        #expect(derive(0, 32) == hex("5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960653caf06554cd8c4"))
        #expect(derive(2, 14) == hex("fa31791685ca444a9e07c6c64e93"))
        #expect(derive(1, 20) == hex("fd9c32d39ed5fbb5a9dc96b30818454d1313dc05"))
    }
}
