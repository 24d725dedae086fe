import Dispatch
import TLS

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP connection with TLS on top, driven by Dispatch sources on one ``EventLoop``: ciphertext
/// from the socket goes through a ``TLSConnection`` and plaintext comes out to the handlers;
/// plaintext given to ``send(_:)`` goes out as ciphertext.
///
/// One read source, one write source armed only while output is pending, one timer for the
/// handshake, connect and idle deadlines. The fd is closed only in the sources' cancel handlers,
/// after both have been cancelled (closing it earlier could hand the number to a new socket while a
/// source still watches it). Every ``TCPLimits`` limit closes the stream with its own reason.
///
/// State lives on the loop; the `@unchecked Sendable` promise is that every mutable field is
/// touched only there. ``send(_:)-([UInt8])`` and ``close()`` may be called from anywhere.
public final class TLSStream: @unchecked Sendable {
    /// Where a stream is in its life.
    public enum State: Sendable, Hashable {
        /// An outbound TCP connect is under way.
        case connecting
        /// TCP is up; the TLS handshake is under way.
        case handshaking
        /// The handshake completed; plaintext flows.
        case open
        /// Closed, for the reason given to ``TLSStreamHandlers/onClose``.
        case closed
    }

    /// The peer's address.
    public let peer: SocketAddress
    /// The loop every callback and all state live on.
    public let loop: EventLoop
    /// The TLS connection (negotiated version, cipher, peer certificate).
    public let tls: TLSConnection
    /// The limits this stream enforces.
    public let limits: TCPLimits
    /// Where the stream is in its life; read it on the loop.
    public internal(set) var state: State

    let fd: Int32
    let counters: TransportCounters
    let logger: TransportLogger
    var handlers: TLSStreamHandlers
    /// The listener's bookkeeping, run once when the stream closes.
    var onFinish: (@Sendable (TLSStream) -> Void)?

    var readSource: DispatchSourceRead?
    var writeSource: DispatchSourceWrite?
    var timer: DispatchSourceTimer?
    var readActive = false
    var writeActivated = false
    var writeArmed = false
    var liveSources = 0
    /// Set once the sources exist: from then on their cancel handlers close the fd.
    var sourcesMade = false

    /// Ciphertext not yet written; bytes before `outputStart` are already sent.
    var output: [UInt8] = []
    var outputStart = 0
    /// Plaintext sent before the handshake completed.
    var earlyPlaintext: [UInt8] = []
    /// Plaintext the handler has not consumed.
    var input: [UInt8] = []
    var lastReceive: UInt64
    /// The connect or handshake deadline, on the loop's clock.
    var phaseDeadline: UInt64

    init(
        fd: Int32,
        peer: SocketAddress,
        tls: TLSConnection,
        loop: EventLoop,
        limits: TCPLimits,
        counters: TransportCounters,
        logger: TransportLogger,
        handlers: TLSStreamHandlers,
        state: State
    ) {
        self.fd = fd
        self.peer = peer
        self.tls = tls
        self.loop = loop
        self.limits = limits
        self.counters = counters
        self.logger = logger
        self.handlers = handlers
        self.state = state
        let now = loop.now()
        self.lastReceive = now
        let phase = state == .connecting ? limits.connectTimeout : limits.handshakeTimeout
        self.phaseDeadline = now &+ phase.nanoseconds
    }

    deinit {
        // Sources own the fd once made; a stream that never started still owns it.
        if !sourcesMade {
            Glibc.close(fd)
        }
    }

    // MARK: Public API

    /// Encrypts and sends `bytes`; before the handshake completes they wait (counted against
    /// ``TCPLimits/maxOutputBytes``) and go out right after it. Dropped on a closed stream. Safe
    /// from any thread.
    public func send(_ bytes: [UInt8]) {
        loop.execute { [self] in
            _ = bytes.withUnsafeBytes { sendOnLoop($0) }
        }
    }

    /// Encrypts and sends `bytes` without an extra copy once open; call only on the stream's loop
    /// (from a handler, typically). Returns false when the stream is closed or closes meanwhile.
    @discardableResult
    public func sendOnLoop(_ bytes: UnsafeRawBufferPointer) -> Bool {
        dispatchPrecondition(condition: .onQueue(loop.queue))
        switch state {
        case .closed:
            return false
        case .connecting, .handshaking:
            earlyPlaintext.append(contentsOf: bytes)
            if earlyPlaintext.count > limits.maxOutputBytes {
                finish(
                    .outputLimit,
                    "\(earlyPlaintext.count) bytes for \(peer) waited for the handshake, over the limit of "
                        + "\(limits.maxOutputBytes)")
            }
            return state != .closed
        case .open:
            break
        }
        switch tls.writePlaintext(bytes) {
        case .complete:
            flush()
            return state == .open
        case .incomplete:
            return false
        case .failed(let error):
            finish(.tlsError, error.reason)
            return false
        }
    }

    /// Sends what was queued before the handshake completed. On the loop, once open.
    func sendEarlyPlaintext() {
        guard !earlyPlaintext.isEmpty else { return }
        let queued = earlyPlaintext
        earlyPlaintext = []
        queued.withUnsafeBytes { _ = sendOnLoop($0) }
    }

    /// Sends close_notify if the handshake completed, then closes. Safe from any thread.
    public func close() {
        loop.execute { [self] in
            finish(.closedLocally, "Sotto closed the connection with \(peer)")
        }
    }

    // MARK: Start and finish

    /// Creates the sources and starts reading (or waits for the connect to complete). On the loop.
    func start() {
        dispatchPrecondition(condition: .onQueue(loop.queue))
        // Closed before it started (by its owner's set-up): no sources, so deinit closes the fd.
        guard state != .closed else { return }
        let read = DispatchSource.makeReadSource(fileDescriptor: fd, queue: loop.queue)
        let write = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: loop.queue)
        let timer = loop.makeTimer { [self] in timerFired() }
        read.setEventHandler { [self] in handleReadable() }
        write.setEventHandler { [self] in handleWritable() }
        read.setCancelHandler { [self] in sourceCancelled() }
        write.setCancelHandler { [self] in sourceCancelled() }
        readSource = read
        writeSource = write
        sourcesMade = true
        self.timer = timer
        liveSources = 2
        armTimer()
        timer.activate()
        if state == .connecting {
            armWrite()
        } else {
            activateRead()
            advanceTLS()
        }
    }

    func activateRead() {
        guard !readActive, let readSource else { return }
        readActive = true
        readSource.activate()
    }

    /// Ends the stream once: best-effort close_notify, sources cancelled, counted, logged, told.
    func finish(_ kind: TCPCloseReason.Kind, _ detail: String) {
        guard state != .closed else { return }
        state = .closed
        // Counted and logged before anything the peer can observe (close_notify, FIN).
        counters.recordClosed(kind)
        switch kind {
        case .closedByPeer, .closedLocally:
            logger.log(.info, detail)
        default:
            logger.log(.warning, detail)
        }
        if tls.handshakeState == .complete && kind != .outputLimit && kind != .ioError {
            tls.close()
            moveCiphertextToOutput()
            _ = writeOutput()
        }
        cancelSources()
        let reason = TCPCloseReason(kind, detail)
        let handlers = self.handlers
        // Drop the owner's closures: they may hold the owner, which may hold this stream.
        self.handlers = .discard
        handlers.onClose(self, reason)
        onFinish?(self)
        onFinish = nil
    }

    private func cancelSources() {
        timer?.cancel()
        if let writeSource {
            writeSource.cancel()
            // A cancel handler runs only on an active, resumed source; releasing a suspended or
            // inactive one traps.
            if !writeActivated {
                writeSource.activate()
            } else if !writeArmed {
                writeSource.resume()
            }
            writeArmed = true
        }
        if let readSource {
            readSource.cancel()
            if !readActive {
                readActive = true
                readSource.activate()
            }
        }
    }

    private func sourceCancelled() {
        liveSources -= 1
        if liveSources == 0 {
            Glibc.close(fd)
            readSource = nil
            writeSource = nil
            timer = nil
        }
    }
}
