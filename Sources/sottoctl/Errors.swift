/// What went wrong, as one sentence for the person at the terminal. `sottoctl` prints the sentence on stderr
/// and exits with status 1.
struct SottoctlError: Error, Equatable, CustomStringConvertible {
    /// What kind of failure, for tests and for callers that react differently (equality compares it only).
    enum Code: Equatable {
        /// Nothing listens at the path (ENOENT, ECONNREFUSED, ENOTDIR).
        case noSocket
        /// The socket exists but this user may not open it (EACCES, EPERM).
        case permissionDenied
        /// Any other failure to connect, send or receive.
        case io
        /// The server closed the connection before it answered.
        case closedEarly
        /// The server did not answer in time.
        case timeout
        /// The server's line is not an answer this client understands.
        case badAnswer
        /// The server answered with an error (its `code`: `not_found`, `forbidden`, ...).
        case server(String)
        /// `audit verify` found a broken chain or could not read the file.
        case audit
        /// The terminal could not be set up for `watch`.
        case terminal
        /// `recordings export` could not fetch, open, render or write the recording.
        case export
    }

    let code: Code
    /// The sentence.
    let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { message }

    static func == (lhs: SottoctlError, rhs: SottoctlError) -> Bool { lhs.code == rhs.code }

    static func noSocket(_ path: String) -> SottoctlError {
        SottoctlError(.noSocket, "no admin socket at \(path) (is sotto running?)")
    }

    static func permissionDenied(_ path: String) -> SottoctlError {
        SottoctlError(
            .permissionDenied,
            "permission denied on \(path) (sottoctl needs a role on the admin socket: ask an admin)")
    }

    static func closedEarly(_ path: String) -> SottoctlError {
        SottoctlError(.closedEarly, "the admin socket at \(path) closed the connection before answering")
    }
}
