/// An `a=crypto` attribute for SRTP (RFC 4568 §4, §9.1): a tag, a crypto suite, one or more key parameters and
/// optional session parameters.
///
///     a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]
///     tag            = 1*9DIGIT
///     crypto-suite   = 1*(ALPHA / DIGIT / "_")
///     key-params     = key-param *(";" key-param)
///     session-param  = 1*(VCHAR)                 ; separated by whitespace
///
/// The suite is kept as its SDP name (`AES_CM_128_HMAC_SHA1_80`): this wire module does not know which suites
/// the SRTP module supports; callers decide with an allow-list.
public struct SDPCryptoAttribute: Sendable, Hashable, CustomStringConvertible {
    /// The tag that the answer's `a=crypto` line echoes to accept this offer line (RFC 4568 §5.1).
    public let tag: Int
    /// The crypto suite name, as written.
    public let suite: String
    /// The key parameters, in order (RFC 4568 §6.1 allows more than one, told apart by MKI).
    public let keyParameters: [SDPCryptoKeyParameter]
    /// The session parameters (`KDR=`, `UNENCRYPTED_SRTP`, `FEC_ORDER=`, ...), verbatim and in order.
    public let sessionParameters: [String]

    /// Whether a session parameter turns SRTP or SRTCP encryption, or SRTP authentication, off
    /// (RFC 4568 §6.3.2-6.3.3). Sotto never accepts such a line: docs/architecture.md, rule 1, no plain leg.
    public var disablesProtection: Bool {
        sessionParameters.contains {
            let name = $0.uppercased()
            return name == "UNENCRYPTED_SRTP" || name == "UNENCRYPTED_SRTCP" || name == "UNAUTHENTICATED_SRTP"
        }
    }

    /// An attribute from its parts: a tag of up to 9 digits, a suite of letters, digits and `_`, at least one
    /// key parameter, and session parameters without whitespace.
    public init(
        tag: Int,
        suite: String,
        keyParameters: [SDPCryptoKeyParameter],
        sessionParameters: [String] = []
    ) throws(SDPError) {
        guard (0...999_999_999).contains(tag) else {
            throw SDPError(.invalidCrypto, "a crypto tag has at most nine digits", offset: 0, expected: "1*9DIGIT")
        }
        guard Self.isSuiteName(Substring(suite)) else {
            throw SDPError(
                .invalidCrypto, "a crypto suite is letters, digits and _", offset: 0,
                expected: "1*(ALPHA / DIGIT / \"_\")")
        }
        guard !keyParameters.isEmpty, sessionParameters.allSatisfy({ SDPText.isToken($0) }) else {
            throw SDPError(
                .invalidCrypto,
                "an a=crypto line needs a key parameter, and session parameters are "
                    + "tokens", offset: 0, expected: "at least one key parameter")
        }
        self.tag = tag
        self.suite = suite
        self.keyParameters = keyParameters
        self.sessionParameters = sessionParameters
    }

    /// Parses the value of an `a=crypto` attribute (the text after `a=crypto:`).
    public init(parsing value: String) throws(SDPError) {
        try self.init(checking: Substring(value))
    }

    init(checking value: Substring) throws(SDPError) {
        let fields = SDPText.fields(value)
        guard fields.count >= 3 else {
            throw SDPError(
                .invalidCrypto, "an a=crypto line needs a tag, a suite and key parameters",
                offset: value.utf8.count, expected: "<tag> <crypto-suite> <key-params> [<session-params>]")
        }
        guard let tag = SDPText.decimal(fields[0], maximumDigits: 9) else {
            throw SDPError(
                .invalidCrypto, "a crypto tag is one to nine decimal digits",
                offset: SDPText.offset(of: fields[0], in: value), expected: "1*9DIGIT")
        }
        guard Self.isSuiteName(fields[1]) else {
            throw SDPError(
                .invalidCrypto, "a crypto suite is letters, digits and _",
                offset: SDPText.offset(of: fields[1], in: value), expected: "1*(ALPHA / DIGIT / \"_\")")
        }
        var keyParameters: [SDPCryptoKeyParameter] = []
        for parameter in fields[2].split(separator: ";", omittingEmptySubsequences: false) {
            do {
                keyParameters.append(try SDPCryptoKeyParameter(checking: parameter))
            } catch {
                throw error.located(at: SDPText.offset(of: parameter, in: value), line: 0)
            }
        }
        self.tag = tag
        suite = String(fields[1])
        self.keyParameters = keyParameters
        sessionParameters = fields[3...].map(String.init)
    }

    /// Whether the second field of an `a=crypto` value names a suite in `suites`, even when the rest of the
    /// value does not parse: tells "no allowed suite" from "no usable key".
    static func namesSuite(in suites: Set<String>, _ value: Substring) -> Bool {
        let fields = SDPText.fields(value)
        return fields.count >= 2 && suites.contains(String(fields[1]))
    }

    private static func isSuiteName(_ text: Substring) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                    true
                default: false
                }
            }
    }

    /// The value of the attribute, after `a=crypto:`: fields separated by single spaces, key parameters by `;`.
    public var value: String {
        var text = String(tag) + " " + suite + " "
        for (index, parameter) in keyParameters.enumerated() {
            if index > 0 { text += ";" }
            text += parameter.text
        }
        for parameter in sessionParameters { text += " " + parameter }
        return text
    }

    public var description: String { "a=crypto:" + value }
}
