import AdminProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What the relay shows and lets the admin socket change. The `sotto` executable implements it over its engines'
/// snapshots; the admin server never reaches into a relay loop itself (docs/architecture.md, "Layers and modules").
///
/// The server calls these off its socket queue, on a worker thread, one call at a time per connection but
/// possibly concurrently across connections; a call may block briefly (e.g. to gather a snapshot from
/// each media loop) without stalling other admin clients.
public protocol AdminBackend: Sendable {
    /// Sotto's version and start time.
    func version() -> AdminVersion
    /// Every live session.
    func sessions() -> [AdminSession]
    /// One live session, or nil if there is none with that id.
    func session(id: UInt64) -> AdminSession?
    /// Ends a call: BYE both ways, end reason `admin`. False if there is no such session (any more).
    func terminate(session id: UInt64) -> Bool
    /// Softphone registrations seen through Sotto.
    func registrations() -> [AdminRegistration]
    /// The relay's totals.
    func stats() -> AdminStats
    /// Sets the log level (`trace` ... `critical`) at once. False if `level` is not a level.
    func setLogLevel(_ level: String) -> Bool
    /// The effective configuration, section → key → value (each of its key's type), secrets already left out.
    func effectiveConfig() -> AdminConfig

    // MARK: Recordings

    /// Starts, stops, pauses or resumes recording live session `session`; `action` is `start`, `stop`, `pause` or
    /// `resume` (the server checked it is one of them).
    func recordingControl(session: UInt64, action: String) -> AdminRecordingControlResult
    /// The recordings in the index that started in `from..<to` (either end open when nil) whose caller or callee
    /// matches `party` (a pattern with `*`, else a substring), oldest first.
    func recordings(from: Date?, to: Date?, party: String?) -> [AdminRecording]
    /// One recording's row, or nil if the index has none with that id.
    func recording(id: String) -> AdminRecording?
    /// What an export needs from the relay: the row, the sealed data keys and the sealed file's size now; nil if
    /// there is no such recording. The server refuses a shredded recording, or one still being recorded, from the
    /// row's state before it hands out a token.
    func openRecording(id: String) -> AdminRecordingExport?
    /// Up to `length` bytes of recording `id`'s sealed file from `offset` (the server keeps both within the size
    /// `openRecording` gave); nil if the file cannot be read (shredded since, or an I/O error).
    func readRecording(id: String, offset: UInt64, length: Int) -> [UInt8]?
    /// Puts recording `id` on legal hold (`hold` true) or ends its hold. `reason` is already in the audit log.
    func holdRecording(id: String, hold: Bool, reason: String) -> AdminRecordingActionResult
    /// Shreds recording `id` now (the sealed key first, then the file); refused while it is on legal hold.
    /// `reason` is already in the audit log.
    func deleteRecording(id: String, reason: String) -> AdminRecordingActionResult
}
