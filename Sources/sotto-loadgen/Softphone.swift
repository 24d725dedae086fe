import SIP
import TLS
import Transport

/// One softphone: a TLS connection to the relay carrying SIP for the calls given to it.
final class Softphone: @unchecked Sendable {
    let index: Int
    let aor: String
    var stream: TLSStream?
    var framer = SIPStreamFramer()
    var open = false
    var closed = false
    /// Registration (`--register`): its outcome once known.
    var registration: RegistrationResult?
    var registerCallID = ""
    var registerSentAt: UInt64 = 0
    unowned let run: LoadRun

    init(index: Int, run: LoadRun) {
        self.index = index
        self.aor = "phone\(index)"
        self.run = run
    }

    /// Connects (on the signalling loop's queue).
    func connect(to address: SocketAddress, context: TLSContext, serverName: String, loop: EventLoop) {
        let handlers = TLSStreamHandlers(
            onHandshake: { [weak self] _ in
                guard let self else { return }
                self.open = true
                self.run.phoneReady(self)
            },
            onData: { [weak self] _, bytes in
                guard let self else { return bytes.count }
                handleFrames(self.framer.feed(bytes), on: self.stream) { self.run.phoneReceived($0, on: self) }
                return bytes.count
            },
            onClose: { [weak self] _, reason in
                guard let self else { return }
                self.open = false
                self.closed = true
                self.run.phoneClosed(self, reason: reason.detail)
            })
        do {
            stream = try TLSStream.connect(
                to: address, context: context, serverName: serverName, loop: loop,
                logger: .none, handlers: handlers)
        } catch {
            closed = true
            run.phoneClosed(self, reason: error.reason)
        }
    }

    func send(_ bytes: [UInt8]) {
        guard let stream, !closed else { return }
        bytes.withUnsafeBytes { _ = stream.sendOnLoop($0) }
    }
}
