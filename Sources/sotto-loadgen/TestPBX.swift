import Dispatch
import Foundation
import Glibc
import SIP
import SRTP
import TLS
import Transport

/// `sotto-loadgen pbx`: the PBX side alone, as a small test PBX for a relay's upstream. A TLS SIP server that
/// is the registrar (it keeps each AOR's Contact and Path, as `--register` does) and answers INVITEs by
/// extension: echo (the caller's audio back) and tone; anything else gets 404, a plain-RTP offer 488.
/// Everything but the media runs on one signalling loop; the media on ``TestPBXMedia``'s loop.
final class TestPBX: @unchecked Sendable {
    /// What the command line gives.
    struct Settings: Sendable {
        var listenHost: String
        var listenPort: UInt16
        var mediaIP: String
        var certificate: String
        var privateKey: String
        var extensions: TestPBXExtensions
    }

    /// One answered call: its dialog's tag and its answer, kept for a retransmitted or repeated INVITE.
    private struct Answered {
        var toTag: String
        var answer: [UInt8]
        var service: TestPBXService
        var from: String
        /// The connection the INVITE came on: its calls end with it.
        var connection: ObjectIdentifier
    }

    let settings: Settings
    private let loop = EventLoop(label: "test-pbx-sip")
    private let media: TestPBXMedia
    private var listener: TCPListener?
    private var framers: [ObjectIdentifier: SIPStreamFramer] = [:]
    private var calls: [String: Answered] = [:]
    private var registrar = Registrar(maxExpires: 3600)

    init(settings: Settings) throws(LoadgenError) {
        self.settings = settings
        media = try TestPBXMedia()
    }

    /// Listens and serves until `stop` is signalled.
    func run(until stop: DispatchSemaphore) throws(LoadgenError) {
        do {
            _ = try SRTPLibrary.start()
        } catch {
            throw LoadgenError("libsrtp2 did not start: \(error.reason)")
        }
        let context: TLSContext
        do {
            context = try TLSContext(
                .server(certificateChainFile: settings.certificate, privateKeyFile: settings.privateKey))
        } catch {
            throw LoadgenError("TLS set-up failed: \(error)")
        }
        do {
            let address = try SocketAddress(ip: settings.listenHost, port: settings.listenPort)
            let listener = try TCPListener(address: address, context: context, loop: loop, logger: .none) {
                [unowned self] _ in handlers()
            }
            self.listener = listener
            listener.start()
        } catch {
            throw LoadgenError(
                "the test PBX could not listen on \(settings.listenHost):\(settings.listenPort): \(error.reason)")
        }
        let echo = settings.extensions.echo.joined(separator: " or ")
        let tone = settings.extensions.tone.joined(separator: " or ")
        Self.log(
            "test PBX on \(settings.listenHost):\(settings.listenPort) (TLS), media on \(settings.mediaIP): "
                + "\(echo) echoes, \(tone) plays a tone, any other number gets 404")
        stop.wait()
        loop.queue.sync { listener?.stop() }
        Self.log("stopped")
    }

    /// One line on standard error, with the time.
    static func log(_ text: String) {
        let stamp = ISO8601DateFormatter.string(
            from: Date(), timeZone: .current, formatOptions: [.withTime, .withColonSeparatorInTime])
        // write(2), not FileHandle: a closed standard error (the terminal's reader gone) must not end the PBX.
        let line = Array("\(stamp) sotto-loadgen pbx: \(text)\n".utf8)
        _ = line.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }

    private func handlers() -> TLSStreamHandlers {
        TLSStreamHandlers(
            onHandshake: { [unowned self] stream in
                framers[ObjectIdentifier(stream)] = SIPStreamFramer()
                Self.log("connection from \(stream.peer)")
            },
            onData: { [unowned self] stream, bytes in
                let key = ObjectIdentifier(stream)
                guard var framer = framers[key] else { return bytes.count }
                let frames = framer.feed(bytes)
                framers[key] = framer
                handleFrames(frames, on: stream) { message in
                    guard message.isRequest else { return }
                    received(message, on: key) { reply in reply.withUnsafeBytes { _ = stream.sendOnLoop($0) } }
                }
                return bytes.count
            },
            onClose: { [unowned self] stream, reason in
                // Only connections that completed the handshake are logged: a bare TCP probe (`make run` asking
                // whether the PBX is there) is not worth a line.
                if framers.removeValue(forKey: ObjectIdentifier(stream)) != nil {
                    Self.log("connection from \(stream.peer) closed: \(reason.detail)")
                }
                // No BYE can come for its calls any more: their media ends here.
                for (callID, call) in calls where call.connection == ObjectIdentifier(stream) { end(callID) }
            })
    }

    private func received(
        _ message: SIPMessage, on connection: ObjectIdentifier, reply: @escaping ([UInt8]) -> Void
    ) {
        switch message.method {
        case .register:
            register(message, reply: reply)
        case .invite:
            invite(message, on: connection, reply: reply)
        case .ack:
            // The tone starts at the ACK: a relay drops what reaches it before it has processed the answer.
            if calls[message.callID]?.service == .tone { media.startTone(callID: message.callID) }
        case .bye:
            reply(SIPMessageBuilder.response(to: message, status: 200, reason: "OK", toTag: nil))
            end(message.callID)
        case .options, .cancel, .info, .update, .prack:
            // Every call is answered at once, so a CANCEL finds nothing left to cancel.
            reply(SIPMessageBuilder.response(to: message, status: 200, reason: "OK", toTag: SIPText.token(10)))
        default:
            reply(
                SIPMessageBuilder.response(
                    to: message, status: 405, reason: "Method Not Allowed", toTag: SIPText.token(10)))
        }
    }

    /// Ends a call's media and logs its counters.
    private func end(_ callID: String) {
        guard let call = calls.removeValue(forKey: callID) else { return }
        media.remove(callID: callID) { received, sent, dropped in
            Self.log(
                "call \(call.from) → \(call.service.rawValue) ended: \(received) packets received, \(sent) sent"
                    + (dropped > 0 ? ", \(dropped) dropped (not authenticated or not RTP)" : ""))
        }
    }

    /// The registrar (``Registrar``), with a line per REGISTER.
    private func register(_ message: SIPMessage, reply: ([UInt8]) -> Void) {
        let (response, outcome) = registrar.handle(message)
        reply(response)
        switch outcome {
        case .bound(let user, let contact, let expires, let path):
            Self.log(
                "REGISTER \(user): \(contact) for \(expires) s"
                    + (path.isEmpty ? "" : ", Path \(path.joined(separator: ", "))"))
        case .removed(let user):
            Self.log("REGISTER \(user): unregistered")
        case .listed, .refused:
            break
        }
    }

    private func invite(
        _ message: SIPMessage, on connection: ObjectIdentifier, reply: @escaping ([UInt8]) -> Void
    ) {
        let user = message.requestLine?.uri.user
        let contact = SIPHeader(
            name: "Contact",
            value: "<sip:\(user ?? "pbx")@\(settings.listenHost):\(settings.listenPort);transport=tls>")
        if let call = calls[message.callID] {
            // A retransmission or a re-INVITE: the same answer (the media and its keys stay as they are).
            reply(
                SIPMessageBuilder.response(
                    to: message, status: 200, reason: "OK", toTag: call.toTag, recordRoute: true, extra: [contact],
                    body: call.answer))
            return
        }
        let from = message.from.uri.description
        let toTag = SIPText.token(10)
        let plan: TestPBXAnswerPlan
        switch TestPBXPlan.decide(user: user, offer: message.body, extensions: settings.extensions) {
        case .refuse(let status, let reason, let why):
            Self.log("INVITE \(from) → \(user ?? "?"): \(status) (\(why))")
            reply(SIPMessageBuilder.response(to: message, status: status, reason: reason, toTag: toTag))
            return
        case .answer(let answer):
            plan = answer
        }
        let callMedia: TestPBXCallMedia
        let ownKey: SRTPKeyMaterial
        do {
            guard let bind = UDPAddress(ip: settings.mediaIP, port: 0),
                let destination = UDPAddress(ip: plan.destination.ip, port: plan.destination.port)
            else { throw LoadgenError("\(settings.mediaIP) or \(plan.destination.ip) is not a numeric IP address") }
            let socket = try UDPSocket(binding: bind)
            ownKey = try SRTPKeyMaterial.generate(for: plan.offererKey.profile)
            let tone = try plan.toneCodec.map { codec throws(LoadgenError) in
                try ToneFrames.make(codec: codec, ptimeMilliseconds: plan.ptime)
            }
            callMedia = try TestPBXCallMedia(
                callID: message.callID, plan: plan, socket: socket, ownKey: ownKey, destination: destination,
                tone: tone)
        } catch {
            Self.log("INVITE \(from) → \(user ?? "?"): 500 (\(error))")
            reply(SIPMessageBuilder.response(to: message, status: 500, reason: "Server Internal Error", toTag: toTag))
            return
        }
        media.add(callMedia)
        let body = Array(
            TestPBXPlan.answerSDP(
                plan: plan, ip: settings.mediaIP, port: callMedia.socket.localAddress.port, ownKey: ownKey
            ).utf8)
        calls[message.callID] = Answered(
            toTag: toTag, answer: body, service: plan.service, from: from, connection: connection)
        Self.log(
            "INVITE \(from) → \(user ?? "?"): answered by \(plan.service.rawValue), \(plan.codec.name)/"
                + "\(plan.codec.clockRate), \(plan.offererKey.profile.rawValue)")
        reply(
            SIPMessageBuilder.response(
                to: message, status: 200, reason: "OK", toTag: toTag, recordRoute: true, extra: [contact],
                body: body))
    }
}
