/// An `a=rtcp` attribute (RFC 3605 §2.1): the RTCP port, and address when it is not the RTP one.
///
///     rtcp-attribute = "a=rtcp:" port [nettype space addrtype space connection-address] CRLF
public struct SDPRTCPAttribute: Sendable, Hashable {
    /// The RTCP port.
    public let port: Int
    /// The RTCP address, when given.
    public let connection: SDPConnection?

    /// An `a=rtcp` value for a port and, optionally, an address.
    public init(port: Int, connection: SDPConnection? = nil) throws(SDPError) {
        guard (0...65535).contains(port) else {
            throw SDPError(.invalidValue, "an RTCP port is 0 to 65535", offset: 0, expected: "a port in 0...65535")
        }
        self.port = port
        self.connection = connection
    }

    /// Parses the value of an `a=rtcp` attribute (the text after `a=rtcp:`).
    public init(parsing value: String) throws(SDPError) {
        try self.init(checking: Substring(value))
    }

    init(checking value: Substring) throws(SDPError) {
        let fields = SDPText.fields(value)
        guard fields.count == 1 || fields.count == 4, let port = SDPText.decimal(fields[0], maximumDigits: 5),
            port <= 65535
        else {
            throw SDPError(
                .invalidAttribute, "an rtcp attribute is a port, optionally followed by an address",
                offset: 0, expected: "<port> [<nettype> <addrtype> <connection-address>]")
        }
        self.port = port
        if fields.count == 4 {
            let start = fields[1].startIndex
            connection = try SDPConnection(checking: value[start...])
        } else {
            connection = nil
        }
    }

    /// The value of the attribute, after `a=rtcp:`.
    public var value: String {
        guard let connection else { return String(port) }
        return String(port) + " " + connection.value
    }
}
