/// An `a=fmtp` attribute (RFC 4566 §6): `a=fmtp:<format> <format specific parameters>`, the parameters kept as
/// written because their syntax belongs to each payload format.
public struct SDPFormatParameters: Sendable, Hashable {
    /// The format (RTP payload type) the parameters apply to.
    public let format: String
    /// The format-specific parameters, verbatim (for example `0-16` or `minptime=10;useinbandfec=1`).
    public let parameters: String

    /// Parses the value of an `a=fmtp` attribute (the text after `a=fmtp:`).
    public init(parsing value: String) throws(SDPError) {
        try self.init(checking: Substring(value))
    }

    init(checking value: Substring) throws(SDPError) {
        guard let separator = value.utf8.firstIndex(where: { $0 == SDPText.space || $0 == SDPText.tab }),
            separator > value.startIndex
        else {
            throw SDPError(
                .invalidAttribute, "an fmtp is a format, a space and its parameters", offset: 0,
                expected: "<format> <format specific parameters>")
        }
        var start = separator
        while start < value.endIndex, value.utf8[start] == SDPText.space || value.utf8[start] == SDPText.tab {
            start = value.utf8.index(after: start)
        }
        format = String(value[..<separator])
        parameters = String(value[start...])
    }
}
