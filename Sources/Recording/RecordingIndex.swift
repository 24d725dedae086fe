import Foundation
internal import GRDB
import Glibc

/// Why the index could not be opened or used, in a sentence naming the file.
public struct RecordingIndexError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, for a person.
    public let reason: String

    /// An error with its reason.
    public init(_ reason: String) {
        self.reason = reason
    }

    /// The reason.
    public var description: String { reason }
}

/// The recordings' index in SQLite (through GRDB), at `<recording directory>/index.sqlite`.
///
/// Opened as a `DatabasePool`, so in WAL mode: the relay's writer and the admin socket's readers do not block one
/// another, and a crash (kill -9, power loss) leaves the last committed transaction in place and nothing half
/// written. The schema is created and upgraded by a `DatabaseMigrator` (one named step per change).
///
/// Two settings on every connection make retention's shred hold in the database files themselves:
/// `synchronous = FULL` (a key's destruction is on disk before the file is unlinked, power loss included) and
/// `secure_delete = ON` (SQLite zeroes the bytes a deleted or overwritten value leaves behind, so a sealed key
/// set to NULL does not linger in a free page). ``scrub()`` then checkpoints and truncates the WAL, which would
/// otherwise still hold older copies of the page.
public final class RecordingIndex: RecordingCatalog {
    /// The index file's name inside the recording directory.
    public static let fileName = "index.sqlite"

    private let pool: DatabasePool
    /// The index file's path.
    public let path: String

    /// Opens (creating when absent) `<directory>/index.sqlite` and brings its schema up to date. `directory` must
    /// exist (``DirectoryStore`` makes it, mode 0700).
    public init(directory: String) throws {
        path = directory + "/" + Self.fileName
        try Self.prepareFile(path)
        var configuration = Configuration()
        configuration.label = "recording-index"
        configuration.prepareDatabase { db in
            // Durability before the unlink, and no stale key bytes in free space: see the type's comment.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw RecordingIndexError("cannot open the recording index \(path): \(error)")
        }
    }

    /// Creates the index file with mode 0600 when absent (SQLite gives its `-wal` and `-shm` files the same
    /// mode), and refuses one that is a symbolic link or not a regular file: SQLite would follow a link planted
    /// in the directory to wherever it points.
    private static func prepareFile(_ path: String) throws {
        var info = stat()
        if lstat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                throw RecordingIndexError("the recording index \(path) is not a regular file (a symbolic link?)")
            }
            return
        }
        guard errno == ENOENT else {
            throw RecordingIndexError("cannot open the recording index \(path): \(String(cString: strerror(errno)))")
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw RecordingIndexError("cannot create the recording index \(path): \(String(cString: strerror(errno)))")
        }
        Glibc.close(descriptor)
    }

    /// The schema, one migration per change; never edit a migration once released, add one.
    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE recording (
                        id TEXT PRIMARY KEY NOT NULL,
                        call_id TEXT NOT NULL,
                        caller TEXT NOT NULL,
                        callee TEXT NOT NULL,
                        request_uri TEXT NOT NULL,
                        started REAL NOT NULL,
                        ended REAL,
                        duration_seconds REAL NOT NULL,
                        codecs TEXT NOT NULL,
                        size_bytes INTEGER NOT NULL,
                        sha256 TEXT,
                        sealed_keys BLOB,
                        recipient_key_ids TEXT NOT NULL,
                        retention_days INTEGER NOT NULL,
                        deadline REAL NOT NULL,
                        legal_hold INTEGER NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('recording', 'complete', 'cut', 'shredded')),
                        file_name TEXT NOT NULL UNIQUE,
                        shredded_at REAL,
                        CHECK (state != 'shredded' OR sealed_keys IS NULL)
                    );
                    CREATE INDEX recording_started ON recording (started);
                    CREATE INDEX recording_deadline ON recording (deadline) WHERE state != 'shredded';
                    """)
        }
        return migrator
    }

    /// The SQLite journal mode in use (`wal`), for checks and tests.
    public func journalMode() throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    /// The value of `PRAGMA name` on a reading connection, for checks and tests (`synchronous`, `secure_delete`).
    func pragma(_ name: String) throws -> String {
        try pool.read { db in try String.fetchOne(db, sql: "PRAGMA \(name)") ?? "" }
    }

    /// Closes the database; any later call throws.
    public func close() throws {
        try pool.close()
    }

    // MARK: RecordingCatalog

    public func insert(_ row: RecordingRow) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO recording (id, call_id, caller, callee, request_uri, started, ended, duration_seconds,
                        codecs, size_bytes, sha256, sealed_keys, recipient_key_ids, retention_days, deadline,
                        legal_hold, state, file_name, shredded_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    row.id, row.callID, row.caller, row.callee, row.requestURI, row.started.timeIntervalSince1970,
                    row.ended?.timeIntervalSince1970, row.durationSeconds, row.codecs, row.sizeBytes, row.sha256,
                    row.sealedKeys, row.recipientKeyIDs, row.retentionDays, row.deadline.timeIntervalSince1970,
                    row.legalHold, row.state.rawValue, row.fileName, row.shreddedAt?.timeIntervalSince1970,
                ])
        }
    }

    @discardableResult
    public func finish(id: String, state: RecordingState, ended: Date, sizeBytes: Int64, sha256: String?) throws -> Bool
    {
        precondition(state == .complete || state == .cut, "a recording finishes complete or cut")
        return try pool.write { db in
            try db.execute(
                sql: """
                    UPDATE recording SET state = ?, ended = ?, duration_seconds = MAX(0, ? - started), size_bytes = ?,
                        sha256 = ?
                    WHERE id = ? AND state != 'shredded'
                    """,
                arguments: [
                    state.rawValue, ended.timeIntervalSince1970, ended.timeIntervalSince1970, sizeBytes, sha256, id,
                ])
            return db.changesCount > 0
        }
    }

    public func list(from: Date?, to: Date?, party: String?, limit: Int) throws -> [RecordingRow] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let from {
            conditions.append("started >= ?")
            arguments += [from.timeIntervalSince1970]
        }
        if let to {
            conditions.append("started < ?")
            arguments += [to.timeIntervalSince1970]
        }
        if let party, !party.isEmpty {
            conditions.append("(caller LIKE ? ESCAPE '\\' OR callee LIKE ? ESCAPE '\\')")
            let pattern = Self.likePattern(party)
            arguments += [pattern, pattern]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments += [max(0, limit)]
        return try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM recording \(filter) ORDER BY started, id LIMIT ?", arguments: arguments
            )
            .map(Self.recordingRow)
        }
    }

    /// `party` as a LIKE pattern: `%` and `_` (LIKE's own wildcards) and the escape character are escaped, so only
    /// `*` is special; a pattern without `*` is a substring. LIKE ignores ASCII case in SQLite.
    static func likePattern(_ party: String) -> String {
        var escaped = ""
        for character in party {
            switch character {
            case "\\", "%", "_": escaped += "\\" + String(character)
            case "*": escaped += "%"
            default: escaped.append(character)
            }
        }
        return party.contains("*") ? escaped : "%" + escaped + "%"
    }

    public func row(id: String) throws -> RecordingRow? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM recording WHERE id = ?", arguments: [id]).map(Self.recordingRow)
        }
    }

    @discardableResult
    public func setHold(id: String, _ hold: Bool) throws -> RecordingRow? {
        try pool.write { db in
            try db.execute(sql: "UPDATE recording SET legal_hold = ? WHERE id = ?", arguments: [hold, id])
            return try Row.fetchOne(db, sql: "SELECT * FROM recording WHERE id = ?", arguments: [id])
                .map(Self.recordingRow)
        }
    }

    public func expired(now: Date, limit: Int) throws -> [RecordingRow] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM recording
                    WHERE deadline < ? AND legal_hold = 0 AND state IN ('complete', 'cut')
                    ORDER BY deadline, id LIMIT ?
                    """,
                arguments: [now.timeIntervalSince1970, max(0, limit)]
            ).map(Self.recordingRow)
        }
    }

    public func destroyKeys(id: String, expiredAt: Date?) throws -> Bool {
        try pool.write { db in
            // The hold and state are checked in the same statement that destroys the key, so an auditor's hold
            // committed after the sweeper listed the row still wins.
            var sql =
                "UPDATE recording SET sealed_keys = NULL WHERE id = ? AND legal_hold = 0 AND state IN ('complete', 'cut')"
            var arguments: StatementArguments = [id]
            if let expiredAt {
                sql += " AND deadline < ?"
                arguments += [expiredAt.timeIntervalSince1970]
            }
            try db.execute(sql: sql, arguments: arguments)
            return db.changesCount > 0
        }
    }

    @discardableResult
    public func markShredded(id: String, at: Date) throws -> Bool {
        try pool.write { db in
            try db.execute(
                sql: """
                    UPDATE recording SET sealed_keys = NULL, state = 'shredded', shredded_at = COALESCE(shredded_at, ?)
                    WHERE id = ?
                    """,
                arguments: [at.timeIntervalSince1970, id])
            return db.changesCount > 0
        }
    }

    public func scrub() throws {
        try pool.writeWithoutTransaction { db in
            _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    public func recover() throws -> [RecordingRow] {
        try pool.write { db in
            let ids = try String.fetchAll(
                db, sql: "SELECT id FROM recording WHERE state = 'recording' ORDER BY started")
            try db.execute(sql: "UPDATE recording SET state = 'cut' WHERE state = 'recording'")
            return try ids.compactMap { id in
                try Row.fetchOne(db, sql: "SELECT * FROM recording WHERE id = ?", arguments: [id]).map(
                    Self.recordingRow)
            }
        }
    }

    /// A row of the `recording` table as a ``RecordingRow``.
    private static func recordingRow(_ row: Row) -> RecordingRow {
        let ended: Double? = row["ended"]
        let shredded: Double? = row["shredded_at"]
        let state: String = row["state"]
        return RecordingRow(
            id: row["id"], callID: row["call_id"], caller: row["caller"], callee: row["callee"],
            requestURI: row["request_uri"], started: Date(timeIntervalSince1970: row["started"]),
            ended: ended.map(Date.init(timeIntervalSince1970:)), durationSeconds: row["duration_seconds"],
            codecs: row["codecs"], sizeBytes: row["size_bytes"], sha256: row["sha256"], sealedKeys: row["sealed_keys"],
            recipientKeyIDs: row["recipient_key_ids"], retentionDays: row["retention_days"],
            deadline: Date(timeIntervalSince1970: row["deadline"]), legalHold: row["legal_hold"],
            state: RecordingState(rawValue: state) ?? .cut, fileName: row["file_name"],
            shreddedAt: shredded.map(Date.init(timeIntervalSince1970:)))
    }
}
