/// One header field as it appears in a message: its name and value as written, in message order
/// (RFC 3261 §7.3).
///
/// A parsed header keeps its original line (white space around the colon, folding) so that an unchanged message
/// serialises byte for byte; a header made with ``init(name:value:)`` is written as `Name: value`.
public struct SIPHeader: Sendable, Hashable, CustomStringConvertible {
    /// The name as written, e.g. `Via` or its compact form `v`.
    public let name: String
    /// The value with folding replaced by single spaces and surrounding white space removed (RFC 3261 §7.3.1).
    public let value: String
    /// The lower-cased full name, compact forms expanded: what lookups compare.
    public let canonicalName: String
    /// The line as received, CRLF excluded, when it differs from `name: value`.
    let raw: String?

    /// A header to add to a message; ``SIPMessage`` checks the name and value when it is inserted.
    public init(name: String, value: String) {
        self.init(name: name, value: value, raw: nil)
    }

    init(name: String, value: String, raw: String?) {
        self.name = name
        self.value = value
        self.canonicalName = SIPHeaderName.canonical(name)
        self.raw = raw
    }

    /// Whether this header's name is `name` (ignoring case, compact forms expanded).
    public func hasName(_ name: String) -> Bool { canonicalName == SIPHeaderName.canonical(name) }

    /// The line as it is serialised, CRLF excluded.
    public var description: String { raw ?? "\(name): \(value)" }

    /// Checks a header made by hand: a token name and a value without control characters other than HTAB, so
    /// that it cannot split the message (RFC 3261 §25.1).
    func validateForInsertion() throws(SIPError) {
        guard !name.isEmpty, name.utf8.allSatisfy(SIPGrammar.isToken) else {
            throw SIPError(.invalidEdit, "the header name '\(name)' is not a token", offset: 0, expected: "a token")
        }
        for (index, byte) in value.utf8.enumerated() where (byte < 0x20 && byte != SIPGrammar.tab) || byte == 0x7F {
            throw SIPError(
                .invalidEdit,
                "the value of \(name) holds a control character",
                offset: index,
                expected: "text without CR, LF or other controls"
            )
        }
    }
}
