import Foundation
import Glibc
import SIP
import TLS
import Transport

/// The PBX side's own TLS connection to the relay, for calls the PBX places (`--direction inbound`).
///
/// A relay trusts the PBX by address, so this connection must come from the PBX's IP (the `--listen`
/// IP, 127.0.0.2), not from the kernel's choice. `TLSStream.connect` cannot bind a source address, so
/// this is a plain socket bound first, with Sotto's `TLSConnection` (memory BIOs) on top: the handshake
/// runs blocking in ``open(from:to:context:serverName:loop:onMessage:onClose:)``, a reader thread then
/// decrypts and frames what arrives and hands each message to the signalling loop. Sends come from the
/// loop; one lock keeps the `TLSConnection` single-threaded.
final class PBXConnection: @unchecked Sendable {
    private let fd: Int32
    private let tls: TLSConnection
    private let lock = NSLock()
    private var framer = SIPStreamFramer()  // reader thread only
    private var isClosed = false  // under lock
    private let loop: EventLoop
    private let onMessage: (SIPMessage) -> Void
    private let onClose: (String) -> Void

    private init(
        fd: Int32, tls: TLSConnection, loop: EventLoop, onMessage: @escaping (SIPMessage) -> Void,
        onClose: @escaping (String) -> Void
    ) {
        self.fd = fd
        self.tls = tls
        self.loop = loop
        self.onMessage = onMessage
        self.onClose = onClose
    }

    /// Connects from `sourceIP` (any port) to `host:port`, completes the TLS handshake (blocking, at most
    /// `timeout` seconds), then starts the reader thread. `onMessage` and `onClose` run on `loop`.
    static func open(
        from sourceIP: String, to host: String, port: UInt16, context: TLSContext, serverName: String,
        loop: EventLoop, timeout: Double = 10, onMessage: @escaping (SIPMessage) -> Void,
        onClose: @escaping (String) -> Void
    ) throws(LoadgenError) -> PBXConnection {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LoadgenError("socket() failed: \(String(cString: strerror(errno)))") }
        func fail(_ what: String) -> LoadgenError {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            return LoadgenError("the PBX side's connection to the relay: \(what): \(reason)")
        }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        guard inet_pton(AF_INET, sourceIP, &local.sin_addr) == 1 else {
            Glibc.close(fd)
            throw LoadgenError("the PBX side's IP \(sourceIP) is not an IPv4 address")
        }
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &remote.sin_addr) == 1 else {
            Glibc.close(fd)
            throw LoadgenError("the relay's host \(host) is not an IPv4 address")
        }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var limit = timeval(tv_sec: Int(timeout), tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw fail("bind to \(sourceIP)") }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        guard connected == 0 else { throw fail("connect to \(host):\(port)") }
        let tls: TLSConnection
        do {
            tls = try TLSConnection(context: context, peer: "\(host):\(port)", serverName: serverName)
        } catch {
            Glibc.close(fd)
            throw LoadgenError("the PBX side's TLS connection: \(error)")
        }
        var buffer = [UInt8](repeating: 0, count: 16_384)
        handshake: while true {
            let result = tls.handshake()
            guard writeAll(fd, tls.takeCiphertextToSend()) else { throw fail("sending the handshake") }
            switch result {
            case .complete: break handshake
            case .failed(let error):
                Glibc.close(fd)
                throw LoadgenError("the PBX side's TLS handshake with the relay failed: \(error)")
            case .incomplete:
                let count = read(fd, &buffer, buffer.count)
                guard count > 0 else { throw fail("reading the handshake") }
                buffer.withUnsafeBytes { tls.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            }
        }
        // From here the reader blocks without a timeout.
        var forever = timeval(tv_sec: 0, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &forever, socklen_t(MemoryLayout<timeval>.size))
        let connection = PBXConnection(fd: fd, tls: tls, loop: loop, onMessage: onMessage, onClose: onClose)
        let thread = Thread { connection.readLoop() }
        thread.name = "loadgen-pbx-client"
        thread.start()
        return connection
    }

    /// Encrypts and sends one message (from the signalling loop).
    func send(_ bytes: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        guard !isClosed else { return }
        guard case .complete = tls.writePlaintext(bytes) else { return }
        _ = Self.writeAll(fd, tls.takeCiphertextToSend())
    }

    /// Closes the connection; the reader thread ends.
    func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !isClosed else { return }
        isClosed = true
        tls.close()
        _ = Self.writeAll(fd, tls.takeCiphertextToSend())
        shutdown(fd, Int32(SHUT_RDWR))
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var plain = [UInt8](repeating: 0, count: 65_536)
        var reason = "closed"
        reading: while true {
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 {
                reason = count == 0 ? "the relay closed the connection" : String(cString: strerror(errno))
                break
            }
            var received: [UInt8] = []
            lock.lock()
            buffer.withUnsafeBytes { tls.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            var failed: String?
            decrypting: while true {
                switch plain.withUnsafeMutableBytes({ tls.readPlaintext(into: $0) }) {
                case .complete(let n): received += plain[0..<n]
                case .incomplete: break decrypting
                case .failed(let error):
                    failed = "\(error)"
                    break decrypting
                }
            }
            _ = Self.writeAll(fd, tls.takeCiphertextToSend())
            lock.unlock()
            for frame in framer.feed(received) {
                switch frame {
                case .message(let raw):
                    if let message = try? SIPMessage(parsing: raw) { loop.execute { self.onMessage(message) } }
                case .keepAlivePing:
                    send(SIPStreamFramer.pong)
                case .keepAlivePong, .fatal:
                    break
                }
            }
            if let failed {
                reason = failed
                break reading
            }
        }
        lock.lock()
        isClosed = true
        lock.unlock()
        Glibc.close(fd)
        let closeReason = reason
        loop.execute { self.onClose(closeReason) }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }
}
