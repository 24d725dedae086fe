import Foundation

/// The recipients every recording's data key is sealed to: the relay's recipients file (`[recording]
/// recipients` in the config), one or more `sotto-recording-key-1 ...` lines (two officers, or an officer and a
/// key escrow), with `#` comments and blank lines.
///
/// Never empty and never holding the same key twice (a duplicate is a copy-and-paste mistake that would hide a
/// missing officer).
public struct RecipientSet: Sendable, Hashable {
    /// The most bytes a recipients file may hold; checked before it is read.
    public static let maximumFileBytes = 64 * 1024
    /// The most recipients one set may hold: each costs one HPKE seal per recording and one sealed key (about
    /// 100 bytes) in its index row.
    public static let maximumRecipients = 16

    /// The recipients, in file order.
    public let recipients: [RecordingRecipient]

    /// A set of the given recipients; throws for none, too many, or a duplicate.
    public init(_ recipients: [RecordingRecipient]) throws {
        try self.init(checking: recipients.enumerated().map { ($0.element, $0.offset + 1) }, path: "<list>")
    }

    private init(checking entries: [(RecordingRecipient, Int)], path: String) throws {
        guard !entries.isEmpty else {
            throw VaultCryptoError(.recipients, "\(path): no sotto-recording-key-1 line; at least one is needed")
        }
        var seen: [String: Int] = [:]
        for (recipient, line) in entries {
            if let first = seen[recipient.keyID] {
                throw VaultCryptoError(
                    .recipients, "\(path):\(line): key \(recipient.keyID) is already on line \(first)")
            }
            seen[recipient.keyID] = line
        }
        recipients = entries.map(\.0)
    }

    /// The key ids, comma-separated, in file order: what the container's header and the index row name.
    public var keyIDs: String { recipients.map(\.keyID).joined(separator: ",") }

    /// Parses a recipients file's text. Errors name `path`, the 1-based line and the reason.
    public static func parse(_ text: String, path: String = "<text>") throws -> RecipientSet {
        var entries: [(RecordingRecipient, Int)] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix(RecordingIdentity.prefix) {
                // A secret key pasted where public keys go: say so without echoing it.
                throw VaultCryptoError(
                    .recipients,
                    "\(path):\(number + 1): a secret key; the relay's file takes only public sotto-recording-key-1 lines"
                )
            }
            guard entries.count < maximumRecipients else {
                throw VaultCryptoError(.recipients, "\(path):\(number + 1): more than \(maximumRecipients) recipients")
            }
            do {
                entries.append((try RecordingRecipient.parse(line: line), number + 1))
            } catch let error as VaultCryptoError {
                throw VaultCryptoError(.recipients, "\(path):\(number + 1): \(error.reason)")
            }
        }
        return try RecipientSet(checking: entries, path: path)
    }

    /// Loads a recipients file (at most ``maximumFileBytes``, checked before reading).
    public static func load(path: String) throws -> RecipientSet {
        let bytes = try KeyFileIO.read(path: path, limit: maximumFileBytes, privateKey: false) {
            VaultCryptoError(.recipients, $0)
        }
        return try parse(String(decoding: bytes, as: UTF8.self), path: path)
    }
}
