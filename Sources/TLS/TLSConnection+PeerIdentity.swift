internal import COpenSSL
internal import CSottoOpenSSL

#if canImport(Glibc)
    import Glibc
#endif

extension TLSConnection {
    /// The names of the peer's certificate, if it presented one and it verified.
    ///
    /// Security: a name is an identity only when the chain verified against the context's CA. With a CA
    /// the handshake already fails on a bad chain (SSL_VERIFY_PEER); the result is checked again here so
    /// that no future change of verify mode can turn an unverified certificate into an identity. A server
    /// without a CA file asks for no certificate, so its peers have none.
    func readPeerIdentity() -> TLSPeerIdentity {
        guard let certificate = SSL_get0_peer_certificate(ssl), verificationResult == Int(X509_V_OK) else {
            return .none
        }
        var identity = TLSPeerIdentity()
        if let names = CSottoOpenSSL_X509_subject_alt_names(certificate) {
            defer { GENERAL_NAMES_free(names) }
            for index in 0..<CSottoOpenSSL_GENERAL_NAMES_count(names) {
                var bytes: UnsafePointer<UInt8>?
                var length: Int32 = 0
                let type = CSottoOpenSSL_GENERAL_NAMES_entry(names, index, &bytes, &length)
                guard let bytes else { continue }
                if type == GEN_IPADD {
                    if let address = Self.address(bytes, length) { identity.ipAddresses.append(address) }
                    continue
                }
                guard let text = Self.text(bytes, length) else { continue }
                if type == GEN_URI {
                    identity.uris.append(text)
                } else if type == GEN_DNS {
                    identity.dnsNames.append(text)
                }
            }
        }
        identity.commonNames = Self.commonNames(of: certificate)
        return identity
    }

    /// Every commonName of the subject, converted to UTF-8 by OpenSSL.
    private static func commonNames(of certificate: OpaquePointer) -> [String] {
        guard let subject = X509_get_subject_name(certificate) else { return [] }
        var names: [String] = []
        var index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1)
        while index >= 0 {
            if let entry = X509_NAME_get_entry(subject, index), let data = X509_NAME_ENTRY_get_data(entry) {
                var utf8: UnsafeMutablePointer<UInt8>?
                let length = ASN1_STRING_to_UTF8(&utf8, data)
                if let utf8, length >= 0, let text = text(utf8, length) {
                    names.append(text)
                }
                CRYPTO_free(utf8, #fileID, #line)
            }
            index = X509_NAME_get_index_by_NID(subject, NID_commonName, index)
        }
        return names
    }

    /// A SAN IP address's 4 or 16 bytes as text ("192.0.2.7", "2001:db8::1").
    private static func address(_ bytes: UnsafePointer<UInt8>, _ length: Int32) -> String? {
        guard length == 4 || length == 16 else { return nil }
        var text = [CChar](repeating: 0, count: 64)
        guard inet_ntop(length == 4 ? AF_INET : AF_INET6, bytes, &text, socklen_t(text.count)) != nil else {
            return nil
        }
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// The bytes as a name, or nil when they are not UTF-8 or hold a NUL (a classic way to smuggle
    /// `good.example\0.evil` past a comparison).
    private static func text(_ bytes: UnsafePointer<UInt8>, _ length: Int32) -> String? {
        guard length > 0 else { return nil }
        let buffer = UnsafeBufferPointer(start: bytes, count: Int(length))
        guard !buffer.contains(0) else { return nil }
        return String(validating: buffer, as: UTF8.self)
    }
}
