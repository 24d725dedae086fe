/// Everything a ``TLSContext`` is built from: the role, the files, and the few choices an operator
/// makes. Protocol floor, cipher list, compression and renegotiation are not choices (see
/// ``TLSConfiguration/minimumVersion`` and ``TLSConfiguration/tls12CipherList``).
public struct TLSConfiguration: Sendable, Hashable {
    /// Which side of the handshake a context plays.
    public enum Role: String, Sendable, Hashable {
        /// Accepts connections (softphones toward Sotto).
        case server
        /// Opens connections (Sotto toward the PBX).
        case client
    }

    /// The protocol floor, fixed at TLS 1.2. There is deliberately no property to lower it: Sotto
    /// is a security product, TLS 1.0 and 1.1 are deprecated (RFC 8996), and docs/architecture.md, rule 1
    /// says no leg is ever weaker than TLS 1.2.
    public static let minimumVersion: TLSVersion = .v1_2

    /// The TLS 1.2 cipher list: ECDHE key exchange with AEAD ciphers only (no CBC, no RSA key
    /// transport, no SHA-1 MACs). TLS 1.3 suites are OpenSSL's defaults, all of which are AEAD.
    public static let tls12CipherList =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
        + "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
        + "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

    /// Which side of the handshake this context plays.
    public var role: Role
    /// PEM file with the leaf certificate first, then its intermediates (RSA or ECDSA). Required
    /// for a server; for a client, the certificate it presents when the PBX asks for one.
    public var certificateChainFile: String?
    /// PEM file with the private key matching the leaf certificate.
    public var privateKeyFile: String?
    /// PEM CA bundle. A server verifies client certificates against it; a client verifies the
    /// server against it, or against the system's default trust store when nil.
    public var caFile: String?
    /// Server only: refuse a client that presents no certificate valid under ``caFile`` (mTLS).
    public var requireClientCertificate: Bool
    /// Client only: the host name (or IP address) the server's certificate must match, also sent
    /// as SNI when it is a name (RFC 6066 §3 forbids IP literals in SNI).
    public var serverName: String?
    /// The highest version offered or accepted; TLS 1.3 unless a peer needs pinning to 1.2.
    public var maximumVersion: TLSVersion

    /// A configuration for the server role.
    ///
    /// - Parameters:
    ///   - certificateChainFile: PEM leaf certificate followed by its intermediates.
    ///   - privateKeyFile: PEM private key of the leaf.
    ///   - clientCAFile: CA bundle client certificates are verified against.
    ///   - requireClientCertificate: refuse clients without a valid certificate (needs `clientCAFile`).
    ///   - maximumVersion: the highest version accepted.
    public static func server(
        certificateChainFile: String,
        privateKeyFile: String,
        clientCAFile: String? = nil,
        requireClientCertificate: Bool = false,
        maximumVersion: TLSVersion = .v1_3
    ) -> TLSConfiguration {
        TLSConfiguration(
            role: .server,
            certificateChainFile: certificateChainFile,
            privateKeyFile: privateKeyFile,
            caFile: clientCAFile,
            requireClientCertificate: requireClientCertificate,
            serverName: nil,
            maximumVersion: maximumVersion
        )
    }

    /// A configuration for the client role.
    ///
    /// - Parameters:
    ///   - serverName: the name the server's certificate must carry; verification cannot be skipped.
    ///   - caFile: CA bundle to verify the server against; nil for the system's trust store.
    ///   - certificateChainFile: a client certificate to present, if the server asks for one.
    ///   - privateKeyFile: its private key.
    ///   - maximumVersion: the highest version offered.
    public static func client(
        serverName: String,
        caFile: String? = nil,
        certificateChainFile: String? = nil,
        privateKeyFile: String? = nil,
        maximumVersion: TLSVersion = .v1_3
    ) -> TLSConfiguration {
        TLSConfiguration(
            role: .client,
            certificateChainFile: certificateChainFile,
            privateKeyFile: privateKeyFile,
            caFile: caFile,
            requireClientCertificate: false,
            serverName: serverName,
            maximumVersion: maximumVersion
        )
    }

    /// Checks that the fields fit the role, without touching any file.
    public func validate() throws(TLSError) {
        if (certificateChainFile == nil) != (privateKeyFile == nil) {
            throw TLSError(.invalidConfiguration, "a certificate chain file and a private key file go together")
        }
        switch role {
        case .server:
            guard certificateChainFile != nil else {
                throw TLSError(.invalidConfiguration, "a TLS server needs a certificate chain file and a key file")
            }
            if requireClientCertificate && caFile == nil {
                throw TLSError(
                    .invalidConfiguration,
                    "requiring client certificates needs a CA file to verify them against"
                )
            }
            if serverName != nil {
                throw TLSError(.invalidConfiguration, "a server name is a client setting, not a server one")
            }
        case .client:
            guard let serverName, !serverName.isEmpty, !serverName.utf8.contains(0) else {
                throw TLSError(
                    .invalidConfiguration,
                    "a TLS client needs the server name to verify the certificate against"
                )
            }
            if requireClientCertificate {
                throw TLSError(.invalidConfiguration, "requiring a client certificate is a server setting")
            }
        }
    }
}
