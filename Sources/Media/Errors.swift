/// A media engine failure: set-up and control only, never a per-packet outcome.
public struct MediaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: Sendable, Hashable {
        /// No free port pair in the configured range.
        case portsExhausted
        /// A socket could not be opened or bound.
        case socketFailed
        /// The process or the system has no file descriptor left for a media socket (EMFILE, ENFILE): not a
        /// shortage of ports, and no port is at fault.
        case outOfDescriptors
        /// No such session (ended, or never created).
        case unknownSession
        /// No such stream in the session.
        case unknownStream
        /// An SRTP context could not be created from the key given.
        case keyRejected
        /// The configuration is not usable.
        case invalidConfiguration
    }

    /// What kind of failure.
    public let code: Code
    /// One sentence for a person; never contains key material.
    public let reason: String

    package init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public static func == (lhs: MediaError, rhs: MediaError) -> Bool { lhs.code == rhs.code }

    public var description: String { "MediaError.\(code): \(reason)" }
}
