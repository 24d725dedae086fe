import Crypto
import Foundation

/// A compliance officer's private key for recordings (an X25519 private key): it opens the data keys sealed to
/// its ``recipient``. It lives with the officers, never on the relay.
///
/// Text form, one line: `SOTTO-RECORDING-SECRET-KEY-1 <base64 of the 32 raw bytes>`. A key file may also hold
/// blank lines and `#` comments (``write(path:)`` puts the recipient line in one, as age does).
public struct RecordingIdentity: @unchecked Sendable {
    /// The prefix of the secret key line.
    public static let prefix = "SOTTO-RECORDING-SECRET-KEY-1"
    /// The most bytes a key file may hold; checked before it is read.
    public static let maximumFileBytes = 16 * 1024

    // swift-crypto's key types are immutable values that are not marked Sendable on Linux; this struct holds
    // one and never mutates it, hence the unchecked conformance. The key stays in swift-crypto's own storage
    // (zeroed when freed) rather than in a Data of ours.
    let privateKey: Curve25519.KeyAgreement.PrivateKey

    init(privateKey: Curve25519.KeyAgreement.PrivateKey) {
        self.privateKey = privateKey
    }

    /// A fresh identity from the system's random number generator.
    public static func generate() -> RecordingIdentity {
        RecordingIdentity(privateKey: Curve25519.KeyAgreement.PrivateKey())
    }

    /// The public half, the line that goes into the relay's recipients file.
    public var recipient: RecordingRecipient {
        RecordingRecipient(rawKey: Array(privateKey.publicKey.rawRepresentation), label: nil)
    }

    /// The secret key line (no newline). Handle with care: it is the key.
    public var secretLine: String { "\(Self.prefix) \(privateKey.rawRepresentation.base64EncodedString())" }

    /// Parses a key file's text: exactly one secret key line, besides blank lines and `#` comments.
    public static func parse(_ text: String, path: String = "<text>") throws -> RecordingIdentity {
        var found: RecordingIdentity?
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 2, fields[0] == prefix else {
                throw VaultCryptoError(
                    .keyFile, "\(path):\(number + 1): not a '\(prefix) <base64>' line (is this a recipient file?)")
            }
            guard found == nil else {
                throw VaultCryptoError(.keyFile, "\(path):\(number + 1): a second secret key; a key file holds one")
            }
            guard let raw = Data(base64Encoded: String(fields[1])), raw.count == 32,
                let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw)
            else {
                throw VaultCryptoError(.keyFile, "\(path):\(number + 1): the key is not 32 bytes of base64")
            }
            found = RecordingIdentity(privateKey: key)
        }
        guard let identity = found else { throw VaultCryptoError(.keyFile, "\(path): holds no \(prefix) line") }
        return identity
    }

    /// Loads a key file. Refused when group or others may read it (like ssh: a private key anyone on the
    /// machine can read is no longer private), when it is larger than ``maximumFileBytes``, or when it does
    /// not parse (see ``parse(_:path:)``).
    public static func load(path: String) throws -> RecordingIdentity {
        let bytes = try KeyFileIO.read(path: path, limit: maximumFileBytes, privateKey: true) {
            VaultCryptoError(.keyFile, $0)
        }
        return try parse(String(decoding: bytes, as: UTF8.self), path: path)
    }

    /// Writes the key pair as `sottoctl recordings keygen --out PATH` does: the identity to `path` (mode 0600)
    /// and the recipient line to `path.pub` (mode 0644). Refuses to replace either file if it exists (O_EXCL),
    /// or to follow a symbolic link there.
    public func write(path: String) throws {
        let comment = "# Sotto recording identity: keep it with the compliance officers, never on the relay.\n"
        let publicLine = recipient.line
        let secret = comment + "# recipient: \(publicLine)\n" + secretLine + "\n"
        try KeyFileIO.create(path: path, mode: 0o600, contents: Array(secret.utf8))
        try KeyFileIO.create(path: path + ".pub", mode: 0o644, contents: Array((publicLine + "\n").utf8))
    }
}
