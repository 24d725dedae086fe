/// A `b=<bwtype>:<bandwidth>` line (RFC 4566 §5.8): `CT` or `AS` in kilobits per second, `TIAS` (RFC 3890) in
/// bits per second, or an extension type kept by name.
public struct SDPBandwidth: Sendable, Hashable {
    /// The bandwidth type, as written (`AS`, `CT`, `TIAS`, `RS`, `RR`, ...).
    public let type: String
    /// The bandwidth, in the unit the type defines.
    public let bandwidth: Int

    /// Parses the value of a `b=` line (the text after `b=`).
    public init(parsing value: String) throws(SDPError) {
        try self.init(checking: Substring(value))
    }

    init(checking value: Substring) throws(SDPError) {
        guard let colon = value.utf8.firstIndex(of: UInt8(ascii: ":")), colon > value.startIndex else {
            throw SDPError(
                .invalidBandwidth, "a b= line needs a bandwidth type, a colon and a number", offset: 0,
                expected: "<bwtype>:<bandwidth>")
        }
        let number = value[value.utf8.index(after: colon)...]
        guard let bandwidth = SDPText.decimal(number) else {
            throw SDPError(
                .invalidBandwidth, "the bandwidth of a b= line is a decimal number",
                offset: SDPText.offset(of: number, in: value), expected: "decimal digits")
        }
        type = String(value[..<colon])
        self.bandwidth = bandwidth
    }
}
