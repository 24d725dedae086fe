/// An admin socket that could not be set up.
///
/// Modelled on `TransportError`: a ``code`` to match on, a ``reason`` sentence for people (with the system's
/// words for errno, never a bare number), and where it was raised. Equality compares the code only.
public struct AdminServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Kind: Sendable, Hashable {
            case invalidSocketPath
            case alreadyListening
            case socketFailed
            case bindFailed
            case permissionsFailed
            case listenFailed
            case auditLogFailed
            case unsafeDirectory
        }

        let kind: Kind

        /// The socket path is empty, too long for `sun_path`, or names something that is not a socket.
        public static let invalidSocketPath = Code(kind: .invalidSocketPath)
        /// Another process is listening on the socket path.
        public static let alreadyListening = Code(kind: .alreadyListening)
        /// `socket()` failed.
        public static let socketFailed = Code(kind: .socketFailed)
        /// `bind()` failed (a missing directory, no permission, ...).
        public static let bindFailed = Code(kind: .bindFailed)
        /// The socket's mode or group could not be set.
        public static let permissionsFailed = Code(kind: .permissionsFailed)
        /// `listen()` failed.
        public static let listenFailed = Code(kind: .listenFailed)
        /// The audit log could not be opened or continued.
        public static let auditLogFailed = Code(kind: .auditLogFailed)
        /// The socket's directory could not be created, or is not safe: not Sotto's or root's, or writable by
        /// its group or others without the sticky bit.
        public static let unsafeDirectory = Code(kind: .unsafeDirectory)

        public var description: String { String(describing: kind) }
    }

    /// What kind of failure this is.
    public let code: Code
    /// One sentence saying what went wrong, for a person.
    public let reason: String
    /// Where the error was raised.
    public let file: String
    /// Where the error was raised.
    public let line: UInt

    package init(_ code: Code, _ reason: String, file: String = #fileID, line: UInt = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public static func == (lhs: AdminServerError, rhs: AdminServerError) -> Bool { lhs.code == rhs.code }

    public var description: String { "AdminServerError.\(code): \(reason)" }
}

/// The audit log could not be opened, read or written.
public struct AuditError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Kind: Sendable, Hashable {
            case openFailed
            case symbolicLink
            case readFailed
            case recoveryFailed
            case writeFailed
            case syncFailed
            case rotateFailed
        }

        let kind: Kind

        /// The file could not be opened or created.
        public static let openFailed = Code(kind: .openFailed)
        /// The path is a symbolic link, which the audit log never follows.
        public static let symbolicLink = Code(kind: .symbolicLink)
        /// The existing file could not be read to check and continue the chain.
        public static let readFailed = Code(kind: .readFailed)
        /// A torn last line could not be moved aside, or the file could not be cut back to its last complete
        /// line, or a broken file could not be set aside.
        public static let recoveryFailed = Code(kind: .recoveryFailed)
        /// `write()` failed or wrote part of the line (a full disk); the part was cut off again.
        public static let writeFailed = Code(kind: .writeFailed)
        /// `fsync()` failed, so the line may not be on disk.
        public static let syncFailed = Code(kind: .syncFailed)
        /// The file could not be renamed or the new one could not be started.
        public static let rotateFailed = Code(kind: .rotateFailed)

        public var description: String { String(describing: kind) }
    }

    /// What kind of failure this is.
    public let code: Code
    /// One sentence saying what went wrong, for a person.
    public let reason: String

    package init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public static func == (lhs: AuditError, rhs: AuditError) -> Bool { lhs.code == rhs.code }

    public var description: String { "AuditError.\(code): \(reason)" }
}

/// A role grant in the config that cannot be used: a malformed spec or an unknown user or group name.
public struct AdminAccessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The spec as written, e.g. `user:alice`.
    public let spec: String
    /// One sentence saying what is wrong with it.
    public let reason: String

    package init(spec: String, reason: String) {
        self.spec = spec
        self.reason = reason
    }

    public var description: String { "admin access \"\(spec)\": \(reason)" }
}
