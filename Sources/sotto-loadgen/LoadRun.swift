import Dispatch
import Foundation
import SDP
import SIP
import SRTP
import TLS
import Transport

/// One load test: the PBX (a TLS SIP UAS), the softphones (UACs), the call scheduler and the stream
/// pump. Everything but the media thread lives on one signalling loop.
final class LoadRun: @unchecked Sendable {
    let settings: LoadgenSettings
    let loop = EventLoop(label: "loadgen-sip")
    let pump: StreamPump
    /// What each side sends, by ``Side/rawValue``.
    let frames: [PayloadFrames]
    var phones: [Softphone] = []
    var listener: TCPListener?
    var pbxStreams: [ObjectIdentifier: (stream: TLSStream, framer: SIPStreamFramer)] = [:]
    var relayConnected = false
    /// The registrar's bindings (`--register`): per AOR, the Contact and the Path values, in order.
    var registrar = Registrar(maxExpires: 600)
    /// The PBX side's own connection to the relay (inbound calls), and why it is not up.
    var pbxClient: PBXConnection?
    var pbxClientFailure = "no PBX connection"
    /// `--register-every`: the phones' REGISTER refreshes (nil without it).
    var refresh: RegistrationRefresh?
    var calls: [String: Call] = [:]
    var ended: [Call] = []
    var started = 0
    var active = 0
    var runStart: UInt64 = 0
    /// `--floor`: the floor relay's port pairs not in use.
    var floorPairs: FloorPairs
    var finishedAt: UInt64 = 0
    let finished = DispatchSemaphore(value: 0)
    private var ticker: DispatchSourceTimer?
    private var stopping = false

    init(settings: LoadgenSettings) throws(LoadgenError) {
        self.settings = settings
        // Per side: the phone's frames, then the PBX's (the same sweep unless `--tones` gives each its own tone).
        var frames: [PayloadFrames] = []
        for tone in [settings.tones?.phone, settings.tones?.pbx] {
            frames.append(
                try PayloadFrames.make(
                    codec: settings.codec, ptimeMilliseconds: settings.ptimeMilliseconds,
                    opusBitrate: settings.opusBitrate, tone: tone))
        }
        self.frames = frames
        pump = try StreamPump(
            ptimeMilliseconds: settings.ptimeMilliseconds, socketsPerSide: settings.mediaSockets,
            phoneIP: settings.phoneIP, pbxIP: settings.pbxIP,
            plainTrailerLength: settings.floor.map { _ in settings.profile.rtpTagLength })
        floorPairs = FloorPairs(count: settings.floor?.pairs ?? 0)
    }

    // MARK: Set-up

    /// Starts the PBX listener, waits for the relay to connect to it (up to the ready timeout),
    /// connects the phones, then runs the calls. Blocks until every call has ended.
    func execute() throws(LoadgenError) {
        if settings.floor != nil { return try executeFloor() }
        do {
            _ = try SRTPLibrary.start()
        } catch {
            throw LoadgenError("libsrtp2 did not start: \(error.reason)")
        }
        let serverContext: TLSContext
        let clientContext: TLSContext
        do {
            serverContext = try TLSContext(
                .server(certificateChainFile: settings.certificate, privateKeyFile: settings.privateKey))
            clientContext = try TLSContext(.client(serverName: settings.serverName, caFile: settings.caFile))
        } catch {
            throw LoadgenError("TLS set-up failed: \(error)")
        }
        let listenAddress: SocketAddress
        let relayAddress: SocketAddress
        do {
            listenAddress = try SocketAddress(ip: settings.listenHost, port: settings.listenPort)
            relayAddress = try SocketAddress(ip: settings.relayHost, port: settings.relayPort)
            let listener = try TCPListener(
                address: listenAddress, context: serverContext, loop: loop, logger: .none
            ) { [unowned self] stream in pbxHandlers(for: stream) }
            self.listener = listener
            listener.start()
        } catch {
            throw LoadgenError(
                "the PBX side could not listen on \(settings.listenHost):\(settings.listenPort): \(error.reason)")
        }
        try pump.start()
        // The relay refuses calls (503) until its connection to the upstream is up: wait for it.
        let readyBy = DispatchTime.now() + settings.readyTimeoutSeconds
        while DispatchTime.now() < readyBy && !loop.queue.sync(execute: { relayConnected }) {
            usleep(20_000)
        }
        let phoneCount = max(1, min(settings.phones, settings.calls > 0 ? settings.calls : settings.phones))
        loop.queue.sync {
            for index in 0..<phoneCount {
                let phone = Softphone(index: index, run: self)
                phones.append(phone)
                phone.connect(to: relayAddress, context: clientContext, serverName: settings.serverName, loop: loop)
            }
        }
        let phonesBy = DispatchTime.now() + 10
        while DispatchTime.now() < phonesBy && !loop.queue.sync(execute: { phones.allSatisfy { $0.open || $0.closed } })
        {
            usleep(10_000)
        }
        if settings.register { registerPhones() }
        if settings.register, let every = settings.registerEverySeconds, every > 0 {
            let refresh = RegistrationRefresh(run: self, interval: every)
            loop.queue.sync {
                self.refresh = refresh
                refresh.start()
            }
        }
        if settings.direction != .outbound {
            let clientIdentity = TLSConfiguration.client(
                serverName: settings.serverName, caFile: settings.caFile,
                certificateChainFile: settings.certificate, privateKeyFile: settings.privateKey)
            do {
                let context = try TLSContext(clientIdentity)
                let connection = try PBXConnection.open(
                    from: settings.listenHost, to: settings.relayHost, port: settings.relayPort, context: context,
                    serverName: settings.serverName, loop: loop,
                    onMessage: { [unowned self] message in pbxClientReceived(message) },
                    onClose: { [unowned self] reason in
                        pbxClient = nil
                        pbxClientFailure = "PBX connection lost"
                        pbxClientClosed(reason)
                    })
                loop.queue.sync { pbxClient = connection }
            } catch {
                let reason = "\(error)"
                loop.queue.sync { pbxClientFailure = "PBX connection failed" }
                FileHandle.standardError.write(Data("sotto-loadgen: \(reason)\n".utf8))
            }
        }
        runCalls()
        loop.queue.sync {
            refresh?.stop()
            listener?.stop()
            for phone in phones { phone.stream?.close() }
            pbxClient?.close()
        }
    }

    /// Starts the calls at the configured pace and blocks until every one has ended, then stops the media thread.
    func runCalls() {
        loop.queue.sync {
            runStart = pump.now()
            let timer = DispatchSource.makeTimerSource(queue: loop.queue)
            timer.schedule(deadline: .now(), repeating: .milliseconds(5))
            timer.setEventHandler { [unowned self] in schedule() }
            ticker = timer
            timer.resume()
        }
        finished.wait()
        pump.shutdown()
    }

    /// Every call's outcome, in call order (read after ``execute()``).
    var results: [CallResult] {
        loop.queue.sync { ended.map(\.result).sorted { $0.number < $1.number } }
    }

    func phoneReady(_ phone: Softphone) {}

    // MARK: Scheduling

    private var elapsedSeconds: Double { Double(pump.now() &- runStart) / 1e9 }

    /// Starts calls while the limits allow (every 5 ms on the loop).
    private func schedule() {
        guard !stopping else { return }
        let elapsed = elapsedSeconds
        let windowOpen = settings.durationSeconds <= 0 || elapsed < settings.durationSeconds
        let more = settings.calls == 0 || started < settings.calls
        while windowOpen && more && (settings.calls == 0 || started < settings.calls) && active < settings.concurrency {
            if settings.rate > 0 && Double(started) >= settings.rate * elapsed + 1 { break }
            startCall()
        }
        let noMore = !windowOpen || (settings.calls > 0 && started >= settings.calls)
        if noMore && active == 0 {
            stopping = true
            finishedAt = pump.now()
            ticker?.cancel()
            finished.signal()
        }
    }

    private func startCall() {
        let number = started
        started += 1
        active += 1
        let phone = phones[number % phones.count]
        let direction = settings.direction.forCall(number)
        let call = Call(
            number: number, phone: phone, media: CallMedia(number: number, frames: frames), direction: direction)
        calls[call.callID] = call
        // A watchdog: a call not over long after its hold time is given up.
        loop.queue.asyncAfter(deadline: .now() + settings.ringSeconds + settings.holdSeconds + 40) { [self] in
            if call.state != .done { fail(call, "timeout") }
        }
        if settings.floor != nil { return startFloorCall(call) }
        guard phone.open else {
            fail(call, phone.closed ? "connection failed" : "no connection")
            return
        }
        if direction == .inbound {
            startInboundCall(call)
            return
        }
        let key: SRTPKeyMaterial
        let endpoint: MediaEndpoint
        do {
            (endpoint, key) = try pump.endpoint(side: .phone, call: call.media, profile: settings.profile)
        } catch {
            fail(call, "local set-up: \(error)")
            return
        }
        call.phoneEndpoint = endpoint
        endpoint.expectsEcho = settings.expectEcho
        let body = SIPText.sdp(
            ip: settings.phoneIP, port: endpoint.localPort, codec: settings.codec,
            ptime: settings.ptimeMilliseconds, cryptoTag: 1, key: key)
        let callee = settings.callee ?? "pbx"
        call.toHeader = "<sip:\(callee)@\(settings.listenHost)>"
        call.callerVia = "\(settings.phoneIP):5061"
        call.fromHeader = "<sip:\(phone.aor)@loadgen.invalid>;tag=\(call.fromTag)"
        call.inviteURI = "sip:\(callee)@\(settings.listenHost):\(settings.listenPort);transport=tls"
        let invite = invite(
            for: call, contact: "<sip:\(phone.aor)@\(settings.phoneIP):5061;transport=tls>", offer: body)
        call.inviteSentAt = pump.now()
        phone.send(invite)
    }

    // MARK: The phone side

    func phoneReceived(_ message: SIPMessage, on phone: Softphone) {
        if !message.isRequest && message.cseq.method == .register {
            if let refresh, refresh.answered(message, on: phone) { return }
            registerAnswered(message, on: phone)
            return
        }
        guard let call = calls[message.callID], call.state != .done else {
            if message.method == .invite {
                phone.send(
                    SIPMessageBuilder.response(to: message, status: 481, reason: "Call Does Not Exist", toTag: nil))
            }
            return
        }
        guard let status = message.statusLine?.statusCode else {
            switch message.method {
            case .invite where call.direction == .inbound:
                phoneInvite(message, call: call, on: phone)
            case .ack:
                // Inbound: the phone (the callee) starts sending at the ACK, as the PBX side does outbound.
                if call.direction == .inbound, let endpoint = call.phoneEndpoint, !call.phoneMediaStarted {
                    call.phoneMediaStarted = true
                    if answererSends { pump.submit(.start(endpoint)) }
                }
            default:
                // A request from the PBX side (BYE, say): answer 200 so it is not retried.
                noteRelayBYE(message, toPhone: true)
                phone.send(SIPMessageBuilder.response(to: message, status: 200, reason: "OK", toTag: nil))
            }
            return
        }
        guard call.direction == .outbound else { return }  // the phone sends no request in an inbound call
        callerReceived(status: status, message, call: call)
    }

    /// A response to the caller's INVITE or BYE (the phone's outbound, the PBX side's inbound).
    func callerReceived(status: Int, _ message: SIPMessage, call: Call) {
        switch message.cseq.method {
        case .invite:
            if status < 200 { return }
            if status >= 300 {
                // The UAC ACKs a non-2xx final response itself, hop by hop (RFC 3261 §17.1.1.3).
                sendAsCaller(call, ack(for: call, response: message, sameTransaction: true))
                call.result.status = status
                fail(call, "SIP \(status)")
                return
            }
            guard call.state == .inviting else {
                sendAsCaller(call, ack(for: call, response: message, sameTransaction: false))  // a retransmitted 200
                return
            }
            call.result.status = status
            call.result.setupMs = Double(pump.now() &- call.inviteSentAt) / 1e6
            call.toHeader = message.firstValue(of: "To") ?? call.toHeader
            call.routeSet = message.headers(named: "Record-Route").map(\.value).reversed()
            if let contact = message.firstValue(of: "Contact"), let address = try? SIPNameAddress(parsing: contact) {
                call.remoteTarget = address.uri.description
            }
            sendAsCaller(call, ack(for: call, response: message, sameTransaction: false))
            let callerEndpoint = call.direction == .outbound ? call.phoneEndpoint : call.pbxEndpoint
            guard let target = SIPText.mediaTarget(message.body), let (_, key) = target.keys.first,
                let endpoint = callerEndpoint,
                let destination = UDPAddress(ip: target.address.ip, port: target.address.port),
                let inbound = try? SRTPContext(key: key, direction: .inbound)
            else {
                call.state = .answered
                fail(call, "unusable SDP answer", sendBye: true)
                return
            }
            endpoint.destination = destination
            endpoint.inbound = inbound
            let answered = settings.holdDirection.map { SDPDirection(rawValue: $0.rawValue) ?? .sendrecv } ?? .sendrecv
            call.result.answerDirection = target.direction.rawValue
            call.result.silentDirections =
                settings.holdDirection?.silentDirections(callerIsPhone: call.direction == .outbound) ?? []
            guard target.direction == answered else {
                // The relay changed the direction the answerer put in its answer: the hold did not reach the caller.
                call.state = .answered
                fail(
                    call, "the answer reached the caller as \(target.direction.rawValue), not \(answered.rawValue)",
                    sendBye: true)
                return
            }
            // RFC 3264 §6.1: the caller sends only when the answer receives (sendrecv or recvonly).
            let callerSends = target.direction == .sendrecv || target.direction == .recvonly
            pump.submit(callerSends ? .start(endpoint) : .listen(endpoint))
            if call.direction == .inbound { call.pbxMediaStarted = true }
            call.state = .answered
            loop.queue.asyncAfter(deadline: .now() + settings.holdSeconds) { [self] in hangUp(call) }
        case .bye:
            call.byeAnswered = true
            if status >= 300 { call.result.failure = call.result.failure ?? "BYE answered \(status)" }
            complete(call)
        default:
            return
        }
    }

    /// Whether the answering side sends media: not when its answer is `a=inactive` (`--hold-direction`).
    var answererSends: Bool { settings.holdDirection != .inactive }

    /// The answering side's `a=` direction attribute: `--hold-direction`, else sendrecv.
    var answerDirection: String { settings.holdDirection?.rawValue ?? "sendrecv" }

    /// Sends a request of the caller's: over the phone's connection outbound, the PBX side's own inbound.
    func sendAsCaller(_ call: Call, _ bytes: [UInt8]) {
        if call.direction == .outbound {
            call.phone.send(bytes)
        } else {
            pbxClient?.send(bytes)
        }
    }

    private func ack(for call: Call, response: SIPMessage, sameTransaction: Bool) -> [UInt8] {
        // The ACK of a non-2xx is in the INVITE's transaction; the ACK of a 2xx goes along the dialog.
        let inDialog = !sameTransaction && !call.remoteTarget.isEmpty
        let headers = callerHeaders(
            call, branch: sameTransaction ? call.inviteBranch : SIPText.branch(),
            routes: sameTransaction ? call.inviteRoutes : call.routeSet,
            to: response.firstValue(of: "To") ?? call.toHeader, cseq: "1 ACK")
        return SIPMessageBuilder.request(.ack, uri: inDialog ? call.remoteTarget : call.inviteURI, headers: headers)
    }

    private func bye(for call: Call) -> [UInt8] {
        let inDialog = !call.remoteTarget.isEmpty
        return SIPMessageBuilder.request(
            .bye, uri: inDialog ? call.remoteTarget : call.inviteURI,
            headers: callerHeaders(
                call, branch: SIPText.branch(), routes: inDialog ? call.routeSet : call.inviteRoutes, cseq: "2 BYE"))
    }

    /// The caller's INVITE: its transaction's branch and route, Contact, User-Agent, and the SDP offer.
    func invite(for call: Call, contact: String, offer body: String) -> [UInt8] {
        SIPMessageBuilder.request(
            .invite, uri: call.inviteURI,
            headers: callerHeaders(call, branch: call.inviteBranch, routes: call.inviteRoutes, cseq: "1 INVITE") + [
                SIPHeader(name: "Contact", value: contact), SIPHeader(name: "User-Agent", value: "sotto-loadgen"),
            ], body: Array(body.utf8))
    }

    /// What every request of the caller's starts with (RFC 3261 §8.1.1): Via with `branch`, Max-Forwards, the
    /// route set, From, To (the dialog's, unless `to` is given), Call-ID and CSeq.
    private func callerHeaders(_ call: Call, branch: String, routes: [String], to: String? = nil, cseq: String)
        -> [SIPHeader]
    {
        [
            SIPHeader(name: "Via", value: "SIP/2.0/TLS \(call.callerVia);branch=\(branch);rport"),
            SIPHeader(name: "Max-Forwards", value: "70"),
        ] + routes.map { SIPHeader(name: "Route", value: $0) } + [
            SIPHeader(name: "From", value: call.fromHeader), SIPHeader(name: "To", value: to ?? call.toHeader),
            SIPHeader(name: "Call-ID", value: call.callID), SIPHeader(name: "CSeq", value: cseq),
        ]
    }

    /// The hold time is over: stop sending, let the last packets arrive, collect, then BYE.
    func hangUp(_ call: Call) {
        guard call.state == .answered else { return }
        call.state = .stopping
        pump.submit(.stop(call.media))
        loop.queue.asyncAfter(deadline: .now() + .milliseconds(150)) { [self] in
            guard call.state == .stopping else { return }
            collectMedia(call)
            call.state = .byeSent
            // `--floor`: no signalling, so nothing to hang up; the call completes when its media is collected.
            if settings.floor != nil {
                call.byeAnswered = true
                return
            }
            sendAsCaller(call, bye(for: call))
        }
    }

    private func collectMedia(_ call: Call) {
        let endpoints = call.endpoints
        call.phoneEndpoint = nil
        call.pbxEndpoint = nil
        pump.submit(
            .finish(call.media, endpoints) { [self] media in
                loop.execute { [self] in
                    call.result.directions = media.directions
                    let first = call.direction == .outbound ? media.phoneFirstMedia : media.pbxFirstMedia
                    if first > 0 && first >= call.inviteSentAt {
                        call.result.firstMediaMs = Double(first - call.inviteSentAt) / 1e6
                    }
                    call.mediaCollected = true
                    complete(call)
                }
            })
    }

    private func complete(_ call: Call) {
        guard call.state != .done, call.byeAnswered, call.mediaCollected else { return }
        if call.result.failure == nil { call.result.completed = true }
        end(call)
    }

    /// Ends a call as failed (once): its media is collected (what flowed still counts) and it leaves the run.
    func fail(_ call: Call, _ reason: String, sendBye: Bool = false) {
        guard call.state != .done else { return }
        if call.result.failure == nil { call.result.failure = reason }
        if sendBye { sendAsCaller(call, bye(for: call)) }
        let endpoints = call.endpoints
        call.phoneEndpoint = nil
        call.pbxEndpoint = nil
        if !endpoints.isEmpty {
            let media = call.media
            pump.submit(
                .finish(media, endpoints) { [self] result in
                    loop.execute { call.result.directions = result.directions }
                })
        }
        end(call)
    }

    private func end(_ call: Call) {
        call.state = .done
        if let pair = call.floorPair { floorPairs.release(pair) }
        ended.append(call)
        active -= 1
        // Kept a little longer so late messages for it are recognised and ignored.
        loop.queue.asyncAfter(deadline: .now() + 5) { [self] in calls[call.callID] = nil }
    }

    func phoneClosed(_ phone: Softphone, reason: String) {
        if settings.register && phone.registration == nil {
            phone.registration = RegistrationResult(aor: phone.aor, failure: "connection failed")
        }
        for call in calls.values where call.phone === phone && call.state != .done {
            fail(call, "connection lost")
        }
    }
}
