/// What a ``TLSStream`` tells its owner. Every callback runs on the stream's loop.
public struct TLSStreamHandlers: Sendable {
    /// The TLS handshake completed: plaintext can now be sent.
    public var onHandshake: @Sendable (TLSStream) -> Void
    /// Plaintext arrived. The buffer holds every byte not yet consumed (earlier leftovers first);
    /// return how many leading bytes were consumed. The rest is offered again with the next bytes,
    /// and closes the stream with ``TCPCloseReason/Kind/inputLimit`` once it exceeds
    /// ``TCPLimits/maxInputBytes``. The buffer is valid only during the call.
    public var onData: @Sendable (TLSStream, UnsafeRawBufferPointer) -> Int
    /// The stream ended, once, with the reason. No callback follows.
    public var onClose: @Sendable (TLSStream, TCPCloseReason) -> Void

    /// Creates handlers; only `onData` is required.
    public init(
        onHandshake: @escaping @Sendable (TLSStream) -> Void = { _ in },
        onData: @escaping @Sendable (TLSStream, UnsafeRawBufferPointer) -> Int,
        onClose: @escaping @Sendable (TLSStream, TCPCloseReason) -> Void = { _, _ in }
    ) {
        self.onHandshake = onHandshake
        self.onData = onData
        self.onClose = onClose
    }

    /// Handlers that consume and drop everything.
    public static let discard = TLSStreamHandlers(onData: { _, bytes in bytes.count })
}
