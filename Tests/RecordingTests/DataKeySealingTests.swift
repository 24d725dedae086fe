import Crypto
import Foundation
import Recording
import Testing

@Suite struct DataKeySealingTests {
    static func bytes(_ key: SymmetricKey) -> [UInt8] { key.withUnsafeBytes { Array($0) } }

    let alice = RecordingIdentity.generate()
    let escrow = RecordingIdentity.generate()
    let dataKey = DataKeySealing.newDataKey()

    var recipients: RecipientSet { get throws { try RecipientSet([alice.recipient, escrow.recipient]) } }

    @Test func eitherRecipientOpensTheKey() throws {
        let sealed = try DataKeySealing.seal(dataKey: dataKey, to: try recipients, recordingID: "rec-1")
        #expect(sealed.map(\.keyID) == [alice.recipient.keyID, escrow.recipient.keyID])
        #expect(sealed.allSatisfy { $0.encapsulatedKey.count == 32 && $0.ciphertext.count == 48 })
        for identity in [alice, escrow] {
            let opened = try DataKeySealing.open(sealed, identity: identity, recordingID: "rec-1")
            #expect(Self.bytes(opened) == Self.bytes(dataKey))
        }
        // Reversed order: each identity finds its own.
        let opened = try DataKeySealing.open(sealed.reversed(), identity: alice, recordingID: "rec-1")
        #expect(Self.bytes(opened) == Self.bytes(dataKey))
    }

    @Test func sealedKeysSurviveJSON() throws {
        let sealed = try DataKeySealing.seal(dataKey: dataKey, to: try recipients, recordingID: "rec-1")
        let json = try JSONEncoder().encode(sealed)
        let back = try JSONDecoder().decode([SealedDataKey].self, from: json)
        #expect(back == sealed)
        #expect(
            Self.bytes(try DataKeySealing.open(back, identity: escrow, recordingID: "rec-1")) == Self.bytes(dataKey))
    }

    @Test func anotherIdentityIsRefusedByName() throws {
        let sealed = try DataKeySealing.seal(dataKey: dataKey, to: try recipients, recordingID: "rec-1")
        let stranger = RecordingIdentity.generate()
        RecipientKeysTests.expectError(
            .noMatchingKey, "none of the 2 sealed keys is for key \(stranger.recipient.keyID)"
        ) {
            _ = try DataKeySealing.open(sealed, identity: stranger, recordingID: "rec-1")
        }
        // Relabelled with the stranger's key id, the sealed key still does not open for the stranger.
        var relabelled = sealed[0]
        relabelled.keyID = stranger.recipient.keyID
        RecipientKeysTests.expectError(.opening, "does not open") {
            _ = try DataKeySealing.open([relabelled], identity: stranger, recordingID: "rec-1")
        }
    }

    @Test func aSealedKeyMovedToAnotherRecordingDoesNotOpen() throws {
        let sealed = try DataKeySealing.seal(dataKey: dataKey, to: try recipients, recordingID: "rec-1")
        RecipientKeysTests.expectError(.opening, "does not open for recording rec-2") {
            _ = try DataKeySealing.open(sealed, identity: alice, recordingID: "rec-2")
        }
    }

    @Test func anAlteredSealedKeyDoesNotOpen() throws {
        var sealed = try DataKeySealing.seal(dataKey: dataKey, to: try recipients, recordingID: "rec-1")
        sealed[0].ciphertext[3] ^= 1
        RecipientKeysTests.expectError(.opening, "does not open") {
            _ = try DataKeySealing.open(sealed, identity: alice, recordingID: "rec-1")
        }
        sealed[0].ciphertext = sealed[0].ciphertext.prefix(40)
        RecipientKeysTests.expectError(.opening, "malformed") {
            _ = try DataKeySealing.open(sealed, identity: alice, recordingID: "rec-1")
        }
    }

    @Test func aLowOrderEncapsulatedKeyIsRefused() throws {
        var sealed = try DataKeySealing.seal(dataKey: dataKey, to: try recipients, recordingID: "rec-1")
        sealed[0].encapsulatedKey = Data(repeating: 0, count: 32)
        RecipientKeysTests.expectError(.opening, "low-order encapsulated key") {
            _ = try DataKeySealing.open(sealed, identity: alice, recordingID: "rec-1")
        }
    }

    @Test func onlyA256BitKeyIsSealed() throws {
        RecipientKeysTests.expectError(.sealing, "256 bits, not 128") {
            _ = try DataKeySealing.seal(dataKey: SymmetricKey(size: .bits128), to: try recipients, recordingID: "rec-1")
        }
    }

    /// Everything the relay holds (the recipients file, the sealed keys, the container) and a key of its own
    /// does not open the data key.
    @Test func theRelaysOwnMaterialDoesNotOpenIt() throws {
        let sealed = try DataKeySealing.seal(dataKey: dataKey, to: try recipients, recordingID: "rec-1")
        let relaysOwn = RecordingIdentity.generate()
        RecipientKeysTests.expectError(.noMatchingKey, "none of the 2") {
            _ = try DataKeySealing.open(sealed, identity: relaysOwn, recordingID: "rec-1")
        }
        // A secret line built from a recipient's public bytes is a different key: it opens nothing.
        let fake = try RecordingIdentity.parse(
            "\(RecordingIdentity.prefix) \(Data(alice.recipient.rawKey).base64EncodedString())")
        #expect(fake.recipient != alice.recipient)
        #expect(throws: VaultCryptoError.self) { try DataKeySealing.open(sealed, identity: fake, recordingID: "rec-1") }
    }
}
