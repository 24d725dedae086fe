#if canImport(Glibc)
    import Glibc
#endif

/// An error from the Transport module: a socket that could not be set up. What happens to a
/// connection once it exists is a ``TCPCloseReason``, not an error.
///
/// Modelled on `SRTPError`: a ``code`` to match on, a ``reason`` sentence for people (with the
/// system's words for errno, never a bare number), and where it was raised. Equality compares the
/// code only.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Kind: Sendable, Hashable {
            case invalidAddress
            case socketFailed
            case bindFailed
            case addressInUse
            case listenFailed
            case permissionsFailed
            case connectFailed
            case tlsSetupFailed
            case outOfDescriptors
        }

        let kind: Kind

        /// Text that is not an IPv4 or IPv6 literal, a port out of range, or a Unix socket path that is
        /// empty, too long or names something that is not a socket.
        public static let invalidAddress = Code(kind: .invalidAddress)
        /// `socket()` or a socket option failed.
        public static let socketFailed = Code(kind: .socketFailed)
        /// `bind()` failed: the address is in use or not local, or a stale Unix socket file could not be
        /// removed.
        public static let bindFailed = Code(kind: .bindFailed)
        /// The local port is taken by another socket (EADDRINUSE), or another process listens on the
        /// Unix socket path.
        public static let addressInUse = Code(kind: .addressInUse)
        /// `listen()` failed.
        public static let listenFailed = Code(kind: .listenFailed)
        /// A Unix socket file's mode or group could not be set.
        public static let permissionsFailed = Code(kind: .permissionsFailed)
        /// An outbound `connect()` failed at once.
        public static let connectFailed = Code(kind: .connectFailed)
        /// The TLS connection for a socket could not be created.
        public static let tlsSetupFailed = Code(kind: .tlsSetupFailed)
        /// The process (EMFILE) or the system (ENFILE) has no file descriptor left for a new socket.
        public static let outOfDescriptors = Code(kind: .outOfDescriptors)

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

    public static func == (lhs: TransportError, rhs: TransportError) -> Bool { lhs.code == rhs.code }

    public var description: String { "TransportError.\(code): \(reason)" }
}

/// The system's words for an errno value, e.g. "Address already in use": the one place the package
/// turns errno into text, so a person never sees a bare number.
package func errnoSentence(_ value: Int32) -> String {
    guard let text = strerror(value) else { return "error \(value)" }
    return String(cString: text)
}
