import Dispatch
import SIP

/// `--register-every S`: after the first REGISTER, every phone refreshes its binding every S seconds for the
/// whole run, as a softphone does before its Expires runs out (RFC 3261 §10.2.4: same Call-ID, CSeq one
/// higher). A refresh answered ≥ 300, or not answered before the next one is due, is a failure; failures
/// are reported beside the first registrations and fail the run like a failed call.
///
/// Confined to the run's signalling loop (its timer fires there).
final class RegistrationRefresh {
    private unowned let run: LoadRun
    private let interval: Double
    private var timer: DispatchSourceTimer?
    /// Per phone index: the CSeq of its last REGISTER and whether its answer is still awaited.
    private var cseq: [Int: Int] = [:]
    private var awaited: Set<Int> = []
    /// Refreshes sent (and settled), answered 2xx, and failed (by cause: `REGISTER 403`, `timeout`, `connection lost`).
    private(set) var sent = 0
    private(set) var refreshed = 0
    private(set) var failuresByCause: [String: Int] = [:]

    init(run: LoadRun, interval: Double) {
        self.run = run
        self.interval = interval
    }

    var failed: Int { failuresByCause.values.reduce(0, +) }

    /// Starts refreshing (call on the loop's queue, after the first registrations).
    func start() {
        let timer = DispatchSource.makeTimerSource(queue: run.loop.queue)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [unowned self] in refreshAll() }
        self.timer = timer
        timer.resume()
    }

    /// Stops refreshing (on the loop's queue). Refreshes still awaited then (the run ended first) are left out
    /// of the counts: neither answered nor failed.
    func stop() {
        timer?.cancel()
        timer = nil
        sent -= awaited.count
        awaited.removeAll()
    }

    private func fail(_ cause: String) { failuresByCause[cause, default: 0] += 1 }

    private func refreshAll() {
        for phone in run.phones where phone.registration?.failure == nil && phone.registration != nil {
            if awaited.remove(phone.index) != nil { fail("timeout") }
            guard phone.open, !phone.closed else {
                fail("connection lost")
                continue
            }
            let next = (cseq[phone.index] ?? 1) + 1
            cseq[phone.index] = next
            awaited.insert(phone.index)
            sent += 1
            phone.send(run.registerRequest(for: phone, cseq: next))
        }
    }

    /// A response to a phone's REGISTER: true when it answers a refresh (and was taken here).
    func answered(_ message: SIPMessage, on phone: Softphone) -> Bool {
        guard message.cseq.method == .register, message.callID == phone.registerCallID,
            let number = cseq[phone.index], Int(message.cseq.sequence) == number
        else { return false }
        guard let status = message.statusLine?.statusCode, status >= 200 else { return true }
        guard awaited.remove(phone.index) != nil else { return true }
        if status >= 300 { fail("REGISTER \(status)") } else { refreshed += 1 }
        return true
    }
}

extension LoadRun {
    /// A phone's REGISTER to the PBX side (the registrar) through the relay, on its registration's Call-ID.
    func registerRequest(for phone: Softphone, cseq: Int) -> [UInt8] {
        SIPMessageBuilder.request(
            .register, uri: "sip:\(settings.listenHost):\(settings.listenPort);transport=tls",
            headers: [
                SIPHeader(name: "Via", value: "SIP/2.0/TLS \(settings.phoneIP):5061;branch=\(SIPText.branch());rport"),
                SIPHeader(name: "Max-Forwards", value: "70"),
                SIPHeader(name: "From", value: "<sip:\(phone.aor)@loadgen.invalid>;tag=\(SIPText.token(10))"),
                SIPHeader(name: "To", value: "<sip:\(phone.aor)@loadgen.invalid>"),
                SIPHeader(name: "Call-ID", value: phone.registerCallID),
                SIPHeader(name: "CSeq", value: "\(cseq) REGISTER"),
                SIPHeader(name: "Contact", value: "<sip:\(phone.aor)@\(settings.phoneIP):5061;transport=tls>"),
                SIPHeader(name: "Expires", value: "600"),
                SIPHeader(name: "Supported", value: "path, outbound"),
                SIPHeader(name: "User-Agent", value: "sotto-loadgen"),
            ])
    }
}

extension LoadgenReport {
    /// Adds the refreshes' outcome; a failed refresh fails the run like a failed REGISTER.
    mutating func addRefreshes(sent: Int, refreshed: Int, failuresByCause: [String: Int]) {
        registrations.refreshesSent = sent
        registrations.refreshed = refreshed
        registrations.refreshFailuresByStatus = failuresByCause
        let failed = failuresByCause.values.reduce(0, +)
        if failed > 0 { violations.append("\(failed) REGISTER refreshes failed") }
    }
}
