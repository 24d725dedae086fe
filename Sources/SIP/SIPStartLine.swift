/// The first line of a message: a request line or a status line (RFC 3261 §7.1, §7.2).
public enum SIPStartLine: Sendable, Hashable, CustomStringConvertible {
    /// `Method SP Request-URI SP SIP-Version`.
    case request(SIPRequestLine)
    /// `SIP-Version SP Status-Code SP Reason-Phrase`.
    case response(SIPStatusLine)

    /// The line as serialised, CRLF excluded.
    public var description: String {
        switch self {
        case .request(let line): line.description
        case .response(let line): line.description
        }
    }
}
