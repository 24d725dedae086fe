/// Where recordings' sealed container files live: a directory on the relay now (``DirectoryStore``), S3-compatible
/// object storage later (docs/recording.md, "Beyond one machine"). The writer, the sweeper and the admin commands
/// see only this protocol.
///
/// Names are plain file names (``isValidName(_:)``): never a path, so nothing outside the store can be named.
public protocol RecordingStore: Sendable {
    /// Creates `name`, which must not exist yet, for appending.
    func create(_ name: String) throws(RecordingStoreError) -> any RecordingFile

    /// The whole of `name`; refused (before reading) when it is larger than `maximumBytes`.
    func read(_ name: String, maximumBytes: Int) throws(RecordingStoreError) -> [UInt8]

    /// Up to `length` bytes of `name` from `offset` (fewer at the end, none past it).
    func read(_ name: String, offset: Int, length: Int) throws(RecordingStoreError) -> [UInt8]

    /// The size of `name` in bytes, or nil when there is no such file.
    func size(_ name: String) throws(RecordingStoreError) -> Int?

    /// Removes `name` and makes the removal durable (for a directory: unlink, then fsync the directory). Returns
    /// false when there was no such file.
    @discardableResult
    func remove(_ name: String) throws(RecordingStoreError) -> Bool

    /// Whether `name` exists.
    func exists(_ name: String) -> Bool

    /// Makes everything appended to any of the store's files so far durable, in one step (the writer seals a round
    /// of chunks, appends each, then calls this once).
    func syncAll() throws(RecordingStoreError)
}

/// A file being written: appended to, synced, closed. Used by one writer at a time.
public protocol RecordingFile: Sendable {
    /// Appends `bytes` (all of them, or throws).
    func append(_ bytes: [UInt8]) throws(RecordingStoreError)
    /// Makes everything appended so far durable (fsync).
    func sync() throws(RecordingStoreError)
    /// Bytes appended so far.
    var size: Int { get }
    /// Closes the file; later appends throw. Closing twice does nothing.
    func close()
}

extension RecordingStore {
    /// Whether `name` is a name a store accepts: 1-128 characters of `A-Z a-z 0-9 . _ -`, not starting with a dot.
    /// No `/` and no `..`, so a name from an index row or an admin request cannot reach outside the store.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...128).contains(bytes.count), bytes[0] != UInt8(ascii: ".") else { return false }
        return bytes.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }
}

/// Why a store refused or failed, with the file and a sentence (never a bare errno).
public struct RecordingStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure, for callers that act on it (a full disk is an alert, not a bug).
    public enum Kind: Sendable, Equatable {
        /// The name is not a plain file name.
        case invalidName
        /// No such file.
        case notFound
        /// The file exists already.
        case exists
        /// Larger than the caller allowed.
        case tooLarge
        /// The disk is full (ENOSPC, EDQUOT).
        case full
        /// A symbolic link, or not a regular file or directory where one was expected.
        case unsafe
        /// Any other I/O failure.
        case io
    }

    /// The kind of failure.
    public let kind: Kind
    /// What went wrong, naming the file.
    public let reason: String

    /// An error.
    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    /// The reason.
    public var description: String { reason }
}
