import Dispatch
import SIP
import SRTP
import Transport

/// The PBX side: a TLS SIP user agent server the relay's upstream points at. It answers every
/// INVITE with 180 and 200 (the first crypto line it can use, answered with its own key), 200 to BYE
/// and OPTIONS, and REGISTER as a registrar (`LoadRun+Inbound.swift`).
extension LoadRun {
    func pbxHandlers(for stream: TLSStream) -> TLSStreamHandlers {
        TLSStreamHandlers(
            onHandshake: { [unowned self] stream in
                relayConnected = true
                pbxStreams[ObjectIdentifier(stream)] = (stream, SIPStreamFramer())
            },
            onData: { [unowned self] stream, bytes in
                let key = ObjectIdentifier(stream)
                guard var entry = pbxStreams[key] else { return bytes.count }
                let frames = entry.framer.feed(bytes)
                pbxStreams[key] = entry
                handleFrames(frames, on: stream) { pbxReceived($0, on: stream) }
                return bytes.count
            },
            onClose: { [unowned self] stream, _ in
                pbxStreams[ObjectIdentifier(stream)] = nil
            })
    }

    private func pbxReceived(_ message: SIPMessage, on stream: TLSStream) {
        guard message.isRequest else { return }
        let reply: ([UInt8]) -> Void = { bytes in bytes.withUnsafeBytes { _ = stream.sendOnLoop($0) } }
        switch message.method {
        case .invite:
            pbxInvite(message, reply: reply)
        case .ack:
            // Media starts at the ACK, not at the 200: a relay may drop packets that arrive before it has
            // processed the answer (Sotto counts them as noPeerYet), which would read as loss here.
            if let call = calls[message.callID], let endpoint = call.pbxEndpoint, !call.pbxMediaStarted {
                call.pbxMediaStarted = true
                if answererSends { pump.submit(.start(endpoint)) }
            }
        case .register:
            pbxRegister(message, reply: reply)
        case .bye, .options, .cancel:
            noteRelayBYE(message, toPhone: false)
            reply(SIPMessageBuilder.response(to: message, status: 200, reason: "OK", toTag: SIPText.token(10)))
        default:
            reply(
                SIPMessageBuilder.response(
                    to: message, status: 405, reason: "Method Not Allowed", toTag: SIPText.token(10)))
        }
    }

    private func pbxInvite(_ message: SIPMessage, reply: @escaping ([UInt8]) -> Void) {
        let toTag = SIPText.token(10)
        guard let call = calls[message.callID], call.state == .inviting, call.direction == .outbound else {
            // Not one of ours (or Call-ID rewritten in transit): refuse it, so the caller sees it.
            reply(SIPMessageBuilder.response(to: message, status: 481, reason: "Call Does Not Exist", toTag: toTag))
            return
        }
        guard call.pbxEndpoint == nil else { return }  // a retransmission
        guard let target = SIPText.mediaTarget(message.body), let (tag, relayKey) = target.keys.first,
            let destination = UDPAddress(ip: target.address.ip, port: target.address.port)
        else {
            reply(SIPMessageBuilder.response(to: message, status: 488, reason: "Not Acceptable Here", toTag: toTag))
            return
        }
        let endpoint: MediaEndpoint
        let ownKey: SRTPKeyMaterial
        do {
            (endpoint, ownKey) = try pump.endpoint(
                side: .pbx, call: call.media, profile: relayKey.profile, relayKey: relayKey)
        } catch {
            reply(SIPMessageBuilder.response(to: message, status: 500, reason: "Server Internal Error", toTag: toTag))
            return
        }
        endpoint.destination = destination
        call.pbxEndpoint = endpoint
        pump.submit(.listen(endpoint))  // the caller may send as soon as it has the 200
        let contact = SIPHeader(
            name: "Contact", value: "<sip:pbx@\(settings.pbxIP):\(settings.listenPort);transport=tls>")
        reply(
            SIPMessageBuilder.response(
                to: message, status: 180, reason: "Ringing", toTag: toTag, recordRoute: true, extra: [contact]))
        let body = SIPText.sdp(
            ip: settings.pbxIP, port: endpoint.localPort, codec: settings.codec,
            ptime: settings.ptimeMilliseconds, cryptoTag: tag, key: ownKey, direction: answerDirection)
        let ok = SIPMessageBuilder.response(
            to: message, status: 200, reason: "OK", toTag: toTag, recordRoute: true, extra: [contact],
            body: Array(body.utf8))
        answerAfterRinging(call) { reply(ok) }
    }

    /// Sends the answering side's 200 now, or after `--ring` seconds of ringing, unless the call ended meanwhile.
    func answerAfterRinging(_ call: Call, _ answer: @escaping () -> Void) {
        guard settings.ringSeconds > 0 else { return answer() }
        let pending = PendingAnswer(send: answer)
        loop.queue.asyncAfter(deadline: .now() + settings.ringSeconds) {
            if call.state == .inviting { pending.send() }
        }
    }

    /// A 200 held while the answering side rings; made, run and dropped on the signalling loop only.
    private final class PendingAnswer: @unchecked Sendable {
        let send: () -> Void
        init(send: @escaping () -> Void) { self.send = send }
    }
}
