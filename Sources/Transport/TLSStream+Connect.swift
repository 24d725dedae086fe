import Dispatch
import TLS

#if canImport(Glibc)
    import Glibc
#endif

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
        let fd = try Socket.make(family: address.protocolFamily)
        if let source, source.withSockAddr({ bind(fd, $0, $1) }) != 0 {
            let error = errno
            Glibc.close(fd)
            throw TransportError(
                .bindFailed, "binding \(source) to connect to \(address) failed: \(errnoSentence(error))")
        }
        let status = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        let error = errno
        if status != 0 && error != EINPROGRESS {
            Glibc.close(fd)
            throw TransportError(.connectFailed, "connecting to \(address) failed: \(errnoSentence(error))")
        }
        let stream = TLSStream(
            fd: fd, peer: address, tls: tls, loop: loop, limits: limits, counters: counters, logger: logger,
            handlers: handlers, state: status == 0 ? .handshaking : .connecting)
        counters.recordOpened()
        loop.execute { stream.start() }
        return stream
    }

    /// The socket became writable while connecting: the connect finished, well or badly.
    func completeConnect() {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 {
            error = errno
        }
        guard error == 0 else {
            finish(.connectFailed, "connecting to \(peer) failed: \(errnoSentence(error))")
            return
        }
        state = .handshaking
        phaseDeadline = loop.now() &+ limits.handshakeTimeout.nanoseconds
        armTimer()
        disarmWrite()
        activateRead()
        advanceTLS()  // the ClientHello
    }
}
