/// The outcome of one call into a ``TLSConnection``, mapped from `SSL_get_error` as swift-nio-ssl
/// maps it: done, not yet (more ciphertext from the peer is needed), or failed for good.
public enum TLSResult<Value> {
    /// The call did its work and produced `Value`.
    case complete(Value)
    /// Nothing more can happen until more ciphertext is fed (`SSL_ERROR_WANT_READ`); any
    /// ciphertext already produced must still be sent.
    case incomplete
    /// The connection failed (or the peer closed it) and must be closed; any ciphertext already
    /// produced (an alert, close_notify) should still be sent first.
    case failed(TLSError)
}

extension TLSResult: Sendable where Value: Sendable {}

extension TLSResult: Equatable where Value: Equatable {}

/// Where a ``TLSConnection``'s handshake stands.
public enum TLSHandshakeState: Sendable, Hashable {
    /// Not finished: keep feeding ciphertext and sending what the connection produces.
    case inProgress
    /// Finished: plaintext can flow both ways.
    case complete
    /// Failed, or the connection failed or closed later: nothing more will flow.
    case failed
    /// ``TLSConnection/close()`` was called or the peer sent close_notify.
    case closed
}
