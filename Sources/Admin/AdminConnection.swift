import AdminProtocol
import Dispatch
import Transport

/// One admin client on top of a ``ByteStream`` (which owns the socket, its buffers, the output bound
/// and the close): framing of request lines, one request at a time, watch mode, and the admin close
/// reasons. Confined to the server's loop; commands themselves run in ``AdminServer`` on a worker and
/// come back as bytes.
///
/// One request at a time: while a reply is being computed the stream stops reading (the kernel's buffer
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
    /// The connection's allowances of refused requests and snapshots.
    let limiter: AdminConnectionLimiter
    /// Set while a command runs on a worker.
    var busy = false
    /// Set while the client is watching.
    var watch: AdminWatch?
    /// When the client last sent something or got its reply (monotonic nanoseconds).
    private(set) var lastActivity: UInt64
    private(set) var closed = false

    private let stream: ByteStream
    private let maxLineBytes: Int
    private unowned let server: AdminServer
    /// The reason this side gave when it closed, for the count (a close the stream decides gets its kind's).
    private var closing: CloseReason?

    init(number: Int, stream: ByteStream, peer: PeerCredentials, role: AdminRole, server: AdminServer) {
        self.number = number
        self.stream = stream
        self.peer = peer
        self.role = role
        self.maxLineBytes = server.configuration.maxLineBytes
        self.limiter = AdminConnectionLimiter(
            refusals: server.configuration.refusalLimit, snapshots: server.configuration.snapshotLimit)
        self.server = server
        self.lastActivity = DispatchTime.now().uptimeNanoseconds
    }

    /// The stream's limits for a connection: the line limit is checked here, with an error line, before
    /// the stream's own input bound (a line plus one read) could be reached; the output bound is
    /// ``AdminServerConfiguration/maxPendingOutputBytes``; idleness is the server's sweep.
    static func streamLimits(_ configuration: AdminServerConfiguration) -> StreamLimits {
        StreamLimits(
            idleTimeout: nil, maxInputBytes: configuration.maxLineBytes + 65_536,
            maxOutputBytes: configuration.maxPendingOutputBytes)
    }

    /// Starts reading.
    func start() {
        stream.start(
            ByteStreamHandlers(
                onData: { [self] _, bytes in received(bytes) },
                onClose: { [self] _, reason in finished(reason) }))
    }

    /// Queues a reply line (newline included) and writes what the socket takes. A client that already has
    /// output queued and would pass the limit is closed instead (by the stream).
    func send(_ line: [UInt8]) {
        guard !closed else { return }
        line.withUnsafeBytes { _ = stream.sendOnLoop($0) }
    }

    /// Sends one error line as best it can without waiting, then closes: for the cases where going on with
    /// the stream is not safe (a line that is too long or has a NUL byte) or the server is done with it.
    func fail(_ error: AdminError, id: Int?, reason: CloseReason) {
        guard !closed else { return }
        server.log(self, .notice, "closing (\(reason.rawValue)): \(error.message)")
        closing = reason
        stream.close(.closedLocally, error.message, lastWords: AdminServer.errorLine(id: id, error))
    }

    /// A command's reply came back from the worker: send it and carry on with the next line.
    func completed(_ reply: [UInt8]) {
        guard !closed else { return }
        busy = false
        lastActivity = DispatchTime.now().uptimeNanoseconds
        send(reply)
        stream.resumeReading()
    }

    /// The client starts watching: from now on its input is dropped.
    func startedWatching(_ watch: AdminWatch) {
        guard !closed else {
            watch.cancel()
            return
        }
        busy = false
        self.watch = watch
        stream.resumeReading()
    }

    /// Closes the connection (idempotent).
    func close(_ reason: CloseReason) {
        guard !closed else { return }
        closing = reason
        stream.close(.closedLocally, "the admin server closed the connection (\(reason.rawValue))")
    }

    // MARK: - The stream's callbacks

    /// Hands complete lines to the server, one at a time (none while a command runs); returns what it took.
    private func received(_ bytes: UnsafeRawBufferPointer) -> Int {
        lastActivity = DispatchTime.now().uptimeNanoseconds
        if watch != nil { return bytes.count }  // watching: input is ignored
        var start = 0
        while !closed, !busy {
            guard let newline = bytes[start...].firstIndex(of: 0x0a) else {
                if bytes.count - start > maxLineBytes {
                    fail(
                        AdminError(.badRequest, "a request line is longer than \(maxLineBytes) bytes; closing"),
                        id: nil, reason: .lineTooLong)
                }
                break
            }
            var line = bytes[start..<newline]
            start = newline + 1
            if line.count > maxLineBytes {
                fail(
                    AdminError(.badRequest, "a request line is longer than \(maxLineBytes) bytes; closing"),
                    id: nil, reason: .lineTooLong)
                break
            }
            if line.last == 0x0d { line = line.dropLast() }
            if line.contains(0) {
                // A NUL is never in a JSON text; a client sending one is confused about framing, and what
                // follows cannot be trusted to line up with requests.
                fail(AdminError(.badRequest, "a request line contains a NUL byte; closing"), id: nil, reason: .nulByte)
                break
            }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            busy = true
            stream.pauseReading()
            server.received(Array(line), on: self)
        }
        return start
    }

    /// The stream closed, for this side's reason or its own.
    private func finished(_ reason: TCPCloseReason) {
        closed = true
        watch?.cancel()
        watch = nil
        let why = closing ?? Self.reason(for: reason.kind)
        if why == .slowReader {
            server.log(self, .warning, "closing: \(reason.detail)")
        }
        server.connectionClosed(self, why)
    }

    /// The admin reason for a close the stream decided.
    private static func reason(for kind: TCPCloseReason.Kind) -> CloseReason {
        switch kind {
        case .closedByPeer: .peerClosed
        case .outputLimit: .slowReader
        case .inputLimit: .lineTooLong
        case .idleTimeout: .idle
        case .closedLocally: .serverStopped
        default: .socketError
        }
    }
}
