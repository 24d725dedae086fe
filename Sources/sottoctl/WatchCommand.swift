import AdminProtocol
import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// `sottoctl watch`: a live view like `top`, or one plain frame per interval when stdout is not a terminal.
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "A live full-screen view: totals, then sessions by packets/s. q or Ctrl-C leaves.",
        discussion: """
            On a terminal the view is redrawn in place on the alternate screen; q, Ctrl-C or Ctrl-D leave it \
            and the terminal is left as it was. When stdout is not a terminal, one plain text frame is \
            printed per interval; with --json, one JSON object per line.
            """)

    @Option(name: .long, help: "Milliseconds between frames (the relay allows 100 to 3600000).")
    var intervalMs = 1000

    @OptionGroup var socket: SocketOptions
    @OptionGroup var output: OutputOptions

    /// How the interactive view ended.
    enum Outcome {
        /// `q`, Ctrl-C, Ctrl-D or SIGINT: exit 0.
        case quit
        /// SIGTERM, SIGHUP or SIGQUIT: after restoring the terminal, die of it as if never caught.
        case signal(Int32)
    }

    func validate() throws {
        // The relay says what it allows (its minimum is configurable); only nonsense is caught here.
        guard intervalMs > 0 else { throw ValidationError("--interval-ms must be a positive number of milliseconds") }
    }

    func run() throws {
        var outcome = Outcome.quit
        try Sottoctl.failing {
            let client = try AdminClient(path: socket.path)
            try client.send("watch", args: ["interval_ms": .int(intervalMs)])
            let screen = WatchScreen(
                socketPath: client.path, intervalMilliseconds: intervalMs,
                interactive: Terminal.isTerminal(STDIN_FILENO))
            if output.json {
                try stream(client) { Output.json($0, pretty: false) }
            } else if Terminal.isTerminal(STDOUT_FILENO) {
                outcome = try interactive(client, screen: screen)
            } else {
                var first = true
                let plain = WatchScreen(
                    socketPath: screen.socketPath, intervalMilliseconds: intervalMs, interactive: false)
                try stream(client) { frame in
                    Output.lines((first ? [] : [""]) + plain.lines(frame))
                    first = false
                }
            }
        }
        if case .signal(let number) = outcome {
            signal(number, SIG_DFL)
            raise(number)
        }
    }

    /// Frames as they come, until the server closes (an error: a relay does not end a watch by itself).
    private func stream(_ client: AdminClient, _ body: (AdminWatchFrame) -> Void) throws {
        while let line = try receive(client, timeoutMilliseconds: -1) {
            body(try frame(line, client))
        }
        throw closed(client)
    }

    /// The interactive view; the terminal is restored on every way out, thrown errors included.
    private func interactive(_ client: AdminClient, screen: WatchScreen) throws -> Outcome {
        let signals = try SignalPipe(catching: [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH])
        defer { signals.close() }
        let terminal = Terminal()
        try terminal.enter()
        defer { terminal.restore() }

        var latest: AdminWatchFrame?
        func draw() {
            let size = Terminal.size()
            let lines = latest.map { screen.lines($0, rows: size.rows, columns: size.columns) } ?? screen.waiting()
            Output.write(Terminal.frame(lines, rows: size.rows, columns: size.columns))
        }
        draw()

        let readsKeys = Terminal.isTerminal(STDIN_FILENO)
        var descriptors = [
            pollfd(fd: client.fileDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: signals.readEnd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: readsKeys ? STDIN_FILENO : -1, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            if poll(&descriptors, nfds_t(descriptors.count), -1) < 0 {
                if errno == EINTR { continue }
                throw SottoctlError(.io, "cannot wait for input: \(AdminClient.describe(errno))")
            }
            if descriptors[1].revents != 0 {
                for number in signals.drain() {
                    switch number {
                    case SIGWINCH: draw()
                    case SIGINT: return .quit
                    default: return .signal(number)
                    }
                }
            }
            if descriptors[2].revents != 0 {
                var keys = [UInt8](repeating: 0, count: 64)
                let count = read(STDIN_FILENO, &keys, keys.count)
                // End of input or an error other than an interruption: the terminal went away (polling it
                // again would only spin).
                if count == 0 || (count < 0 && errno != EINTR && errno != EAGAIN) { return .quit }
                for key in keys.prefix(max(0, count)) {
                    switch key {
                    case UInt8(ascii: "q"), UInt8(ascii: "Q"), 0x03, 0x04: return .quit  // q, Ctrl-C, Ctrl-D
                    case 0x0C: draw()  // Ctrl-L
                    default: break
                    }
                }
            }
            if descriptors[0].revents != 0 {
                let (lines, isClosed) = try receiveAvailable(client)
                for line in lines { latest = try frame(line, client) }
                if !lines.isEmpty { draw() }
                if isClosed { throw closed(client) }
            }
        }
    }

    private func frame(_ line: ArraySlice<UInt8>, _ client: AdminClient) throws -> AdminWatchFrame {
        try client.result(of: client.decode(line, as: AdminResponse<AdminWatchFrame>.self))
    }

    /// A line, with "closed before answering" said the way a stream ends.
    private func receive(_ client: AdminClient, timeoutMilliseconds: Int32) throws -> ArraySlice<UInt8>? {
        do {
            return try client.receiveLine(timeoutMilliseconds: timeoutMilliseconds)
        } catch let error as SottoctlError where error.code == .closedEarly {
            throw closed(client)
        }
    }

    private func receiveAvailable(_ client: AdminClient) throws -> (lines: [ArraySlice<UInt8>], closed: Bool) {
        do {
            return try client.receiveAvailable()
        } catch let error as SottoctlError where error.code == .closedEarly {
            throw closed(client)
        }
    }

    private func closed(_ client: AdminClient) -> SottoctlError {
        SottoctlError(.closedEarly, "the admin socket at \(client.path) closed the connection (did sotto stop?)")
    }
}
