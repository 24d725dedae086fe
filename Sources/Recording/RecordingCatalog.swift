import Foundation

/// The recordings' index: one row per recording, from the first chunk to long after the shred. SQLite on the
/// relay now (``RecordingIndex``); a shared PostgreSQL for several nodes later (docs/recording.md, "Beyond one
/// machine"), which is why the relay, the sweeper and the admin commands see only this protocol.
///
/// Every method is safe to call from any thread. Methods that change a row return what they did, so a caller
/// that raced another (an auditor's hold against the sweeper) learns which one won.
public protocol RecordingCatalog: Sendable {
    /// Adds a new recording's row (normally in state `recording`). Throws if the id or file name is taken.
    func insert(_ row: RecordingRow) throws

    /// Records how a recording ended: its state (`complete` or `cut`), end time, the file's size and SHA-256.
    /// Returns false when there is no such row or it is already shredded (nothing is changed then).
    @discardableResult
    func finish(id: String, state: RecordingState, ended: Date, sizeBytes: Int64, sha256: String?) throws -> Bool

    /// Recordings that started in `from ..< to` (either bound may be nil), oldest first, at most `limit`.
    /// `party` matches the caller or the callee, ignoring ASCII case: with a `*` it is a glob over the whole URI
    /// (`*` any run of characters, nothing else special); without one it is a substring.
    func list(from: Date?, to: Date?, party: String?, limit: Int) throws -> [RecordingRow]

    /// The row of `id`, if there is one.
    func row(id: String) throws -> RecordingRow?

    /// Sets or clears legal hold. Returns the row after the change, or nil when there is no such row.
    @discardableResult
    func setHold(id: String, _ hold: Bool) throws -> RecordingRow?

    /// Finished recordings (complete or cut) past their deadline at `now`, not on hold and not shredded, oldest
    /// deadline first, at most `limit`.
    func expired(now: Date, limit: Int) throws -> [RecordingRow]

    /// Destroys the sealed data keys of `id` (sets them NULL) if it is still finished (complete or cut), not on hold and not shredded, and,
    /// when `expiredAt` is given, still past its deadline then. Returns whether it did: false means an auditor's
    /// hold (or another sweep) came first. The first step of a shred: after it, the file is noise.
    func destroyKeys(id: String, expiredAt: Date?) throws -> Bool

    /// Marks `id` shredded at `at`: no sealed keys, state `shredded`, metadata kept. Returns false for no such row.
    @discardableResult
    func markShredded(id: String, at: Date) throws -> Bool

    /// Makes destroyed keys unrecoverable from the catalog's own storage (for SQLite: a WAL checkpoint that
    /// truncates the log, with `secure_delete` already zeroing freed bytes). The sweeper calls it after each sweep.
    func scrub() throws

    /// At start, before any new recording: every row left `recording` by a crash becomes `cut`. Returns those
    /// rows as they are now, so the writer can check each file and ``finish(id:state:ended:sizeBytes:sha256:)``
    /// it with the size and hash it finds.
    func recover() throws -> [RecordingRow]
}

extension RecordingCatalog {
    /// The most rows a `list` without a limit returns.
    public static var defaultListLimit: Int { 1000 }

    /// ``list(from:to:party:limit:)`` with at most ``defaultListLimit`` rows.
    public func list(from: Date?, to: Date?, party: String?) throws -> [RecordingRow] {
        try list(from: from, to: to, party: party, limit: Self.defaultListLimit)
    }
}
