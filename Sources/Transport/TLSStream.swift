import Dispatch
import TLS

/// A TCP connection with TLS on top: a ``ByteStream`` (the socket, its buffers, limits and
/// deadlines) carrying the ciphertext of a ``TLSConnection`` over memory BIOs. Ciphertext the
/// stream reads goes into the TLS connection and plaintext comes out to the handlers; plaintext
/// given to ``send(_:)`` goes out as ciphertext.
///
/// The TLS layer owns only what TLS adds: the handshake (the byte stream's setup phase, bounded by
/// ``TCPLimits/handshakeTimeout``), plaintext sent before it completes, plaintext the handler has
/// not consumed (bounded by ``TCPLimits/maxInputBytes``), and close_notify as the stream's last
/// words. Every ``TCPLimits`` limit closes the stream with its own reason.
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

    /// The names in the peer's verified certificate (SAN URIs, SAN DNS names, subject CN); empty until the
    /// handshake completes and when the peer presented none. Read it on the loop.
    public var peerIdentity: TLSPeerIdentity { tls.peerIdentity }

    /// Where the stream is in its life; read it on the loop.
    public var state: State {
        switch byteStream.state {
        case .connecting: .connecting
        case .open: handshakeDone ? .open : .handshaking
        case .closed: .closed
        }
    }

    /// The socket underneath.
    let byteStream: ByteStream
    var handlers: TLSStreamHandlers
    /// The listener's bookkeeping, run once when the stream closes.
    var onFinish: (@Sendable (TLSStream) -> Void)?
    /// The listener's bookkeeping, run once when the handshake completes (before the owner hears).
    var onHandshakeDone: (@Sendable (TLSStream) -> Void)?

    /// Set once the handshake completed and the owner was told.
    private var handshakeDone = false
    /// Plaintext sent before the handshake completed.
    private var earlyPlaintext: [UInt8] = []
    /// Plaintext the handler has not consumed.
    private var input: [UInt8] = []

    /// Puts TLS on `byteStream` (not yet started), which from now on reports to this stream.
    init(
        byteStream: ByteStream, peer: SocketAddress, tls: TLSConnection, limits: TCPLimits, handlers: TLSStreamHandlers
    ) {
        self.byteStream = byteStream
        self.peer = peer
        self.loop = byteStream.loop
        self.tls = tls
        self.limits = limits
        self.handlers = handlers
        // The byte stream holds this layer until it closes, as its sources hold the byte stream.
        var layer = ByteStreamHandlers(
            onOpen: { [self] _ in opened() },
            onData: { [self] _, ciphertext in received(ciphertext) },
            onClose: { [self] _, reason in closed(reason) })
        layer.onClosing = { [self] _, reason in lastWords(for: reason) }
        byteStream.handlers = layer
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
            sendCiphertext()
            return state == .open
        case .incomplete:
            return false
        case .failed(let error):
            finish(.tlsError, error.reason)
            return false
        }
    }

    /// Ciphertext waiting for the peer to read it (what ``TCPLimits/maxOutputBytes`` bounds). On the loop.
    public var unsentByteCount: Int { byteStream.unsentByteCount }

    /// Stops reading from the peer until ``resumeReading()``: what it sends waits in the kernel's buffer and
    /// then in the peer (back-pressure). On the loop.
    public func pauseReading() {
        byteStream.pauseReading()
    }

    /// Reads again after ``pauseReading()``. On the loop.
    public func resumeReading() {
        byteStream.resumeReading()
    }

    /// Resets the idle timer; with ``TCPLimits/idleResetByOwner`` only this does. On the loop.
    public func markActive() {
        byteStream.markActive()
    }

    /// Sends close_notify if the handshake completed, then closes. Safe from any thread.
    public func close() {
        loop.execute { [self] in
            finish(.closedLocally, "Sotto closed the connection with \(peer)")
        }
    }

    // MARK: Start and finish

    /// Starts the byte stream: reading, or waiting for the connect to complete. On the loop.
    func start() {
        byteStream.startOnLoop()
    }

    /// Ends the stream once (see ``lastWords(for:)`` for what the peer is sent). On the loop.
    func finish(_ kind: TCPCloseReason.Kind, _ detail: String) {
        byteStream.close(kind, detail)
    }

    /// TCP is up: the handshake starts, with its deadline.
    private func opened() {
        byteStream.beginSetup("the TLS handshake", within: limits.handshakeTimeout, else: .handshakeTimeout)
        advanceTLS()  // the ClientHello, for a client
    }

    /// What the byte stream writes as it closes: nothing when the socket itself failed or the
    /// handshake never finished; else whatever TLS still has to say (close_notify after a completed
    /// handshake, the alert after a failure).
    private func lastWords(for reason: TCPCloseReason) -> [UInt8]? {
        switch reason.kind {
        case .outputLimit, .ioError:
            return nil
        default:
            break
        }
        switch tls.handshakeState {
        case .inProgress:
            return nil
        case .complete:
            tls.close()
        case .failed, .closed:
            break
        }
        return tls.takeCiphertextToSend()
    }

    /// The byte stream closed: the owner is told, once.
    private func closed(_ reason: TCPCloseReason) {
        let handlers = self.handlers
        // Drop the owner's closures: they may hold the owner, which may hold this stream.
        self.handlers = .discard
        earlyPlaintext = []
        input = []
        handlers.onClose(self, reason)
        onHandshakeDone = nil
        onFinish?(self)
        onFinish = nil
    }

    // MARK: TLS

    /// Ciphertext arrived: all of it goes into the TLS connection.
    private func received(_ ciphertext: UnsafeRawBufferPointer) -> Int {
        tls.feed(ciphertext)
        advanceTLS()
        return ciphertext.count
    }

    /// Runs the handshake, then drains every decrypted byte to the handler, then sends what TLS
    /// produced.
    private func advanceTLS() {
        if !handshakeDone {
            switch tls.handshake() {
            case .incomplete:
                sendCiphertext()
                return
            case .failed(let error):
                // OpenSSL's alert goes out as the last words, so the peer learns why.
                finish(.handshakeFailed, error.reason)
                return
            case .complete:
                handshakeDone = true
                byteStream.finishSetup()  // from the handshake deadline to the idle one
                onHandshakeDone?(self)
                onHandshakeDone = nil
                sendEarlyPlaintext()  // queued before the handshake, so it goes first
                guard state == .open else { return }
                handlers.onHandshake(self)
                guard state == .open else { return }
            }
        }
        let scratch = loop.scratch
        reading: while state == .open {
            switch tls.readPlaintext(into: scratch) {
            case .complete(let count):
                input.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
                deliverInput()
            case .incomplete:
                break reading
            case .failed(let error):
                finish(error.code == .closedByPeer ? .closedByPeer : .tlsError, error.reason)
                return
            }
        }
        if state == .open {
            sendCiphertext()
        }
    }

    /// Sends what was queued before the handshake completed. On the loop, once open.
    private func sendEarlyPlaintext() {
        guard !earlyPlaintext.isEmpty else { return }
        let queued = earlyPlaintext
        earlyPlaintext = []
        queued.withUnsafeBytes { _ = sendOnLoop($0) }
    }

    /// Offers the unconsumed plaintext to the handler and enforces the input limit.
    private func deliverInput() {
        let handlers = self.handlers
        let pending = input
        let consumed = pending.withUnsafeBytes { handlers.onData(self, $0) }
        guard state == .open else { return }
        input.removeFirst(min(max(consumed, 0), input.count))
        if input.count > limits.maxInputBytes {
            finish(
                .inputLimit,
                "\(peer) sent \(input.count) bytes that could not be processed, over the limit of "
                    + "\(limits.maxInputBytes)")
        }
    }

    /// Hands the ciphertext TLS produced to the byte stream.
    private func sendCiphertext() {
        guard tls.pendingCiphertextCount > 0 else { return }
        let ciphertext = tls.takeCiphertextToSend()
        ciphertext.withUnsafeBytes { _ = byteStream.sendOnLoop($0) }
    }
}
