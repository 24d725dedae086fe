import Dispatch
import TLS

#if canImport(Glibc)
    import Glibc
#endif

/// A non-blocking TCP listen socket (IPv4 or IPv6) whose accepted connections become
/// ``TLSStream``s in the server role, on one ``EventLoop``.
///
/// Limits are enforced at accept, before any TLS state is made: past ``TCPLimits/maxConnections``
/// open connections, ``TCPLimits/maxHandshakes`` handshakes under way,
/// ``TCPLimits/acceptsPerSecondPerAddress`` new connections per second from one address, or
/// ``TCPLimits/maxConnectionsPerAddress`` open from one address, a new connection is accepted and
/// closed at once (so it does not sit in the kernel's backlog), counted, and logged at most once a
/// second per limit. "One address" is an IPv4 address or an IPv6 prefix
/// (``TCPLimits/ipv6PrefixLength``). Every other limit is the stream's.
public final class TCPListener: @unchecked Sendable {
    /// The address actually bound (with the kernel's port when asked for port 0).
    public let localAddress: SocketAddress
    /// The loop the listener and its streams live on.
    public let loop: EventLoop
    /// The server-role context every new connection handshakes with (replaced by ``replaceContext(_:)``;
    /// read on the loop).
    public private(set) var context: TLSContext
    /// The limits applied to every connection.
    public let limits: TCPLimits
    /// Accepts, refusals and closes by reason.
    public let counters: TransportCounters

    private let acceptor: Acceptor
    private let logger: TransportLogger
    private let makeHandlers: @Sendable (TLSStream) -> TLSStreamHandlers
    private var streams: [ObjectIdentifier: TLSStream] = [:]
    /// Open connections per address key (``SocketAddress/limitKey(ipv6PrefixLength:)``).
    private var perAddress: [String: Int] = [:]
    /// Streams whose handshake is under way.
    private var handshaking: Set<ObjectIdentifier> = []
    private var acceptRate: AddressRateLimiter
    private var refusalLogs: [String: RateLimitedLog] = [:]
    private var stopped = false

    /// Binds and listens; call ``start()`` to accept.
    ///
    /// - Parameters:
    ///   - address: the address to bind; port 0 picks a free port. An IPv6 address listens on IPv6
    ///     only, so an IPv4 listener can sit beside it.
    ///   - context: a server-role context.
    ///   - loop: the loop for the listener and its connections.
    ///   - limits: the limits for every connection.
    ///   - counters: where connections are counted.
    ///   - logger: where refusals, handshake failures and closes are logged.
    ///   - backlog: the kernel's accept queue length.
    ///   - handlers: called on the loop for each accepted connection to get its handlers.
    public init(
        address: SocketAddress,
        context: TLSContext,
        loop: EventLoop,
        limits: TCPLimits = TCPLimits(),
        counters: TransportCounters = TransportCounters(),
        logger: TransportLogger = .standardError,
        backlog: Int32 = 511,
        handlers: @escaping @Sendable (TLSStream) -> TLSStreamHandlers
    ) throws(TransportError) {
        guard context.configuration.role == .server else {
            throw TransportError(.tlsSetupFailed, "a listener needs a server-role TLS context")
        }
        let fd = try Socket.make(family: address.protocolFamily)
        var ok = Socket.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
        if address.family == .inet6 {
            ok = ok && Socket.setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1)
        }
        guard ok else {
            let error = errno
            Glibc.close(fd)
            throw TransportError(.socketFailed, "the listen socket's options could not be set: \(errnoSentence(error))")
        }
        guard address.withSockAddr({ bind(fd, $0, $1) }) == 0 else {
            let error = errno
            Glibc.close(fd)
            throw TransportError(.bindFailed, "binding \(address) failed: \(errnoSentence(error))")
        }
        guard listen(fd, backlog) == 0 else {
            let error = errno
            Glibc.close(fd)
            throw TransportError(.listenFailed, "listening on \(address) failed: \(errnoSentence(error))")
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let localAddress = named == 0 ? SocketAddress(storage) ?? address : address
        self.localAddress = localAddress
        self.acceptor = Acceptor(fd: fd, tcp: true, name: localAddress.description, loop: loop, logger: logger)
        self.loop = loop
        self.context = context
        self.limits = limits
        self.counters = counters
        self.logger = logger
        self.makeHandlers = handlers
        // The bucket holds at least the connections one address may have open, so an office behind one NAT
        // reconnecting all its phones at once (after a network blip) gets in; sustained churn is held to the rate.
        self.acceptRate = AddressRateLimiter(
            rate: limits.acceptsPerSecondPerAddress,
            burst: max(limits.acceptsPerSecondPerAddress, limits.maxConnectionsPerAddress))
    }

    /// Starts accepting on the loop.
    public func start() {
        loop.execute { [self] in
            guard !stopped else { return }
            // The accept loop holds the listener until ``stop()``.
            acceptor.start { [self] client, storage in
                guard let peer = SocketAddress(storage) else {
                    Glibc.close(client)
                    return
                }
                admit(client, from: peer)
            }
        }
    }

    /// Makes connections accepted from now on handshake with `context` (new certificates after SIGHUP);
    /// connections already open keep the context they were made with. Fails for a client-role context.
    public func replaceContext(_ context: TLSContext) throws(TransportError) {
        guard context.configuration.role == .server else {
            throw TransportError(.tlsSetupFailed, "a listener needs a server-role TLS context")
        }
        loop.execute { [self] in self.context = context }
    }

    /// Stops accepting, closes the listen socket and every open connection (close_notify first).
    public func stop() {
        loop.execute { [self] in
            guard !stopped else { return }
            stopped = true
            acceptor.stop()
            for stream in Array(streams.values) {
                stream.finish(.closedLocally, "the listener on \(localAddress) stopped")
            }
        }
    }

    private func admit(_ client: Int32, from peer: SocketAddress) {
        // Every check comes before anything is allocated for the connection (TLS state, buffers).
        if streams.count >= limits.maxConnections {
            // Counted and logged before the close that the peer can observe.
            counters.recordRefusedTooMany()
            refuse(client, peer, "total", "\(limits.maxConnections) connections are already open")
            return
        }
        if handshaking.count >= limits.maxHandshakes {
            counters.recordRefusedHandshakes()
            refuse(client, peer, "handshakes", "\(limits.maxHandshakes) TLS handshakes are already under way")
            return
        }
        let key = peer.limitKey(ipv6PrefixLength: limits.ipv6PrefixLength)
        guard acceptRate.allow(key, now: loop.now()) else {
            counters.recordRefusedAcceptRate()
            refuse(
                client, peer, "rate",
                "\(key) opened more than \(limits.acceptsPerSecondPerAddress) connections in a second")
            return
        }
        let fromAddress = perAddress[key, default: 0]
        if fromAddress >= limits.maxConnectionsPerAddress {
            counters.recordRefusedPerAddress()
            refuse(client, peer, "address", "\(key) already holds \(fromAddress) connections, the limit")
            return
        }
        let tls: TLSConnection
        do {
            tls = try TLSConnection(context: context, peer: peer.description)
        } catch {
            Glibc.close(client)
            logger.log(.warning, "refused \(peer): \(error.reason)")
            return
        }
        let byteStream = ByteStream(
            fd: client, peer: peer.description, state: .open, overTCP: true, loop: loop, limits: limits.streamLimits,
            counters: counters, logger: logger)
        let stream = TLSStream(byteStream: byteStream, peer: peer, tls: tls, limits: limits, handlers: .discard)
        // Registered before the owner sees it: if making the handlers already closes the stream,
        // `forget` must find it (and give back its per-address slot).
        stream.onFinish = { [weak self] stream in self?.forget(stream) }
        stream.onHandshakeDone = { [weak self] stream in self?.handshaking.remove(ObjectIdentifier(stream)) }
        streams[ObjectIdentifier(stream)] = stream
        handshaking.insert(ObjectIdentifier(stream))
        perAddress[key] = fromAddress + 1
        stream.handlers = makeHandlers(stream)
        stream.start()
    }

    /// Closes a refused socket after logging why (at most one line a second per limit).
    private func refuse(_ client: Int32, _ peer: SocketAddress, _ limit: String, _ why: String) {
        var log = refusalLogs[limit] ?? RateLimitedLog(logger)
        log.log(.warning, "refused \(peer): \(why)", now: loop.now())
        refusalLogs[limit] = log
        Glibc.close(client)
    }

    /// Runs on the loop when a stream closes.
    private func forget(_ stream: TLSStream) {
        guard streams.removeValue(forKey: ObjectIdentifier(stream)) != nil else { return }
        handshaking.remove(ObjectIdentifier(stream))
        let key = stream.peer.limitKey(ipv6PrefixLength: limits.ipv6PrefixLength)
        let remaining = perAddress[key, default: 1] - 1
        perAddress[key] = remaining > 0 ? remaining : nil
    }
}
