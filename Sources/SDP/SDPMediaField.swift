/// The fields of an `m=` line (RFC 4566 §5.14): `m=<media> <port>[/<number of ports>] <proto> <fmt> ...`.
public struct SDPMediaField: Sendable, Hashable, CustomStringConvertible {
    /// The media type: `audio`, `video`, `text`, `application`, `message`, or another token.
    public let media: String
    /// The transport port; 0 marks a rejected or disabled stream (RFC 3264 §5.1, §6).
    public let port: Int
    /// The number of ports after a `/`, when given.
    public let portCount: Int?
    /// The transport protocol, such as `RTP/AVP`, `RTP/SAVP` or `RTP/SAVPF`.
    public let proto: String
    /// The media formats: RTP payload type numbers for the RTP protocols.
    public let formats: [String]

    /// A media field from its parts; the port must be 0 to 65535 and every other field a token.
    public init(media: String, port: Int, portCount: Int? = nil, proto: String, formats: [String]) throws(SDPError) {
        guard (0...65535).contains(port), portCount.map({ (1...65535).contains($0) }) ?? true else {
            throw SDPError(
                .invalidValue, "a port is 0 to 65535 and a port count 1 to 65535", offset: 0,
                expected: "a port in 0...65535")
        }
        guard SDPText.isToken(media), SDPText.isToken(proto), !formats.isEmpty,
            formats.allSatisfy({ SDPText.isToken($0) })
        else {
            throw SDPError(
                .invalidValue, "media, protocol and each format must be non-empty tokens", offset: 0,
                expected: "tokens without whitespace and at least one format")
        }
        self.media = media
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
    }

    /// Parses the value of an `m=` line (the text after `m=`).
    public init(parsing value: String) throws(SDPError) {
        try self.init(checking: Substring(value))
    }

    init(checking value: Substring) throws(SDPError) {
        let fields = SDPText.fields(value)
        guard fields.count >= 4 else {
            throw SDPError(
                .invalidMediaField, "an m= line needs media, port, protocol and at least one format",
                offset: value.utf8.count, expected: "<media> <port>[/<count>] <proto> <fmt> ...")
        }
        let portField = fields[1]
        let parts = portField.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let port = SDPText.decimal(parts[0], maximumDigits: 5), port <= 65535 else {
            throw SDPError(
                .invalidMediaField, "the port of an m= line is a number from 0 to 65535",
                offset: SDPText.offset(of: portField, in: value), expected: "a port from 0 to 65535")
        }
        var portCount: Int?
        if parts.count == 2 {
            guard let count = SDPText.decimal(parts[1], maximumDigits: 5), (1...65535).contains(count) else {
                throw SDPError(
                    .invalidMediaField, "the number of ports after the / is from 1 to 65535",
                    offset: SDPText.offset(of: parts[1], in: value), expected: "a number of ports from 1 to 65535")
            }
            portCount = count
        }
        media = String(fields[0])
        self.port = port
        self.portCount = portCount
        proto = String(fields[2])
        formats = fields[3...].map(String.init)
    }

    /// The same field with another port (the port count, protocol and formats kept); `port` is in range.
    func with(port: Int) -> SDPMediaField {
        SDPMediaField(unchecked: media, port, portCount, proto, formats)
    }

    private init(unchecked media: String, _ port: Int, _ portCount: Int?, _ proto: String, _ formats: [String]) {
        self.media = media
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
    }

    /// The value of the `m=` line, fields separated by single spaces.
    public var value: String {
        var text = media + " " + String(port)
        if let portCount { text += "/" + String(portCount) }
        text += " " + proto
        for format in formats { text += " " + format }
        return text
    }

    public var description: String { value }
}
