/// An `a=rtpmap` attribute (RFC 4566 §6):
/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]`.
public struct SDPRTPMap: Sendable, Hashable {
    /// The RTP payload type, 0 to 127.
    public let payloadType: Int
    /// The encoding name, as written (`PCMU`, `opus`, `telephone-event`).
    public let encodingName: String
    /// The RTP clock rate in Hz.
    public let clockRate: Int
    /// The encoding parameters after a second `/`: the channel count for audio.
    public let encodingParameters: String?

    /// Parses the value of an `a=rtpmap` attribute (the text after `a=rtpmap:`).
    public init(parsing value: String) throws(SDPError) {
        try self.init(checking: Substring(value))
    }

    init(checking value: Substring) throws(SDPError) {
        let fields = SDPText.fields(value)
        guard fields.count == 2, let payloadType = SDPText.decimal(fields[0], maximumDigits: 3), payloadType <= 127
        else {
            throw SDPError(
                .invalidAttribute, "an rtpmap is a payload type 0-127 and an encoding", offset: 0,
                expected: "<payload type> <encoding name>/<clock rate>[/<encoding parameters>]")
        }
        let encoding = fields[1].split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard encoding.count >= 2, !encoding[0].isEmpty, let clockRate = SDPText.decimal(encoding[1], maximumDigits: 9)
        else {
            throw SDPError(
                .invalidAttribute, "an rtpmap encoding is <name>/<clock rate>",
                offset: SDPText.offset(of: fields[1], in: value), expected: "<encoding name>/<clock rate>")
        }
        self.payloadType = payloadType
        encodingName = String(encoding[0])
        self.clockRate = clockRate
        encodingParameters = encoding.count == 3 ? String(encoding[2]) : nil
    }
}
