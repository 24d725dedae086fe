/// The recordings commands' results: plain Codable values, the same for the server, `sottoctl` and scripts.

/// One recording as the index knows it (`recordings-list`, `recordings-show`). Times are ISO-8601 in UTC.
public struct AdminRecording: Codable, Sendable, Equatable {
    /// The recording id (what the other recordings commands take).
    public var id: String
    /// The call's SIP Call-ID.
    public var callID: String
    /// The caller and callee (From and To URIs) and the request URI.
    public var caller: String
    public var callee: String
    public var requestURI: String?
    /// When it started and ended (nil while it is still being recorded).
    public var started: String
    public var ended: String?
    public var durationSeconds: Double
    /// The codecs captured, as the index lists them (`PCMU/8000`, `opus/48000/2`).
    public var codecs: String
    /// The sealed file's size in bytes, and its SHA-256 (hex) once the recording is complete or cut.
    public var sizeBytes: UInt64
    public var sha256: String?
    /// `recording`, `complete`, `cut` or `shredded`.
    public var state: String
    /// Whether it is on legal hold (retention does not shred it).
    public var legalHold: Bool
    /// When retention shreds it, unless it is on hold.
    public var deadline: String
    /// The ids of the recipients' keys its data key is sealed to.
    public var recipientKeyIDs: [String]

    public init(
        id: String, callID: String, caller: String, callee: String, requestURI: String? = nil, started: String,
        ended: String?, durationSeconds: Double, codecs: String, sizeBytes: UInt64, sha256: String?, state: String,
        legalHold: Bool, deadline: String, recipientKeyIDs: [String]
    ) {
        self.id = id
        self.callID = callID
        self.caller = caller
        self.callee = callee
        self.requestURI = requestURI
        self.started = started
        self.ended = ended
        self.durationSeconds = durationSeconds
        self.codecs = codecs
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
        self.state = state
        self.legalHold = legalHold
        self.deadline = deadline
        self.recipientKeyIDs = recipientKeyIDs
    }
}

/// What the relay hands out for one export: the row, the data key sealed to the recipients (which the relay
/// itself cannot open) and the size of the sealed file the reads will fetch.
public struct AdminRecordingExport: Codable, Sendable, Equatable {
    public var recording: AdminRecording
    /// The index's sealed data keys, as stored (JSON of the sealed keys), in base64.
    public var sealedKeys: String
    /// The sealed file's size in bytes now: reads are bounded by it.
    public var sizeBytes: UInt64

    public init(recording: AdminRecording, sealedKeys: String, sizeBytes: UInt64) {
        self.recording = recording
        self.sealedKeys = sealedKeys
        self.sizeBytes = sizeBytes
    }
}

/// `recordings-export`: the export, and the token that lets this connection read the sealed file.
public struct AdminRecordingExportGrant: Codable, Sendable, Equatable {
    public var export: AdminRecordingExport
    /// One token for `recordings-read`, valid only on the connection that asked for it, until it closes or
    /// `expiresInSeconds` pass.
    public var token: String
    public var expiresInSeconds: Int
    /// The most bytes one `recordings-read` returns.
    public var maxReadBytes: Int

    public init(export: AdminRecordingExport, token: String, expiresInSeconds: Int, maxReadBytes: Int) {
        self.export = export
        self.token = token
        self.expiresInSeconds = expiresInSeconds
        self.maxReadBytes = maxReadBytes
    }
}

/// `recordings-read`: bytes of the sealed file from `offset`.
public struct AdminRecordingBytes: Codable, Sendable, Equatable {
    public var offset: UInt64
    /// The bytes, base64; fewer than asked for at the end of the file (none at its very end).
    public var data: String
    /// Whether these bytes reach the end of the file.
    public var end: Bool

    public init(offset: UInt64, data: String, end: Bool) {
        self.offset = offset
        self.data = data
        self.end = end
    }

    /// The most bytes one read may ask for (256 KiB: about 342 KiB of base64 in one reply line).
    public static let maxLength = 256 * 1024
}
