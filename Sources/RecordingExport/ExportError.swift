/// Why an export or an age file could not be made. Each case says what was wrong in a sentence a user can act on.
public enum ExportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The recording would be longer than the export accepts (checked before any audio buffer is allocated).
    case tooLong(seconds: Double, limit: Double)
    /// An age recipient (`age1...`) could not be decoded.
    case badRecipient(String)
    /// libopus or libopusenc refused (the library's code and what was being done).
    case opus(String, code: Int32)
    /// Encryption failed (a swift-crypto error, or a key agreement that gave no secret).
    case crypto(String)

    public var description: String {
        switch self {
        case .tooLong(let seconds, let limit):
            return "the recording would be \(Int(seconds)) s long, more than the export limit of \(Int(limit)) s"
        case .badRecipient(let reason):
            return "bad age recipient: \(reason)"
        case .opus(let what, let code):
            return "\(what) failed (libopus error \(code))"
        case .crypto(let reason):
            return "age encryption failed: \(reason)"
        }
    }
}
