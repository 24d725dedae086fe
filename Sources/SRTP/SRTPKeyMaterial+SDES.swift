public import SDP

/// SDES keys (RFC 4568 §6.1): the text of an `inline:` key parameter is the SDP module's grammar
/// (``SDPCryptoKeyParameter`` parses, decodes and writes it); what this file adds is the crypto side, that the
/// octets, the lifetime and the MKI fit the suite and libsrtp2.
extension SRTPKeyMaterial {
    /// The key a parsed `inline:` key parameter carries, for the given suite.
    ///
    /// Checks that the key and salt decode to the suite's lengths, that a lifetime lies within 1 to 2^48 packets
    /// and that an MKI fits 1 to 8 octets. The error says what is wrong and never echoes the key.
    public init(keyParameter: SDPCryptoKeyParameter, profile: SRTPProfile) throws(SRTPError) {
        guard var bytes = keyParameter.decodedKeySalt() else {
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
        if keyParameter.lifetime != nil {
            guard let packets = keyParameter.lifetimePackets, (1...SRTPProfile.maximumKeyLifetime).contains(packets)
            else {
                throw SRTPError(.invalidKeyParameter, "a lifetime must be a number of packets from 1 to 2^48")
            }
            lifetime = packets
        }
        var mki: SRTPMasterKeyIdentifier?
        if let given = keyParameter.mki {
            guard let value = UInt64(given.value) else {
                throw SRTPError(.invalidKeyParameter, "an MKI value must fit in 64 bits")
            }
            mki = try SRTPMasterKeyIdentifier(value: value, length: given.length)
        }
        self.init(profile: profile, storage: SRTPKeyBytes(concatenating: bytes), lifetime: lifetime, mki: mki)
    }

    /// Parses the text of one `inline:` key parameter with ``SDPCryptoKeyParameter`` and takes its key for the
    /// given suite, as ``init(keyParameter:profile:)`` does.
    ///
    /// Tolerates what real phones send: a missing `=` padding, and any case in `inline:`. A caller that has the
    /// parsed ``SDPCryptoKeyParameter`` (from an `a=crypto` line) should hand that over instead of its text.
    public init(sdesKeyParameter text: String, profile: SRTPProfile) throws(SRTPError) {
        let parameter: SDPCryptoKeyParameter
        do {
            parameter = try SDPCryptoKeyParameter(parsing: text)
        } catch {
            // The SDP reasons name the part that is wrong, never the key text itself.
            throw SRTPError(.invalidKeyParameter, "the key parameter does not parse: \(error.reason)")
        }
        try self.init(keyParameter: parameter, profile: profile)
    }

    /// The `inline:` key parameter that carries this key, for an `a=crypto` line Sotto writes.
    ///
    /// This is where key bytes become text; it is for SDP only, never for a log.
    public var keyParameter: SDPCryptoKeyParameter {
        // The octets are copied out only to be base64-encoded into the parameter's text, and cleared at once.
        var octets = storage.withUnsafeBytes { Array($0) }
        defer { wipe(&octets) }
        return SDPCryptoKeyParameter(keyAndSalt: octets, lifetimePackets: lifetime, mki: mki.map(Self.sdpMKI))
    }

    /// The text of ``keyParameter``: `inline:<key||salt>[|<lifetime>][|<MKI>:<length>]`.
    public var sdesKeyParameter: String { keyParameter.text }

    /// An MKI as SDP writes it: its value in decimal and its length.
    private static func sdpMKI(_ mki: SRTPMasterKeyIdentifier) -> SDPCryptoKeyParameter.MKI {
        do {
            return try SDPCryptoKeyParameter.MKI(value: String(mki.value), length: mki.length)
        } catch {
            // An SRTP MKI is 1 to 8 octets with a decimal value, inside what SDP allows (1 to 128 octets).
            preconditionFailure("an SRTP MKI is always a valid SDP MKI: \(error.reason)")
        }
    }
}
