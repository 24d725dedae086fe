internal import COpenSSL

/// SHA-256 from OpenSSL (EVP), as lowercase hex: the audit log's chain links. No hand-written crypto.
enum SHA256 {
    /// What the first audit line carries as `prev`: 64 zeros (there is no line before it).
    static let zeroHex = String(repeating: "0", count: 64)

    /// The hex SHA-256 of `bytes`.
    static func hex(_ bytes: some Collection<UInt8>) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = Array(bytes).withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
        }
        // EVP_Digest fails only when OpenSSL cannot allocate a context; a chain with a bogus link would
        // be worse than stopping.
        precondition(ok == 1 && length == 32, "OpenSSL could not compute SHA-256")
        return hexString(digest.prefix(32))
    }

    private static func hexString(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
