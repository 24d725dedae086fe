/// What a ``SIPStreamFramer`` takes out of a byte stream.
public enum SIPFrame: Sendable, Equatable {
    /// One whole message, start line to last body byte, for ``SIPMessage/init(parsing:limits:)-([UInt8],_)``. If
    /// it does not parse, a request is answered with ``SIPBadRequest/response(to:error:toTag:)`` and the stream
    /// carries on.
    case message([UInt8])
    /// A double CRLF keep-alive ping (RFC 5626 §4.4.1): answer with ``SIPStreamFramer/pong``.
    case keepAlivePing
    /// A single CRLF between messages: a keep-alive pong (RFC 5626 §4.4.1), or a stray CRLF that RFC 3261 §7.5
    /// says to ignore.
    case keepAlivePong
    /// The stream cannot be framed any more: the transport must close it. Always the last frame.
    case fatal(SIPError)
}
