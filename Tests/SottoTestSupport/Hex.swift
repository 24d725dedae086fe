/// Bytes written as hex, the way RFC figures and packet captures show them, and back.
public enum Hex {
    /// The bytes `text` spells, or nil for a character that is neither a hex digit nor a separator, or for an odd
    /// number of digits. White space, `:` and `|` separate groups and are skipped.
    public static func bytes(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count / 2)
        var high: UInt8?
        for character in text.unicodeScalars {
            if character.properties.isWhitespace || character == ":" || character == "|" { continue }
            guard character.isASCII, let digit = UInt8(String(character), radix: 16) else { return nil }
            if let first = high {
                bytes.append(first << 4 | digit)
                high = nil
            } else {
                high = digit
            }
        }
        return high == nil ? bytes : nil
    }

    /// The bytes as lowercase hex without separators.
    public static func string(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// The bytes a hex literal in a test spells (see ``Hex/bytes(_:)``); a malformed literal stops the test run.
public func hex(_ text: String) -> [UInt8] {
    guard let bytes = Hex.bytes(text) else { preconditionFailure("not hex bytes: \(text)") }
    return bytes
}

/// The bytes as lowercase hex without separators, for readable failure messages.
public func hexString(_ bytes: some Sequence<UInt8>) -> String { Hex.string(bytes) }
