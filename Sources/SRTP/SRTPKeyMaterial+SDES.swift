/// RFC 4568 §6.1, the SRTP key parameter of an `a=crypto` line:
///
///     srtp-key-info = key-salt ["|" lifetime] ["|" mki]
///     key-salt      = 1*(base64)        ; binary key and salt values concatenated, base64
///     lifetime      = ["2^"] 1*(DIGIT)  ; number of packets
///     mki           = mki-value ":" mki-length   ; decimal value, length in octets 1..128
///
/// and the key-param is `"inline:" srtp-key-info`.
extension SRTPKeyMaterial {
    /// Parses one `inline:` key parameter for the given suite.
    ///
    /// Tolerates what real phones send: a missing `=` padding, and any case in `inline:`.
    /// The error says what is wrong and never echoes the key.
    public init(sdesKeyParameter text: String, profile: SRTPProfile) throws(SRTPError) {
        let prefix = "inline:"
        guard text.count > prefix.count, text.prefix(prefix.count).lowercased() == prefix else {
            throw SRTPError(.invalidKeyParameter, "a key parameter must start with \"inline:\"")
        }
        let fields = text.dropFirst(prefix.count).split(separator: "|", omittingEmptySubsequences: false)
        guard fields.count <= 3 else {
            throw SRTPError(.invalidKeyParameter, "a key parameter has at most key|lifetime|mki")
        }
        guard var bytes = Base64.decode(fields[0]) else {
            throw SRTPError(.invalidKeyParameter, "the key and salt are not valid base64")
        }
        defer { wipe(&bytes) }
        let expected = profile.masterKeyLength + profile.masterSaltLength
        guard bytes.count == expected else {
            throw SRTPError(
                .invalidKeyParameter,
                "\(profile.rawValue) needs \(expected) octets of key and salt, the line has \(bytes.count)"
            )
        }
        var lifetime: UInt64?
        var mki: SRTPMasterKeyIdentifier?
        for field in fields.dropFirst() {
            if field.contains(":") {
                guard mki == nil else { throw SRTPError(.invalidKeyParameter, "the MKI is given twice") }
                mki = try Self.parseMKI(field)
            } else {
                guard lifetime == nil, mki == nil else {
                    throw SRTPError(.invalidKeyParameter, "the lifetime must come before the MKI, once")
                }
                lifetime = try Self.parseLifetime(field)
            }
        }
        try self.init(
            profile: profile,
            key: Array(bytes[..<profile.masterKeyLength]),
            salt: Array(bytes[profile.masterKeyLength...]),
            lifetime: lifetime,
            mki: mki
        )
    }

    /// The `inline:` key parameter that carries this key, for an `a=crypto` line Sotto writes.
    ///
    /// This is the one place key bytes become text; it is for SDP only, never for a log.
    public var sdesKeyParameter: String {
        var text = "inline:" + Base64.encode(keyAndSalt)
        if let lifetime {
            if lifetime.nonzeroBitCount == 1 {
                text += "|2^\(lifetime.trailingZeroBitCount)"
            } else {
                text += "|\(lifetime)"
            }
        }
        if let mki { text += "|\(mki.value):\(mki.length)" }
        return text
    }

    private static func parseLifetime(_ field: Substring) throws(SRTPError) -> UInt64 {
        if field.hasPrefix("2^") {
            guard let exponent = UInt8(field.dropFirst(2)), exponent <= 48 else {
                throw SRTPError(.invalidKeyParameter, "a lifetime of 2^n needs n from 0 to 48")
            }
            return UInt64(1) << exponent
        }
        guard let value = UInt64(field), value >= 1, value <= SRTPProfile.maximumKeyLifetime else {
            throw SRTPError(.invalidKeyParameter, "a lifetime must be a number of packets from 1 to 2^48")
        }
        return value
    }

    private static func parseMKI(_ field: Substring) throws(SRTPError) -> SRTPMasterKeyIdentifier {
        let parts = field.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let value = UInt64(parts[0]), let length = Int(parts[1]) else {
            throw SRTPError(.invalidKeyParameter, "an MKI must be value:length in decimal")
        }
        return try SRTPMasterKeyIdentifier(value: value, length: length)
    }
}
