/// An error from the SDP module: a session description, or one of its fields, that does not parse, or a value
/// handed to an editing helper that cannot be written into one.
///
/// Modelled on `SRTPError` (itself after swift-certificates): a ``code`` that callers can match on, a sentence
/// for people, and here also where parsing stopped (``offset``, ``line``) and what was expected there. Equality
/// compares the code only.
public struct SDPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Kind: Sendable, Hashable {
            case tooLarge
            case tooManyLines
            case tooManyMediaDescriptions
            case invalidEncoding
            case malformedLine
            case unknownType
            case outOfOrder
            case missingLine
            case invalidVersion
            case invalidOrigin
            case invalidConnection
            case invalidBandwidth
            case invalidTiming
            case invalidMediaField
            case invalidAttribute
            case missingConnection
            case invalidCrypto
            case invalidKeyParameter
            case invalidValue
        }

        let kind: Kind

        /// The description is longer than ``SDPLimits/maximumSize``.
        public static let tooLarge = Code(kind: .tooLarge)
        /// The description has more lines than ``SDPLimits/maximumLines``.
        public static let tooManyLines = Code(kind: .tooManyLines)
        /// The description has more `m=` sections than ``SDPLimits/maximumMediaDescriptions``.
        public static let tooManyMediaDescriptions = Code(kind: .tooManyMediaDescriptions)
        /// The bytes are not UTF-8, or hold a NUL or a CR that does not end a line (RFC 4566 §5 `byte-string`).
        public static let invalidEncoding = Code(kind: .invalidEncoding)
        /// A line is not `<type>=<value>` with a single lower-case letter as its type (RFC 4566 §5).
        public static let malformedLine = Code(kind: .malformedLine)
        /// A line's type letter is not one RFC 4566 defines; §5 says such a description must be ignored whole.
        public static let unknownType = Code(kind: .unknownType)
        /// A line is out of the order RFC 4566 §5 fixes, or repeats a line that may appear only once.
        public static let outOfOrder = Code(kind: .outOfOrder)
        /// A required line (`v=`, `o=`, `s=`, `t=`) is missing.
        public static let missingLine = Code(kind: .missingLine)
        /// The `v=` line is not `v=0` (RFC 4566 §5.1).
        public static let invalidVersion = Code(kind: .invalidVersion)
        /// The `o=` line does not have its six fields (RFC 4566 §5.2).
        public static let invalidOrigin = Code(kind: .invalidOrigin)
        /// A `c=` line, or an address handed to an editing helper, is not `<nettype> <addrtype> <address>`
        /// (RFC 4566 §5.7).
        public static let invalidConnection = Code(kind: .invalidConnection)
        /// A `b=` line is not `<bwtype>:<bandwidth>` (RFC 4566 §5.8).
        public static let invalidBandwidth = Code(kind: .invalidBandwidth)
        /// A `t=` line is not `<start-time> <stop-time>` (RFC 4566 §5.9).
        public static let invalidTiming = Code(kind: .invalidTiming)
        /// An `m=` line is not `<media> <port>[/<count>] <proto> <fmt> ...` (RFC 4566 §5.14).
        public static let invalidMediaField = Code(kind: .invalidMediaField)
        /// An `a=` line has no attribute name (RFC 4566 §5.13), or an attribute value does not parse.
        public static let invalidAttribute = Code(kind: .invalidAttribute)
        /// Neither the session part nor a media section in use has a `c=` line (RFC 4566 §5.7).
        public static let missingConnection = Code(kind: .missingConnection)
        /// An `a=crypto` value is not `<tag> <crypto-suite> <key-params> [<session-params>]` (RFC 4568 §9.1).
        public static let invalidCrypto = Code(kind: .invalidCrypto)
        /// A key parameter is not `inline:<key||salt>[|<lifetime>][|<MKI>:<length>]` (RFC 4568 §6.1, §9.2).
        public static let invalidKeyParameter = Code(kind: .invalidKeyParameter)
        /// A value handed to an editing helper cannot be written into a line (empty, out of range, or holding
        /// whitespace or a line break).
        public static let invalidValue = Code(kind: .invalidValue)

        public var description: String { String(describing: kind) }
    }

    /// What kind of failure this is.
    public let code: Code
    /// One sentence saying what went wrong, for a person.
    public let reason: String
    /// The byte offset where parsing stopped: from the start of the description, or of the value handed to a
    /// field parser such as ``SDPCryptoAttribute/init(parsing:)``.
    public let offset: Int
    /// The 1-based line of the description the error is on; 0 for a value parsed on its own.
    public let line: Int
    /// What the parser expected to find at ``offset``.
    public let expected: String

    package init(_ code: Code, _ reason: String, offset: Int, line: Int = 0, expected: String) {
        self.code = code
        self.reason = reason
        self.offset = offset
        self.line = line
        self.expected = expected
    }

    /// The same error moved by `offset` bytes and placed on `line`: for a field error found inside a line.
    func located(at offset: Int, line: Int) -> SDPError {
        SDPError(code, reason, offset: self.offset + offset, line: line, expected: expected)
    }

    public static func == (lhs: SDPError, rhs: SDPError) -> Bool { lhs.code == rhs.code }

    public var description: String {
        let place = line > 0 ? "line \(line), byte \(offset)" : "byte \(offset)"
        return "SDPError.\(code) at \(place): \(reason) (expected \(expected))"
    }
}
