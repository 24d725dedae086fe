internal import COpenSSL
internal import CSottoOpenSSL

#if canImport(Glibc)
    import Glibc
#endif

/// One TLS connection over OpenSSL with two memory BIOs and no socket: the caller feeds the
/// ciphertext it read from the network, reads plaintext out, writes plaintext in, and sends the
/// ciphertext the connection produces (swift-nio-ssl's design, so handshakes are testable without
/// I/O).
///
/// Not thread-safe: a connection belongs to one event loop. That is the `@unchecked Sendable`
/// promise. Every OpenSSL call clears the thread's error queue first.
public final class TLSConnection: @unchecked Sendable {
    /// The side of the handshake this connection plays (from its context).
    public let role: TLSConfiguration.Role
    /// Who the peer is, for sentences ("127.0.0.1:50432"); the TLS module never sees a socket.
    public let peer: String
    /// The context this connection was made from; its counters count this handshake.
    public let context: TLSContext
    /// Where the handshake stands.
    public private(set) var handshakeState: TLSHandshakeState = .inProgress
    /// The names in the peer's verified certificate, read once when the handshake completes; ``TLSPeerIdentity/none``
    /// before that and when the peer presented no certificate.
    public private(set) var peerIdentity: TLSPeerIdentity = .none

    let ssl: OpaquePointer
    /// Ciphertext from the network, read by OpenSSL. Owned by `ssl`.
    private let networkToTLS: OpaquePointer
    /// Ciphertext from OpenSSL, to be sent to the network. Owned by `ssl`.
    private let tlsToNetwork: OpaquePointer

    /// Creates a connection ready to handshake in the context's role.
    ///
    /// - Parameters:
    ///   - context: the configured context.
    ///   - peer: the peer's address as text, used in error sentences and logs.
    ///   - serverName: client only: the name to verify and send as SNI, instead of the
    ///     configuration's (a relay talks to several PBX hosts through one context).
    public init(context: TLSContext, peer: String, serverName: String? = nil) throws(TLSError) {
        OpenSSLErrorQueue.clear()
        guard let ssl = SSL_new(context.handle) else {
            throw TLSError(
                .connectionCreationFailed, "OpenSSL could not create a TLS connection for \(peer)",
                openSSLReason: OpenSSLErrorQueue.drain())
        }
        let networkToTLSBIO = BIO_new(BIO_s_mem())
        let tlsToNetworkBIO = BIO_new(BIO_s_mem())
        guard let networkToTLS = networkToTLSBIO, let tlsToNetwork = tlsToNetworkBIO else {
            BIO_free(networkToTLSBIO)
            BIO_free(tlsToNetworkBIO)
            SSL_free(ssl)
            throw TLSError(
                .connectionCreationFailed, "OpenSSL could not create memory BIOs for \(peer)",
                openSSLReason: OpenSSLErrorQueue.drain())
        }
        // An empty read BIO means "retry later" (WANT_READ), never end of file.
        _ = CSottoOpenSSL_BIO_set_mem_eof_return(networkToTLS, -1)
        SSL_set_bio(ssl, networkToTLS, tlsToNetwork)
        self.ssl = ssl
        self.networkToTLS = networkToTLS
        self.tlsToNetwork = tlsToNetwork
        self.role = context.configuration.role
        self.peer = peer
        self.context = context
        switch role {
        case .server:
            SSL_set_accept_state(ssl)
        case .client:
            try setUpClient(serverName: serverName ?? context.configuration.serverName ?? "")
            SSL_set_connect_state(ssl)
        }
    }

    deinit {
        SSL_free(ssl)  // frees both BIOs too
    }

    /// Hostname verification and SNI (RFC 6125 §6, RFC 6066 §3).
    private func setUpClient(serverName: String) throws(TLSError) {
        guard !serverName.isEmpty, !serverName.utf8.contains(0) else {
            throw TLSError(.invalidConfiguration, "a TLS client connection needs a server name to verify")
        }
        OpenSSLErrorQueue.clear()
        if Self.isIPAddress(serverName) {
            // An IP literal is matched against the certificate's IP SANs and is never sent as SNI.
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName) == 1 else {
                throw TLSError(
                    .invalidConfiguration, "OpenSSL refused \(serverName) as the address to verify",
                    openSSLReason: OpenSSLErrorQueue.drain())
            }
            return
        }
        // "*.example.com" matches one label only; "w*.example.com" is refused.
        SSL_set_hostflags(ssl, CSottoOpenSSL_X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS())
        guard SSL_set1_host(ssl, serverName) == 1,
            CSottoOpenSSL_SSL_set_tlsext_host_name(ssl, serverName) == 1
        else {
            throw TLSError(
                .invalidConfiguration, "OpenSSL refused \(serverName) as the server name",
                openSSLReason: OpenSSLErrorQueue.drain())
        }
    }

    static func isIPAddress(_ text: String) -> Bool {
        var buffer = in6_addr()
        return inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1
    }

    // MARK: Ciphertext in and out

    /// Hands OpenSSL ciphertext that arrived from the network.
    public func feed(_ ciphertext: UnsafeRawBufferPointer) {
        guard var base = ciphertext.baseAddress else { return }
        var remaining = ciphertext.count
        while remaining > 0 {
            let chunk = Int32(clamping: remaining)
            let written = BIO_write(networkToTLS, base, chunk)
            guard written > 0 else { return }  // only on allocation failure
            base += Int(written)
            remaining -= Int(written)
        }
    }

    /// Hands OpenSSL ciphertext that arrived from the network.
    public func feed(_ ciphertext: [UInt8]) {
        ciphertext.withUnsafeBytes { feed($0) }
    }

    /// Ciphertext bytes produced and not yet taken.
    public var pendingCiphertextCount: Int { Int(BIO_ctrl_pending(tlsToNetwork)) }

    /// Moves up to `buffer.count` bytes of produced ciphertext into `buffer`; returns how many.
    public func takeCiphertext(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress, !buffer.isEmpty, pendingCiphertextCount > 0 else { return 0 }
        let read = BIO_read(tlsToNetwork, base, Int32(clamping: buffer.count))
        return read > 0 ? Int(read) : 0
    }

    /// Takes all the ciphertext produced so far, to be sent to the peer in order.
    public func takeCiphertextToSend() -> [UInt8] {
        let count = pendingCiphertextCount
        guard count > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = takeCiphertext(into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    // MARK: Handshake and plaintext

    /// Advances the handshake with whatever ciphertext has been fed.
    ///
    /// A failure is counted in the context's counters once, and its sentence names the peer and
    /// OpenSSL's reason. Send the pending ciphertext (OpenSSL's alert) before closing.
    public func handshake() -> TLSResult<Void> {
        switch handshakeState {
        case .complete: return .complete(())
        case .failed, .closed: return .failed(closedError())
        case .inProgress: break
        }
        OpenSSLErrorQueue.clear()
        let status = SSL_do_handshake(ssl)
        if status == 1 {
            handshakeState = .complete
            peerIdentity = readPeerIdentity()
            context.counters.recordHandshakeCompleted()
            return .complete(())
        }
        let error = SSL_get_error(ssl, status)
        if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE {
            return .incomplete
        }
        handshakeState = .failed
        context.counters.recordHandshakeFailure()
        return .failed(failure(error, during: "handshake"))
    }

    /// Reads decrypted bytes into `buffer`, finishing the handshake first if needed.
    ///
    /// `.complete(n)` with `n > 0`; `.incomplete` when no whole record is buffered; `.failed` with
    /// ``TLSError/Code/closedByPeer`` on close_notify, or another code when the connection broke.
    public func readPlaintext(into buffer: UnsafeMutableRawBufferPointer) -> TLSResult<Int> {
        if handshakeState == .inProgress {
            switch handshake() {
            case .complete: break
            case .incomplete: return .incomplete
            case .failed(let error): return .failed(error)
            }
        }
        guard handshakeState == .complete else { return .failed(closedError()) }
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return .complete(0) }
        OpenSSLErrorQueue.clear()
        let count = SSL_read(ssl, base, Int32(clamping: buffer.count))
        if count > 0 { return .complete(Int(count)) }
        let error = SSL_get_error(ssl, count)
        switch error {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .incomplete
        case SSL_ERROR_ZERO_RETURN:
            handshakeState = .closed
            return .failed(TLSError(.closedByPeer, "\(peer) closed the TLS connection (close_notify)"))
        default:
            handshakeState = .failed
            return .failed(failure(error, during: "connection"))
        }
    }

    /// Encrypts `bytes` into ciphertext to send; `.incomplete` while the handshake is unfinished.
    public func writePlaintext(_ bytes: UnsafeRawBufferPointer) -> TLSResult<Int> {
        switch handshakeState {
        case .inProgress: return .incomplete
        case .failed, .closed: return .failed(closedError())
        case .complete: break
        }
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return .complete(0) }
        var written = 0
        while written < bytes.count {
            OpenSSLErrorQueue.clear()
            let status = SSL_write(ssl, base + written, Int32(clamping: bytes.count - written))
            guard status > 0 else {
                // A memory BIO never blocks, so anything but success is a failure.
                handshakeState = .failed
                return .failed(failure(SSL_get_error(ssl, status), during: "connection"))
            }
            written += Int(status)
        }
        return .complete(written)
    }

    /// Encrypts `bytes` into ciphertext to send; `.incomplete` while the handshake is unfinished.
    public func writePlaintext(_ bytes: [UInt8]) -> TLSResult<Int> {
        bytes.withUnsafeBytes { writePlaintext($0) }
    }

    /// Ends the connection: queues close_notify (RFC 8446 §6.1) when the handshake had completed.
    /// Send the pending ciphertext afterwards, then close the socket.
    public func close() {
        if handshakeState == .complete {
            OpenSSLErrorQueue.clear()
            _ = SSL_shutdown(ssl)
            OpenSSLErrorQueue.clear()
        }
        if handshakeState != .failed {
            handshakeState = .closed
        }
    }

    // MARK: What was negotiated

    /// The negotiated protocol version, once the handshake is complete.
    public var negotiatedVersion: TLSVersion? {
        guard handshakeState == .complete || handshakeState == .closed else { return nil }
        return TLSVersion(rawValue: String(cString: SSL_get_version(ssl)))
    }

    /// The negotiated cipher suite's OpenSSL name, once the handshake is complete.
    public var cipherSuite: String? {
        guard handshakeState == .complete, let cipher = SSL_get_current_cipher(ssl) else { return nil }
        return String(cString: SSL_CIPHER_get_name(cipher))
    }

    /// OpenSSL's certificate verification result (`X509_V_OK` when it passed or did not run).
    var verificationResult: Int { SSL_get_verify_result(ssl) }

    /// Whether the peer presented a certificate (always for a server; for a client under mTLS).
    public var peerPresentedCertificate: Bool { SSL_get0_peer_certificate(ssl) != nil }

    // MARK: Errors

    private func closedError() -> TLSError {
        TLSError(.connectionClosed, "the TLS connection with \(peer) is already closed or failed")
    }
}
