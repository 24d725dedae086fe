import CSRTP
import SRTP
import Testing

/// Runs one of Sotto's libsrtp2 cipher types through libsrtp2's public cipher API, exactly as
/// libsrtp2 drives it per packet: alloc, init with key||salt, set_iv, AAD, then encrypt (+ tag)
/// or decrypt. Returns nil when a step fails (for example a tag that does not verify).
func runCipher(
    _ type: srtp_cipher_type_t,
    keyAndSalt: [UInt8],
    iv: [UInt8],
    aad: [UInt8] = [],
    data: [UInt8],
    decrypt: Bool = false,
    tagLength: Int = 0
) -> [UInt8]? {
    var cipher: UnsafeMutablePointer<srtp_cipher_t>?
    // A copy of the type table is enough: its alloc points the new cipher at the real table.
    guard
        withUnsafePointer(to: type, { srtp_cipher_type_alloc($0, &cipher, Int32(keyAndSalt.count), Int32(tagLength)) })
            == srtp_err_status_ok,
        let cipher
    else { return nil }
    defer { _ = srtp_cipher_dealloc(cipher) }
    var iv = iv + [UInt8](repeating: 0, count: 16 - iv.count)
    var buffer = data + [UInt8](repeating: 0, count: 16)
    var ok = srtp_cipher_init(cipher, keyAndSalt) == srtp_err_status_ok
    ok = ok && srtp_cipher_set_iv(cipher, &iv, Int32(decrypt ? 1 : 0)) == srtp_err_status_ok
    if !aad.isEmpty {
        ok = ok && srtp_cipher_set_aad(cipher, aad, UInt32(aad.count)) == srtp_err_status_ok
    }
    var length = UInt32(data.count)
    ok =
        ok
        && (decrypt
            ? srtp_cipher_decrypt(cipher, &buffer, &length) : srtp_cipher_encrypt(cipher, &buffer, &length))
            == srtp_err_status_ok
    guard ok else { return nil }
    if tagLength > 0 && !decrypt {
        var tagBytes = UInt32(tagLength)
        var tag = [UInt8](repeating: 0, count: tagLength)
        guard srtp_cipher_get_tag(cipher, &tag, &tagBytes) == srtp_err_status_ok else { return nil }
        return Array(buffer[..<Int(length)]) + tag
    }
    return Array(buffer[..<Int(length)])
}

/// The AES-CM key derivation of RFC 3711 §4.3.1, run through Sotto's AES-ICM type as libsrtp2 runs
/// it: the keystream for IV = label at octet 7 (index DIV kdr = 0), with key = master key||salt.
func deriveSessionKey(
    _ type: srtp_cipher_type_t,
    masterKey: [UInt8],
    masterSalt: [UInt8],
    label: UInt8,
    length: Int
) -> [UInt8]? {
    var iv = [UInt8](repeating: 0, count: 16)
    iv[7] = label
    return runCipher(type, keyAndSalt: masterKey + masterSalt, iv: iv, data: [UInt8](repeating: 0, count: length))
}

/// A caller-owned packet buffer with tailroom, as the relay's slots are.
final class PacketBuffer {
    let storage = UnsafeMutableRawBufferPointer.allocate(
        byteCount: 2048 + SRTPContext.maximumTrailerLength, alignment: 16)
    deinit { storage.deallocate() }

    func load(_ bytes: [UInt8]) -> Int {
        storage.copyBytes(from: bytes)
        return bytes.count
    }

    func bytes(_ length: Int) -> [UInt8] { Array(storage[..<length]) }
}

/// Starts libsrtp2 on Sotto's OpenSSL types, as the relay does.
func startOpenSSLBackend() throws {
    #expect(try SRTPLibrary.start() == .openssl)
}
