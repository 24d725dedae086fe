/// Standard base64 (RFC 4648 §4) for the key and salt of an SDES key parameter (RFC 4568 §6.1): small, and free
/// of Foundation. The one base64 of the package: ``SDPCryptoKeyParameter`` checks, encodes and decodes with it, and
/// the SRTP module reaches it only through that type.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes with `=` padding.
    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = UInt32(bytes[index])
            let b1 = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(group >> 18 & 63)])
            out.append(alphabet[Int(group >> 12 & 63)])
            out.append(index + 1 < bytes.count ? alphabet[Int(group >> 6 & 63)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(group & 63)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes; padding may be present or left out. Nil for any other character or a bad length.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var sextets = [UInt8]()
        var padding = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0, let value = sextet(byte) else { return nil }
            sextets.append(value)
        }
        guard padding <= 2, sextets.count % 4 != 1 else { return nil }
        if padding > 0 && (sextets.count + padding) % 4 != 0 { return nil }
        var out = [UInt8]()
        out.reserveCapacity(sextets.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for value in sextets {
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero, or the text was not produced by an encoder.
        guard accumulator & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }

    /// The offset of the first character of `text` that cannot stand in base64 text (the alphabet, then only `=`
    /// padding to the end), or nil; an empty text fails at 0. Lengths and leftover bits are ``decode(_:)``'s
    /// business.
    static func firstInvalidOffset(_ text: some StringProtocol) -> Int? {
        guard !text.isEmpty else { return 0 }
        var padding = false
        for (offset, byte) in text.utf8.enumerated() {
            if byte == UInt8(ascii: "=") {
                padding = true
            } else if padding || sextet(byte) == nil {
                return offset
            }
        }
        return nil
    }

    private static func sextet(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
