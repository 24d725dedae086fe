internal import COpenSSL

extension TLSConnection {
    /// OpenSSL reasons that mean a certificate was refused, by this side or by the peer.
    private static let certificateReasons: Set<Int32> = [
        SSL_R_CERTIFICATE_VERIFY_FAILED,
        SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE,
        SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED,
        SSL_R_SSLV3_ALERT_BAD_CERTIFICATE,
        SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN,
        SSL_R_TLSV1_ALERT_UNKNOWN_CA,
        SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED,
        SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED,
    ]

    /// Turns a failed call into one sentence: the peer, what was going on, OpenSSL's reasons from
    /// its queue, and the certificate verification result when that is what failed.
    func failure(_ sslError: Int32, during activity: String) -> TLSError {
        let codes = OpenSSLErrorQueue.drainCodes()
        var parts = codes.map(OpenSSLErrorQueue.describe)
        var certificateRefused = codes.contains {
            ERR_GET_LIB($0) == ERR_LIB_SSL && Self.certificateReasons.contains(ERR_GET_REASON($0))
        }
        let verifyResult = verificationResult
        if verifyResult != Int(X509_V_OK) {
            certificateRefused = true
            parts.append(
                "certificate verification failed: " + String(cString: X509_verify_cert_error_string(verifyResult)))
        }
        if parts.isEmpty {
            switch sslError {
            case SSL_ERROR_ZERO_RETURN:
                parts.append("the peer closed the connection")
            case SSL_ERROR_SYSCALL:
                parts.append("the stream ended unexpectedly")
            default:
                parts.append("OpenSSL gave no reason (SSL_get_error \(sslError))")
            }
        }
        let openSSLReason = parts.joined(separator: "; ")
        let code: TLSError.Code =
            certificateRefused
            ? .certificateVerificationFailed : activity == "handshake" ? .handshakeFailed : .protocolError
        return TLSError(
            code, "the TLS \(activity) with \(peer) failed: \(openSSLReason)", openSSLReason: openSSLReason)
    }
}
