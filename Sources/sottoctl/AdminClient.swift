import AdminProtocol
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One connection to the admin socket: newline-delimited JSON requests out, response lines in.
///
/// Blocking calls (`call`) are for the one-shot commands; `watch` polls ``fileDescriptor`` itself and feeds
/// what it reads through ``receiveAvailable()``. The client owns the descriptor and closes it in `deinit`.
final class AdminClient {
    /// The default socket path (also the relay's default `admin.socket`).
    static let defaultPath = "/run/sotto/admin.sock"
    /// The environment variable that overrides ``defaultPath`` (`--socket` overrides both).
    static let environmentVariable = "SOTTO_ADMIN_SOCKET"
    /// The longest response line accepted. A `sessions` answer with ten thousand live sessions is about
    /// 10 MB; anything past this bound is a broken or hostile server, not a bigger relay.
    static let maximumLineLength = 64 << 20
    /// How long a one-shot command waits for its answer.
    static let answerTimeoutMilliseconds: Int32 = 30_000

    /// The path connected to, for messages.
    let path: String
    /// The connected socket.
    let fileDescriptor: Int32
    private var buffer: [UInt8] = []
    /// Where the next unconsumed byte of `buffer` is (consumed bytes are dropped in batches).
    private var start = 0
    private var nextID = 1
    private var sawEndOfStream = false

    /// The path to use: `--socket`, else `$SOTTO_ADMIN_SOCKET`, else ``defaultPath``.
    static func resolvePath(_ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String
    {
        if let option, !option.isEmpty { return option }
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return defaultPath
    }

    /// Connects to the socket at `path`.
    init(path: String) throws {
        self.path = path
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            throw SottoctlError(.io, "the socket path \(path) is longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: bytes) }

        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw SottoctlError(.io, "cannot create a socket: \(Self.describe(errno))")
        }
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                connect(descriptor, generic, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result != 0 {
            let code = errno
            close(descriptor)
            switch code {
            case ENOENT, ECONNREFUSED, ENOTDIR: throw SottoctlError.noSocket(path)
            case EACCES, EPERM: throw SottoctlError.permissionDenied(path)
            default:
                throw SottoctlError(.io, "cannot connect to the admin socket at \(path): \(Self.describe(code))")
            }
        }
        fileDescriptor = descriptor
    }

    deinit { close(fileDescriptor) }

    // MARK: One-shot commands

    /// Runs `command` and decodes its result as `Result`. A server error is thrown with its message.
    func call<Result: Codable & Sendable>(
        _ command: String, args: [String: AdminValue]? = nil, as type: Result.Type = Result.self
    ) throws -> Result {
        let id = try send(command, args: args)
        while true {
            guard let line = try receiveLine(timeoutMilliseconds: Self.answerTimeoutMilliseconds) else {
                throw SottoctlError.closedEarly(path)
            }
            let envelope = try decode(line, as: AdminResponse<Result>.self)
            // A response to another request (none are in flight, but a server may say hello) is skipped.
            if let answered = envelope.id, answered != id { continue }
            return try result(of: envelope)
        }
    }

    /// Sends one request line and returns its id.
    @discardableResult
    func send(_ command: String, args: [String: AdminValue]? = nil) throws -> Int {
        let id = nextID
        nextID += 1
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = [UInt8](try encoder.encode(AdminRequest(id: id, cmd: command, args: args)))
        line.append(UInt8(ascii: "\n"))
        var offset = 0
        while offset < line.count {
            let sent = line.withUnsafeBytes { raw in
                Glibc.send(fileDescriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE || errno == ECONNRESET { throw farewell() }
                throw SottoctlError(.io, "cannot write to the admin socket at \(path): \(Self.describe(errno))")
            }
            offset += sent
        }
        return id
    }

    /// Why the server closed on us: a server that refuses a peer (no role, too many connections) sends one
    /// error line and closes, possibly before the request is written, so that line is the explanation.
    private func farewell() -> SottoctlError {
        guard let line = try? receiveLine(timeoutMilliseconds: 1_000),
            let envelope = try? JSONDecoder().decode(AdminResponse<AdminDone>.self, from: Data(line)),
            let error = envelope.error
        else { return SottoctlError.closedEarly(path) }
        return SottoctlError(.server(error.code), error.message)
    }

    /// The value of a decoded response, or its error thrown.
    func result<Result: Codable & Sendable>(of envelope: AdminResponse<Result>) throws -> Result {
        if let error = envelope.error {
            throw SottoctlError(.server(error.code), error.message)
        }
        guard let result = envelope.result else {
            throw SottoctlError(.badAnswer, "the admin socket at \(path) answered with neither a result nor an error")
        }
        return result
    }

    /// Decodes one response line.
    func decode<Value: Decodable>(_ line: ArraySlice<UInt8>, as type: Value.Type) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(line))
        } catch {
            throw SottoctlError(
                .badAnswer, "the admin socket at \(path) sent an answer sottoctl cannot read (\(Self.reason(error)))")
        }
    }

    // MARK: Reading lines

    /// The next complete line (without its newline), waiting up to `timeoutMilliseconds` (-1: forever);
    /// nil when the server closed the connection.
    func receiveLine(timeoutMilliseconds: Int32) throws -> ArraySlice<UInt8>? {
        while true {
            if let line = try takeLine() { return line }
            if sawEndOfStream { return nil }
            var descriptor = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, timeoutMilliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw SottoctlError(.io, "cannot wait for the admin socket at \(path): \(Self.describe(errno))")
            }
            if ready == 0 {
                throw SottoctlError(
                    .timeout, "the admin socket at \(path) did not answer within \(timeoutMilliseconds / 1000) s")
            }
            try fill()
        }
    }

    /// Reads what the socket has now (call when poll says it is readable) and returns the complete lines
    /// received so far; `closed` once the server has closed and every line has been handed out.
    func receiveAvailable() throws -> (lines: [ArraySlice<UInt8>], closed: Bool) {
        try fill()
        var lines: [ArraySlice<UInt8>] = []
        while let line = try takeLine() { lines.append(line) }
        return (lines, sawEndOfStream)
    }

    /// One `read` into the buffer.
    private func fill() throws {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        let chunk = 64 * 1024
        let oldCount = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        var received: Int
        repeat {
            received = buffer.withUnsafeMutableBytes { raw in
                read(fileDescriptor, raw.baseAddress! + oldCount, chunk)
            }
        } while received < 0 && errno == EINTR
        if received < 0 {
            let code = errno
            buffer.removeSubrange(oldCount...)
            if code == ECONNRESET {
                sawEndOfStream = true
                return
            }
            throw SottoctlError(.io, "cannot read from the admin socket at \(path): \(Self.describe(code))")
        }
        buffer.removeSubrange((oldCount + received)...)
        if received == 0 { sawEndOfStream = true }
    }

    /// Removes and returns the first complete line, if there is one.
    private func takeLine() throws -> ArraySlice<UInt8>? {
        guard let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.count - start > Self.maximumLineLength {
                throw SottoctlError(
                    .badAnswer,
                    "the admin socket at \(path) sent a line longer than \(Self.maximumLineLength >> 20) MiB")
            }
            if sawEndOfStream && start < buffer.count {
                // A last line without its newline: the server closed mid-answer.
                throw SottoctlError.closedEarly(path)
            }
            return nil
        }
        let line = buffer[start..<newline]
        start = newline + 1
        return line
    }

    // MARK: Messages

    /// `strerror` text for an errno value.
    static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// A decoding error in a few words.
    private static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            context.codingPath.isEmpty
                ? context.debugDescription
                : "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        default: "\(error)"
        }
    }
}
