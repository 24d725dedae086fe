import AdminProtocol
import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// One admin client: framing of request lines, the bounded output queue and the close. Confined to the
/// server's queue; commands themselves run in ``AdminServer`` on a worker and come back as bytes.
///
/// One request at a time: while a reply is being computed the connection stops reading (the kernel's buffer
/// holds what the client sends next), so a client cannot queue unbounded work. While it is watching, what
/// it sends is read and dropped, so its close is still seen.
final class AdminConnection: @unchecked Sendable {
    /// Why a connection ended (for the log and the tests).
    enum CloseReason: String, Sendable, CaseIterable {
        case peerClosed = "peer closed"
        case lineTooLong = "line too long"
        case nulByte = "NUL byte"
        case slowReader = "output limit reached"
        case idle = "idle"
        case socketError = "socket error"
        case serverStopped = "server stopped"
    }

    let number: Int
    let peer: PeerCredentials
    let role: AdminRole
    /// Set while a command runs on a worker.
    var busy = false
    /// Set while the client is watching.
    var watch: AdminWatch?
    /// When the client last sent something (monotonic nanoseconds).
    private(set) var lastActivity: UInt64
    private(set) var closed = false

    private let fd: Int32
    private let queue: DispatchQueue
    private let limits: AdminServerConfiguration
    private unowned let server: AdminServer
    private var readSource: DispatchSourceRead?
    private var readSuspended = false
    private var writeSource: DispatchSourceWrite?
    /// Holders of the fd: the connection while open, plus each source until its cancel handler runs.
    /// Dispatch forbids closing an fd before every source on it has been cancelled.
    private var fdHolders = 1
    private var input = [UInt8]()
    private var inputStart = 0
    private var output = [UInt8]()
    private var outputStart = 0
    private var scratch = [UInt8](repeating: 0, count: 65536)

    init(
        number: Int, fd: Int32, peer: PeerCredentials, role: AdminRole, queue: DispatchQueue,
        limits: AdminServerConfiguration, server: AdminServer
    ) {
        self.number = number
        self.fd = fd
        self.peer = peer
        self.role = role
        self.queue = queue
        self.limits = limits
        self.server = server
        self.lastActivity = DispatchTime.now().uptimeNanoseconds
    }

    /// Starts reading.
    func start() {
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [self] in readReady() }
        source.setCancelHandler { [self] in releaseFD() }
        fdHolders += 1
        readSource = source
        source.activate()
    }

    /// Output bytes still queued.
    var pendingOutput: Int { output.count - outputStart }

    /// Queues a reply line (newline included) and writes what the socket takes. A client that already has
    /// output queued and would pass the limit is closed instead.
    func send(_ line: [UInt8]) {
        guard !closed else { return }
        if pendingOutput > 0, pendingOutput + line.count > limits.maxPendingOutputBytes {
            server.log(
                self, .warning,
                "closing: \(pendingOutput) bytes are already queued for it, the limit is \(limits.maxPendingOutputBytes)"
            )
            close(.slowReader)
            return
        }
        output += line
        flush()
    }

    /// Sends one error line as best it can without waiting, then closes: for the cases where going on with
    /// the stream is not safe (a line that is too long or has a NUL byte) or the server is done with it.
    func fail(_ error: AdminError, id: Int?, reason: CloseReason) {
        guard !closed else { return }
        server.log(self, .notice, "closing (\(reason.rawValue)): \(error.message)")
        output += AdminServer.errorLine(id: id, error)
        writeAvailable()
        close(reason)
    }

    /// A command's reply came back from the worker: send it and carry on with the next line.
    func completed(_ reply: [UInt8]) {
        guard !closed else { return }
        busy = false
        lastActivity = DispatchTime.now().uptimeNanoseconds
        send(reply)
        processInput()
        resumeReadingIfIdle()
    }

    /// The client starts watching: from now on its input is dropped.
    func startedWatching(_ watch: AdminWatch) {
        guard !closed else {
            watch.cancel()
            return
        }
        busy = false
        self.watch = watch
        input.removeAll()
        inputStart = 0
        resumeReadingIfIdle()
    }

    /// Closes the connection (idempotent).
    func close(_ reason: CloseReason) {
        guard !closed else { return }
        closed = true
        watch?.cancel()
        watch = nil
        if let readSource {
            readSource.cancel()
            if readSuspended { readSource.resume() }
        }
        writeSource?.cancel()
        writeSource = nil
        readSource = nil
        releaseFD()
        server.connectionClosed(self, reason)
    }

    // MARK: - Reading

    private func readReady() {
        // Bounded reads per wakeup: the source fires again for what is left, so one chatty client cannot
        // hold the queue.
        for _ in 0..<4 where !closed && !readSuspended {
            let count = scratch.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if count > 0 {
                lastActivity = DispatchTime.now().uptimeNanoseconds
                if watch != nil { continue }  // watching: input is ignored
                input += scratch[0..<count]
                processInput()
                continue
            }
            if count == 0 {
                close(.peerClosed)
                return
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return
            default:
                close(.socketError)
                return
            }
        }
    }

    /// Hands complete lines to the server, one at a time (none while a command runs).
    private func processInput() {
        while !closed, !busy, watch == nil {
            guard let newline = input[inputStart...].firstIndex(of: 0x0a) else {
                if input.count - inputStart > limits.maxLineBytes {
                    fail(
                        AdminError(
                            .badRequest, "a request line is longer than \(limits.maxLineBytes) bytes; closing"),
                        id: nil, reason: .lineTooLong)
                }
                break
            }
            var line = input[inputStart..<newline]
            inputStart = newline + 1
            if line.count > limits.maxLineBytes {
                fail(
                    AdminError(.badRequest, "a request line is longer than \(limits.maxLineBytes) bytes; closing"),
                    id: nil, reason: .lineTooLong)
                return
            }
            if line.last == 0x0d { line = line.dropLast() }
            if line.contains(0) {
                // A NUL is never in a JSON text; a client sending one is confused about framing, and what
                // follows cannot be trusted to line up with requests.
                fail(AdminError(.badRequest, "a request line contains a NUL byte; closing"), id: nil, reason: .nulByte)
                return
            }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            busy = true
            server.received(Array(line), on: self)
        }
        if inputStart > 0, inputStart == input.count {
            input.removeAll(keepingCapacity: input.capacity <= 4 * 65536)
            inputStart = 0
        } else if inputStart > 65536 {
            input.removeFirst(inputStart)
            inputStart = 0
        }
        if busy, !readSuspended, let readSource {
            readSuspended = true
            readSource.suspend()
        }
    }

    private func resumeReadingIfIdle() {
        if !busy, readSuspended, let readSource {
            readSuspended = false
            readSource.resume()
        }
    }

    // MARK: - Writing

    private func flush() {
        writeAvailable()
        if closed { return }
        if pendingOutput > 0 {
            if writeSource == nil {
                let source = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
                source.setEventHandler { [self] in flush() }
                source.setCancelHandler { [self] in releaseFD() }
                fdHolders += 1
                writeSource = source
                source.activate()
            }
        } else if let writeSource {
            writeSource.cancel()
            self.writeSource = nil
        }
    }

    /// Writes what the socket takes now, never waiting.
    private func writeAvailable() {
        while pendingOutput > 0 {
            let count = output.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + outputStart, pendingOutput, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if count > 0 {
                outputStart += count
                continue
            }
            let error = errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { break }
            close(.socketError)
            return
        }
        if outputStart == output.count {
            output.removeAll(keepingCapacity: output.capacity <= 4 * 65536)
            outputStart = 0
        } else if outputStart > 65536 {
            output.removeFirst(outputStart)
            outputStart = 0
        }
    }

    private func releaseFD() {
        fdHolders -= 1
        if fdHolders == 0 { _ = Glibc.close(fd) }
    }
}
