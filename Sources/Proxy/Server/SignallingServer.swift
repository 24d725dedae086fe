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
    /// Where and how to connect to the PBX.
    public struct Upstream: Sendable {
        /// The PBX's address.
        public var address: SocketAddress
        /// The name its certificate must carry.
        public var serverName: String
        /// The client-role TLS context (CA, optional client certificate).
        public var context: TLSContext
        /// Inbound connections from these IPs are the PBX's, not softphones'.
        public var trustedIPs: Set<String>
        /// Backoff between connection attempts: doubles from `reconnectMin` up to `reconnectMax`.
        public var reconnectMin: Duration
        public var reconnectMax: Duration
        /// CRLF keep-alive pings on the upstream connection (RFC 5626 §4.4.1).
        public var keepAlive: Duration

        /// Collects the settings.
        public init(
            address: SocketAddress, serverName: String, context: TLSContext, trustedIPs: Set<String>,
            reconnectMin: Duration, reconnectMax: Duration, keepAlive: Duration
        ) {
            self.address = address
            self.serverName = serverName
            self.context = context
            self.trustedIPs = trustedIPs
            self.reconnectMin = reconnectMin
            self.reconnectMax = reconnectMax
            self.keepAlive = keepAlive
        }
    }

    private struct StreamState {
        let stream: TLSStream
        var flow: FlowID?
        var framer: SIPStreamFramer
        /// Whether keep-alives alone may keep this connection open for ever (the PBX's).
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
    private let listener: TCPListener
    private let upstream: Upstream
    private let limits: TCPLimits
    private let sipLimits: SIPLimits
    private let keepAliveOnlyLimit: UInt64
    private let logger: Logger
    private var streams: [ObjectIdentifier: StreamState] = [:]
    private var flowStreams: [FlowID: TLSStream] = [:]
    private var upstreamStream: TLSStream?
    private var upstreamUp = false
    private var backoff: Duration
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
            tick.setEventHandler { [weak self] in self?.proxy.tick() }
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

    /// Stops everything: the listener, the PBX connection, the timers.
    public func stop() {
        loop.execute { [self] in
            stopped = true
            tickTimer?.cancel()
            keepAliveTimer?.cancel()
            listener.stop()
            upstreamStream?.close()
        }
    }

    // MARK: ProxyTransport

    public func send(_ bytes: [UInt8], on flow: FlowID) -> Bool {
        guard let stream = flowStreams[flow] else { return false }
        return bytes.withUnsafeBytes { stream.sendOnLoop($0) }
    }

    // MARK: Streams

    private func opened(_ stream: TLSStream, upstream isUpstream: Bool) {
        let kind: FlowKind = isUpstream || upstream.trustedIPs.contains(stream.peer.host) ? .pbx : .softphone
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
        } else {
            logger.debug("connection", metadata: ["peer": "\(stream.peer)", "kind": "\(kind.rawValue)"])
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
            proxy.closeFlow(flow)
        }
        guard stream === upstreamStream else { return }
        upstreamStream = nil
        let wasUp = upstreamUp
        upstreamUp = false
        guard !stopped else { return }
        let wait = backoff
        backoff = min(backoff * 2, upstream.reconnectMax)
        logger.warning(
            wasUp ? "the connection to the PBX was lost; reconnecting" : "the PBX is not reachable; retrying",
            metadata: [
                "pbx": "\(upstream.address)", "reason": "\(reason.detail)", "retry-in-ms": "\(wait.milliseconds)",
            ])
        loop.queue.asyncAfter(deadline: .now() + .milliseconds(Int(wait.milliseconds))) { [weak self] in
            self?.connectUpstream()
        }
    }

    private func connectUpstream() {
        guard !stopped, upstreamStream == nil else { return }
        let box = WeakBox()
        box.server = self
        do {
            let stream = try TLSStream.connect(
                to: upstream.address, context: upstream.context, serverName: upstream.serverName, loop: loop,
                // Failures of this connection are logged once, with the retry, by `closed`.
                limits: limits, counters: upstreamCounters,
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
            let wait = backoff
            backoff = min(backoff * 2, upstream.reconnectMax)
            loop.queue.asyncAfter(deadline: .now() + .milliseconds(Int(wait.milliseconds))) { [weak self] in
                self?.connectUpstream()
            }
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
