/// SDES-SRTP offers in a media section (RFC 4568): the crypto lines, the suites they offer, and whether the
/// section is SRTP that the caller's policy accepts. The policy comes from the caller because this wire module
/// does not import the SRTP module (docs/architecture.md, "Layers and modules").
extension SDPMediaDescription {
    /// The protocols that carry SDES-keyed SRTP: RTP/SAVP (RFC 3711 §12) and RTP/SAVPF (RFC 5124 §6).
    /// `UDP/TLS/RTP/SAVP(F)` is DTLS-SRTP (RFC 5764), which `a=crypto` does not key.
    public static let secureProfiles: Set<String> = ["RTP/SAVP", "RTP/SAVPF"]

    /// Whether the `m=` protocol is RTP/SAVP or RTP/SAVPF; compared without regard to case, as phones vary.
    public var isSecureProfile: Bool { Self.secureProfiles.contains(field.proto.uppercased()) }

    /// The `a=crypto` attributes that parse, in order; malformed ones are left out (RFC 4568 §5.1.1 lets an
    /// answerer ignore lines it does not understand).
    public var cryptoAttributes: [SDPCryptoAttribute] {
        attributeValues("crypto").compactMap { try? SDPCryptoAttribute(checking: $0) }
    }

    /// The crypto suites offered by the lines that parse, in order of preference, each once.
    public var offeredSuites: [String] {
        var seen: Set<String> = []
        return cryptoAttributes.compactMap { seen.insert($0.suite).inserted ? $0.suite : nil }
    }

    /// Decides whether this section is SRTP Sotto can use: an RTP/SAVP or RTP/SAVPF protocol with at least one
    /// `a=crypto` line whose suite is in `allowedSuites` and each of whose key parameters `keyIsUsable` accepts
    /// for that suite. The first failing check names the verdict.
    ///
    /// - Parameter keyIsUsable: called with a line's suite and one of its key parameters; the Proxy passes a
    ///   closure that tries `SRTPKeyMaterial(keyParameter:profile:)`.
    public func srtpVerdict(
        allowedSuites: Set<String>,
        keyIsUsable: (String, SDPCryptoKeyParameter) -> Bool
    ) -> SDPSRTPVerdict {
        guard isSecureProfile else { return .notSecureProfile }
        let values = attributeValues("crypto")
        guard !values.isEmpty else { return .noCrypto }
        guard values.contains(where: { SDPCryptoAttribute.namesSuite(in: allowedSuites, $0) }) else {
            return .noAllowedSuite
        }
        let allowed = cryptoAttributes.filter { allowedSuites.contains($0.suite) }
        if !allowed.isEmpty && allowed.allSatisfy(\.disablesProtection) { return .protectionDisabled }
        let usable = allowed.filter { attribute in
            !attribute.disablesProtection
                && attribute.keyParameters.allSatisfy { keyIsUsable(attribute.suite, $0) }
        }
        return usable.isEmpty ? .noUsableKey : .usable(usable)
    }

    /// The usable `a=crypto` lines of ``srtpVerdict(allowedSuites:keyIsUsable:)``, or none.
    public func srtpOffer(
        allowedSuites: Set<String>,
        keyIsUsable: (String, SDPCryptoKeyParameter) -> Bool
    ) -> [SDPCryptoAttribute] {
        srtpVerdict(allowedSuites: allowedSuites, keyIsUsable: keyIsUsable).usableAttributes
    }
}
