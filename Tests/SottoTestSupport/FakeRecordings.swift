import Admin
import AdminProtocol
import Foundation
import Synchronization

/// The recordings half of ``FakeAdminBackend``: an in-memory index of six recordings (complete, cut, held,
/// shredded, one still being recorded and one too large to export in memory) whose "sealed files" are made-up bytes, and each live session's recording state. Holds, releases,
/// deletes and reads act on it as the relay's would: a held recording is not deleted, a deleted one is shredded
/// (state `shredded`, no key, no file), and its file can no longer be read.
public final class FakeRecordings: Sendable {
    /// The complete PCMU recording: 600,000 bytes, so reading it takes three reads of 256 KiB. Its index row's
    /// SHA-256 is that of its bytes (as are the held one's).
    public static let completeID = "7QK2M9XC4H8R3T5V1N6B0P2D4F"
    /// A recording cut by a crash (Opus). Its index row's SHA-256 does not match its bytes (a file swapped under
    /// the index), so `sottoctl recordings export` refuses it.
    public static let cutID = "9ZP4W7Y2K6M1Q3S5U8X0A2C4E6"
    /// A recording on legal hold.
    public static let heldID = "5B7C9D1E3F5G7H9J1K3M5N7P9Q"
    /// A recording retention shredded.
    public static let shreddedID = "3D5F7H9J1K3M5N7P9R1T3V5X7Z"
    /// A call still being recorded.
    public static let liveID = "2A4C6E8G0J2K4M6N8P0Q2R4S6T"
    /// A recording whose sealed file the index says is 3 GB (never read: `sottoctl` refuses it by its size).
    public static let hugeID = "8H8H8H8H8H8H8H8H8H8H8H8H8H"
    /// What `openRecording` gives as the sealed keys (base64 of a JSON list, opaque to the admin socket).
    public static let sealedKeys = Data(#"[{"keyID":"a1b2c3d4e5f60718","enc":"AAAA","ct":"BBBB"}]"#.utf8)
        .base64EncodedString()

    private struct State {
        var rows: [AdminRecording]
        /// Live sessions' recording state: `recording` or `paused`; absent: not recorded.
        var sessions: [UInt64: String]
        var actions: [String] = []
        var reads = 0
    }

    private let state: Mutex<State>
    private let enabled: Bool

    /// The six recordings; session 1 is being recorded. With `enabled` false, `record` is refused the way a
    /// relay without `[recording]` refuses it.
    public init(enabled: Bool = true) {
        self.enabled = enabled
        state = Mutex(State(rows: Self.rows, sessions: [1: "recording"]))
    }

    /// What each call did, in order: `record 1 pause`, `hold ID`, `release ID`, `delete ID`.
    public var actions: [String] { state.withLock { $0.actions } }
    /// How many reads reached the "file".
    public var reads: Int { state.withLock { $0.reads } }
    /// The row of `id` as it is now.
    public func row(_ id: String) -> AdminRecording? { state.withLock { $0.rows.first { $0.id == id } } }

    /// Session `id`'s recording state, for ``FakeAdminBackend/sessions()``.
    public func sessionState(_ id: UInt64) -> String? { state.withLock { $0.sessions[id] } }

    /// The whole sealed file of `id`, as the reads hand it out in pieces.
    public static func file(_ id: String) -> [UInt8] {
        guard let row = rows.first(where: { $0.id == id }), row.state != "shredded" else { return [] }
        return (0..<Int(row.sizeBytes)).map { byte(id, at: $0) }
    }

    func control(session: UInt64, live: Bool, action: String) -> AdminRecordingControlResult {
        guard live else { return .noSuchSession }
        guard enabled else { return .refused("recording is not configured on this relay ([recording] enabled)") }
        return state.withLock { state in
            let now = state.sessions[session]
            let next: String?
            switch (action, now) {
            case ("start", nil): next = "recording"
            case ("start", _): return .refused("session \(session) is already being recorded")
            case ("pause", "recording"): next = "paused"
            case ("resume", "paused"): next = "recording"
            case ("stop", .some): next = nil
            case ("pause", _), ("resume", _), ("stop", _):
                return .refused(
                    now == nil
                        ? "session \(session) is not being recorded" : "session \(session)'s recording is \(now!)")
            default: return .refused("\(action) is not a record action")
            }
            state.sessions[session] = next
            state.actions.append("record \(session) \(action)")
            return .done(state: next)
        }
    }

    func list(from: Date?, to: Date?, party: String?) -> [AdminRecording] {
        let formatter = ISO8601DateFormatter()
        return state.withLock { $0.rows }.filter { row in
            let started = formatter.date(from: row.started) ?? .distantPast
            if let from, started < from { return false }
            if let to, started >= to { return false }
            if let party { return Self.matches(party, row.caller) || Self.matches(party, row.callee) }
            return true
        }.sorted { $0.started < $1.started }
    }

    func open(_ id: String) -> AdminRecordingExport? {
        guard let row = row(id) else { return nil }
        return AdminRecordingExport(
            recording: row, sealedKeys: row.state == "shredded" ? "" : Self.sealedKeys, sizeBytes: row.sizeBytes)
    }

    func read(_ id: String, offset: UInt64, length: Int) -> [UInt8]? {
        state.withLock { state -> [UInt8]? in
            guard let row = state.rows.first(where: { $0.id == id }), row.state != "shredded" else { return nil }
            state.reads += 1
            let end = min(row.sizeBytes, offset + UInt64(length))
            guard offset < end else { return [] }
            return (Int(offset)..<Int(end)).map { Self.byte(id, at: $0) }
        }
    }

    func hold(_ id: String, _ hold: Bool) -> AdminRecordingActionResult {
        state.withLock { state in
            guard let index = state.rows.firstIndex(where: { $0.id == id }) else { return .notFound }
            state.rows[index].legalHold = hold
            state.actions.append("\(hold ? "hold" : "release") \(id)")
            return .done(state.rows[index])
        }
    }

    func delete(_ id: String) -> AdminRecordingActionResult {
        state.withLock { state in
            guard let index = state.rows.firstIndex(where: { $0.id == id }) else { return .notFound }
            guard !state.rows[index].legalHold else { return .refused("recording \(id) is on legal hold") }
            guard state.rows[index].state != "shredded" else { return .refused("recording \(id) is already shredded") }
            state.rows[index].state = "shredded"
            state.rows[index].sha256 = nil
            state.actions.append("delete \(id)")
            return .done(state.rows[index])
        }
    }

    /// `*` wildcards anchor the pattern to the whole text; without one it is a substring. Case-insensitive.
    private static func matches(_ pattern: String, _ text: String) -> Bool {
        let pattern = pattern.lowercased()
        let text = text.lowercased()
        guard pattern.contains("*") else { return text.contains(pattern) }
        return fnmatch(pattern, text, 0) == 0
    }

    private static func byte(_ id: String, at index: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: index &* 31 &+ (index >> 8) &+ Int(id.utf8.first ?? 0))
    }

    private static let rows: [AdminRecording] = [
        AdminRecording(
            id: hugeID, callID: "long-1@agent5.example", caller: "sip:+442079460111@pbx.example",
            callee: "sip:1005@example.com", started: "2026-10-01T08:00:00Z", ended: "2026-10-01T20:00:00Z",
            durationSeconds: 43_200, codecs: "PCMU/8000", sizeBytes: 3_000_000_000, sha256: nil, state: "complete",
            legalHold: false, deadline: "2026-12-30T20:00:00Z", recipientKeyIDs: ["a1b2c3d4e5f60718"]),
        AdminRecording(
            id: heldID, callID: "held-1@agent3.example", caller: "sip:+4915112345678@pbx.example",
            callee: "sip:1003@example.com", requestURI: "sip:1003@example.com", started: "2026-11-20T16:05:00Z",
            ended: "2026-11-20T16:12:30Z", durationSeconds: 450, codecs: "PCMA/8000", sizeBytes: 4096,
            sha256: "2e8cb95ddfedc683d4b0f1521d0ce5140bcfded6ee4b69f73ccff92c2a527b00", state: "complete",
            legalHold: true,
            deadline: "2027-02-18T16:12:30Z", recipientKeyIDs: ["a1b2c3d4e5f60718"]),
        AdminRecording(
            id: shreddedID, callID: "old-1@agent4.example", caller: "sip:+442079460000@pbx.example",
            callee: "sip:1004@example.com", started: "2026-08-01T10:00:00Z", ended: "2026-08-01T10:03:00Z",
            durationSeconds: 180, codecs: "PCMU/8000", sizeBytes: 0, sha256: nil, state: "shredded",
            legalHold: false, deadline: "2026-10-30T10:03:00Z", recipientKeyIDs: ["a1b2c3d4e5f60718"]),
        AdminRecording(
            id: completeID, callID: "a84b4c76e66710@agent1.example", caller: "sip:+442071234567@pbx.example",
            callee: "sip:1001@example.com", requestURI: "sip:1001@example.com", started: "2026-12-01T09:00:00Z",
            ended: "2026-12-01T09:02:05Z", durationSeconds: 125, codecs: "PCMU/8000", sizeBytes: 600_000,
            sha256: "e3ba6c5fa5e59342470c7fdfafddbcb5ba7255ef853a861b59cdca35e85c211f", state: "complete",
            legalHold: false,
            deadline: "2027-03-01T09:02:05Z", recipientKeyIDs: ["a1b2c3d4e5f60718", "0f1e2d3c4b5a6978"]),
        AdminRecording(
            id: cutID, callID: "f81d4fae-7dec-11d0@agent2.example", caller: "sip:1002@example.com",
            callee: "sip:+33142685300@pbx.example", started: "2026-12-02T14:30:00Z", ended: nil,
            durationSeconds: 61.5, codecs: "opus/48000/2", sizeBytes: 1000, sha256: String(repeating: "b", count: 64),
            state: "cut", legalHold: false, deadline: "2027-03-02T14:31:01Z", recipientKeyIDs: ["a1b2c3d4e5f60718"]),
        AdminRecording(
            id: liveID, callID: "live-1@agent6.example", caller: "sip:1006@example.com",
            callee: "sip:+442079460123@pbx.example", started: "2026-12-07T21:00:00Z", ended: nil,
            durationSeconds: 0, codecs: "PCMU/8000", sizeBytes: 12_000, sha256: nil, state: "recording",
            legalHold: false, deadline: "2027-03-07T21:00:00Z", recipientKeyIDs: ["a1b2c3d4e5f60718"]),
    ]
}
