import AdminProtocol
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
/// wraps it in an age file, all here on the officer's side.
///
/// Not wired yet: the recording vault's reader and renderer are joined here when the pieces meet (issue 16); until
/// then it refuses, so no export pretends to work.
func exportLocally(_ request: LocalExportRequest) throws -> LocalExportResult {
    throw SottoctlError(
        .export,
        "recording \(request.export.recording.id) was fetched (\(request.container.count) bytes), but this sottoctl "
            + "cannot open recordings yet: the local export is not wired")
}
