import Crypto
import Foundation
import Glibc
import Recording
import SottoTestSupport
import Testing

@Suite struct RecipientKeysTests {
    static func expectError(
        _ code: VaultCryptoError.Code, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) {
        do {
            try body()
            Issue.record("no error", sourceLocation: sourceLocation)
        } catch let error as VaultCryptoError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(error.reason.contains(fragment), "\(error.reason)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(error)", sourceLocation: sourceLocation)
        }
    }

    static func mode(_ path: String) -> mode_t {
        var status = stat()
        stat(path, &status)
        return status.st_mode & 0o777
    }

    @Test func keygenWritesAPrivateFileAndAPublicOneThatLoadBack() throws {
        let directory = try TemporaryDirectory("sotto-keys")
        let path = directory.file("officer.key")
        let identity = RecordingIdentity.generate()
        try identity.write(path: path)
        #expect(Self.mode(path) == 0o600)
        #expect(Self.mode(path + ".pub") == 0o644)
        let loaded = try RecordingIdentity.load(path: path)
        #expect(loaded.recipient == identity.recipient)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\n" + RecordingIdentity.prefix + " "))
        let publicText = try String(contentsOfFile: path + ".pub", encoding: .utf8)
        #expect(publicText.hasPrefix(RecordingRecipient.prefix + " "))
        #expect(!publicText.contains(identity.secretLine.split(separator: " ")[1]))
        let set = try RecipientSet.load(path: path + ".pub")
        #expect(set.recipients == [identity.recipient])
    }

    @Test func keygenRefusesToReplaceAFile() throws {
        let directory = try TemporaryDirectory("sotto-keys")
        let path = try directory.write("officer.key", "precious\n")
        Self.expectError(.keyFile, "cannot create") { try RecordingIdentity.generate().write(path: path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious\n")
    }

    @Test func anIdentityOthersCanReadIsRefused() throws {
        let directory = try TemporaryDirectory("sotto-keys")
        let path = directory.file("officer.key")
        try RecordingIdentity.generate().write(path: path)
        chmod(path, 0o640)
        Self.expectError(.keyFile, "mode 640 lets others read the key") { _ = try RecordingIdentity.load(path: path) }
    }

    @Test func identityFilesAreParsedStrictly() throws {
        let secret = RecordingIdentity.generate().secretLine
        Self.expectError(.keyFile, "holds no") { _ = try RecordingIdentity.parse("# only a comment\n") }
        Self.expectError(.keyFile, "k:2: a second secret key") {
            _ = try RecordingIdentity.parse("\(secret)\n\(secret)\n", path: "k")
        }
        Self.expectError(.keyFile, "k:1: not a") {
            _ = try RecordingIdentity.parse(RecordingIdentity.generate().recipient.line, path: "k")
        }
        Self.expectError(.keyFile, "not 32 bytes") {
            _ = try RecordingIdentity.parse("\(RecordingIdentity.prefix) AAAA")
        }
    }

    @Test func keyIDIsTheFirstEightBytesOfTheKeysSHA256() {
        let recipient = RecordingIdentity.generate().recipient
        #expect(recipient.keyID == Hex.string(SHA256.hash(data: recipient.rawKey).prefix(8)))
        #expect(recipient.keyID.count == 16)
    }

    @Test func aRecipientsFileWithCommentsAndTwoKeysLoads() throws {
        let alice = RecordingIdentity.generate().recipient
        let escrow = RecordingIdentity.generate().recipient
        let text = "# officers\n\n\(alice.line) alice (compliance)\n  \(escrow.line)  \n# end\n"
        let set = try RecipientSet.parse(text)
        #expect(set.recipients == [alice, escrow])
        #expect(set.recipients[0].label == "alice (compliance)")
        #expect(set.keyIDs == "\(alice.keyID),\(escrow.keyID)")
    }

    @Test func recipientsFileErrorsNameThePathLineAndReason() throws {
        let alice = RecordingIdentity.generate().recipient
        Self.expectError(.recipients, "r.pub: no sotto-recording-key-1 line") {
            _ = try RecipientSet.parse("# none\n", path: "r.pub")
        }
        Self.expectError(.recipients, "r.pub:3: key \(alice.keyID) is already on line 1") {
            _ = try RecipientSet.parse("\(alice.line)\n\n\(alice.line) again\n", path: "r.pub")
        }
        Self.expectError(.recipients, "r.pub:2: the key is not 32 bytes of base64") {
            _ = try RecipientSet.parse("\(alice.line)\n\(RecordingRecipient.prefix) bm90IGEga2V5\n", path: "r.pub")
        }
        Self.expectError(.recipients, "r.pub:1: not a") {
            _ = try RecipientSet.parse("ssh-ed25519 AAAA\n", path: "r.pub")
        }
        let secret = RecordingIdentity.generate().secretLine
        Self.expectError(.recipients, "r.pub:1: a secret key") { _ = try RecipientSet.parse(secret, path: "r.pub") }
        Self.expectError(.recipients, "no sotto-recording-key-1 line") { _ = try RecipientSet([]) }
    }

    @Test func moreThanTheMostRecipientsIsRefused() {
        let lines = (0...RecipientSet.maximumRecipients).map { _ in RecordingIdentity.generate().recipient.line }
        Self.expectError(.recipients, "r:17: more than 16 recipients") {
            _ = try RecipientSet.parse(lines.joined(separator: "\n"), path: "r")
        }
        #expect((try? RecipientSet.parse(lines.dropLast().joined(separator: "\n"))) != nil)
    }

    @Test func aLowOrderPointIsRefused() {
        // The all-zero point and a point of order 8 (RFC 7748 §6.1's list, as used by libsodium's blocklist):
        // X25519 with either gives the all-zero secret whatever the private key.
        let lowOrder: [[UInt8]] = [
            [UInt8](repeating: 0, count: 32),
            Hex.bytes("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")!,
        ]
        for raw in lowOrder {
            Self.expectError(.recipients, "low-order point") {
                _ = try RecordingRecipient.parse(
                    line: "\(RecordingRecipient.prefix) \(Data(raw).base64EncodedString())")
            }
        }
    }

    @Test func anOversizedRecipientsFileIsRefusedBeforeReading() throws {
        let directory = try TemporaryDirectory("sotto-keys")
        let line = RecordingIdentity.generate().recipient.line + "\n"
        let path = try directory.write(
            "big.pub", line + String(repeating: "#", count: RecipientSet.maximumFileBytes) + "\n")
        Self.expectError(.recipients, "\(path): ") { _ = try RecipientSet.load(path: path) }
        // The size fstat gave is in the answer: refused before a byte is read.
        let size = line.utf8.count + RecipientSet.maximumFileBytes + 1
        Self.expectError(.recipients, ": \(size) bytes, more than the 65536") { _ = try RecipientSet.load(path: path) }
        Self.expectError(.recipients, "cannot open") { _ = try RecipientSet.load(path: directory.file("missing.pub")) }
    }
}
