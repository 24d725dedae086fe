import Crypto
import Foundation

/// The sealed container's layout and limits, shared by ``ContainerWriter`` and ``ContainerReader`` (the byte
/// diagrams are in docs/recording.md, "The container").
///
/// ```
/// header   = "SOTTOREC" (8) | version (1) = 1 | id length (1) | recording id | key ids length (1) | key ids
///            | nonce prefix (7)
/// chunk    = preamble (17) | AES-256-GCM ciphertext | tag (16)
/// preamble = SHA-256(recording id)[0..<8] (8) | chunk index (4, BE) | final (1: 0 or 1) | ciphertext+tag length (4, BE)
/// nonce    = nonce prefix (7) | chunk index (4, BE) | final (1)          (STREAM, Hoang-Reyhanitabar-Rogaway-Vizar)
/// AAD      = the whole header | the chunk's preamble
/// ```
public enum SealedContainer {
    /// The file's first 8 bytes.
    public static let magic: [UInt8] = Array("SOTTOREC".utf8)
    /// The format version this code writes and reads.
    public static let version: UInt8 = 1
    /// The longest recording id the header holds (ids are 26-character base32 or 36-character UUID text).
    public static let maximumIDBytes = 128
    /// The longest key id list the header holds (16 ids of 16 hex digits with commas fit).
    public static let maximumKeyIDBytes = 255
    /// Bytes of the random nonce prefix.
    public static let noncePrefixBytes = 7
    /// Bytes of a chunk's clear preamble.
    public static let preambleBytes = 17
    /// Bytes of an AES-GCM tag.
    public static let tagBytes = 16
    /// The largest plaintext one chunk may hold: 30 s (the longest chunk interval) of two legs at 50 packets a
    /// second of full 1500-byte payloads is under 5 MiB; a reader refuses a chunk that claims more before
    /// allocating anything for it.
    public static let maximumChunkPlaintextBytes = 16 * 1024 * 1024

    /// The first 8 bytes of the SHA-256 of the recording id: in every chunk's preamble, so a chunk moved in from
    /// another recording is named as such before it is even decrypted.
    static func idHash(_ recordingID: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(recordingID.utf8)).prefix(8))
    }

    /// A recording id or key id list is printable ASCII without spaces: safe in a file name, a log and the header.
    static func isPrintableToken(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    static func nonce(prefix: [UInt8], index: UInt32, final: Bool) throws -> AES.GCM.Nonce {
        var bytes = prefix
        RecordingRecords.appendBigEndian(index, into: &bytes)
        bytes.append(final ? 1 : 0)
        return try AES.GCM.Nonce(data: bytes)
    }

    static func preamble(idHash: [UInt8], index: UInt32, final: Bool, length: Int) -> [UInt8] {
        var bytes = idHash
        RecordingRecords.appendBigEndian(index, into: &bytes)
        bytes.append(final ? 1 : 0)
        RecordingRecords.appendBigEndian(UInt32(length), into: &bytes)
        return bytes
    }
}

/// What a container's header says, readable without the key (``ContainerReader/header(of:)``).
public struct ContainerHeader: Sendable, Hashable {
    /// The recording's id.
    public var recordingID: String
    /// The format version.
    public var version: UInt8
    /// The recipients' key ids the data key was sealed to, comma-separated (``RecipientSet/keyIDs``).
    public var keyID: String
    /// The random nonce prefix.
    public var noncePrefix: [UInt8]
    /// The header's length in bytes (where chunk 0 starts).
    public var byteCount: Int

    /// The header's bytes, as the writer writes them and as every chunk authenticates them.
    var bytes: [UInt8] {
        var out = SealedContainer.magic
        out.append(version)
        out.append(UInt8(recordingID.utf8.count))
        out.append(contentsOf: recordingID.utf8)
        out.append(UInt8(keyID.utf8.count))
        out.append(contentsOf: keyID.utf8)
        out.append(contentsOf: noncePrefix)
        return out
    }

    enum Parsed {
        case header(ContainerHeader)
        /// The file ends inside a header that is right so far (a crash before the header was written whole).
        case short
        case invalid(String)
    }

    static func parse(_ file: [UInt8]) -> Parsed {
        let magic = SealedContainer.magic
        guard file.count >= magic.count else {
            return file.elementsEqual(magic.prefix(file.count)) ? .short : .invalid("not a Sotto recording")
        }
        guard file.prefix(magic.count).elementsEqual(magic) else {
            return .invalid("not a Sotto recording (the file does not start with SOTTOREC)")
        }
        var offset = magic.count
        guard offset < file.count else { return .short }
        let version = file[offset]
        guard version == SealedContainer.version else {
            return .invalid("format version \(version), but this reader knows version \(SealedContainer.version)")
        }
        offset += 1
        var fields: [String] = []
        for (name, limit, minimum) in [
            ("recording id", SealedContainer.maximumIDBytes, 1), ("key ids", SealedContainer.maximumKeyIDBytes, 0),
        ] {
            guard offset < file.count else { return .short }
            let length = Int(file[offset])
            guard length >= minimum, length <= limit else {
                return .invalid("the header's \(name) is \(length) bytes (allowed \(minimum)...\(limit))")
            }
            offset += 1
            guard file.count - offset >= length else { return .short }
            let text = String(decoding: file[offset..<offset + length], as: UTF8.self)
            guard SealedContainer.isPrintableToken(text) || text.isEmpty else {
                return .invalid("the header's \(name) is not printable ASCII")
            }
            fields.append(text)
            offset += length
        }
        guard file.count - offset >= SealedContainer.noncePrefixBytes else { return .short }
        let prefix = Array(file[offset..<offset + SealedContainer.noncePrefixBytes])
        offset += SealedContainer.noncePrefixBytes
        return .header(
            ContainerHeader(
                recordingID: fields[0], version: version, keyID: fields[1], noncePrefix: prefix, byteCount: offset))
    }
}

/// Seals one recording's plaintext into the container, chunk by chunk (the writer side of the STREAM
/// construction). It returns bytes; the caller appends them to the file and syncs it.
///
/// Call ``header()`` once and write it first, then ``seal(chunk:final:)`` for each chunk in order, the last one
/// with `final: true`. Not thread-safe: one recording's writer is used from one queue.
///
/// Security: each recording has its own fresh data key, so nonces never repeat under a key as long as chunk
/// indices do not, which this class guarantees (it counts, and refuses after the final chunk or past 2³²−1
/// chunks). The 7-byte random prefix is defence in depth should a data key ever be reused.
public final class ContainerWriter {
    /// The recording's id.
    public let recordingID: String
    /// The recipients' key ids in the header.
    public let keyID: String
    private let dataKey: SymmetricKey
    private let headerBytes: [UInt8]
    private let noncePrefix: [UInt8]
    private let idHash: [UInt8]
    private var nextIndex: UInt64 = 0
    private var finished = false

    /// A writer for recording `recordingID` (1 to 128 bytes of printable ASCII), whose data key was sealed to the
    /// recipients `keyID` (``RecipientSet/keyIDs``, at most 255 bytes), with the 256-bit `dataKey`.
    public init(recordingID: String, keyID: String, dataKey: SymmetricKey) throws {
        guard (1...SealedContainer.maximumIDBytes).contains(recordingID.utf8.count),
            SealedContainer.isPrintableToken(recordingID)
        else {
            throw VaultCryptoError(.writer, "a recording id is 1 to 128 bytes of printable ASCII without spaces")
        }
        guard keyID.utf8.count <= SealedContainer.maximumKeyIDBytes,
            keyID.isEmpty || SealedContainer.isPrintableToken(keyID)
        else {
            throw VaultCryptoError(.writer, "the key ids are at most 255 bytes of printable ASCII without spaces")
        }
        guard dataKey.bitCount == 256 else {
            throw VaultCryptoError(.writer, "a data key is 256 bits, not \(dataKey.bitCount)")
        }
        var generator = SystemRandomNumberGenerator()
        let prefix = (0..<SealedContainer.noncePrefixBytes).map { _ in
            UInt8.random(in: .min ... .max, using: &generator)
        }
        self.recordingID = recordingID
        self.keyID = keyID
        self.dataKey = dataKey
        self.noncePrefix = prefix
        self.idHash = SealedContainer.idHash(recordingID)
        self.headerBytes =
            ContainerHeader(
                recordingID: recordingID, version: SealedContainer.version, keyID: keyID, noncePrefix: prefix,
                byteCount: 0
            ).bytes
    }

    /// The header's bytes: the start of the file.
    public func header() -> [UInt8] { headerBytes }

    /// How many chunks have been sealed.
    public var chunksSealed: Int { Int(nextIndex) }

    /// Seals the next chunk and returns its bytes (preamble, ciphertext, tag) to append to the file.
    ///
    /// Throws ``VaultCryptoError/Code/writer`` for a plaintext over ``SealedContainer/maximumChunkPlaintextBytes``,
    /// a chunk after the final one, or past the last chunk index.
    public func seal(chunk plaintext: [UInt8], final: Bool) throws -> [UInt8] {
        guard !finished else { throw VaultCryptoError(.writer, "the final chunk is already sealed") }
        guard plaintext.count <= SealedContainer.maximumChunkPlaintextBytes else {
            throw VaultCryptoError(
                .writer,
                "a chunk of \(plaintext.count) bytes, more than \(SealedContainer.maximumChunkPlaintextBytes)")
        }
        guard nextIndex <= UInt64(UInt32.max) else { throw VaultCryptoError(.writer, "no chunk index is left") }
        let index = UInt32(nextIndex)
        let preamble = SealedContainer.preamble(
            idHash: idHash, index: index, final: final, length: plaintext.count + SealedContainer.tagBytes)
        let box = try AES.GCM.seal(
            plaintext, using: dataKey, nonce: SealedContainer.nonce(prefix: noncePrefix, index: index, final: final),
            authenticating: headerBytes + preamble)
        var out = preamble
        out.reserveCapacity(preamble.count + plaintext.count + SealedContainer.tagBytes)
        out.append(contentsOf: box.ciphertext)
        out.append(contentsOf: box.tag)
        nextIndex += 1
        finished = final
        return out
    }
}
