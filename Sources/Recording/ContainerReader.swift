import Crypto
import Foundation

/// What reading a container found.
///
/// - ``complete``: every chunk authenticated, in order, and the last is flagged final with nothing after it.
/// - ``cut(afterChunk:reason:)``: the file ends early (no final chunk, a partial chunk at the end, or a
///   zero-filled tail from an unfinished write): what a crash or a full disk leaves. Every whole chunk before
///   the cut authenticated and is returned; `afterChunk` is the last one's index (-1 when there is none). The
///   export may go ahead and must say the recording was cut. Dropping the last chunks of a file is
///   indistinguishable from a crash (STREAM detects it as "no final chunk"), so it reads as cut too.
/// - ``tampered(chunk:reason:)``: a chunk is altered, reordered, missing, from another recording, or bytes
///   follow the final chunk. `chunk` is the position where reading stopped; the chunks before it authenticated
///   and are returned for diagnosis only: an export must refuse a tampered recording.
/// - ``unreadable(reason:)``: the header is not a Sotto recording, of an unknown version, of another recording
///   than the one asked for, or the data key is not 256 bits. Nothing is returned.
public enum ContainerVerdict: Sendable, Hashable {
    case complete
    case cut(afterChunk: Int, reason: String)
    case tampered(chunk: Int, reason: String)
    case unreadable(reason: String)
}

/// The chunks that authenticated, in order, and the verdict.
public struct ContainerReadResult: Sendable {
    /// The header, when it parsed.
    public var header: ContainerHeader?
    /// Each authenticated chunk's plaintext, from chunk 0, up to where reading stopped.
    public var plaintextChunks: [[UInt8]]
    /// What reading found (see ``ContainerVerdict`` for what the export may do with each).
    public var verdict: ContainerVerdict

    /// The chunks' plaintexts joined: what ``RecordingRecords/decode(_:)`` takes.
    public var plaintext: [UInt8] { plaintextChunks.flatMap { $0 } }
}

/// Reads a sealed container (the reader side of the STREAM construction): authenticates every chunk against
/// the header and its position, and names what is wrong when one does not.
///
/// Each chunk is opened with the nonce built from the position it is read at (not the index its clear preamble
/// claims), so a chunk authenticates only in its own place; the preamble's index and recording-id hash are used
/// only to name the failure (reordered, missing, from another recording) when it is not.
public enum ContainerReader {
    /// The header of `file`, without the key: for `recordings show` and for picking the identity.
    public static func header(of file: [UInt8]) throws -> ContainerHeader {
        switch ContainerHeader.parse(file) {
        case .header(let header): return header
        case .short: throw VaultCryptoError(.header, "the file ends inside the container's header")
        case .invalid(let reason): throw VaultCryptoError(.header, reason)
        }
    }

    /// Reads the whole container `file` of recording `expectedID` with its data key.
    public static func read(_ file: [UInt8], dataKey: SymmetricKey, expectedID: String) -> ContainerReadResult {
        let header: ContainerHeader
        switch ContainerHeader.parse(file) {
        case .header(let parsed): header = parsed
        case .short:
            return ContainerReadResult(
                header: nil, plaintextChunks: [],
                verdict: .cut(afterChunk: -1, reason: "the file ends inside the header: no chunk was written"))
        case .invalid(let reason):
            return ContainerReadResult(header: nil, plaintextChunks: [], verdict: .unreadable(reason: reason))
        }
        // The id in the header is authenticated by every chunk; checking it against the id the caller expects
        // (the index row's, whose sealed key gave dataKey) catches a whole file swapped for another recording's.
        guard header.recordingID == expectedID else {
            return ContainerReadResult(
                header: header, plaintextChunks: [],
                verdict: .unreadable(reason: "the file is recording \(header.recordingID), not \(expectedID)"))
        }
        guard dataKey.bitCount == 256 else {
            return ContainerReadResult(
                header: header, plaintextChunks: [],
                verdict: .unreadable(reason: "a data key is 256 bits, not \(dataKey.bitCount)"))
        }
        var reading = Reading(file: file, header: header, dataKey: dataKey)
        let verdict = reading.run()
        return ContainerReadResult(header: header, plaintextChunks: reading.chunks, verdict: verdict)
    }
}

/// One pass over the chunks.
private struct Reading {
    let file: [UInt8]
    let header: ContainerHeader
    let headerBytes: [UInt8]
    let dataKey: SymmetricKey
    let idHash: [UInt8]
    var chunks: [[UInt8]] = []

    init(file: [UInt8], header: ContainerHeader, dataKey: SymmetricKey) {
        self.file = file
        self.header = header
        self.headerBytes = Array(file[0..<header.byteCount])
        self.dataKey = dataKey
        self.idHash = SealedContainer.idHash(header.recordingID)
    }

    struct Preamble {
        var idHash: ArraySlice<UInt8>
        var index: UInt32
        var final: UInt8
        var length: Int
    }

    func preamble(at offset: Int) -> Preamble {
        Preamble(
            idHash: file[offset..<offset + 8], index: RecordingRecords.readBigEndian(file, at: offset + 8),
            final: file[offset + 12],
            length: Int(RecordingRecords.readBigEndian(file, at: offset + 13, as: UInt32.self)))
    }

    mutating func run() -> ContainerVerdict {
        var offset = header.byteCount
        var position = 0
        let maximumLength = SealedContainer.maximumChunkPlaintextBytes + SealedContainer.tagBytes
        while true {
            let left = file.count - offset
            let last = position - 1
            if left == 0 {
                return .cut(afterChunk: last, reason: "no final chunk: the recording ends after chunk \(last)")
            }
            // A crash can leave the end of a file as zeros (the size grew, the data never landed): that is an
            // unfinished write, not tampering. Cheap: it stops at the first non-zero byte, and a real preamble
            // starts with the recording id's hash.
            let zeroTail = file[offset...].allSatisfy { $0 == 0 }
            if left < SealedContainer.preambleBytes || zeroTail {
                let what = zeroTail ? "a zero-filled tail of \(left) bytes" : "a partial chunk of \(left) bytes"
                return .cut(afterChunk: last, reason: "\(what) at the end after chunk \(last): an unfinished write")
            }
            let pre = preamble(at: offset)
            guard pre.length >= SealedContainer.tagBytes, pre.length <= maximumLength else {
                return .tampered(
                    chunk: position,
                    reason: "chunk \(position) claims \(pre.length) bytes (allowed 16...\(maximumLength))")
            }
            guard pre.idHash.elementsEqual(idHash) else {
                return .tampered(chunk: position, reason: "chunk \(position) belongs to another recording")
            }
            guard pre.final <= 1 else {
                return .tampered(chunk: position, reason: "chunk \(position) has final flag \(pre.final)")
            }
            if Int(pre.index) != position {
                return .tampered(
                    chunk: position, reason: misplaced(position: position, claimed: Int(pre.index), at: offset))
            }
            let body = offset + SealedContainer.preambleBytes
            guard left - SealedContainer.preambleBytes >= pre.length else {
                return .cut(
                    afterChunk: last,
                    reason: "a partial chunk \(position) at the end (\(left - SealedContainer.preambleBytes) of "
                        + "\(pre.length) bytes): an unfinished write")
            }
            let final = pre.final == 1
            guard let plaintext = open(position: position, final: final, preambleAt: offset, length: pre.length) else {
                return .tampered(chunk: position, reason: "chunk \(position) does not authenticate: altered")
            }
            chunks.append(plaintext)
            offset = body + pre.length
            if final {
                let after = file.count - offset
                guard after == 0 else {
                    return .tampered(chunk: position + 1, reason: "\(after) bytes follow the final chunk \(position)")
                }
                return .complete
            }
            position += 1
            guard position <= Int(UInt32.max) else {
                return .tampered(chunk: position, reason: "more chunks than a container may hold")
            }
        }
    }

    /// Opens chunk `position` with the nonce of that position: it authenticates only there.
    func open(position: Int, final: Bool, preambleAt offset: Int, length: Int) -> [UInt8]? {
        let body = offset + SealedContainer.preambleBytes
        let tagStart = body + length - SealedContainer.tagBytes
        do {
            let nonce = try SealedContainer.nonce(prefix: header.noncePrefix, index: UInt32(position), final: final)
            let box = try AES.GCM.SealedBox(
                nonce: nonce, ciphertext: file[body..<tagStart], tag: file[tagStart..<body + length])
            let aad = headerBytes + file[offset..<body]
            return Array(try AES.GCM.open(box, using: dataKey, authenticating: aad))
        } catch {
            return nil
        }
    }

    /// Names a chunk whose preamble claims another index than its position: reordered when the chunk that
    /// belongs here is found further on (or the one here came earlier), missing when it is nowhere in the file.
    func misplaced(position: Int, claimed: Int, at offset: Int) -> String {
        if claimed > position && !laterIndices(from: offset).contains(position) {
            return claimed - 1 == position
                ? "chunk \(position) is missing" : "chunks \(position)..\(claimed - 1) are missing"
        }
        return "chunk at position \(position) is chunk \(claimed): reordered"
    }

    /// The indices the preambles from `offset` on claim, following their lengths while they make sense.
    func laterIndices(from start: Int) -> Set<Int> {
        var found: Set<Int> = []
        var offset = start
        while file.count - offset >= SealedContainer.preambleBytes {
            let pre = preamble(at: offset)
            guard pre.length <= file.count - offset - SealedContainer.preambleBytes else { break }
            found.insert(Int(pre.index))
            offset += SealedContainer.preambleBytes + pre.length
        }
        return found
    }
}
