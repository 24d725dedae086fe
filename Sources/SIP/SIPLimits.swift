/// The bounds a parser and a stream framer enforce, so that nothing a peer sends grows memory without bound
/// (docs/architecture.md, rule 4).
public struct SIPLimits: Sendable, Hashable {
    /// The largest message, start line to last body byte, in bytes. Also the most a framer ever buffers.
    public var maxMessageSize: Int
    /// The largest body a Content-Length may announce; checked before the body is buffered.
    public var maxBodySize: Int
    /// The most header fields in one message (a folded header counts once).
    public var maxHeaderCount: Int
    /// The longest physical line, CRLF excluded.
    public var maxLineLength: Int

    /// Limits with the given values; the defaults suit a proxy in front of a PBX.
    public init(
        maxMessageSize: Int = 65_536,
        maxBodySize: Int = 65_536,
        maxHeaderCount: Int = 256,
        maxLineLength: Int = 8_192
    ) {
        self.maxMessageSize = maxMessageSize
        self.maxBodySize = maxBodySize
        self.maxHeaderCount = maxHeaderCount
        self.maxLineLength = maxLineLength
    }

    /// 64 KiB messages and bodies, 256 headers, 8 KiB lines.
    public static let `default` = SIPLimits()
}
