import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// A non-blocking, buffered byte stream over one connected socket (TCP or Unix), driven by Dispatch
/// sources on one ``EventLoop``: the one socket stack under every stream in Sotto. ``TLSStream`` is
/// this stream with a TLS layer on top; the admin socket uses it bare, over connections from a
/// ``UnixListener``.
///
/// - Input: what is read is offered to ``ByteStreamHandlers/onData``, which returns how many bytes
///   it consumed; the rest waits, bounded by ``StreamLimits/maxInputBytes``, and is offered again
///   with the next bytes. ``pauseReading()`` stops reading (the kernel's buffer holds what comes
///   next) until ``resumeReading()``.
/// - Output: ``sendOnLoop(_:)`` writes what the socket takes at once and queues the rest; a write
///   source is armed only while some waits. A peer that lets more than
///   ``StreamLimits/maxOutputBytes`` pile up is closed.
/// - Deadlines: one timer for the outbound connect, an owner's setup phase (the TLS handshake) and
///   the idle timeout.
/// - Close: once, with a ``TCPCloseReason``: counted, logged, told to the owner. The fd is closed
///   only in the sources' cancel handlers, after both have been cancelled (closing it earlier could
///   hand the number to a new socket while a source still watches it).
///
/// State lives on the loop; the `@unchecked Sendable` promise is that every mutable field is
/// touched only there. ``start(_:)``, ``send(_:)`` and ``close()`` may be called from anywhere.
public final class ByteStream: @unchecked Sendable {
    /// Where a stream is in its life.
    public enum State: Sendable, Hashable {
        /// An outbound connect is under way.
        case connecting
        /// Connected; bytes flow.
        case open
        /// Closed, for the reason given to ``ByteStreamHandlers/onClose``.
        case closed
    }

    /// The owner's setup phase (a TLS handshake): while it runs the idle timeout waits, and the
    /// stream closes with `kind` if it is not finished by `deadline`.
    private struct Setup {
        let name: String
        let timeout: Duration
        let kind: TCPCloseReason.Kind
        let deadline: UInt64
    }

    /// Socket reads per wakeup before yielding the loop to other streams (the source is
    /// level-triggered, so what is left fires again at once).
    static let readsPerWakeup = 4

    /// Names the other end in log sentences and close reasons ("127.0.0.1:5061", "pid 42 (uid 1000)").
    public let peer: String
    /// The loop every callback and all state live on.
    public let loop: EventLoop
    /// The limits this stream enforces.
    public let limits: StreamLimits
    /// Where the stream is in its life; read it on the loop.
    public private(set) var state: State

    let fd: Int32
    /// What the peer-closed sentence calls the connection: "TCP connection" or "connection".
    private let noun: String
    private let counters: TransportCounters
    private let logger: TransportLogger
    /// The owner's callbacks; set before ``start(_:)`` by layers inside Transport.
    var handlers: ByteStreamHandlers = .discard

    private var readSource: DispatchSourceRead?
    private var writeSource: DispatchSourceWrite?
    private var timer: DispatchSourceTimer?
    private var started = false
    private var readActive = false
    private var readSuspended = false
    private var readPaused = false
    private var writeActivated = false
    private var writeArmed = false
    private var liveSources = 0
    private var fdClosed = false

    /// Bytes the handler has not consumed.
    private var input: [UInt8] = []
    /// Set while ``ByteStreamHandlers/onData`` runs.
    private var delivering = false
    /// Bytes not yet written; those before `outputStart` are already sent.
    private var output: [UInt8] = []
    private var outputStart = 0
    private var lastReceive: UInt64
    private let connectDeadline: UInt64
    private var setup: Setup?

    init(
        fd: Int32, peer: String, state: State, overTCP: Bool, loop: EventLoop, limits: StreamLimits,
        counters: TransportCounters, logger: TransportLogger
    ) {
        self.fd = fd
        self.peer = peer
        self.state = state
        self.noun = overTCP ? "TCP connection" : "connection"
        self.loop = loop
        self.limits = limits
        self.counters = counters
        self.logger = logger
        let now = loop.now()
        self.lastReceive = now
        self.connectDeadline = now.addingSaturated(limits.connectTimeout.nanoseconds)
        counters.recordOpened()
    }

    /// Adopts a connected socket (a `socketpair` end, say): made non-blocking and close-on-exec
    /// here, and closed by the stream. Nothing happens until ``start(_:)``.
    ///
    /// - Parameters:
    ///   - fd: a connected stream socket; the stream owns it from now on.
    ///   - peer: names the other end in log sentences and close reasons.
    ///   - loop: the loop the stream lives on.
    ///   - limits: idle timeout and buffer limits.
    ///   - counters: where the stream is counted (opened now, closed by reason).
    ///   - logger: where its close is logged.
    public convenience init(
        adopting fd: Int32, peer: String, loop: EventLoop, limits: StreamLimits = StreamLimits(),
        counters: TransportCounters = TransportCounters(), logger: TransportLogger = .standardError
    ) {
        _ = Socket.prepareAccepted(fd, tcp: false)
        self.init(
            fd: fd, peer: peer, state: .open, overTCP: Socket.isTCP(fd), loop: loop, limits: limits,
            counters: counters, logger: logger)
    }

    deinit {
        // Sources own the fd once made; a stream that never started still owns it.
        if !started && !fdClosed {
            Glibc.close(fd)
        }
    }

    // MARK: Public API

    /// Starts the stream with the owner's callbacks: reading (or waiting for the connect to
    /// complete), deadlines, ``ByteStreamHandlers/onOpen``. Safe from any thread; does nothing on a
    /// stream closed before it started.
    public func start(_ handlers: ByteStreamHandlers) {
        loop.execute { [self] in
            guard !started, state != .closed else { return }
            self.handlers = handlers
            startOnLoop()
        }
    }

    /// Sends `bytes` (see ``sendOnLoop(_:)``). Dropped on a closed stream. Safe from any thread.
    public func send(_ bytes: [UInt8]) {
        loop.execute { [self] in
            _ = bytes.withUnsafeBytes { sendOnLoop($0) }
        }
    }

    /// Writes what the socket takes now and queues the rest (while connecting, or before the
    /// stream starts, all of it waits). When bytes already wait and the queue would pass
    /// ``StreamLimits/maxOutputBytes``, the stream closes with ``TCPCloseReason/Kind/outputLimit``.
    /// Call only on the stream's loop. Returns false when the stream is closed or closes meanwhile.
    @discardableResult
    public func sendOnLoop(_ bytes: UnsafeRawBufferPointer) -> Bool {
        dispatchPrecondition(condition: .onQueue(loop.queue))
        guard state != .closed else { return false }
        let waiting = output.count - outputStart
        if waiting == 0, state == .open, started {
            // Nothing queued: straight from the caller's buffer, queuing only what the socket leaves.
            let (written, error) = writeNow(bytes)
            guard error == 0 else {
                close(.ioError, "writing to \(peer) failed: \(errnoSentence(error))")
                return false
            }
            if written < bytes.count {
                output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[written...]))
                armWrite()
            }
            return true
        }
        output.append(contentsOf: bytes)
        if state == .open, started {
            flush()
        }
        let unsent = output.count - outputStart
        if waiting > 0, state != .closed, unsent > limits.maxOutputBytes {
            close(.outputLimit, "\(peer) left \(unsent) bytes unread, over the limit of \(limits.maxOutputBytes)")
        }
        return state != .closed
    }

    /// Stops reading until ``resumeReading()``: what the peer sends waits in the kernel's buffer
    /// (and, once that is full, in the peer). On the loop.
    public func pauseReading() {
        dispatchPrecondition(condition: .onQueue(loop.queue))
        guard !readPaused else { return }
        readPaused = true
        syncReadSource()
    }

    /// Reads again after ``pauseReading()``, first offering what the handler left unconsumed (at
    /// once, or after the handler returns when called from inside it). On the loop.
    public func resumeReading() {
        dispatchPrecondition(condition: .onQueue(loop.queue))
        guard readPaused else { return }
        readPaused = false
        if state == .open, !delivering, !input.isEmpty {
            offerInput()
        }
        syncReadSource()
    }

    /// Bytes queued and not yet written to the socket. On the loop.
    public var unsentByteCount: Int { output.count - outputStart }

    /// Resets the idle timer: the owner saw something that counts as activity. Needed only with
    /// ``StreamLimits/idleResetByOwner``; otherwise every byte received resets it. On the loop.
    public func markActive() {
        dispatchPrecondition(condition: .onQueue(loop.queue))
        lastReceive = loop.now()
    }

    /// Closes with ``TCPCloseReason/Kind/closedLocally``. Safe from any thread.
    public func close() {
        loop.execute { [self] in
            close(.closedLocally, "Sotto closed the connection with \(peer)")
        }
    }

    /// Ends the stream once, on the loop: counted and logged first, then `lastWords` (an error
    /// line, say) written after whatever is queued as far as the socket takes them without waiting,
    /// then the socket closed and ``ByteStreamHandlers/onClose`` called. With `lastWords` nil, what
    /// is queued is dropped.
    public func close(_ kind: TCPCloseReason.Kind, _ detail: String, lastWords: [UInt8]? = nil) {
        dispatchPrecondition(condition: .onQueue(loop.queue))
        guard state != .closed else { return }
        let connected = state == .open
        state = .closed
        // Counted and logged before anything the peer can observe (last words, FIN).
        counters.recordClosed(kind)
        switch kind {
        case .closedByPeer, .closedLocally:
            logger.log(.info, detail)
        default:
            logger.log(.warning, detail)
        }
        let reason = TCPCloseReason(kind, detail)
        var farewell = lastWords
        if let more = handlers.onClosing(self, reason) {
            farewell = (farewell ?? []) + more
        }
        if connected, let farewell {
            output.append(contentsOf: farewell)
            _ = writeQueued()
        }
        setup = nil
        releaseSocket()
        let handlers = self.handlers
        // Drop the owner's closures: they may hold the owner, which may hold this stream.
        self.handlers = .discard
        handlers.onClose(self, reason)
        // The buffers go last: the owner hears of the close as soon as it is counted.
        output = []
        outputStart = 0
        input = []
    }

    // MARK: Setup phase (for layers inside Transport)

    /// Starts the owner's setup phase, named for the log (`"the TLS handshake"`): unless
    /// ``finishSetup()`` comes within `timeout`, the stream closes with `kind`. The idle timeout
    /// waits meanwhile. On the loop, once open.
    func beginSetup(_ name: String, within timeout: Duration, else kind: TCPCloseReason.Kind) {
        setup = Setup(
            name: name, timeout: timeout, kind: kind, deadline: loop.now().addingSaturated(timeout.nanoseconds))
        armTimer()
    }

    /// Ends the setup phase; from now on the idle timeout applies, counted from here.
    func finishSetup() {
        setup = nil
        lastReceive = loop.now()
        armTimer()
    }

    // MARK: Start and the sources

    /// Creates the sources and starts reading (or waits for the connect to complete). On the loop.
    func startOnLoop() {
        dispatchPrecondition(condition: .onQueue(loop.queue))
        guard !started, state != .closed else { return }
        started = true
        let read = DispatchSource.makeReadSource(fileDescriptor: fd, queue: loop.queue)
        let write = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: loop.queue)
        let timer = loop.makeTimer { [self] in timerFired() }
        read.setEventHandler { [self] in handleReadable() }
        write.setEventHandler { [self] in handleWritable() }
        read.setCancelHandler { [self] in sourceCancelled() }
        write.setCancelHandler { [self] in sourceCancelled() }
        readSource = read
        writeSource = write
        self.timer = timer
        liveSources = 2
        timer.activate()
        if state == .connecting {
            armTimer()
            armWrite()
        } else {
            opened()
        }
    }

    /// The connection is up: deadlines, what was queued, reading, the owner's `onOpen`.
    private func opened() {
        lastReceive = loop.now()
        armTimer()
        flush()
        guard state == .open else { return }
        syncReadSource()
        handlers.onOpen(self)
    }

    /// Makes the read source's suspension match `readPaused` while open.
    private func syncReadSource() {
        guard let readSource, state == .open else { return }
        if !readPaused {
            letReadSourceRun()
        } else if readActive && !readSuspended {
            readSuspended = true
            readSource.suspend()
        }
    }

    /// Activates the read source the first time, resumes it after a suspension.
    private func letReadSourceRun() {
        guard let readSource else { return }
        if !readActive {
            readActive = true
            readSource.activate()
        } else if readSuspended {
            readSuspended = false
            readSource.resume()
        }
    }

    private func armWrite() {
        guard let writeSource, !writeArmed else { return }
        writeArmed = true
        if writeActivated {
            writeSource.resume()
        } else {
            writeActivated = true
            writeSource.activate()
        }
    }

    private func disarmWrite() {
        guard let writeSource, writeArmed, state != .closed else { return }
        writeArmed = false
        writeSource.suspend()
    }

    /// Closes the fd now if no source watches it, else cancels the sources (the last cancel
    /// handler closes it).
    private func releaseSocket() {
        guard started else {
            fdClosed = true
            Glibc.close(fd)
            return
        }
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
        readSource?.cancel()
        letReadSourceRun()
    }

    private func sourceCancelled() {
        liveSources -= 1
        if liveSources == 0 {
            fdClosed = true
            Glibc.close(fd)
            readSource = nil
            writeSource = nil
            timer = nil
        }
    }

    // MARK: Reading

    private func handleReadable() {
        let buffer = loop.readBuffer
        var reads = 0
        while reads < Self.readsPerWakeup, state == .open, !readPaused {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count > 0 {
                reads += 1
                if !limits.idleResetByOwner {
                    lastReceive = loop.now()
                }
                deliver(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                continue
            }
            if count == 0 {
                let during = setup.map { " during \($0.name)" } ?? ""
                close(.closedByPeer, "\(peer) closed the \(noun)\(during)")
                return
            }
            let error = errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { return }
            close(.ioError, "reading from \(peer) failed: \(errnoSentence(error))")
            return
        }
    }

    /// Offers fresh bytes after any leftovers; keeps what the handler leaves.
    private func deliver(_ fresh: UnsafeRawBufferPointer) {
        guard input.isEmpty else {
            input.append(contentsOf: fresh)
            offerInput()
            return
        }
        let consumed = offer(fresh)
        guard state == .open, consumed < fresh.count else { return }
        input.append(contentsOf: UnsafeRawBufferPointer(rebasing: fresh[consumed...]))
        checkInputLimit()
    }

    /// Offers the leftovers again and enforces the input limit.
    private func offerInput() {
        let pending = input
        let consumed = pending.withUnsafeBytes { offer($0) }
        guard state == .open else { return }
        if consumed == input.count {
            input = []
        } else {
            input.removeFirst(consumed)
            checkInputLimit()
        }
    }

    private func offer(_ bytes: UnsafeRawBufferPointer) -> Int {
        delivering = true
        let consumed = handlers.onData(self, bytes)
        delivering = false
        return min(max(consumed, 0), bytes.count)
    }

    private func checkInputLimit() {
        guard input.count > limits.maxInputBytes else { return }
        close(
            .inputLimit,
            "\(peer) sent \(input.count) bytes that could not be processed, over the limit of \(limits.maxInputBytes)")
    }

    // MARK: Writing

    private func handleWritable() {
        switch state {
        case .connecting:
            completeConnect()
        case .open:
            flush()
        case .closed:
            return
        }
    }

    /// Writes what the socket takes from the queue; arms the write source while some is left.
    private func flush() {
        let error = writeQueued()
        guard error == 0 else {
            close(.ioError, "writing to \(peer) failed: \(errnoSentence(error))")
            return
        }
        if outputStart < output.count {
            armWrite()
        } else {
            disarmWrite()
        }
    }

    /// Writes what the socket takes now from the queue. Returns 0, or the errno of a socket error.
    private func writeQueued() -> Int32 {
        var error: Int32 = 0
        if outputStart < output.count {
            let start = outputStart
            let (written, failure) = output.withUnsafeBytes { writeNow(UnsafeRawBufferPointer(rebasing: $0[start...])) }
            outputStart += written
            error = failure
        }
        if outputStart == output.count {
            output.removeAll(keepingCapacity: output.capacity <= 65_536)
            outputStart = 0
        } else if outputStart >= 65_536 {
            output.removeFirst(outputStart)
            outputStart = 0
        }
        return error
    }

    /// Writes what the socket takes now from `bytes`: how many it took, and 0 or a socket error.
    private func writeNow(_ bytes: UnsafeRawBufferPointer) -> (written: Int, error: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if written > 0 {
                offset += written
                continue
            }
            let error = errno
            if written < 0 && error == EINTR { continue }
            if written == 0 || error == EAGAIN || error == EWOULDBLOCK { break }
            return (offset, error)
        }
        return (offset, 0)
    }

    // MARK: Connecting

    /// Starts a non-blocking TCP connect; the stream is not started.
    static func opening(
        to address: SocketAddress, from source: SocketAddress?, loop: EventLoop, limits: StreamLimits,
        counters: TransportCounters, logger: TransportLogger
    ) throws(TransportError) -> ByteStream {
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
        return ByteStream(
            fd: fd, peer: address.description, state: status == 0 ? .open : .connecting, overTCP: true, loop: loop,
            limits: limits, counters: counters, logger: logger)
    }

    /// Opens a plain outbound TCP connection: a non-blocking connect bounded by
    /// ``StreamLimits/connectTimeout``. Failures after this returns (refused, timed out) arrive as
    /// ``ByteStreamHandlers/onClose`` with their reason; handlers run on the loop, never before this
    /// returns.
    ///
    /// - Parameters:
    ///   - address: where to connect.
    ///   - source: the local address to connect from (port 0: any port); the kernel's choice when nil.
    ///   - loop: the loop the stream lives on.
    ///   - limits: connect and idle timeouts and buffer limits.
    ///   - counters: where the connection is counted.
    ///   - logger: where its close is logged.
    ///   - handlers: the owner's callbacks.
    public static func connect(
        to address: SocketAddress,
        from source: SocketAddress? = nil,
        loop: EventLoop,
        limits: StreamLimits = StreamLimits(),
        counters: TransportCounters = TransportCounters(),
        logger: TransportLogger = .standardError,
        handlers: ByteStreamHandlers
    ) throws(TransportError) -> ByteStream {
        let stream = try opening(
            to: address, from: source, loop: loop, limits: limits, counters: counters, logger: logger)
        stream.handlers = handlers
        loop.queue.async { stream.startOnLoop() }
        return stream
    }

    /// The socket became writable while connecting: the connect finished, well or badly.
    private func completeConnect() {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 {
            error = errno
        }
        guard error == 0 else {
            close(.connectFailed, "connecting to \(peer) failed: \(errnoSentence(error))")
            return
        }
        state = .open
        opened()
    }

    // MARK: Deadlines

    private func armTimer() {
        guard let timer else { return }
        var deadline = DispatchTime.distantFuture
        switch state {
        case .connecting:
            deadline = DispatchTime(uptimeNanoseconds: connectDeadline)
        case .open:
            if let setup {
                deadline = DispatchTime(uptimeNanoseconds: setup.deadline)
            } else if let idle = limits.idleTimeout {
                deadline = DispatchTime(uptimeNanoseconds: lastReceive.addingSaturated(idle.nanoseconds))
            }
        case .closed:
            return
        }
        timer.schedule(deadline: deadline, leeway: .milliseconds(5))
    }

    private func timerFired() {
        let now = loop.now()
        switch state {
        case .connecting where now >= connectDeadline:
            close(.connectTimeout, "connecting to \(peer) took longer than \(limits.connectTimeout)")
            return
        case .open:
            if let setup {
                if now >= setup.deadline {
                    close(setup.kind, "\(peer) did not finish \(setup.name) within \(setup.timeout)")
                    return
                }
            } else if let idle = limits.idleTimeout, now &- lastReceive >= idle.nanoseconds {
                close(.idleTimeout, "\(peer) sent nothing for \(idle)")
                return
            }
        case .closed:
            return
        default:
            break
        }
        armTimer()
    }
}

extension UInt64 {
    /// `self + other`, stopping at the largest value instead of wrapping.
    func addingSaturated(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
