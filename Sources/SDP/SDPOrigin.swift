/// The originator and session identifier of the `o=` line (RFC 4566 §5.2):
/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`.
public struct SDPOrigin: Sendable, Hashable {
    /// The user's login on the originating host, `-` when there is none.
    public let username: String
    /// The session identifier, decimal digits.
    public let sessionID: String
    /// The version of this description, decimal digits; it grows each time the session is modified.
    public let sessionVersion: String
    /// The network type, `IN`.
    public let networkType: String
    /// The address type, `IP4` or `IP6`.
    public let addressType: String
    /// The originating host's address or name.
    public let address: String

    /// Parses the value of an `o=` line (the text after `o=`).
    public init(parsing value: String) throws(SDPError) {
        try self.init(checking: Substring(value))
    }

    init(checking value: Substring) throws(SDPError) {
        let fields = SDPText.fields(value)
        guard fields.count == 6 else {
            let offset = fields.count > 6 ? SDPText.offset(of: fields[6], in: value) : value.utf8.count
            throw SDPError(
                .invalidOrigin, "an o= line has \(fields.count) fields, not 6", offset: offset,
                expected: "<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>")
        }
        for index in [1, 2] where !SDPText.isDigits(fields[index]) {
            throw SDPError(
                .invalidOrigin, "the session id and version of an o= line are decimal numbers",
                offset: SDPText.offset(of: fields[index], in: value), expected: "decimal digits")
        }
        username = String(fields[0])
        sessionID = String(fields[1])
        sessionVersion = String(fields[2])
        networkType = String(fields[3])
        addressType = String(fields[4])
        address = String(fields[5])
    }
}
