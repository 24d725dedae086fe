import TLS

extension TLSStream {
    /// Opens an outbound TLS connection (the client role, toward the PBX): a non-blocking TCP
    /// connect bounded by ``TCPLimits/connectTimeout``, then a handshake bounded by
    /// ``TCPLimits/handshakeTimeout``, with the server's certificate verified against `serverName`.
    ///
    /// Failures after this returns (refused, timed out, certificate rejected) arrive as
    /// ``TLSStreamHandlers/onClose`` with their reason.
    ///
    /// - Parameters:
    ///   - address: where to connect.
    ///   - source: the local address to connect from (port 0: any port), for a peer that trusts by
    ///     source address; the kernel's choice when nil.
    ///   - context: a client-role context.
    ///   - serverName: the name to verify and send as SNI; the context's when nil.
    ///   - loop: the loop the stream lives on.
    ///   - limits: connect, handshake and idle timeouts and buffer limits.
    ///   - counters: where the connection is counted.
    ///   - logger: where failures are logged.
    ///   - handlers: the owner's callbacks.
    public static func connect(
        to address: SocketAddress,
        from source: SocketAddress? = nil,
        context: TLSContext,
        serverName: String? = nil,
        loop: EventLoop,
        limits: TCPLimits = TCPLimits(),
        counters: TransportCounters = TransportCounters(),
        logger: TransportLogger = .standardError,
        handlers: TLSStreamHandlers
    ) throws(TransportError) -> TLSStream {
        guard context.configuration.role == .client else {
            throw TransportError(.tlsSetupFailed, "an outbound connection needs a client-role TLS context")
        }
        let tls: TLSConnection
        do {
            tls = try TLSConnection(context: context, peer: address.description, serverName: serverName)
        } catch {
            throw TransportError(.tlsSetupFailed, error.reason)
        }
        let byteStream = try ByteStream.opening(
            to: address, from: source, loop: loop, limits: limits.streamLimits, counters: counters, logger: logger)
        let stream = TLSStream(byteStream: byteStream, peer: address, tls: tls, limits: limits, handlers: handlers)
        loop.execute { stream.start() }
        return stream
    }
}
