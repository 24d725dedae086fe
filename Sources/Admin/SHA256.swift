import TLS

/// SHA-256 as lowercase hex: the audit log's chain links. The digest itself is the TLS module's (OpenSSL);
/// only the formatting is here.
enum SHA256 {
    /// What the first audit line carries as `prev`: 64 zeros (there is no line before it).
    static let zeroHex = String(repeating: "0", count: 64)

    /// The hex SHA-256 of `bytes`.
    static func hex(_ bytes: some Collection<UInt8>) -> String {
        hexString(Digest.sha256(bytes))
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
