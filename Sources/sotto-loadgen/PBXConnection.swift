import Dispatch
import SIP
import TLS
import Transport

/// The PBX side's own TLS connection to the relay, for calls the PBX places (`--direction inbound`).
///
/// A relay trusts the PBX by address, so this connection comes from the PBX's IP (the `--listen` IP,
/// 127.0.0.2), not from the kernel's choice: `TLSStream.connect(to:from:...)` binds it. Everything it hands
/// back runs on the signalling loop.
final class PBXConnection: @unchecked Sendable {
    /// What the stream's callbacks share (touched only on the loop, and by `open` after the handshake).
    private final class State: @unchecked Sendable {
        var framer = SIPStreamFramer()
        var handshook = false
        var failure: String?
    }

    private let stream: TLSStream

    private init(stream: TLSStream) {
        self.stream = stream
    }

    /// Connects from `sourceIP` (any port) to `host:port` and waits (at most `timeout` seconds) for the TLS
    /// handshake. Call it off the loop. `onMessage` and `onClose` run on `loop`.
    static func open(
        from sourceIP: String, to host: String, port: UInt16, context: TLSContext, serverName: String,
        loop: EventLoop, timeout: Double = 10, onMessage: @escaping @Sendable (SIPMessage) -> Void,
        onClose: @escaping @Sendable (String) -> Void
    ) throws(LoadgenError) -> PBXConnection {
        let state = State()
        let ready = DispatchSemaphore(value: 0)
        let handlers = TLSStreamHandlers(
            onHandshake: { _ in
                state.handshook = true
                ready.signal()
            },
            onData: { stream, bytes in
                for frame in state.framer.feed(bytes) {
                    switch frame {
                    case .message(let raw):
                        if let message = try? SIPMessage(parsing: raw) { onMessage(message) }
                    case .keepAlivePing:
                        SIPStreamFramer.pong.withUnsafeBytes { _ = stream.sendOnLoop($0) }
                    case .keepAlivePong:
                        break
                    case .fatal:
                        stream.close()
                    }
                }
                return bytes.count
            },
            onClose: { _, reason in
                if state.handshook {
                    onClose(reason.detail)
                } else {
                    state.failure = reason.detail
                    ready.signal()
                }
            })
        let stream: TLSStream
        do {
            stream = try TLSStream.connect(
                to: try SocketAddress(ip: host, port: port), from: try SocketAddress(ip: sourceIP, port: 0),
                context: context, serverName: serverName, loop: loop, handlers: handlers)
        } catch {
            throw LoadgenError("the PBX side's connection to the relay: \(error)")
        }
        guard ready.wait(timeout: .now() + timeout) == .success else {
            stream.close()
            throw LoadgenError("the PBX side's connection to the relay: no TLS handshake within \(timeout) s")
        }
        let handshook = loop.queue.sync { state.handshook }
        guard handshook else {
            throw LoadgenError("the PBX side's connection to the relay: \(state.failure ?? "closed")")
        }
        return PBXConnection(stream: stream)
    }

    /// Sends one serialised message (from any thread).
    func send(_ bytes: [UInt8]) {
        stream.send(bytes)
    }

    /// Closes the connection (close_notify first).
    func close() {
        stream.close()
    }
}
