import Foundation

/// Where a recording is in its life. The index keeps the state of every recording it ever had, shredded ones
/// too: their metadata stays for the audit trail, their key and media are gone.
public enum RecordingState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Being written; a row left in this state by a crash becomes ``cut`` at the next start
    /// (``RecordingCatalog/recover()``).
    case recording
    /// Finished normally: the container's last chunk is flagged final.
    case complete
    /// Ended without its final chunk (a crash, a full disk): every complete chunk before the cut can be exported.
    case cut
    /// Past retention (or deleted by an auditor): the sealed data keys are destroyed and the file unlinked.
    case shredded
}

/// One recording in the index: what it is of, where its file is, the sealed data keys that open it, and when
/// retention destroys them.
///
/// The parties are kept here in the clear so that an auditor can search (`recordings list --party`); the
/// container holds them again, sealed, with the audio.
public struct RecordingRow: Sendable, Hashable, Codable {
    /// The recording's id: 26 characters of Crockford base32 from 128 random bits (``RecordingRow/newID()``).
    public var id: String
    /// The SIP Call-ID.
    public var callID: String
    /// The `From` URI.
    public var caller: String
    /// The `To` URI.
    public var callee: String
    /// The INVITE's request URI.
    public var requestURI: String
    /// When capture began.
    public var started: Date
    /// When capture ended; nil while recording.
    public var ended: Date?
    /// `ended - started`, in seconds; 0 while recording.
    public var durationSeconds: Double
    /// The codecs, as text (`PCMU/8000, telephone-event/8000`).
    public var codecs: String
    /// The file's size in bytes once finished.
    public var sizeBytes: Int64
    /// Lower-case hex SHA-256 of the whole file once finished (complete or cut).
    public var sha256: String?
    /// The data key sealed to each recipient, as the container's writer encoded it (opaque here); nil once
    /// shredded.
    public var sealedKeys: Data?
    /// The key ids of the recipients the data key is sealed to, comma-separated.
    public var recipientKeyIDs: String
    /// The retention period this recording was given (the config's, or a rule's override).
    public var retentionDays: Int
    /// When retention shreds it (`started + retentionDays`), unless on legal hold.
    public var deadline: Date
    /// Legal hold: while set, neither the sweeper nor `recordings delete` shreds the recording.
    public var legalHold: Bool
    /// Where it is in its life.
    public var state: RecordingState
    /// The container's file name in the store (`<id>.sotto`).
    public var fileName: String
    /// When it was shredded; nil until then.
    public var shreddedAt: Date?

    /// A row. `deadline` defaults to `started` plus `retentionDays` days; `fileName` to `<id>.sotto`.
    public init(
        id: String, callID: String, caller: String, callee: String, requestURI: String, started: Date,
        ended: Date? = nil, durationSeconds: Double = 0, codecs: String, sizeBytes: Int64 = 0, sha256: String? = nil,
        sealedKeys: Data?, recipientKeyIDs: String, retentionDays: Int, deadline: Date? = nil, legalHold: Bool = false,
        state: RecordingState = .recording, fileName: String? = nil, shreddedAt: Date? = nil
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
        self.sealedKeys = sealedKeys
        self.recipientKeyIDs = recipientKeyIDs
        self.retentionDays = retentionDays
        self.deadline = deadline ?? started.addingTimeInterval(Double(retentionDays) * 86_400)
        self.legalHold = legalHold
        self.state = state
        self.fileName = fileName ?? id + ".sotto"
        self.shreddedAt = shreddedAt
    }

    /// Crockford's base32 alphabet (no I, L, O, U): ids read aloud or typed by an auditor are not misread.
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A fresh recording id: 128 bits from the system's CSPRNG (`getrandom`) as 26 base32 characters. Random, not
    /// sequential, so an id says nothing about when or how many calls were recorded, and cannot be guessed.
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        var characters = [UInt8](repeating: 0, count: 26)
        // 130 bits of output for 128 of input: the first character carries the top 3 bits (values 0-7).
        for index in 0..<26 {
            let shift = (25 - index) * 5
            var value: UInt64 = 0
            if shift < 64 { value |= low >> UInt64(shift) }
            if shift > 59 && shift < 128 {
                let highShift = shift - 64
                value |= highShift >= 0 ? high >> UInt64(highShift) : high << UInt64(-highShift)
            }
            characters[index] = alphabet[Int(value & 31)]
        }
        return String(decoding: characters, as: UTF8.self)
    }

    /// Whether `text` has the form of an id ``newID()`` makes (26 characters of the alphabet): checked before an
    /// id from an admin request is used as a file name or a query argument.
    public static func isWellFormedID(_ text: String) -> Bool {
        text.utf8.count == 26 && text.utf8.allSatisfy { alphabet.contains($0) }
    }
}
