/// The CSeq header: a sequence number and the request method (RFC 3261 §20.16, §8.1.1.5).
public struct SIPCSeq: Sendable, Hashable, CustomStringConvertible {
    /// The sequence number, below 2^31 (RFC 3261 §8.1.1.5).
    public var sequence: UInt32
    /// The method, which must equal the request's method (case-sensitively).
    public var method: SIPMethod

    /// A CSeq value.
    public init(sequence: UInt32, method: SIPMethod) {
        self.sequence = sequence
        self.method = method
    }

    /// Parses a CSeq value; error offsets count from its first byte.
    public init(parsing text: String) throws(SIPError) {
        self = try withUTF8Bytes(text) { (bytes) throws(SIPError) -> SIPCSeq in try SIPCSeq.parse(SIPCursor(bytes)) }
    }

    /// `sequence METHOD`.
    public var description: String { "\(sequence) \(method)" }

    /// CSeq = 1*DIGIT LWS Method (RFC 3261 §25.1).
    static func parse(_ start: SIPCursor) throws(SIPError) -> SIPCSeq {
        var cursor = start
        cursor.skipWhitespace()
        let digits = cursor.take(SIPGrammar.digitTable)
        guard let number = SIPGrammar.decimal(cursor.slice(digits), maximum: Int(Int32.max)) else {
            cursor.index = digits.lowerBound
            throw cursor.error(.invalidNumber, "the CSeq number must be a decimal below 2^31", "a CSeq number")
        }
        let beforeSpace = cursor.index
        cursor.skipWhitespace()
        guard cursor.index > beforeSpace else {
            throw cursor.error(.malformedHeaderValue, "the CSeq number must be followed by white space", "SP")
        }
        let method = try cursor.token("the CSeq method")
        cursor.skipWhitespace()
        try cursor.expectEnd("the CSeq")
        return SIPCSeq(sequence: UInt32(number), method: SIPMethod(cursor.string(method)))
    }
}
