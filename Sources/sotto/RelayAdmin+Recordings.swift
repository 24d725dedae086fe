import Admin
import AdminProtocol
import Foundation
import Recording

/// The recordings commands over the vault's index and store (the admin server has checked the auditor role and the
/// reason, and audited the request, before any of these runs). The relay hands out sealed keys and sealed bytes
/// only: it holds nothing that opens them.
extension RelayAdminBackend {
    private static let notConfigured = "recording is not configured on this relay"
    /// The most rows one list returns.
    private static let listLimit = 10_000

    func recordingControl(session: UInt64, action: String) -> AdminRecordingControlResult {
        guard let recordings else { return .refused(Self.notConfigured) }
        guard let action = RelayRecorder.Action(rawValue: action) else {
            return .refused("the action is start, stop, pause or resume")
        }
        switch recordings.recorder.control(session: session, action: action) {
        case .done: return .done(state: recordings.recorder.state(session: session))
        case .noSession: return .noSuchSession
        case .refused(let reason): return .refused(reason)
        }
    }

    func recordings(from: Date?, to: Date?, party: String?) -> [AdminRecording] {
        let rows = (try? recordings?.index.list(from: from, to: to, party: party, limit: Self.listLimit)) ?? nil
        return (rows ?? []).map(Self.admin)
    }

    func recording(id: String) -> AdminRecording? {
        (try? recordings?.index.row(id: id)).flatMap { $0 }.map(Self.admin)
    }

    /// A finished recording's sealed keys and size; nil for one still being made (its file is still growing) or
    /// shredded (no key left).
    func openRecording(id: String) -> AdminRecordingExport? {
        guard let recordings, let row = try? recordings.index.row(id: id), row.state == .complete || row.state == .cut,
            let keys = row.sealedKeys, let size = try? recordings.store.size(row.fileName)
        else { return nil }
        return AdminRecordingExport(
            recording: Self.admin(row), sealedKeys: keys.base64EncodedString(), sizeBytes: UInt64(size))
    }

    func readRecording(id: String, offset: UInt64, length: Int) -> [UInt8]? {
        guard let recordings, let row = try? recordings.index.row(id: id), row.state != .shredded else { return nil }
        return try? recordings.store.read(row.fileName, offset: Int(clamping: offset), length: length)
    }

    func holdRecording(id: String, hold: Bool, reason: String) -> AdminRecordingActionResult {
        guard let recordings else { return .refused(Self.notConfigured) }
        guard let existing = try? recordings.index.row(id: id) else { return .notFound }
        guard existing.state != .shredded else { return .refused("recording \(id) was shredded") }
        guard let row = try? recordings.index.setHold(id: id, hold) else { return .notFound }
        return .done(Self.admin(row))
    }

    func deleteRecording(id: String, reason: String) -> AdminRecordingActionResult {
        guard let recordings else { return .refused(Self.notConfigured) }
        switch recordings.sweeper.shred(id: id, reason: reason) {
        case .shredded(let row): return .done(Self.admin(row))
        case .notFound: return .notFound
        case .refused(let why): return .refused(why)
        }
    }

    static func admin(_ row: RecordingRow) -> AdminRecording {
        let format = ISO8601DateFormatter()
        return AdminRecording(
            id: row.id, callID: row.callID, caller: row.caller, callee: row.callee, requestURI: row.requestURI,
            started: format.string(from: row.started), ended: row.ended.map(format.string(from:)),
            durationSeconds: row.durationSeconds, codecs: row.codecs, sizeBytes: UInt64(max(0, row.sizeBytes)),
            sha256: row.sha256, state: row.state.rawValue, legalHold: row.legalHold,
            deadline: format.string(from: row.deadline),
            recipientKeyIDs: row.recipientKeyIDs.split(separator: ",").map(String.init))
    }
}
