/// G.711 (ITU-T Recommendation G.711, 1988) companding: μ-law (PCMU, payload type 0) and A-law (PCMA,
/// payload type 8), computed from the segment definition of the recommendation's tables 1a/1b and 2a/2b
/// rather than stored as tables. 8 kHz, one byte per sample.
enum G711 {
    /// The 14-bit μ-law bias (0x84 = 132 on the 16-bit scale).
    private static let muBias: Int32 = 0x84
    /// The largest magnitude μ-law encodes before clipping (16-bit scale).
    private static let muClip: Int32 = 32635

    /// Decodes one μ-law byte to a 16-bit linear sample.
    static func decodeMu(_ byte: UInt8) -> Int16 {
        let u = ~byte
        let exponent = Int32((u >> 4) & 0x07)
        let mantissa = Int32(u & 0x0F)
        let magnitude = (((mantissa << 3) + muBias) << exponent) - muBias
        return Int16(u & 0x80 != 0 ? -magnitude : magnitude)
    }

    /// Encodes a 16-bit linear sample as μ-law.
    static func encodeMu(_ sample: Int16) -> UInt8 {
        var value = Int32(sample)
        let sign: UInt8 = value < 0 ? 0x80 : 0
        if value < 0 { value = -value }
        value = min(value, muClip) + muBias
        var exponent: UInt8 = 7
        var mask: Int32 = 0x4000
        while exponent > 0 && value & mask == 0 {
            exponent -= 1
            mask >>= 1
        }
        let mantissa = UInt8((value >> (Int32(exponent) + 3)) & 0x0F)
        return ~(sign | (exponent << 4) | mantissa)
    }

    /// Decodes one A-law byte to a 16-bit linear sample.
    static func decodeA(_ byte: UInt8) -> Int16 {
        let a = byte ^ 0x55
        let exponent = Int32((a >> 4) & 0x07)
        let mantissa = Int32(a & 0x0F)
        var magnitude = (mantissa << 4) + 8
        if exponent > 0 { magnitude = (magnitude + 0x100) << (exponent - 1) }
        return Int16(a & 0x80 != 0 ? magnitude : -magnitude)
    }

    /// Encodes a 16-bit linear sample as A-law.
    static func encodeA(_ sample: Int16) -> UInt8 {
        var value = Int32(sample)
        let sign: UInt8 = value >= 0 ? 0x80 : 0
        if value < 0 { value = max(-value - 8, 0) }  // the recommendation's one's-complement step for negatives
        value = min(value, 32767)
        var exponent: UInt8 = 7
        var mask: Int32 = 0x4000
        while exponent > 0 && value & mask == 0 {
            exponent -= 1
            mask >>= 1
        }
        let mantissa: UInt8
        if exponent == 0 {
            mantissa = UInt8((value >> 4) & 0x0F)
        } else {
            mantissa = UInt8((value >> (Int32(exponent) + 3)) & 0x0F)
        }
        return (sign | (exponent << 4) | mantissa) ^ 0x55
    }
}
