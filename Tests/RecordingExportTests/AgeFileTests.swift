import Foundation
import SottoTestSupport
import Testing

@testable import RecordingExport

@Suite struct AgeFileTests {
    /// Files of several sizes (empty, one byte, around the 64 KiB chunk boundary, several chunks) decrypt with
    /// the real `age -d` to exactly what was encrypted.
    @Test func theRealAgeDecryptsIt() async throws {
        let directory = try TemporaryDirectory("sotto-age")
        let identity = directory.file("identity.txt")
        try await Fixtures.run("/usr/bin/age-keygen", ["-o", identity])
        let recipient = try await Fixtures.run("/usr/bin/age-keygen", ["-y", identity])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        for size in [0, 1, 65535, 65536, 65537, 200_000] {
            let plaintext = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let file = try AgeFile.encrypt(plaintext, to: recipient)
            let sealed = directory.file("file-\(size).age")
            try Data(file).write(to: URL(fileURLWithPath: sealed))
            let opened = try await ChildProcess.run("/usr/bin/age", ["-d", "-i", identity, sealed])
            #expect(opened.status == 0, "size \(size): \(opened.stderr)")
            #expect(opened.stdoutBytes == plaintext, "size \(size)")
        }
    }

    /// An exported Ogg Opus recording sent through age comes out of `age -d` as a file opusinfo accepts.
    @Test func anExportedRecordingThroughAge() async throws {
        let directory = try TemporaryDirectory("sotto-age")
        let identity = directory.file("identity.txt")
        try await Fixtures.run("/usr/bin/age-keygen", ["-o", identity])
        let recipient = try await Fixtures.run("/usr/bin/age-keygen", ["-y", identity])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let audio = try RecordingExporter.render(
            metadata: Fixtures.metadata(),
            entries: Fixtures.entries(
                Fixtures.pcmuPackets(leg: .pbx, hertz: 440, seconds: 1),
                Fixtures.opusPackets(leg: .softphone, hertz: 1000, seconds: 1)),
            cut: false, format: .ogg)
        let sealed = directory.file("call.ogg.age")
        try Data(try AgeFile.encrypt(audio.bytes, to: recipient)).write(to: URL(fileURLWithPath: sealed))
        let opened = directory.file("call.ogg")
        try await Fixtures.run("/usr/bin/age", ["-d", "-i", identity, "-o", opened, sealed])
        let info = try await Fixtures.run("/usr/bin/opusinfo", [opened])
        #expect(info.contains("Channels: 2"))
    }

    /// A recipient whose checksum does not match is refused (one character changed, so it is still bech32).
    @Test func aWrongChecksumIsRefused() async throws {
        let directory = try TemporaryDirectory("sotto-age")
        let identity = directory.file("identity.txt")
        try await Fixtures.run("/usr/bin/age-keygen", ["-o", identity])
        let recipient = try await Fixtures.run("/usr/bin/age-keygen", ["-y", identity])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var characters = Array(recipient)
        characters[10] = characters[10] == "q" ? "p" : "q"
        #expect(throws: ExportError.badRecipient("checksum does not match")) {
            try AgeFile.encrypt([1, 2, 3], to: String(characters))
        }
    }

    /// Mixed case, another prefix, a key of the wrong length, and a low-order point are each refused.
    @Test func otherBadRecipientsAreRefused() throws {
        let key = [UInt8](repeating: 9, count: 32)
        let good = Fixtures.bech32(hrp: "age", data: key)
        #expect(throws: Never.self) { try AgeFile.encrypt([1], to: good) }
        #expect(throws: Never.self) { try AgeFile.encrypt([1], to: good.uppercased()) }
        let mixed = "A" + good.dropFirst()
        #expect(throws: ExportError.badRecipient("mixed upper and lower case")) { try AgeFile.encrypt([1], to: mixed) }
        #expect(throws: ExportError.badRecipient("prefix is \"sotto1\", not \"age1\"")) {
            try AgeFile.encrypt([1], to: Fixtures.bech32(hrp: "sotto", data: key))
        }
        #expect(throws: ExportError.badRecipient("key is 31 bytes, not 32")) {
            try AgeFile.encrypt([1], to: Fixtures.bech32(hrp: "age", data: Array(key.prefix(31))))
        }
        let valid = Array(Fixtures.bech32(hrp: "age", data: key).utf8.dropFirst(4).dropLast(6))
        var values = valid.map { UInt8(Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8).firstIndex(of: $0)!) }
        values[values.count - 1] |= 1
        #expect(throws: ExportError.badRecipient("non-zero padding bits")) {
            try AgeFile.encrypt([1], to: Fixtures.bech32(hrp: "age", values: values))
        }
        // The all-zero point: every key agreement with it gives an all-zero secret.
        #expect(throws: ExportError.self) {
            try AgeFile.encrypt([1], to: Fixtures.bech32(hrp: "age", data: [UInt8](repeating: 0, count: 32)))
        }
    }

    /// BIP 173's own valid and invalid vectors.
    @Test func bip173Vectors() throws {
        #expect(try Bech32.decode("A12UEL5L").hrp == "a")
        #expect(try Bech32.decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw").hrp == "abcdef")
        for invalid in ["pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v", "li1dgmt3", "A1G7SGD8", "10a06t8", "1qzzfhee"] {
            #expect(throws: ExportError.self, "\(invalid)") { try Bech32.decode(invalid) }
        }
    }
}
