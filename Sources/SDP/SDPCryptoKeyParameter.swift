/// One key parameter of an `a=crypto` line for SRTP (RFC 4568 §6.1, §9.2): the master key and salt, with an
/// optional lifetime and master key identifier.
///
///     key-param     = key-method ":" key-info        ; only "inline" is defined for SRTP
///     srtp-key-info = key-salt ["|" lifetime] ["|" mki]
///     key-salt      = 1*(base64)                     ; key || salt, base64
///     lifetime      = ["2^"] 1*(DIGIT)               ; in packets
///     mki           = mki-value ":" mki-length       ; decimal value, length 1 to 128 octets
///
/// This type is the one home of that grammar, both ways: parsing checks the syntax (so a caller can tell a
/// malformed line from an unusable key), ``decodedKeySalt()`` turns the base64 into octets and
/// ``init(keyAndSalt:lifetimePackets:mki:)`` writes octets, lifetime and MKI as text. Whether the octets and the
/// lifetime fit a crypto suite is the SRTP module's business (`SRTPKeyMaterial(keyParameter:profile:)`).
public struct SDPCryptoKeyParameter: Sendable, Hashable {
    /// The master key identifier of a key parameter (RFC 4568 §6.1).
    public struct MKI: Sendable, Hashable {
        /// The MKI value in decimal, as written.
        public let value: String
        /// The length of the MKI field in SRTP packets, in octets: 1 to 128.
        public let length: Int

        /// An MKI from a decimal value and a length of 1 to 128 octets.
        public init(value: String, length: Int) throws(SDPError) {
            guard SDPText.isDigits(Substring(value)), (1...128).contains(length) else {
                throw SDPError(
                    .invalidKeyParameter, "an MKI is a decimal value and a length of 1 to 128 octets",
                    offset: 0, expected: "<decimal value>:<1-128>")
            }
            self.value = value
            self.length = length
        }
    }

    /// The key method as written; `inline` in any case.
    public let method: String
    /// The base64 text of the master key followed by the master salt, as written.
    public let keySalt: String
    /// The key lifetime as written (`2^20` or `1048576`), when given.
    public let lifetime: String?
    /// The master key identifier, when given.
    public let mki: MKI?
    /// The whole key parameter, `inline:<key-salt>[|<lifetime>][|<mki>:<length>]`, as written.
    public let text: String

    /// An `inline:` key parameter from its parts; `lifetime` is `2^<n>` or a decimal number of packets.
    public init(keySalt: String, lifetime: String? = nil, mki: MKI? = nil) throws(SDPError) {
        let separators: Set<Character> = ["|", ":"]
        guard !keySalt.contains("|"), !(lifetime?.contains(where: separators.contains) ?? false) else {
            throw SDPError(
                .invalidKeyParameter, "the key and the lifetime cannot hold | or :", offset: 0,
                expected: "base64 key and salt, and 2^<n> or <decimal> as lifetime")
        }
        var text = "inline:" + keySalt
        if let lifetime { text += "|" + lifetime }
        if let mki { text += "|" + mki.value + ":" + String(mki.length) }
        try self.init(checking: Substring(text))
    }

    /// An `inline:` key parameter that carries `keyAndSalt` as padded base64, with the lifetime written `2^<n>` when
    /// it is a power of two and in decimal otherwise.
    ///
    /// Base64 text and decimal numbers never hold `|` or `:`, and ``MKI`` was checked when it was made, so this
    /// cannot fail. The text holds the key: it is for an `a=crypto` line, never for a log.
    public init(keyAndSalt: [UInt8], lifetimePackets: UInt64? = nil, mki: MKI? = nil) {
        let keySalt = Base64.encode(keyAndSalt)
        let lifetime = lifetimePackets.map { packets in
            packets.nonzeroBitCount == 1 ? "2^\(packets.trailingZeroBitCount)" : String(packets)
        }
        var text = "inline:" + keySalt
        if let lifetime { text += "|" + lifetime }
        if let mki { text += "|" + mki.value + ":" + String(mki.length) }
        self.method = "inline"
        self.keySalt = keySalt
        self.lifetime = lifetime
        self.mki = mki
        self.text = text
    }

    /// Parses one key parameter, `inline:...`.
    public init(parsing text: String) throws(SDPError) {
        try self.init(checking: Substring(text))
    }

    init(checking text: Substring) throws(SDPError) {
        guard let colon = text.utf8.firstIndex(of: UInt8(ascii: ":")) else {
            throw SDPError(
                .invalidKeyParameter, "a key parameter is <method>:<key info>", offset: 0,
                expected: "\"inline:\"")
        }
        let method = text[..<colon]
        guard method.lowercased() == "inline" else {
            throw SDPError(
                .invalidKeyParameter, "SRTP defines only the inline key method", offset: 0,
                expected: "\"inline:\"")
        }
        let info = text[text.utf8.index(after: colon)...]
        let fields = info.split(separator: "|", omittingEmptySubsequences: false)
        guard fields.count <= 3 else {
            throw SDPError(
                .invalidKeyParameter, "a key parameter has at most key|lifetime|MKI",
                offset: SDPText.offset(of: fields[3], in: text), expected: "no more than three |-separated fields")
        }
        let keySalt = fields[0]
        if let bad = Base64.firstInvalidOffset(keySalt) {
            throw SDPError(
                .invalidKeyParameter, "the key and salt are base64 text",
                offset: SDPText.offset(of: keySalt, in: text) + bad, expected: "a base64 character")
        }
        var lifetime: Substring?
        var mki: MKI?
        for field in fields.dropFirst() {
            let offset = SDPText.offset(of: field, in: text)
            if let separator = field.utf8.firstIndex(of: UInt8(ascii: ":")) {
                let value = field[..<separator]
                let length = SDPText.decimal(field[field.utf8.index(after: separator)...], maximumDigits: 3)
                guard mki == nil, SDPText.isDigits(value), let length, (1...128).contains(length) else {
                    throw SDPError(
                        .invalidKeyParameter,
                        "an MKI is given once, as a decimal value and a length "
                            + "of 1 to 128 octets", offset: offset, expected: "<decimal value>:<1-128>")
                }
                mki = try MKI(value: String(value), length: length)
            } else {
                let digits = field.hasPrefix("2^") ? field.dropFirst(2) : field
                guard lifetime == nil, mki == nil, SDPText.isDigits(digits) else {
                    throw SDPError(
                        .invalidKeyParameter,
                        "a lifetime is 2^<n> or a number of packets, given once "
                            + "and before the MKI", offset: offset, expected: "2^<decimal> or <decimal>")
                }
                lifetime = field
            }
        }
        self.method = String(method)
        self.keySalt = String(keySalt)
        self.lifetime = lifetime.map(String.init)
        self.mki = mki
        self.text = String(text)
    }

    /// The lifetime in packets, when one is given and fits 64 bits (`2^20` gives 1048576).
    public var lifetimePackets: UInt64? {
        guard let lifetime else { return nil }
        if lifetime.hasPrefix("2^") {
            guard let exponent = SDPText.decimal(Substring(lifetime.dropFirst(2)), maximumDigits: 2), exponent < 64
            else { return nil }
            return UInt64(1) << UInt64(exponent)
        }
        return UInt64(lifetime)
    }

    /// The master key and salt octets the base64 text stands for, or nil when it is not whole base64 (more than two
    /// `=`, a length no encoder writes, or leftover bits that are not zero).
    ///
    /// Tolerates what real phones send: the `=` padding left out. The octets are secret: the caller wipes them.
    public func decodedKeySalt() -> [UInt8]? {
        Base64.decode(keySalt)
    }
}
