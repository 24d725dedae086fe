/// An error from the SIP module: a message that does not parse, a value that breaks a limit, or a stream whose
/// framing is lost.
///
/// Modelled on swift-certificates' error: a ``code`` that callers can match on, a sentence for people, the byte
/// ``offset`` where reading stopped and what was ``expected`` there. Equality compares the code only.
public struct SIPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Kind: Sendable, Hashable {
            case malformedStartLine
            case unsupportedVersion
            case malformedHeader
            case malformedHeaderValue
            case malformedURI
            case missingHeader
            case duplicateHeader
            case invalidNumber
            case methodMismatch
            case bodyLengthMismatch
            case invalidUTF8
            case truncated
            case messageTooLarge
            case bodyTooLarge
            case tooManyHeaders
            case lineTooLong
            case missingContentLength
            case framingLost
            case invalidEdit
        }

        let kind: Kind

        /// The request line or status line does not follow RFC 3261 §7.1 / §7.2.
        public static let malformedStartLine = Code(kind: .malformedStartLine)
        /// A SIP-Version other than `SIP/2.0` (RFC 3261 §7.1); a server answers `505`.
        public static let unsupportedVersion = Code(kind: .unsupportedVersion)
        /// A header line without a token name and a colon, or a line ending that is not CRLF (RFC 3261 §7.3).
        public static let malformedHeader = Code(kind: .malformedHeader)
        /// A header value that does not follow its grammar (RFC 3261 §25.1).
        public static let malformedHeaderValue = Code(kind: .malformedHeaderValue)
        /// A SIP, SIPS, tel or other URI that does not follow RFC 3261 §19.1 / RFC 3966.
        public static let malformedURI = Code(kind: .malformedURI)
        /// A header every request and response must carry is missing (RFC 3261 §8.1.1).
        public static let missingHeader = Code(kind: .missingHeader)
        /// A header that may appear once appears more than once (RFC 3261 §7.3.1).
        public static let duplicateHeader = Code(kind: .duplicateHeader)
        /// A number that is negative, not decimal, or out of its range (RFC 3261 §8.1.1.5, §20.22).
        public static let invalidNumber = Code(kind: .invalidNumber)
        /// The CSeq method differs from the request method (RFC 3261 §8.1.1.5; methods are case-sensitive).
        public static let methodMismatch = Code(kind: .methodMismatch)
        /// The Content-Length differs from the body's length (RFC 3261 §18.3, §20.14).
        public static let bodyLengthMismatch = Code(kind: .bodyLengthMismatch)
        /// The start line or header section is not valid UTF-8 (RFC 3261 §25.1 TEXT-UTF8).
        public static let invalidUTF8 = Code(kind: .invalidUTF8)
        /// The message ends before its header section does.
        public static let truncated = Code(kind: .truncated)
        /// The message is larger than ``SIPLimits/maxMessageSize``.
        public static let messageTooLarge = Code(kind: .messageTooLarge)
        /// The Content-Length is larger than ``SIPLimits/maxBodySize``.
        public static let bodyTooLarge = Code(kind: .bodyTooLarge)
        /// More header lines than ``SIPLimits/maxHeaderCount``.
        public static let tooManyHeaders = Code(kind: .tooManyHeaders)
        /// A line longer than ``SIPLimits/maxLineLength``.
        public static let lineTooLong = Code(kind: .lineTooLong)
        /// A message on a stream without Content-Length, which RFC 3261 §18.3 requires there.
        public static let missingContentLength = Code(kind: .missingContentLength)
        /// The stream holds bytes that cannot be a SIP message or keep-alive: the transport must close it.
        public static let framingLost = Code(kind: .framingLost)
        /// An edit that would leave the message invalid (a bad header name, a removed required header).
        public static let invalidEdit = Code(kind: .invalidEdit)

        public var description: String { String(describing: kind) }
    }

    /// What kind of failure this is.
    public let code: Code
    /// One sentence saying what went wrong, for a person (and, sanitised, for a `400` reason phrase).
    public let reason: String
    /// The byte offset in the message (or stream buffer) where reading stopped. For a value checked on its own
    /// (an edit, ``SIPURI/init(parsing:)``), the offset within that value.
    public let offset: Int
    /// What the parser expected at ``offset``, e.g. `"CRLF"` or `"a decimal port"`.
    public let expected: String

    package init(_ code: Code, _ reason: String, offset: Int, expected: String) {
        self.code = code
        self.reason = reason
        self.offset = offset
        self.expected = expected
    }

    /// The same error, moved by `base` bytes: for a value parsed on its own and then placed in its message.
    package func shifted(by base: Int) -> SIPError {
        SIPError(code, reason, offset: offset + base, expected: expected)
    }

    public static func == (lhs: SIPError, rhs: SIPError) -> Bool { lhs.code == rhs.code }

    public var description: String { "SIPError.\(code) at offset \(offset): \(reason) (expected \(expected))" }
}
