import SIP
import Transport

/// What sotto-loadgen's connections do with the frames of their SIP stream: each message that parses goes to
/// `onMessage`, a keep-alive ping (RFC 5626 §4.4.1) is answered with its pong on `stream`, and a pong or a
/// framing error is left to the connection (the stream's own limits close it).
func handleFrames(_ frames: [SIPFrame], on stream: TLSStream?, _ onMessage: (SIPMessage) -> Void) {
    for frame in frames {
        switch frame {
        case .message(let raw):
            if let message = try? SIPMessage(parsing: raw) { onMessage(message) }
        case .keepAlivePing:
            SIPStreamFramer.pong.withUnsafeBytes { _ = stream?.sendOnLoop($0) }
        case .keepAlivePong, .fatal:
            break
        }
    }
}
