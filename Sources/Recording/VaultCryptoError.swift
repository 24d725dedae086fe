/// An error from the vault's crypto and formats: a plaintext record that does not decode, a key or recipients
/// file that does not load, a data key that does not seal or open, a container header that does not parse, or a
/// chunk the writer refuses.
///
/// Modelled on the other modules' errors (after swift-certificates): a ``code`` callers match on and a sentence
/// for people. Equality compares the code only. No message ever holds key material.
public struct VaultCryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Kind: Sendable, Hashable {
            case malformedRecord
            case recordTooLarge
            case keyFile
            case recipients
            case sealing
            case noMatchingKey
            case opening
            case header
            case writer
        }

        let kind: Kind

        /// A plaintext record is shorter than it claims, of an unknown kind or version, or holds a field out of
        /// range.
        public static let malformedRecord = Code(kind: .malformedRecord)
        /// A record to encode is larger than its kind allows (metadata over the limit).
        public static let recordTooLarge = Code(kind: .recordTooLarge)
        /// An identity (private key) file does not load: missing, too open, or not one secret key line.
        public static let keyFile = Code(kind: .keyFile)
        /// A recipients file, or one recipient line, does not load.
        public static let recipients = Code(kind: .recipients)
        /// A data key could not be sealed to a recipient.
        public static let sealing = Code(kind: .sealing)
        /// None of a recording's sealed keys is for the identity at hand.
        public static let noMatchingKey = Code(kind: .noMatchingKey)
        /// The sealed key for this identity does not open: altered, or sealed for another recording.
        public static let opening = Code(kind: .opening)
        /// A container's header does not parse (not a recording, an unknown version, a field out of bounds).
        public static let header = Code(kind: .header)
        /// The container writer refuses a chunk (too large, after the final chunk, or past the last index).
        public static let writer = Code(kind: .writer)

        public var description: String { String(describing: kind) }
    }

    /// What kind of failure this is.
    public let code: Code
    /// One sentence saying what went wrong, for a person (names the file, line or offset where there is one).
    public let reason: String

    package init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public static func == (lhs: VaultCryptoError, rhs: VaultCryptoError) -> Bool { lhs.code == rhs.code }

    public var description: String { "VaultCryptoError.\(code): \(reason)" }
}
