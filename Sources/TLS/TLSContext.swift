internal import COpenSSL
internal import CSottoOpenSSL

/// An OpenSSL `SSL_CTX` set up once from a ``TLSConfiguration``: certificates, trust, protocol
/// floor, ciphers and options. ``TLSConnection``s are made from it.
///
/// Thread-safe once built: OpenSSL allows `SSL_new` on one `SSL_CTX` from many threads, and the
/// context is never changed after `init`.
public final class TLSContext: @unchecked Sendable {
    /// What this context was built from.
    public let configuration: TLSConfiguration
    /// Handshakes completed and failed on connections made from this context.
    public let counters: TLSCounters

    let handle: OpaquePointer

    /// Builds the context, loading every file now so that a bad file fails at start, with its name.
    public init(_ configuration: TLSConfiguration, counters: TLSCounters = TLSCounters()) throws(TLSError) {
        try configuration.validate()
        OpenSSLErrorQueue.clear()
        let method = configuration.role == .server ? TLS_server_method() : TLS_client_method()
        guard let handle = SSL_CTX_new(method) else {
            throw TLSError(
                .contextCreationFailed, "OpenSSL could not create a TLS context",
                openSSLReason: OpenSSLErrorQueue.drain())
        }
        self.handle = handle
        self.configuration = configuration
        self.counters = counters
        // From here on, a throw runs deinit, which frees the handle.
        try configureProtocol()
        try loadCertificate()
        try loadTrust()
    }

    deinit {
        SSL_CTX_free(handle)
    }

    /// Version floor and ceiling, ciphers, options and modes.
    private func configureProtocol() throws(TLSError) {
        // The floor is TLS 1.2 and nothing can lower it (RFC 8996; docs/architecture.md, rule 1).
        guard
            CSottoOpenSSL_SSL_CTX_set_min_proto_version(handle, TLSConfiguration.minimumVersion.openSSLValue) == 1,
            CSottoOpenSSL_SSL_CTX_set_max_proto_version(handle, configuration.maximumVersion.openSSLValue) == 1
        else {
            throw contextFailure("OpenSSL refused the protocol version range")
        }
        // TLS 1.2: ECDHE + AEAD only. TLS 1.3 keeps OpenSSL's suites, all AEAD (RFC 8446 §9.1).
        guard SSL_CTX_set_cipher_list(handle, TLSConfiguration.tls12CipherList) == 1 else {
            throw contextFailure("OpenSSL refused the TLS 1.2 cipher list")
        }
        // No compression (CRIME), no renegotiation (a DoS lever and a history of bugs; TLS 1.3 has
        // none), and the server picks the cipher from its own ordered list.
        _ = SSL_CTX_set_options(
            handle,
            CSottoOpenSSL_SSL_OP_NO_COMPRESSION() | CSottoOpenSSL_SSL_OP_NO_RENEGOTIATION()
                | CSottoOpenSSL_SSL_OP_CIPHER_SERVER_PREFERENCE()
        )
        // No stateless session tickets on the listener. OpenSSL's default ticket key is made at random when the
        // context is made and never rotated while it lives (until a certificate reload), and a TLS 1.2 ticket
        // carries the session's master secret sealed under that key: one key read out of memory would open every
        // TLS 1.2 session resumed or ticketed since start, which undoes forward secrecy. With SSL_OP_NO_TICKET,
        // phones still resume cheaply: TLS 1.2 by session id, TLS 1.3 with stateful tickets (only an id), both
        // from OpenSSL's server-side cache, bounded (20480 sessions) and expired (300 s); a reload starts an
        // empty cache.
        if case .server = configuration.role {
            _ = SSL_CTX_set_options(handle, CSottoOpenSSL_SSL_OP_NO_TICKET())
        }
        // Release the read and write buffers of idle connections: thousands of idle softphone
        // connections would otherwise hold about 34 KiB each.
        _ = CSottoOpenSSL_SSL_CTX_set_mode(handle, Int(SSL_MODE_RELEASE_BUFFERS))
    }

    private func loadCertificate() throws(TLSError) {
        guard let chain = configuration.certificateChainFile, let key = configuration.privateKeyFile else { return }
        OpenSSLErrorQueue.clear()
        guard SSL_CTX_use_certificate_chain_file(handle, chain) == 1 else {
            let openSSL = OpenSSLErrorQueue.drain()
            throw TLSError(
                .certificateLoadFailed,
                "the certificate chain file \(chain) could not be loaded: \(openSSL ?? "no reason given")",
                openSSLReason: openSSL)
        }
        guard SSL_CTX_use_PrivateKey_file(handle, key, SSL_FILETYPE_PEM) == 1 else {
            let openSSL = OpenSSLErrorQueue.drain()
            throw TLSError(
                .privateKeyLoadFailed,
                "the private key file \(key) could not be loaded: \(openSSL ?? "no reason given")",
                openSSLReason: openSSL)
        }
        guard SSL_CTX_check_private_key(handle) == 1 else {
            let openSSL = OpenSSLErrorQueue.drain()
            throw TLSError(
                .privateKeyLoadFailed,
                "the private key in \(key) does not match the certificate in \(chain): \(openSSL ?? "no reason given")",
                openSSLReason: openSSL)
        }
    }

    private func loadTrust() throws(TLSError) {
        OpenSSLErrorQueue.clear()
        if let caFile = configuration.caFile {
            guard SSL_CTX_load_verify_locations(handle, caFile, nil) == 1 else {
                let openSSL = OpenSSLErrorQueue.drain()
                throw TLSError(
                    .trustStoreLoadFailed,
                    "the CA file \(caFile) could not be loaded: \(openSSL ?? "no reason given")",
                    openSSLReason: openSSL)
            }
        }
        switch configuration.role {
        case .client:
            if configuration.caFile == nil, SSL_CTX_set_default_verify_paths(handle) != 1 {
                throw contextFailure("the system's default CA store could not be loaded")
            }
            // The server must present a chain that verifies; the name is checked per connection.
            SSL_CTX_set_verify(handle, SSL_VERIFY_PEER, nil)
        case .server:
            // Resumption (TLS 1.3 tickets) with client verification on fails the handshake outright
            // unless a session id context is set; set one always, so reconnecting phones resume.
            let sessionContext = Array("sotto-sip".utf8)
            _ = SSL_CTX_set_session_id_context(handle, sessionContext, UInt32(sessionContext.count))
            guard let caFile = configuration.caFile else {
                SSL_CTX_set_verify(handle, SSL_VERIFY_NONE, nil)
                return
            }
            // Tell clients which CAs are acceptable (the certificate_authorities the server sends).
            if let names = SSL_load_client_CA_file(caFile) {
                SSL_CTX_set_client_CA_list(handle, names)
            }
            guard configuration.requireClientCertificate else {
                // A certificate is asked for, not required: one that does not verify lets the handshake go on
                // as if none had been sent. Security: the failed result stays the connection's, so it never
                // becomes an identity (TLSConnection.readPeerIdentity checks it); a phone with a certificate
                // from another CA is served as an anonymous phone rather than refused.
                SSL_CTX_set_verify(handle, SSL_VERIFY_PEER) { _, _ in 1 }
                return
            }
            SSL_CTX_set_verify(handle, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        }
    }

    private func contextFailure(_ sentence: String) -> TLSError {
        let openSSL = OpenSSLErrorQueue.drain()
        let reason = openSSL.map { "\(sentence): \($0)" } ?? sentence
        return TLSError(.contextCreationFailed, reason, openSSLReason: openSSL)
    }
}
