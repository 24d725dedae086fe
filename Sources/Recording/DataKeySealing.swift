import Crypto
import Foundation

/// One recording's data key sealed to one recipient (HPKE, RFC 9180): what the relay keeps in the index row in
/// place of the key. Only the recipient's private key opens it, and only for the recording it was sealed for.
public struct SealedDataKey: Sendable, Hashable, Codable {
    /// The recipient's key id (``RecordingRecipient/keyID``): which officer's identity opens this one.
    public var keyID: String
    /// HPKE's encapsulated key (the sender's ephemeral X25519 public key), 32 bytes.
    public var encapsulatedKey: Data
    /// The data key sealed with AES-256-GCM under HPKE's key schedule: 32 bytes of key and a 16-byte tag.
    public var ciphertext: Data

    /// A sealed key. The bytes are copied, so the fields index from 0 even when given slices of larger `Data`.
    public init(keyID: String, encapsulatedKey: Data, ciphertext: Data) {
        self.keyID = keyID
        self.encapsulatedKey = Data([UInt8](encapsulatedKey))
        self.ciphertext = Data([UInt8](ciphertext))
    }
}

/// Seals a recording's data key to its recipients, and opens it again with one recipient's identity.
///
/// HPKE base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-256-GCM (RFC 9180 §7), through
/// swift-crypto. The HPKE `info` is ``infoPrefix`` followed by the recording id, so a sealed key copied into
/// another recording's row does not open there: a stolen index cannot graft one recording's key onto another's
/// file. The relay calls ``seal(dataKey:to:recordingID:)`` once per recording and then forgets the data key when
/// the recording is finished; nothing it keeps opens the sealed form.
public enum DataKeySealing {
    /// The HPKE suite: X25519 + HKDF-SHA256 + AES-256-GCM (swift-crypto has no named constant for it).
    public static var ciphersuite: HPKE.Ciphersuite {
        HPKE.Ciphersuite(kem: .Curve25519_HKDF_SHA256, kdf: .HKDF_SHA256, aead: .AES_GCM_256)
    }
    /// The start of the HPKE `info`; the recording id follows it.
    public static let infoPrefix = "sotto recording data key v1"

    /// A fresh random 256-bit data key for one recording.
    public static func newDataKey() -> SymmetricKey { SymmetricKey(size: .bits256) }

    static func info(recordingID: String) -> Data { Data((infoPrefix + recordingID).utf8) }

    /// Seals `dataKey` (256 bits) to each recipient of `recipients`, in their order.
    public static func seal(dataKey: SymmetricKey, to recipients: RecipientSet, recordingID: String) throws
        -> [SealedDataKey]
    {
        guard dataKey.bitCount == 256 else {
            throw VaultCryptoError(.sealing, "a data key is 256 bits, not \(dataKey.bitCount)")
        }
        let plaintext = dataKey.withUnsafeBytes { Data($0) }
        return try recipients.recipients.map { recipient in
            do {
                var sender = try HPKE.Sender(
                    recipientKey: recipient.publicKey, ciphersuite: ciphersuite, info: info(recordingID: recordingID))
                let ciphertext = try sender.seal(plaintext)
                return SealedDataKey(
                    keyID: recipient.keyID, encapsulatedKey: sender.encapsulatedKey, ciphertext: ciphertext)
            } catch {
                throw VaultCryptoError(.sealing, "sealing the data key to key \(recipient.keyID) failed: \(error)")
            }
        }
    }

    /// Opens the sealed key meant for `identity`, for recording `recordingID`.
    ///
    /// Throws ``VaultCryptoError/Code/noMatchingKey`` ("none of the N sealed keys is for key K") when no sealed
    /// key names the identity's key id, and ``VaultCryptoError/Code/opening`` when the one that does fails to
    /// open (sealed for another recording, or altered) or is malformed.
    public static func open(_ sealed: [SealedDataKey], identity: RecordingIdentity, recordingID: String) throws
        -> SymmetricKey
    {
        let keyID = identity.recipient.keyID
        let mine = sealed.filter { $0.keyID == keyID }
        guard !mine.isEmpty else {
            let ids = sealed.map(\.keyID).joined(separator: ", ")
            throw VaultCryptoError(
                .noMatchingKey,
                "none of the \(sealed.count) sealed keys is for key \(keyID)"
                    + (ids.isEmpty ? "" : " (they are for \(ids))"))
        }
        for candidate in mine {
            guard candidate.encapsulatedKey.count == 32, candidate.ciphertext.count == 32 + 16 else {
                throw VaultCryptoError(.opening, "the sealed key for \(keyID) is malformed (wrong lengths)")
            }
            // RFC 9180 §7.1.4: a recipient must refuse an encapsulated key whose Diffie-Hellman output is zero.
            guard let ephemeral = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: candidate.encapsulatedKey),
                !RecordingRecipient.isLowOrder(ephemeral)
            else {
                throw VaultCryptoError(.opening, "the sealed key for \(keyID) has a low-order encapsulated key")
            }
            do {
                var recipient = try HPKE.Recipient(
                    privateKey: identity.privateKey, ciphersuite: ciphersuite, info: info(recordingID: recordingID),
                    encapsulatedKey: candidate.encapsulatedKey)
                let key = try recipient.open(candidate.ciphertext)
                guard key.count == 32 else { continue }
                return SymmetricKey(data: key)
            } catch {
                continue
            }
        }
        throw VaultCryptoError(
            .opening,
            "the sealed key for \(keyID) does not open for recording \(recordingID): sealed for another recording, or altered"
        )
    }
}
