/// The connection data of a `c=` line: `c=<nettype> <addrtype> <connection-address>` (RFC 4566 §5.7).
///
/// For `IN IP4` and `IN IP6` the address is a unicast address or a host name; a multicast address keeps its
/// `/<ttl>[/<count>]` suffix as part of ``address``.
public struct SDPConnection: Sendable, Hashable, CustomStringConvertible {
    /// The network type, `IN` for the Internet.
    public let networkType: String
    /// The address type: `IP4` or `IP6` for the Internet.
    public let addressType: String
    /// The connection address, as written.
    public let address: String

    /// Connection data for an IPv4 or IPv6 address: `IN IP6` when the address holds a `:`, else `IN IP4`.
    public init(address: String) throws(SDPError) {
        try self.init(
            networkType: "IN", addressType: address.utf8.contains(UInt8(ascii: ":")) ? "IP6" : "IP4",
            address: address)
    }

    /// Connection data from its three fields; each must be a non-empty token without whitespace.
    public init(networkType: String, addressType: String, address: String) throws(SDPError) {
        for (field, name) in [(networkType, "network type"), (addressType, "address type"), (address, "address")]
        where !SDPText.isToken(field) {
            throw SDPError(
                .invalidConnection, "the connection \(name) is empty or holds whitespace", offset: 0,
                expected: "a non-empty \(name) without whitespace")
        }
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    /// Parses the value of a `c=` line (the text after `c=`).
    public init(parsing value: String) throws(SDPError) {
        try self.init(checking: Substring(value))
    }

    init(checking value: Substring) throws(SDPError) {
        let fields = SDPText.fields(value)
        guard fields.count == 3 else {
            let offset = fields.count > 3 ? SDPText.offset(of: fields[3], in: value) : value.utf8.count
            throw SDPError(
                .invalidConnection, "a c= line has \(fields.count) fields, not 3", offset: offset,
                expected: "<nettype> <addrtype> <connection-address>")
        }
        networkType = String(fields[0])
        addressType = String(fields[1])
        address = String(fields[2])
    }

    /// Whether the address type is `IP6`.
    public var isIPv6: Bool { addressType == "IP6" }

    /// The value of the `c=` line, fields separated by single spaces.
    public var value: String { "\(networkType) \(addressType) \(address)" }

    public var description: String { value }
}
