import Crypto
import Foundation
import Recording
import Testing

@Suite struct ContainerTests {
    static let id = "01J8ZQ4X7K2M3N4P5Q6R7S8T9V"
    let key = DataKeySealing.newDataKey()

    /// A sealed file and where each chunk starts.
    struct Sealed {
        var file: [UInt8]
        var headerBytes: Int
        var chunks: [[UInt8]]  // each chunk's bytes (preamble + ciphertext + tag)
        var plaintexts: [[UInt8]]

        func joined(_ order: [Int], extra: [UInt8] = []) -> [UInt8] {
            Array(file.prefix(headerBytes)) + order.flatMap { chunks[$0] } + extra
        }
    }

    static func seal(id: String = ContainerTests.id, key: SymmetricKey, count: Int = 4, finish: Bool = true) throws
        -> Sealed
    {
        let writer = try ContainerWriter(recordingID: id, keyID: "0123456789abcdef,fedcba9876543210", dataKey: key)
        var plaintexts: [[UInt8]] = []
        var chunks: [[UInt8]] = []
        for index in 0..<count {
            var plaintext: [UInt8] = []
            if index == 0 { try RecordingRecords.encode(metadata: RecordingRecordsTests.metadata, into: &plaintext) }
            for n in 0..<5 {
                RecordingRecords.encode(.packet(RecordingRecordsTests.packet(index * 5 + n)), into: &plaintext)
            }
            plaintexts.append(plaintext)
            chunks.append(try writer.seal(chunk: plaintext, final: finish && index == count - 1))
        }
        let header = writer.header()
        return Sealed(
            file: header + chunks.flatMap { $0 }, headerBytes: header.count, chunks: chunks, plaintexts: plaintexts)
    }

    func read(_ file: [UInt8], id: String = ContainerTests.id) -> ContainerReadResult {
        ContainerReader.read(file, dataKey: key, expectedID: id)
    }

    @Test func roundTrip() throws {
        let sealed = try Self.seal(key: key)
        let result = read(sealed.file)
        #expect(result.verdict == .complete)
        #expect(result.plaintextChunks == sealed.plaintexts)
        let decoded = try RecordingRecords.decode(result.plaintext)
        #expect(decoded.metadata == RecordingRecordsTests.metadata)
        #expect(decoded.entries.count == 20)
        #expect(result.header?.recordingID == Self.id)
    }

    @Test func anEmptyFinalChunkCloses() throws {
        let writer = try ContainerWriter(recordingID: Self.id, keyID: "", dataKey: key)
        let file =
            writer.header() + (try writer.seal(chunk: [1, 2, 3], final: false))
            + (try writer.seal(chunk: [], final: true))
        let result = read(file)
        #expect(result.verdict == .complete)
        #expect(result.plaintextChunks == [[1, 2, 3], []])
    }

    @Test func theHeaderReadsWithoutTheKey() throws {
        let sealed = try Self.seal(key: key)
        let header = try ContainerReader.header(of: sealed.file)
        #expect(header.recordingID == Self.id)
        #expect(header.version == 1)
        #expect(header.keyID == "0123456789abcdef,fedcba9876543210")
        #expect(header.byteCount == sealed.headerBytes)
        #expect(header.byteCount == 8 + 1 + 1 + 26 + 1 + 33 + 7)
        #expect(Array(sealed.file.prefix(8)) == Array("SOTTOREC".utf8))
        // The preamble of chunk 1: id hash, index 1, not final, length.
        let chunk = sealed.chunks[1]
        #expect(Array(chunk.prefix(8)) == Array(SHA256.hash(data: Array(Self.id.utf8)).prefix(8)))
        #expect(Array(chunk[8..<13]) == [0, 0, 0, 1, 0])
        let length = Int(chunk[13]) << 24 | Int(chunk[14]) << 16 | Int(chunk[15]) << 8 | Int(chunk[16])
        #expect(length == sealed.plaintexts[1].count + 16)
        #expect(chunk.count == 17 + length)
        #expect(throws: VaultCryptoError(.header, "")) { try ContainerReader.header(of: Array("RIFF0000WAVE".utf8)) }
    }

    @Test func aFlippedBitIsAlteredAtItsChunk() throws {
        let sealed = try Self.seal(key: key)
        for (chunk, byte) in [(1, 17 + 3), (1, sealed.chunks[1].count - 1), (2, 12)] {
            var chunks = sealed.chunks
            chunks[chunk][byte] ^= 0x10
            var file = sealed
            file.chunks = chunks
            let result = read(file.joined([0, 1, 2, 3]))
            if byte == 12 {
                // The final flag in the clear preamble: authenticated through the nonce and the AAD.
                #expect(result.verdict == .tampered(chunk: chunk, reason: "chunk \(chunk) has final flag 16"))
            } else {
                #expect(
                    result.verdict == .tampered(chunk: chunk, reason: "chunk \(chunk) does not authenticate: altered"))
            }
            #expect(result.plaintextChunks == Array(sealed.plaintexts.prefix(chunk)))
        }
    }

    @Test func aChunkClaimingToBeFinalIsAltered() throws {
        let sealed = try Self.seal(key: key)
        var chunks = sealed.chunks
        chunks[1][12] = 1  // chunk 1 says it is the last; the file is cut after it
        var file = sealed
        file.chunks = chunks
        let result = read(file.joined([0, 1]))
        #expect(result.verdict == .tampered(chunk: 1, reason: "chunk 1 does not authenticate: altered"))
    }

    @Test func theHeaderIsAuthenticatedInEveryChunk() throws {
        let sealed = try Self.seal(key: key)
        var file = sealed.file
        file[sealed.headerBytes - 8] ^= 1  // the last byte of the key ids
        #expect(read(file).verdict == .tampered(chunk: 0, reason: "chunk 0 does not authenticate: altered"))
        file = sealed.file
        file[sealed.headerBytes - 1] ^= 1  // the nonce prefix
        #expect(read(file).verdict == .tampered(chunk: 0, reason: "chunk 0 does not authenticate: altered"))
    }

    @Test func aWrongDataKeyDoesNotAuthenticate() throws {
        let sealed = try Self.seal(key: key)
        let result = ContainerReader.read(sealed.file, dataKey: DataKeySealing.newDataKey(), expectedID: Self.id)
        #expect(result.verdict == .tampered(chunk: 0, reason: "chunk 0 does not authenticate: altered"))
        #expect(result.plaintextChunks.isEmpty)
    }

    @Test func reorderedChunksAreNamed() throws {
        let sealed = try Self.seal(key: key)
        let result = read(sealed.joined([0, 2, 1, 3]))
        #expect(result.verdict == .tampered(chunk: 1, reason: "chunk at position 1 is chunk 2: reordered"))
        #expect(result.plaintextChunks == [sealed.plaintexts[0]])
        let repeated = read(sealed.joined([0, 1, 1, 2, 3]))
        #expect(repeated.verdict == .tampered(chunk: 2, reason: "chunk at position 2 is chunk 1: reordered"))
    }

    @Test func aChunkWithItsIndexRewrittenDoesNotAuthenticateElsewhere() throws {
        let sealed = try Self.seal(key: key)
        var chunks = sealed.chunks
        chunks[2][11] = 1  // chunk 2 now claims index 1 and is put at position 1
        var file = sealed
        file.chunks = chunks
        let result = read(file.joined([0, 2, 3]))
        #expect(result.verdict == .tampered(chunk: 1, reason: "chunk 1 does not authenticate: altered"))
    }

    @Test func droppedChunksAreNamed() throws {
        let sealed = try Self.seal(key: key, count: 5)
        #expect(read(sealed.joined([0, 2, 3, 4])).verdict == .tampered(chunk: 1, reason: "chunk 1 is missing"))
        #expect(read(sealed.joined([0, 3, 4])).verdict == .tampered(chunk: 1, reason: "chunks 1..2 are missing"))
        #expect(read(sealed.joined([1, 2, 3, 4])).verdict == .tampered(chunk: 0, reason: "chunk 0 is missing"))
    }

    @Test func aChunkFromAnotherRecordingIsNamed() throws {
        let sealed = try Self.seal(key: key)
        let other = try Self.seal(id: "01J8ZQ4X7K2M3N4P5Q6R7S8T9W", key: DataKeySealing.newDataKey())
        var file = sealed
        file.chunks[2] = other.chunks[2]
        let result = read(file.joined([0, 1, 2, 3]))
        #expect(result.verdict == .tampered(chunk: 2, reason: "chunk 2 belongs to another recording"))
        #expect(result.plaintextChunks == Array(sealed.plaintexts.prefix(2)))
        // Its id hash rewritten to pass as ours, it still does not authenticate.
        file.chunks[2].replaceSubrange(0..<8, with: sealed.chunks[2].prefix(8))
        #expect(
            read(file.joined([0, 1, 2, 3])).verdict
                == .tampered(chunk: 2, reason: "chunk 2 does not authenticate: altered"))
    }

    @Test func aWholeFileOfAnotherRecordingIsRefused() throws {
        let other = try Self.seal(id: "01J8ZQ4X7K2M3N4P5Q6R7S8T9W", key: key)
        let result = read(other.file)
        #expect(
            result.verdict == .unreadable(reason: "the file is recording 01J8ZQ4X7K2M3N4P5Q6R7S8T9W, not \(Self.id)"))
        #expect(result.plaintextChunks.isEmpty)
    }

    @Test func noFinalChunkIsCut() throws {
        let sealed = try Self.seal(key: key)
        let result = read(sealed.joined([0, 1, 2]))
        #expect(result.verdict == .cut(afterChunk: 2, reason: "no final chunk: the recording ends after chunk 2"))
        #expect(result.plaintextChunks == Array(sealed.plaintexts.prefix(3)))
        let unfinished = try Self.seal(key: key, finish: false)
        #expect(
            read(unfinished.file).verdict
                == .cut(afterChunk: 3, reason: "no final chunk: the recording ends after chunk 3"))
    }

    @Test func aPartialChunkAtTheEndIsCut() throws {
        let sealed = try Self.seal(key: key)
        let partial = sealed.joined([0, 1]) + sealed.chunks[2].prefix(40)
        let result = read(partial)
        #expect(
            result.verdict
                == .cut(
                    afterChunk: 1,
                    reason:
                        "a partial chunk 2 at the end (23 of \(sealed.chunks[2].count - 17) bytes): an unfinished write"
                ))
        #expect(result.plaintextChunks == Array(sealed.plaintexts.prefix(2)))
        let short = read(sealed.joined([0]) + sealed.chunks[1].prefix(5))
        #expect(
            short.verdict
                == .cut(
                    afterChunk: 0, reason: "a partial chunk of 5 bytes at the end after chunk 0: an unfinished write"))
        let zeros = read(sealed.joined([0, 1], extra: [UInt8](repeating: 0, count: 4096)))
        #expect(
            zeros.verdict
                == .cut(
                    afterChunk: 1,
                    reason: "a zero-filled tail of 4096 bytes at the end after chunk 1: an unfinished write"))
    }

    /// Cut anywhere, a file reads as cut (or unreadable inside the magic? no: a prefix of the magic is a cut too),
    /// never complete and never tampered, and what it returns is the chunks whole before the cut.
    @Test func everyTruncationIsCutWithTheWholeChunksBeforeIt() throws {
        let sealed = try Self.seal(key: key, count: 3)
        var ends: [Int] = []
        var end = sealed.headerBytes
        for chunk in sealed.chunks {
            end += chunk.count
            ends.append(end)
        }
        for length in 0..<sealed.file.count {
            let result = read(Array(sealed.file.prefix(length)))
            guard case .cut(let after, _) = result.verdict else {
                Issue.record("length \(length): \(result.verdict)")
                continue
            }
            let whole = ends.filter { $0 <= length }.count
            #expect(after == whole - 1, "length \(length)")
            #expect(result.plaintextChunks == Array(sealed.plaintexts.prefix(whole)), "length \(length)")
        }
    }

    @Test func bytesAfterTheFinalChunkAreTampering() throws {
        let sealed = try Self.seal(key: key)
        let result = read(sealed.file + [1, 2, 3])
        #expect(result.verdict == .tampered(chunk: 4, reason: "3 bytes follow the final chunk 3"))
        #expect(result.plaintextChunks == sealed.plaintexts)
    }

    @Test func aChunkClaimingTooManyBytesIsRefusedBeforeReadingIt() throws {
        let sealed = try Self.seal(key: key)
        var chunks = sealed.chunks
        chunks[1].replaceSubrange(13..<17, with: [0x7F, 0xFF, 0xFF, 0xFF])
        var file = sealed
        file.chunks = chunks
        let result = read(file.joined([0, 1, 2, 3]))
        #expect(
            result.verdict == .tampered(chunk: 1, reason: "chunk 1 claims 2147483647 bytes (allowed 16...16777232)"))
    }

    @Test func aWrongHeaderIsUnreadable() throws {
        let sealed = try Self.seal(key: key)
        var file = sealed.file
        file[8] = 2
        #expect(read(file).verdict == .unreadable(reason: "format version 2, but this reader knows version 1"))
        #expect(throws: VaultCryptoError(.header, "")) { try ContainerReader.header(of: file) }
        file = sealed.file
        file[0] = UInt8(ascii: "X")
        #expect(
            read(file).verdict == .unreadable(reason: "not a Sotto recording (the file does not start with SOTTOREC)"))
        file = sealed.file
        file[9] = 0  // an empty recording id
        #expect(read(file).verdict == .unreadable(reason: "the header's recording id is 0 bytes (allowed 1...128)"))
        #expect(
            read([]).verdict == .cut(afterChunk: -1, reason: "the file ends inside the header: no chunk was written"))
        #expect(
            ContainerReader.read(sealed.file, dataKey: SymmetricKey(size: .bits128), expectedID: Self.id).verdict
                == .unreadable(reason: "a data key is 256 bits, not 128"))
    }

    @Test func theWriterRefusesWhatTheReaderWould() throws {
        #expect(throws: VaultCryptoError(.writer, "")) { try ContainerWriter(recordingID: "", keyID: "", dataKey: key) }
        #expect(throws: VaultCryptoError(.writer, "")) {
            try ContainerWriter(recordingID: "a b", keyID: "", dataKey: key)
        }
        #expect(throws: VaultCryptoError(.writer, "")) {
            try ContainerWriter(recordingID: String(repeating: "a", count: 129), keyID: "", dataKey: key)
        }
        #expect(throws: VaultCryptoError(.writer, "")) {
            try ContainerWriter(recordingID: "r", keyID: "", dataKey: SymmetricKey(size: .bits128))
        }
        let writer = try ContainerWriter(recordingID: "r", keyID: "", dataKey: key)
        #expect(throws: VaultCryptoError(.writer, "")) {
            try writer.seal(
                chunk: [UInt8](repeating: 0, count: SealedContainer.maximumChunkPlaintextBytes + 1), final: false)
        }
        _ = try writer.seal(chunk: [1], final: true)
        #expect(writer.chunksSealed == 1)
        #expect(throws: VaultCryptoError(.writer, "")) { try writer.seal(chunk: [2], final: false) }
    }

    @Test func twoWritersForOneKeyUseDifferentNoncePrefixes() throws {
        let first = try ContainerWriter(recordingID: "r", keyID: "", dataKey: key).header()
        let second = try ContainerWriter(recordingID: "r", keyID: "", dataKey: key).header()
        #expect(first.prefix(first.count - 7) == second.prefix(second.count - 7))
        #expect(first.suffix(7) != second.suffix(7))
    }

    /// Random changes to a sealed file (flipped bytes, cuts, inserted or removed runs) never crash the reader,
    /// never read as complete, and never return a chunk that is not one of the file's own, in its place.
    @Test func randomDamageIsNeverComplete() throws {
        let sealed = try Self.seal(key: key, count: 3)
        var generator = SeededGenerator(seed: 0x5077_0002)
        for _ in 0..<1500 {
            var file = sealed.file
            switch Int.random(in: 0..<4, using: &generator) {
            case 0:
                let at = Int.random(in: 0..<file.count, using: &generator)
                file[at] ^= UInt8.random(in: 1...255, using: &generator)
            case 1:
                file.removeLast(Int.random(in: 1...file.count, using: &generator))
            case 2:
                let at = Int.random(in: 0...file.count, using: &generator)
                let run = (0..<Int.random(in: 1...40, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                file.insert(contentsOf: run, at: at)
            default:
                let at = Int.random(in: 0..<file.count, using: &generator)
                file.removeSubrange(at..<min(file.count, at + Int.random(in: 1...40, using: &generator)))
            }
            let result = read(file)
            #expect(result.verdict != .complete)
            #expect(sealed.plaintexts.starts(with: result.plaintextChunks))
        }
    }

}
