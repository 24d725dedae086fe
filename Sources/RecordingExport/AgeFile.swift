import Crypto
import Foundation

/// age v1 files (https://age-encryption.org/v1, the C2SP age specification), encryption only, to one X25519
/// recipient: what `sottoctl recordings export --to-age` hands an officer who holds no recording key, so the
/// exported audio never sits in the clear outside the exporting machine. Every primitive is swift-crypto's
/// (X25519, HKDF-SHA256, HMAC-SHA256, ChaCha20-Poly1305); this type only lays out the bytes the spec names.
public enum AgeFile {
    /// The payload's plaintext chunk size (the spec's 64 KiB).
    static let chunkSize = 64 * 1024

    /// Encrypts `plaintext` to `recipient` (`age1...`, bech32 with its checksum verified) as an age v1 file,
    /// binary (not armored).
    public static func encrypt(_ plaintext: [UInt8], to recipient: String) throws -> [UInt8] {
        let recipientKey = try publicKey(recipient)
        var fileKey = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in fileKey.indices { fileKey[index] = generator.next() }
        var header = Array("age-encryption.org/v1\n".utf8)
        header += try x25519Stanza(fileKey: fileKey, to: recipientKey)
        header += Array("---".utf8)
        // The header MAC covers everything up to and including "---" (not the space after it).
        let macKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: fileKey), salt: [UInt8](), info: Array("header".utf8),
            outputByteCount: 32)
        let mac = HMAC<SHA256>.authenticationCode(for: header, using: macKey)
        var out = header
        out += Array(" \(base64(Array(mac)))\n".utf8)
        var nonce = [UInt8](repeating: 0, count: 16)
        for index in nonce.indices { nonce[index] = generator.next() }
        out += nonce
        let payloadKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: fileKey), salt: nonce, info: Array("payload".utf8),
            outputByteCount: 32)
        try appendPayload(plaintext, key: payloadKey, to: &out)
        return out
    }

    /// The raw X25519 public key of an `age1...` recipient.
    static func publicKey(_ recipient: String) throws -> Curve25519.KeyAgreement.PublicKey {
        let (hrp, data) = try Bech32.decode(recipient)
        guard hrp == "age" else { throw ExportError.badRecipient("prefix is \"\(hrp)1\", not \"age1\"") }
        guard data.count == 32 else { throw ExportError.badRecipient("key is \(data.count) bytes, not 32") }
        do {
            return try Curve25519.KeyAgreement.PublicKey(rawRepresentation: data)
        } catch {
            throw ExportError.badRecipient("not an X25519 key")
        }
    }

    /// The X25519 recipient stanza: an ephemeral share, and the file key wrapped under HKDF(shared secret,
    /// salt = share || recipient, "age-encryption.org/v1/X25519") with ChaCha20-Poly1305 and a zero nonce
    /// (safe: the wrap key is fresh per file).
    static func x25519Stanza(fileKey: [UInt8], to recipient: Curve25519.KeyAgreement.PublicKey) throws -> [UInt8] {
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let share = Array(ephemeral.publicKey.rawRepresentation)
        let shared: SharedSecret
        do {
            shared = try ephemeral.sharedSecretFromKeyAgreement(with: recipient)
        } catch {
            throw ExportError.crypto("X25519 key agreement with the recipient failed")
        }
        // A low-order recipient point gives an all-zero secret that anyone can compute; the spec says to refuse.
        let allZero = shared.withUnsafeBytes { bytes in bytes.allSatisfy { $0 == 0 } }
        guard !allZero else { throw ExportError.crypto("the recipient key is a low-order point (all-zero secret)") }
        let wrapKey = shared.hkdfDerivedSymmetricKey(
            using: SHA256.self, salt: share + Array(recipient.rawRepresentation),
            sharedInfo: Array("age-encryption.org/v1/X25519".utf8), outputByteCount: 32)
        let sealed: ChaChaPoly.SealedBox
        do {
            sealed = try ChaChaPoly.seal(
                fileKey, using: wrapKey, nonce: ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 12)))
        } catch {
            throw ExportError.crypto("wrapping the file key failed")
        }
        let body = Array(sealed.ciphertext) + Array(sealed.tag)
        var stanza = Array("-> X25519 \(base64(share))\n".utf8)
        // The body is base64 without padding in 64-column lines; the last line is always shorter than 64
        // (an empty line when the length is a multiple of 64).
        let encoded = Array(base64(body).utf8)
        var start = 0
        while encoded.count - start >= 64 {
            stanza += encoded[start..<(start + 64)] + [0x0A]
            start += 64
        }
        stanza += encoded[start...] + [0x0A]
        return stanza
    }

    /// The STREAM payload: 64 KiB chunks, each sealed with ChaCha20-Poly1305 under nonce = 11-byte big-endian
    /// counter || last-chunk flag. The last chunk is non-empty unless the whole plaintext is empty.
    static func appendPayload(_ plaintext: [UInt8], key: SymmetricKey, to out: inout [UInt8]) throws {
        var counter: UInt64 = 0
        var start = 0
        repeat {
            let end = min(start + chunkSize, plaintext.count)
            let last = end == plaintext.count
            var nonce = [UInt8](repeating: 0, count: 12)
            for byte in 0..<8 { nonce[10 - byte] = UInt8(truncatingIfNeeded: counter >> UInt64(8 * byte)) }
            nonce[11] = last ? 1 : 0
            do {
                let sealed = try ChaChaPoly.seal(
                    plaintext[start..<end], using: key, nonce: ChaChaPoly.Nonce(data: nonce))
                out += sealed.ciphertext
                out += sealed.tag
            } catch {
                throw ExportError.crypto("sealing payload chunk \(counter) failed")
            }
            counter += 1
            start = end
        } while start < plaintext.count
    }

    /// Standard base64 without `=` padding, as age writes it.
    static func base64(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }
}
