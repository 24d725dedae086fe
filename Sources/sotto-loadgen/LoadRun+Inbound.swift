import Dispatch
import Glibc
import SIP
import SRTP
import Transport

/// `--register` and `--direction inbound`: the softphones register through the relay, the PBX side is
/// their registrar (it keeps each AOR's Contact and Path), and inbound calls go from the PBX side's own
/// connection to the relay, routed by that Path, to the phones.
extension LoadRun {
    // MARK: Registration (the phones' side)

    /// Sends every open phone's REGISTER and waits (up to 10 s) for their answers. Called off the loop.
    func registerPhones() {
        loop.queue.sync {
            for phone in phones {
                guard phone.open else {
                    if phone.registration == nil {
                        phone.registration = RegistrationResult(aor: phone.aor, failure: "connection failed")
                    }
                    continue
                }
                phone.registerCallID = "lg-reg-\(phone.index)-\(SIPText.token(12))"
                phone.registerSentAt = pump.now()
                phone.send(registerRequest(for: phone, cseq: 1))
            }
        }
        let by = DispatchTime.now() + 10
        while DispatchTime.now() < by && !loop.queue.sync(execute: { phones.allSatisfy { $0.registration != nil } }) {
            usleep(10_000)
        }
        loop.queue.sync {
            for phone in phones where phone.registration == nil {
                phone.registration = RegistrationResult(aor: phone.aor, failure: "timeout")
            }
        }
    }

    /// A final response to a phone's REGISTER.
    func registerAnswered(_ message: SIPMessage, on phone: Softphone) {
        guard let status = message.statusLine?.statusCode, status >= 200, phone.registration == nil,
            message.callID == phone.registerCallID
        else { return }
        var result = RegistrationResult(aor: phone.aor, status: status)
        result.registerMs = Double(pump.now() &- phone.registerSentAt) / 1e6
        if status >= 300 { result.failure = "REGISTER \(status)" }
        phone.registration = result
    }

    /// Every phone's registration, in phone order (read after ``execute()``).
    var registrationResults: [RegistrationResult] {
        loop.queue.sync { settings.register ? phones.compactMap(\.registration) : [] }
    }

    // MARK: The registrar (the PBX side)

    /// Stores the binding (Contact and Path, per AOR) and answers (``Registrar``).
    func pbxRegister(_ message: SIPMessage, reply: ([UInt8]) -> Void) {
        reply(registrar.handle(message).response)
    }

    // MARK: Inbound calls (PBX side → relay → phone)

    /// Sends the PBX side's INVITE to the phone's registered Contact, routed by its stored Path.
    func startInboundCall(_ call: Call) {
        let phone = call.phone
        guard let binding = registrar.bindings[phone.aor] else {
            fail(call, "not registered")
            return
        }
        guard let pbxClient else {
            fail(call, pbxClientFailure)
            return
        }
        let key: SRTPKeyMaterial
        let endpoint: MediaEndpoint
        do {
            (endpoint, key) = try pump.endpoint(side: .pbx, call: call.media, profile: settings.profile)
        } catch {
            fail(call, "local set-up: \(error)")
            return
        }
        call.pbxEndpoint = endpoint
        call.callerVia = "\(settings.listenHost):\(settings.listenPort)"
        call.fromHeader = "<sip:pbx@\(settings.listenHost)>;tag=\(call.fromTag)"
        call.toHeader = "<sip:\(phone.aor)@loadgen.invalid>"
        call.inviteURI = binding.contact
        call.inviteRoutes = binding.path
        let body = SIPText.sdp(
            ip: settings.pbxIP, port: endpoint.localPort, codec: settings.codec,
            ptime: settings.ptimeMilliseconds, cryptoTag: 1, key: key)
        let invite = invite(
            for: call, contact: "<sip:pbx@\(settings.pbxIP):\(settings.listenPort);transport=tls>", offer: body)
        call.inviteSentAt = pump.now()
        pbxClient.send(invite)
    }

    /// The phone's side of an inbound call: 180, then 200 with its answer (its own key, the first crypto
    /// line the relay offered). Media starts at the ACK.
    func phoneInvite(_ message: SIPMessage, call: Call, on phone: Softphone) {
        let reply: ([UInt8]) -> Void = { phone.send($0) }
        guard phone === call.phone else {
            // The relay delivered it over another phone's connection: that is a routing failure.
            reply(SIPMessageBuilder.response(to: message, status: 404, reason: "Not Found", toTag: call.answerTag))
            fail(call, "delivered to the wrong phone")
            return
        }
        guard call.phoneEndpoint == nil else { return }  // a retransmission
        guard let target = SIPText.mediaTarget(message.body), let (tag, relayKey) = target.keys.first,
            let destination = UDPAddress(ip: target.address.ip, port: target.address.port)
        else {
            reply(
                SIPMessageBuilder.response(
                    to: message, status: 488, reason: "Not Acceptable Here", toTag: call.answerTag))
            return
        }
        let endpoint: MediaEndpoint
        let ownKey: SRTPKeyMaterial
        do {
            (endpoint, ownKey) = try pump.endpoint(
                side: .phone, call: call.media, profile: relayKey.profile, relayKey: relayKey)
        } catch {
            reply(
                SIPMessageBuilder.response(
                    to: message, status: 500, reason: "Server Internal Error", toTag: call.answerTag))
            return
        }
        endpoint.destination = destination
        call.phoneEndpoint = endpoint
        pump.submit(.listen(endpoint))  // the caller may send as soon as it has the 200
        let contact = SIPHeader(name: "Contact", value: "<sip:\(phone.aor)@\(settings.phoneIP):5061;transport=tls>")
        reply(
            SIPMessageBuilder.response(
                to: message, status: 180, reason: "Ringing", toTag: call.answerTag, recordRoute: true,
                extra: [contact]))
        let body = SIPText.sdp(
            ip: settings.phoneIP, port: endpoint.localPort, codec: settings.codec,
            ptime: settings.ptimeMilliseconds, cryptoTag: tag, key: ownKey, direction: answerDirection)
        let ok = SIPMessageBuilder.response(
            to: message, status: 200, reason: "OK", toTag: call.answerTag, recordRoute: true, extra: [contact],
            body: Array(body.utf8))
        answerAfterRinging(call) { phone.send(ok) }
    }

    /// A message on the PBX side's own connection: responses to its INVITEs and BYEs.
    func pbxClientReceived(_ message: SIPMessage) {
        guard let status = message.statusLine?.statusCode else {
            // A request on this connection (OPTIONS, a BYE from the relay): answer it.
            guard message.method != .ack else { return }
            noteRelayBYE(message, toPhone: false)
            let reply = SIPMessageBuilder.response(to: message, status: 200, reason: "OK", toTag: SIPText.token(10))
            pbxClient?.send(reply)
            return
        }
        guard let call = calls[message.callID], call.state != .done, call.direction == .inbound else { return }
        callerReceived(status: status, message, call: call)
    }

    /// A BYE that reaches either side before the caller hung up was made by the relay (a media timeout, a lost
    /// connection, an operator): the call did not last the time it was meant to, so it is a failure, with the
    /// relay's Reason. Without this a call the relay ended early would still read as completed, since the
    /// caller's own BYE later gets an answer from the other side.
    /// `toPhone` says which side it reached; the report counts both (a relay that ends a call sends BYE both ways).
    func noteRelayBYE(_ message: SIPMessage, toPhone: Bool) {
        guard message.method == .bye, let call = calls[message.callID], call.state == .answered else { return }
        if toPhone { call.result.relayByeToPhone = true } else { call.result.relayByeToPBX = true }
        let reason = message.firstValue(of: "Reason") ?? "no Reason header"
        call.result.failure = call.result.failure ?? "the relay ended the call before it was hung up (\(reason))"
    }

    /// The PBX side's connection closed: inbound calls still setting up fail.
    func pbxClientClosed(_ reason: String) {
        for call in calls.values where call.direction == .inbound && call.state != .done {
            fail(call, "PBX connection lost")
        }
    }
}
