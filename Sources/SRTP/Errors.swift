/// An error from the SRTP module: a set-up failure, never a per-packet outcome (those are
/// ``SRTPVerdict``s).
///
/// Modelled on swift-certificates' error: a ``code`` that callers can match on, a sentence for
/// people, and where it was raised. Equality compares the code only.
public struct SRTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Kind: Sendable, Hashable {
            case libraryStartFailed
            case cryptoSelfTestFailed
            case invalidBackend
            case invalidKey
            case invalidKeyParameter
            case invalidReplayWindow
            case contextCreationFailed
            case randomFailed
        }

        let kind: Kind

        /// libsrtp2 could not be initialised.
        public static let libraryStartFailed = Code(kind: .libraryStartFailed)
        /// A replacement crypto type failed its known-answer self-test or registration.
        public static let cryptoSelfTestFailed = Code(kind: .cryptoSelfTestFailed)
        /// The crypto backend switch names no known backend, or conflicts with the one running.
        public static let invalidBackend = Code(kind: .invalidBackend)
        /// Key or salt of the wrong length for the profile.
        public static let invalidKey = Code(kind: .invalidKey)
        /// An SDES `inline:` key parameter that does not parse (RFC 4568 §6.1).
        public static let invalidKeyParameter = Code(kind: .invalidKeyParameter)
        /// A replay window outside what libsrtp2 accepts.
        public static let invalidReplayWindow = Code(kind: .invalidReplayWindow)
        /// libsrtp2 refused to create a context.
        public static let contextCreationFailed = Code(kind: .contextCreationFailed)
        /// The CSPRNG did not deliver.
        public static let randomFailed = Code(kind: .randomFailed)

        public var description: String { String(describing: kind) }
    }

    /// What kind of failure this is.
    public let code: Code
    /// One sentence saying what went wrong, for a person. Never contains key material.
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

    public static func == (lhs: SRTPError, rhs: SRTPError) -> Bool { lhs.code == rhs.code }

    public var description: String { "SRTPError.\(code): \(reason)" }
}
