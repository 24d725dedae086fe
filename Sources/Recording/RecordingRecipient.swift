import Crypto
import Foundation

/// A recipient of recordings: an officer's (or a key escrow's) X25519 public key, the part the relay holds.
///
/// Text form, one line: `sotto-recording-key-1 <base64 of the 32 raw bytes> [label]`; the optional label (say,
/// whose key it is) is kept for messages and not used in the crypto.
public struct RecordingRecipient: Sendable, Hashable {
    /// The prefix of a recipient line.
    public static let prefix = "sotto-recording-key-1"

    /// The raw 32-byte public key.
    public let rawKey: [UInt8]
    /// The label after the key on its line, if any.
    public let label: String?

    init(rawKey: [UInt8], label: String?) {
        self.rawKey = rawKey
        self.label = label
    }

    /// The key for swift-crypto. `rawKey` is always 32 bytes (checked by ``parse(line:)`` or taken from a
    /// private key), the only thing the initialiser checks, so this cannot fail.
    var publicKey: Curve25519.KeyAgreement.PublicKey {
        // swift-format-ignore: NeverUseForceTry
        try! Curve25519.KeyAgreement.PublicKey(rawRepresentation: rawKey)
    }

    /// The key's id: the first 8 bytes of the SHA-256 of the raw public key, as 16 lowercase hex digits. It
    /// names the key in the index, in the sealed keys and in errors without giving anything away.
    public var keyID: String { Self.keyID(ofRawKey: rawKey) }

    /// The recipient line (no label, no newline).
    public var line: String { "\(Self.prefix) \(Data(rawKey).base64EncodedString())" }

    /// Parses one recipient line. Refuses a line without the prefix, a key that is not 32 bytes of base64, and
    /// a low-order X25519 point (one whose Diffie-Hellman output is all zero whatever the other key: RFC 7748
    /// §6.1 and RFC 9180 §7.1.4 say to refuse it, and swift-crypto does not).
    public static func parse(line: String) throws -> RecordingRecipient {
        let fields = line.trimmingCharacters(in: .whitespacesAndNewlines).split(
            separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard fields.count >= 2, fields[0] == prefix else {
            throw VaultCryptoError(.recipients, "not a '\(prefix) <base64> [label]' line")
        }
        guard let raw = Data(base64Encoded: String(fields[1])), raw.count == 32,
            let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw)
        else {
            throw VaultCryptoError(.recipients, "the key is not 32 bytes of base64")
        }
        guard !isLowOrder(key) else {
            throw VaultCryptoError(.recipients, "the key is a low-order point: nothing sealed to it would be secret")
        }
        let label = fields.count == 3 ? String(fields[2]).trimmingCharacters(in: .whitespaces) : nil
        return RecordingRecipient(rawKey: Array(key.rawRepresentation), label: label)
    }

    /// Whether Diffie-Hellman with `key` gives the all-zero secret (a low-order point): tried with a fresh
    /// private key, since for such a point every clamped scalar gives zero.
    static func isLowOrder(_ key: Curve25519.KeyAgreement.PublicKey) -> Bool {
        guard let secret = try? Curve25519.KeyAgreement.PrivateKey().sharedSecretFromKeyAgreement(with: key) else {
            return true
        }
        return secret.withUnsafeBytes { bytes in bytes.allSatisfy { $0 == 0 } }
    }

    static func keyID(ofRawKey raw: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in SHA256.hash(data: raw).prefix(8) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public static func == (lhs: RecordingRecipient, rhs: RecordingRecipient) -> Bool { lhs.rawKey == rhs.rawKey }

    public func hash(into hasher: inout Hasher) { hasher.combine(rawKey) }
}
