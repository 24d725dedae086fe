import Crypto
import Foundation
import Glibc

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

/// The key files' I/O: reads bounded before allocating, creates without replacing.
enum KeyFileIO {
    static func read(
        path: String, limit: Int, privateKey: Bool, error: (String) -> VaultCryptoError
    ) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw error("\(path): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw error("\(path): cannot stat: \(String(cString: strerror(errno)))") }
        guard status.st_mode & S_IFMT == S_IFREG else { throw error("\(path): not a regular file") }
        // A private key others can read is no longer private: refuse it (as ssh does) rather than use it.
        if privateKey, status.st_mode & 0o077 != 0 {
            throw error(
                "\(path): mode \(String(status.st_mode & 0o777, radix: 8)) lets others read the key; chmod 600 it")
        }
        // The limit is checked before the buffer is allocated.
        guard status.st_size <= limit else {
            throw error("\(path): \(status.st_size) bytes, more than the \(limit) a key file may hold")
        }
        // A fixed buffer one byte over the limit: a file that grew after fstat is caught below, never cut short.
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        var total = 0
        while total < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + total, $0.count - total) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw error("\(path): cannot read: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            total += count
        }
        guard total <= limit else { throw error("\(path): more than the \(limit) bytes a key file may hold") }
        return Array(bytes.prefix(total))
    }

    static func create(path: String, mode: mode_t, contents: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw VaultCryptoError(.keyFile, "\(path): cannot create: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var written = 0
        while written < contents.count {
            let count = contents.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                throw VaultCryptoError(.keyFile, "\(path): cannot write: \(String(cString: strerror(errno)))")
            }
            written += count
        }
        guard fsync(fd) == 0 else {
            throw VaultCryptoError(.keyFile, "\(path): cannot sync: \(String(cString: strerror(errno)))")
        }
    }
}
