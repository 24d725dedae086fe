import AdminProtocol
import Crypto
import Foundation
import Recording
import RecordingExport

/// What `recordings export` fetched from the relay and what the officer asked for: the input of the local export.
struct LocalExportRequest {
    /// The row, the sealed data keys (base64 of the index's blob) and the file's size, from `recordings-export`.
    var export: AdminRecordingExport
    /// The whole sealed container file, read through `recordings-read` (its size and SHA-256 already checked
    /// against the row).
    var container: [UInt8]
    /// The officer's identity (private key) file: `--identity`.
    var identityPath: String
    /// The audio format to render.
    var format: ExportFormat
    /// `--to-age`: the audio is written as an age v1 file to this `age1...` recipient; nil: plain audio.
    var ageRecipient: String?
}

/// What the local export made: the bytes to write, and what to tell the officer.
struct LocalExportResult {
    /// The audio file (or the age file holding it).
    var bytes: [UInt8]
    var durationSeconds: Double
    /// Whether the recording was cut (a crash, or a truncated file): everything up to the cut is exported.
    var cut: Bool
    /// One sentence on how the container read: `complete`, or where and why it was cut.
    var verdict: String
    /// The paused and masked spans, as the markers list them.
    var markers: [String]
}

/// Opens the data key with the identity, reads and checks the container, renders the audio and (with a recipient)
/// wraps it in an age file, all here on the officer's side: the relay never sees the key or the audio.
///
/// A tampered container (a chunk altered, reordered, missing, or from another recording) is refused with the
/// reader's reason; a cut one (a crash, a full disk) is exported up to its last whole chunk and said to be cut.
func exportLocally(_ request: LocalExportRequest) throws -> LocalExportResult {
    let id = request.export.recording.id
    let identity: RecordingIdentity
    do {
        identity = try RecordingIdentity.load(path: request.identityPath)
    } catch {
        throw SottoctlError(.export, "\(request.identityPath) is not a recording identity: \(error)")
    }
    guard let blob = Data(base64Encoded: request.export.sealedKeys),
        let sealed = try? JSONDecoder().decode([SealedDataKey].self, from: blob)
    else {
        throw SottoctlError(.export, "recording \(id): the relay sent no sealed data key (shredded?)")
    }
    let dataKey: SymmetricKey
    do {
        dataKey = try DataKeySealing.open(sealed, identity: identity, recordingID: id)
    } catch {
        throw SottoctlError(.export, "recording \(id): \(error)")
    }
    let read = ContainerReader.read(request.container, dataKey: dataKey, expectedID: id)
    let verdict: String
    let cut: Bool
    switch read.verdict {
    case .complete:
        (verdict, cut) = ("complete", false)
    case .cut(_, let reason):
        (verdict, cut) = (reason, true)
    case .tampered(let chunk, let reason):
        throw SottoctlError(.export, "recording \(id) was tampered with at chunk \(chunk): \(reason); not exported")
    case .unreadable(let reason):
        throw SottoctlError(.export, "recording \(id) cannot be read: \(reason)")
    }
    do {
        let decoded = try RecordingRecords.decode(read.plaintext)
        guard let metadata = decoded.metadata else {
            throw SottoctlError(.export, "recording \(id) holds no metadata (cut before its first chunk)")
        }
        let audio = try RecordingExporter.render(
            metadata: metadata, entries: decoded.entries, cut: cut, format: request.format)
        let bytes = try request.ageRecipient.map { try AgeFile.encrypt(audio.bytes, to: $0) } ?? audio.bytes
        return LocalExportResult(
            bytes: bytes, durationSeconds: audio.durationSeconds, cut: cut, verdict: verdict,
            markers: audio.markers.map(\.text))
    } catch let error as SottoctlError {
        throw error
    } catch {
        throw SottoctlError(.export, "recording \(id): \(error)")
    }
}
