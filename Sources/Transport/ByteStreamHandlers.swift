/// What a ``ByteStream`` tells its owner. Every callback runs on the stream's loop.
public struct ByteStreamHandlers: Sendable {
    /// The connection is up: at start for an accepted or adopted socket, when the connect
    /// completes for an outbound one.
    public var onOpen: @Sendable (ByteStream) -> Void
    /// Bytes arrived. The buffer holds every byte not yet consumed (earlier leftovers first);
    /// return how many leading bytes were consumed. The rest is offered again with the next bytes
    /// (or on ``ByteStream/resumeReading()``), and closes the stream with
    /// ``TCPCloseReason/Kind/inputLimit`` once it exceeds ``StreamLimits/maxInputBytes``. The
    /// buffer is valid only during the call.
    public var onData: @Sendable (ByteStream, UnsafeRawBufferPointer) -> Int
    /// The stream ended, once, with the reason. No callback follows.
    public var onClose: @Sendable (ByteStream, TCPCloseReason) -> Void
    /// Called once as the stream closes, after the close is counted and logged and before the
    /// socket goes: bytes to write as the last thing, as far as the socket takes them without
    /// waiting, with whatever is still queued in front of them (a TLS close_notify); nil writes
    /// nothing, not even the queue. For layers inside Transport.
    var onClosing: @Sendable (ByteStream, TCPCloseReason) -> [UInt8]? = { _, _ in nil }

    /// Creates handlers; only `onData` is required.
    public init(
        onOpen: @escaping @Sendable (ByteStream) -> Void = { _ in },
        onData: @escaping @Sendable (ByteStream, UnsafeRawBufferPointer) -> Int,
        onClose: @escaping @Sendable (ByteStream, TCPCloseReason) -> Void = { _, _ in }
    ) {
        self.onOpen = onOpen
        self.onData = onData
        self.onClose = onClose
    }

    /// Handlers that consume and drop everything.
    public static let discard = ByteStreamHandlers(onData: { _, bytes in bytes.count })
}
