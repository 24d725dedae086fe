/// Bech32 decoding (BIP 173), as age uses it for `age1...` recipients: the checksum is verified, mixed case is
/// refused, and the 5-bit groups are regrouped into bytes with zero padding. age lifts BIP 173's 90-character
/// limit (its post-quantum keys are longer), so no overall length limit is applied beyond a sanity bound.
enum Bech32 {
    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
    /// A sanity bound: no recipient string the exporter accepts is longer.
    static let maximumLength = 1024

    /// Decodes `text` into its human-readable part (lowercase) and data bytes. Throws
    /// `ExportError.badRecipient` with the reason.
    static func decode(_ text: String) throws -> (hrp: String, data: [UInt8]) {
        let bytes = Array(text.utf8)
        guard bytes.count <= maximumLength else {
            throw ExportError.badRecipient("longer than \(maximumLength) characters")
        }
        guard bytes.allSatisfy({ $0 >= 33 && $0 <= 126 }) else {
            throw ExportError.badRecipient("characters outside printable ASCII")
        }
        let hasLower = bytes.contains { $0 >= 97 && $0 <= 122 }
        let hasUpper = bytes.contains { $0 >= 65 && $0 <= 90 }
        guard !(hasLower && hasUpper) else { throw ExportError.badRecipient("mixed upper and lower case") }
        let lower = bytes.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
        guard let separator = lower.lastIndex(of: UInt8(ascii: "1")), separator >= 1,
            lower.count - separator - 1 >= 6
        else { throw ExportError.badRecipient("no separator '1' followed by a 6-character checksum") }
        let hrp = Array(lower[..<separator])
        var values: [UInt8] = []
        values.reserveCapacity(lower.count - separator - 1)
        for character in lower[(separator + 1)...] {
            guard let value = charset.firstIndex(of: character) else {
                throw ExportError.badRecipient("'\(Character(Unicode.Scalar(character)))' is not a bech32 character")
            }
            values.append(UInt8(value))
        }
        guard polymod(expand(hrp) + values) == 1 else { throw ExportError.badRecipient("checksum does not match") }
        let data = try regroup(values.dropLast(6))
        return (String(decoding: hrp, as: UTF8.self), data)
    }

    /// BIP 173's checksum over the expanded HRP and the data values.
    private static func polymod(_ values: [UInt8]) -> UInt32 {
        var check: UInt32 = 1
        for value in values {
            let top = check >> 25
            check = (check & 0x1ff_ffff) << 5 ^ UInt32(value)
            for bit in 0..<5 where (top >> UInt32(bit)) & 1 == 1 {
                check ^= generator[bit]
            }
        }
        return check
    }

    private static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    /// 5-bit groups to bytes; leftover bits must be fewer than 5 and zero (BIP 173).
    private static func regroup(_ values: ArraySlice<UInt8>) throws -> [UInt8] {
        var accumulator: UInt32 = 0
        var bits = 0
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 5 / 8)
        for value in values {
            accumulator = accumulator << 5 | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((accumulator >> UInt32(bits)) & 0xff))
            }
        }
        guard bits < 5, accumulator & ((1 << UInt32(bits)) - 1) == 0 else {
            throw ExportError.badRecipient("non-zero padding bits")
        }
        return out
    }
}
