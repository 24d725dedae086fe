internal import COpenSSL

/// A master key and master salt for one SRTP crypto suite, with the optional SDES lifetime and MKI.
///
/// This is secret material: its `description` never shows the bytes, so it can be interpolated into
/// logs safely. The bytes reach libsrtp2 only through ``SRTPContext``.
///
/// The bytes live in one ``SRTPKeyBytes`` buffer that every copy of this value shares (copying the value copies a
/// reference, never the key), cleared with `OPENSSL_cleanse` when the last copy is gone.
public struct SRTPKeyMaterial: Sendable, Equatable, CustomStringConvertible {
    /// The suite the key is for (its lengths were checked against it).
    public let profile: SRTPProfile
    /// Master key followed by master salt: the one buffer that holds them.
    package let storage: SRTPKeyBytes
    /// How many packets the key may protect, when the SDES line said so (RFC 4568 §6.1).
    public let lifetime: UInt64?
    /// The master key identifier carried in each packet, when one is used (RFC 3711 §3.1).
    public let mki: SRTPMasterKeyIdentifier?

    /// Wraps key and salt bytes, checking their lengths against the profile.
    public init(
        profile: SRTPProfile,
        key: [UInt8],
        salt: [UInt8],
        lifetime: UInt64? = nil,
        mki: SRTPMasterKeyIdentifier? = nil
    ) throws(SRTPError) {
        guard key.count == profile.masterKeyLength, salt.count == profile.masterSaltLength else {
            throw SRTPError(
                .invalidKey,
                "\(profile.rawValue) takes a \(profile.masterKeyLength)-octet key and a "
                    + "\(profile.masterSaltLength)-octet salt, not \(key.count) and \(salt.count)"
            )
        }
        if let lifetime, lifetime == 0 || lifetime > SRTPProfile.maximumKeyLifetime {
            throw SRTPError(.invalidKey, "a key lifetime must be between 1 and 2^48 packets")
        }
        self.init(profile: profile, storage: SRTPKeyBytes(concatenating: key, salt), lifetime: lifetime, mki: mki)
    }

    /// A key whose bytes, lifetime and MKI the caller has checked against `profile`.
    package init(profile: SRTPProfile, storage: SRTPKeyBytes, lifetime: UInt64?, mki: SRTPMasterKeyIdentifier?) {
        self.profile = profile
        self.storage = storage
        self.lifetime = lifetime
        self.mki = mki
    }

    /// Fresh key and salt from OpenSSL's CSPRNG (`RAND_bytes`), as Sotto gives each leg it offers
    /// or answers (docs/architecture.md, rule 2: a peer's key never reaches the other leg).
    public static func generate(for profile: SRTPProfile) throws(SRTPError) -> SRTPKeyMaterial {
        // Straight into the key's own buffer: no other copy of a fresh key ever exists.
        let storage = SRTPKeyBytes(count: profile.masterKeyLength + profile.masterSaltLength) {
            RAND_bytes($0.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32($0.count)) == 1
        }
        guard let storage else {
            throw SRTPError(.randomFailed, "OpenSSL's random generator could not deliver key material")
        }
        return SRTPKeyMaterial(profile: profile, storage: storage, lifetime: nil, mki: nil)
    }

    /// A copy of the master key octets (for tests; the caller owns and should wipe the copy).
    package var key: [UInt8] { storage.withUnsafeBytes { Array($0[..<profile.masterKeyLength]) } }
    /// A copy of the master salt octets (for tests).
    package var salt: [UInt8] { storage.withUnsafeBytes { Array($0[profile.masterKeyLength...]) } }

    /// Same suite, lifetime, MKI and bytes (the bytes compared in constant time).
    public static func == (lhs: SRTPKeyMaterial, rhs: SRTPKeyMaterial) -> Bool {
        lhs.profile == rhs.profile && lhs.lifetime == rhs.lifetime && lhs.mki == rhs.mki
            && lhs.storage.equals(rhs.storage)
    }

    /// Names the suite and hides the key.
    public var description: String { "SRTPKeyMaterial(\(profile.rawValue), key redacted)" }
}

/// A master key identifier: `value` written big-endian in `length` octets (RFC 4568 §6.1).
public struct SRTPMasterKeyIdentifier: Sendable, Hashable {
    /// The identifier's value.
    public let value: UInt64
    /// How many octets it occupies in each packet (1...8 here; libsrtp2 allows up to 128).
    public let length: Int

    /// An identifier; fails when the value does not fit in `length` octets.
    public init(value: UInt64, length: Int) throws(SRTPError) {
        guard (1...8).contains(length) else {
            throw SRTPError(.invalidKeyParameter, "an MKI length must be 1 to 8 octets, not \(length)")
        }
        guard length == 8 || value < (UInt64(1) << (8 * length)) else {
            throw SRTPError(.invalidKeyParameter, "MKI value \(value) does not fit in \(length) octets")
        }
        self.value = value
        self.length = length
    }

    /// The octets as they appear in a packet.
    public var bytes: [UInt8] {
        (0..<length).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(length - 1 - $0))) }
    }
}

/// Overwrites secret bytes before their storage is released.
func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
}
