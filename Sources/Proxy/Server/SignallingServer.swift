import Dispatch
public import Logging
import Media
import SIP
public import TLS
public import Transport

/// The proxy on real sockets: the TLS listener for softphones (and the PBX's own connections), Sotto's
/// connection to the PBX with reconnection and keep-alives, SIP framing per stream, and the timer tick.
/// Everything runs on one signalling loop, which is where ``SIPProxy`` lives.
public final class SignallingServer: ProxyTransport, @unchecked Sendable {
    private struct StreamState {
        let stream: TLSStream
        var flow: FlowID?
        var framer: SIPStreamFramer
        /// Whether this is the PBX (Sotto's upstream connection, or an inbound one that proved it): keep-alives
        /// alone may keep it open, and its messages never wait for the upstream connection.
        var trusted = false
        /// When the last complete SIP message (or the handshake) arrived, in loop nanoseconds.
        var lastMessage: UInt64 = 0
    }

    /// The signalling loop.
    public let loop: EventLoop
    /// The proxy (touch it only on ``loop``).
    public let proxy: SIPProxy
    /// The listener's connection counters (softphones and the PBX's own connections).
    public let counters = TransportCounters()
    /// Sotto's connection attempts to the PBX.
    public let upstreamCounters = TransportCounters()
    /// Softphone requests that waited for the connection to the PBX, and those that found the wait full and got
    /// their `503` at once (read on the loop).
    public private(set) var upstreamWaits = (held: 0, full: 0)
    /// When the last "the wait is full" line was logged (at most one a second).
    private var lastWaitFullLog: UInt64?
    private let listener: TCPListener
    private var upstream: Upstream
    private let limits: TCPLimits
    private let sipLimits: SIPLimits
    private let keepAliveOnlyLimit: UInt64
    private let logger: Logger
    private var streams: [ObjectIdentifier: StreamState] = [:]
    private var flowStreams: [FlowID: TLSStream] = [:]
    private var upstreamStream: TLSStream?
    private var upstreamUp = false
    private var backoff: Duration
    /// When the last connection attempt to the PBX started (loop nanoseconds); attempts a request triggers come
    /// at most once per `reconnectMin` after it.
    private var lastAttempt: UInt64?
    /// The one scheduled reconnection, and when it fires.
    private var reconnectWork: DispatchWorkItem?
    private var reconnectAt: UInt64?
    /// Softphone messages waiting for the upstream connection.
    private var held = HeldMessages()
    /// Set while softphones are not read because the upstream connection's output is backed up.
    private var softphonesPaused = false
    private var tickTimer: DispatchSourceTimer?
    private var keepAliveTimer: DispatchSourceTimer?
    private var stopped = false

    /// Binds the listener (failing at start with the address and the reason) and prepares the proxy.
    ///
    /// The listener's idle timer restarts only on a complete SIP message, or on a keep-alive ping (RFC 5626
    /// §4.4.1 double CRLF) that comes within `keepAliveOnlyLimit` of the last complete message: keep-alives
    /// alone hold a softphone's connection for at most that long. (Security: bytes that never make a message,
    /// or a ping now and then, would otherwise hold a connection slot for ever.)
    public init(
        listen: SocketAddress, serverContext: TLSContext, upstream: Upstream, proxy: SIPProxy, loop: EventLoop,
        limits: TCPLimits, sipLimits: SIPLimits, keepAliveOnlyLimit: Duration = .seconds(7200), logger: Logger
    ) throws(TransportError) {
        self.loop = loop
        self.proxy = proxy
        self.upstream = upstream
        self.limits = limits
        self.sipLimits = sipLimits
        self.keepAliveOnlyLimit = keepAliveOnlyLimit.nanosecondsClamped
        var listenerLimits = limits
        listenerLimits.idleResetByOwner = true
        self.logger = logger
        self.backoff = upstream.reconnectMin
        let bridge = TransportLogger(bridging: logger)
        let box = WeakBox()
        self.listener = try TCPListener(
            address: listen, context: serverContext, loop: loop, limits: listenerLimits, counters: counters,
            logger: bridge
        ) { stream in
            TLSStreamHandlers(
                onHandshake: { box.server?.opened($0, upstream: false) },
                onData: { box.server?.received($0, $1) ?? $1.count },
                onClose: { box.server?.closed($0, $1) })
        }
        box.server = self
        proxy.setTransport(self)
        // Final media counters and sessions the media side ended by itself come back on the signalling
        // loop, where the proxy lives.
        proxy.media.setSessionEndedHandler { snapshot in
            loop.execute { box.server?.proxy.mediaSessionEnded(snapshot) }
        }
    }

    /// The address the listener is bound to.
    public var localAddress: SocketAddress { listener.localAddress }

    /// Starts accepting, connects to the PBX and starts the proxy's timers.
    public func start() {
        listener.start()
        loop.execute { [self] in
            let tick = DispatchSource.makeTimerSource(queue: loop.queue)
            tick.schedule(deadline: .now() + .milliseconds(100), repeating: .milliseconds(100))
            tick.setEventHandler { [weak self] in self?.tick() }
            tick.activate()
            tickTimer = tick
            let ping = DispatchSource.makeTimerSource(queue: loop.queue)
            let every = DispatchTimeInterval.nanoseconds(Int(upstream.keepAlive.components.seconds * 1_000_000_000))
            ping.schedule(deadline: .now() + every, repeating: every)
            ping.setEventHandler { [weak self] in self?.pingUpstream() }
            ping.activate()
            keepAliveTimer = ping
            connectUpstream()
        }
    }

    /// New certificates for connections accepted from now on (SIGHUP).
    public func replaceServerContext(_ context: TLSContext) throws(TransportError) {
        try listener.replaceContext(context)
    }

    /// The client certificate (and CA) toward the PBX for connections made from now on (SIGHUP); the connection
    /// that is up keeps its own. Fails for a server-role context.
    public func replaceUpstreamContext(_ context: TLSContext) throws(TransportError) {
        guard context.configuration.role == .client else {
            throw TransportError(.tlsSetupFailed, "the connection to the PBX needs a client-role TLS context")
        }
        loop.execute { [self] in upstream.context = context }
    }

    /// The client-role context the next connection to the PBX is made with. On the loop.
    public var upstreamContext: TLSContext { upstream.context }

    /// The name the PBX's certificate is checked against.
    public var upstreamServerName: String { upstream.serverName }

    /// Stops everything: the listener, the PBX connection, the timers.
    public func stop() {
        loop.execute { [self] in
            stopped = true
            reconnectWork?.cancel()
            _ = held.takeAll()
            tickTimer?.cancel()
            keepAliveTimer?.cancel()
            listener.stop()
            upstreamStream?.close()
        }
    }

    // MARK: ProxyTransport

    public func send(_ bytes: [UInt8], on flow: FlowID) -> Bool {
        guard let stream = flowStreams[flow] else { return false }
        let sent = bytes.withUnsafeBytes { stream.sendOnLoop($0) }
        if stream === upstreamStream, !softphonesPaused, stream.unsentByteCount > upstream.maxPendingOutputBytes / 2 {
            pauseSoftphones()
        }
        return sent
    }

    // MARK: Back-pressure toward the PBX

    /// The PBX reads slower than softphones send: stop reading softphones (their bytes wait in the kernel and
    /// then in the phones) instead of letting the upstream queue reach its limit, where the connection and every
    /// transaction on it would be lost. The upstream limit's close stays the last resort.
    private func pauseSoftphones() {
        softphonesPaused = true
        logger.warning(
            "the PBX is not keeping up; softphones are not read until it does",
            metadata: ["unsent-bytes": "\(upstreamStream?.unsentByteCount ?? 0)"])
        for state in streams.values where !state.trusted && state.flow != nil {
            state.stream.pauseReading()
        }
    }

    private func resumeSoftphones() {
        softphonesPaused = false
        logger.notice("the PBX caught up; softphones are read again")
        for state in streams.values where !state.trusted {
            state.stream.resumeReading()
        }
    }

    /// Every 100 ms: the proxy's timers, held messages whose wait is over, and the end of back-pressure.
    private func tick() {
        proxy.tick()
        for message in held.takeExpired(now: loop.now()) {
            proxy.receive(message.bytes, on: message.flow)
        }
        if softphonesPaused, (upstreamStream?.unsentByteCount ?? 0) < upstream.maxPendingOutputBytes / 4 {
            resumeSoftphones()
        }
    }

    // MARK: Streams

    private func opened(_ stream: TLSStream, upstream isUpstream: Bool) {
        let kind: FlowKind =
            isUpstream || upstream.isPBX(ip: stream.peer.host, identity: stream.peerIdentity) ? .pbx : .softphone
        let flow = proxy.openFlow(
            kind: kind, peerIP: stream.peer.host, peerPort: stream.peer.port, upstream: isUpstream,
            peerIdentity: stream.peerIdentity)
        var state =
            streams[ObjectIdentifier(stream)] ?? StreamState(stream: stream, framer: SIPStreamFramer(limits: sipLimits))
        state.flow = flow
        state.trusted = kind == .pbx
        state.lastMessage = loop.now()
        streams[ObjectIdentifier(stream)] = state
        flowStreams[flow] = stream
        if isUpstream {
            upstreamUp = true
            backoff = upstream.reconnectMin
            logger.notice("connected to the PBX", metadata: ["pbx": "\(upstream.address)"])
            // The BYEs Sotto made while there was no connection, then what waited for it, in the order it came.
            proxy.upstreamReady(flow)
            for message in held.takeAll() {
                proxy.receive(message.bytes, on: message.flow)
            }
        } else {
            if softphonesPaused && kind == .softphone {
                stream.pauseReading()
            }
            logger.debug(
                "connection",
                metadata: [
                    "peer": "\(stream.peer)", "kind": "\(kind.rawValue)", "certificate": "\(stream.peerIdentity)",
                ])
        }
    }

    private func received(_ stream: TLSStream, _ bytes: UnsafeRawBufferPointer) -> Int {
        let id = ObjectIdentifier(stream)
        guard var state = streams[id], let flow = state.flow else { return bytes.count }
        let frames = state.framer.feed(bytes)
        streams[id] = state
        for frame in frames {
            switch frame {
            case .message(let message):
                stream.markActive()
                streams[id]?.lastMessage = loop.now()
                // Only what would get 503 for want of the PBX waits (and what follows it on the same flow, so
                // that a CANCEL or ACK never overtakes its INVITE).
                if !state.trusted && !upstreamUp
                    && (held.contains(flow: flow) || proxy.waitsForPBX(message, on: flow))
                    && waitForUpstream(message, from: flow)
                {
                    continue
                }
                proxy.receive(message, on: flow)
            case .keepAlivePing:
                let lastMessage = streams[id]?.lastMessage ?? 0
                if state.trusted || loop.now() &- lastMessage < keepAliveOnlyLimit {
                    stream.markActive()
                }
                SIPStreamFramer.pong.withUnsafeBytes { _ = stream.sendOnLoop($0) }
            case .keepAlivePong:
                break
            case .fatal(let error):
                // The stream cannot be re-framed: it is closed, and every other connection carries on.
                logger.warning(
                    "closing a connection that cannot be framed",
                    metadata: ["peer": "\(stream.peer)", "error": "\(error.reason)"])
                stream.close()
            }
        }
        return bytes.count
    }

    private func closed(_ stream: TLSStream, _ reason: TCPCloseReason) {
        let state = streams.removeValue(forKey: ObjectIdentifier(stream))
        if let flow = state?.flow {
            flowStreams[flow] = nil
            held.drop(flow: flow)
            proxy.closeFlow(flow)
        }
        guard stream === upstreamStream else { return }
        upstreamStream = nil
        let wasUp = upstreamUp
        upstreamUp = false
        if softphonesPaused {
            resumeSoftphones()
        }
        guard !stopped else { return }
        // The attempt they waited for failed: what waited gets its answer (503) now rather than later.
        for message in held.takeAll() {
            proxy.receive(message.bytes, on: message.flow)
        }
        let wait = backoff
        backoff = min(backoff * 2, upstream.reconnectMax)
        logger.warning(
            wasUp ? "the connection to the PBX was lost; reconnecting" : "the PBX is not reachable; retrying",
            metadata: [
                "pbx": "\(upstream.address)", "reason": "\(reason.detail)", "retry-in-ms": "\(wait.milliseconds)",
            ])
        scheduleReconnect(at: loop.now() &+ wait.nanosecondsClamped)
    }

    /// A softphone's message while the PBX connection is down: unless waiting is off or full, it waits (at most
    /// `connectWait`) for a connection attempt made now, or as soon as the attempt rate allows. Returns whether
    /// it was held.
    private func waitForUpstream(_ message: [UInt8], from flow: FlowID) -> Bool {
        guard !stopped, upstream.connectWait > .zero else { return false }
        let now = loop.now()
        guard held.hold(message, from: flow, until: now &+ upstream.connectWait.nanosecondsClamped) else {
            // Over the bound: answered at once, as without waiting; counted, logged at most once a second.
            upstreamWaits.full += 1
            if lastWaitFullLog.map({ now &- $0 >= 1_000_000_000 }) ?? true {
                lastWaitFullLog = now
                logger.warning(
                    "too many requests are waiting for the PBX connection; answering 503 at once",
                    metadata: ["waiting": "\(held.messages.count)", "refused-so-far": "\(upstreamWaits.full)"])
            }
            return false
        }
        upstreamWaits.held += 1
        guard upstreamStream == nil else { return true }  // an attempt is under way
        // Security: requests cannot make Sotto hammer the PBX; attempts stay at most one per reconnectMin.
        let earliest = lastAttempt.map { $0 &+ upstream.reconnectMin.nanosecondsClamped } ?? now
        if earliest <= now {
            connectUpstream()
        } else {
            scheduleReconnect(at: earliest)
        }
        return true
    }

    /// Makes the one scheduled reconnection fire at `time`, unless it is already due sooner.
    private func scheduleReconnect(at time: UInt64) {
        if let reconnectAt, reconnectWork != nil, reconnectAt <= time { return }
        reconnectWork?.cancel()
        let work = DispatchWorkItem { [weak self] in
            self?.reconnectWork = nil
            self?.reconnectAt = nil
            self?.connectUpstream()
        }
        reconnectWork = work
        reconnectAt = time
        let now = loop.now()
        loop.queue.asyncAfter(
            deadline: .now() + .nanoseconds(Int(clamping: time > now ? time - now : 0)), execute: work)
    }

    private func connectUpstream() {
        guard !stopped, upstreamStream == nil else { return }
        reconnectWork?.cancel()
        reconnectWork = nil
        reconnectAt = nil
        lastAttempt = loop.now()
        let box = WeakBox()
        box.server = self
        // The PBX link gets its own, larger output bound (a busy PBX link carries every phone's requests), and
        // every byte from the PBX counts as activity.
        var upstreamLimits = limits
        upstreamLimits.maxOutputBytes = upstream.maxPendingOutputBytes
        upstreamLimits.idleResetByOwner = false
        do {
            let stream = try TLSStream.connect(
                to: upstream.address, context: upstream.context, serverName: upstream.serverName, loop: loop,
                // Failures of this connection are logged once, with the retry, by `closed`.
                limits: upstreamLimits, counters: upstreamCounters,
                logger: TransportLogger { [logger] _, message in logger.debug("\(message)") },
                handlers: TLSStreamHandlers(
                    onHandshake: { box.server?.opened($0, upstream: true) },
                    onData: { box.server?.received($0, $1) ?? $1.count },
                    onClose: { box.server?.closed($0, $1) }))
            upstreamStream = stream
            streams[ObjectIdentifier(stream)] = StreamState(stream: stream, framer: SIPStreamFramer(limits: sipLimits))
        } catch {
            logger.warning(
                "the PBX is not reachable; retrying", metadata: ["pbx": "\(upstream.address)", "reason": "\(error)"])
            for message in held.takeAll() {
                proxy.receive(message.bytes, on: message.flow)
            }
            let wait = backoff
            backoff = min(backoff * 2, upstream.reconnectMax)
            scheduleReconnect(at: loop.now() &+ wait.nanosecondsClamped)
        }
    }

    private func pingUpstream() {
        guard upstreamUp, let stream = upstreamStream else { return }
        // RFC 5626 §4.4.1 double-CRLF ping: keeps NAT and idle timers on both ends from closing the flow.
        let ping: [UInt8] = [13, 10, 13, 10]
        ping.withUnsafeBytes { _ = stream.sendOnLoop($0) }
    }
}

/// Lets the listener's handler closures reach the server without a retain cycle.
private final class WeakBox: @unchecked Sendable {
    weak var server: SignallingServer?
}

extension Duration {
    /// Whole nanoseconds, zero for a negative duration and saturating at the largest value.
    var nanosecondsClamped: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole &+ UInt64(attoseconds / 1_000_000_000)
    }

    /// Whole milliseconds.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
