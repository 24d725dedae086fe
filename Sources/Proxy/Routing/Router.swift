import Logging
import Media
import SIP
import TLS

/// The routing layer (RFC 3261 §16): which connection a request goes to, and the header edits a proxy
/// makes on the way: Via `received`/`rport`, Max-Forwards, loop detection, Record-Route, Path (RFC 3327)
/// with the softphone's flow token (RFC 5626 style), and the refusals that go with them (430, 404, 482,
/// 483, 503 when the PBX is not connected).
///
/// It owns the connections (flows) and the registrations seen through them, and knows nothing of SDP,
/// media or calls. Confined to the signalling loop.
final class Router {
    /// Where a request goes.
    enum Target {
        case flow(Flow)
        /// An OPTIONS addressed to Sotto itself (health checks).
        case local
    }

    /// Methods that create a dialog, and so get a Record-Route when they arrive outside one.
    static let dialogCreating: Set<SIPMethod> = [.invite, .subscribe, .refer, .notify]

    let local: LocalAddress
    private let logger: Logger
    private let clock: any MediaClock
    private var flows: [FlowID: Flow] = [:]
    private var flowsByToken: [String: FlowID] = [:]
    private var nextFlowID: FlowID = 1
    /// Sotto's own connection to the PBX, when up.
    private(set) var upstream: FlowID?
    /// Softphone bindings by `aor contact`.
    private var registrations: [String: ProxyRegistration] = [:]
    /// Requests that came back to Sotto with its own branch (§16.3 step 4).
    private(set) var loopsDetected = 0
    /// Requests for a softphone whose connection is gone.
    private(set) var flowFailed = 0

    init(local: LocalAddress, clock: any MediaClock, logger: Logger) {
        self.local = local
        self.clock = clock
        self.logger = logger
    }

    // MARK: Flows

    /// A TLS connection is up. Softphone flows get a token for Path and Record-Route.
    func openFlow(
        kind: FlowKind, peerIP: String, peerPort: UInt16, upstream isUpstream: Bool,
        peerIdentity: TLSPeerIdentity = .none
    ) -> FlowID {
        let id = nextFlowID
        nextFlowID += 1
        let token = kind == .softphone ? RandomToken.make(20) : ""
        flows[id] = Flow(
            id: id, kind: kind, peerIP: peerIP, peerPort: peerPort, token: token, peerIdentity: peerIdentity)
        if kind == .softphone { flowsByToken[token] = id }
        if isUpstream { upstream = id }
        return id
    }

    /// A TLS connection is gone: its flow, its token and its registrations with it. Returns the flow.
    func closeFlow(_ id: FlowID) -> Flow? {
        guard let flow = flows.removeValue(forKey: id) else { return nil }
        if flow.kind == .softphone {
            flowsByToken[flow.token] = nil
            registrations = registrations.filter { $0.value.flow != id }
        }
        if upstream == id { upstream = nil }
        return flow
    }

    /// The flow with this number, while its connection is up.
    func flow(_ id: FlowID) -> Flow? { flows[id] }

    // MARK: Requests

    /// RFC 3581 and RFC 3261 §18.2.1: the top Via learns where the request really came from.
    func stampVia(_ request: inout SIPMessage, from flow: Flow) throws(SIPError) {
        guard var via = request.via.first else { return }
        let wantsRPort = via.hasRPort
        let host = via.host.hasPrefix("[") ? String(via.host.dropFirst().dropLast()) : via.host
        guard host != flow.peerIP || wantsRPort else { return }
        via.parameters.removeAll { ["received", "rport"].contains($0.name.lowercased()) }
        via.parameters.append(SIPParameter(name: "received", value: flow.peerIP))
        if wantsRPort { via.parameters.append(SIPParameter(name: "rport", value: String(flow.peerPort))) }
        try request.replaceFirstVia(with: via)
    }

    /// RFC 3261 §16.4 and §16.5: Sotto's own Route entry is removed; a softphone's requests go to the PBX, the
    /// PBX's go to the softphone flow named by the token in that Route entry (or in the Request-URI).
    func route(_ request: inout SIPMessage, from flow: Flow) throws(ProxyRefusal) -> (Target, [SIPNameAddress]) {
        var routes: [SIPNameAddress]
        do {
            routes = try request.routes()
        } catch {
            throw ProxyRefusal(status: 400, reason: "Bad Request (a Route header is malformed)", warning: nil)
        }
        var token: String?
        if let first = routes.first, local.matches(first.uri) {
            token = first.uri.user
            try edit { () throws(SIPError) in try request.removeFirstRoute() }
            routes.removeFirst()
        }
        guard let uri = request.requestLine?.uri else {
            throw ProxyRefusal(status: 400, reason: "Bad Request (no Request-URI)", warning: nil)
        }
        let addressedToSotto = local.matches(uri)
        if addressedToSotto && routes.isEmpty && request.method == .options
            && (uri.user == nil || flowsByToken[uri.user ?? ""] == nil)
        {
            return (.local, routes)
        }
        switch flow.kind {
        case .softphone:
            guard let upstream, let next = flows[upstream] else {
                throw ProxyRefusal(status: 503, reason: "Service Unavailable", warning: "the PBX is not reachable")
            }
            return (.flow(next), routes)
        case .pbx:
            guard let name = token ?? (addressedToSotto ? uri.user : nil) else {
                throw ProxyRefusal(
                    status: 404, reason: "Not Found", warning: "no softphone flow is named in the Route or Request-URI")
            }
            guard let id = flowsByToken[name], let next = flows[id] else {
                flowFailed += 1
                throw ProxyRefusal(
                    status: 430, reason: "Flow Failed", warning: "the softphone's connection to Sotto is gone")
            }
            return (.flow(next), routes)
        }
    }

    /// RFC 3261 §16.3 step 4 (loops) and §16.6 step 3 (Max-Forwards). Returns the loop hash for the branch.
    func checkLoopAndHops(_ request: inout SIPMessage, routes: [SIPNameAddress]) throws(ProxyRefusal) -> String {
        let hash = Branch.loopHash(of: request, routes: routes)
        for via in request.via where local.matches(via) {
            if let branch = via.branch, Branch.loopHash(ofBranch: branch) == Substring(hash) {
                loopsDetected += 1
                throw ProxyRefusal(status: 482, reason: "Loop Detected", warning: nil)
            }
        }
        let hops = request.maxForwards ?? 70
        guard hops > 0 else {
            throw ProxyRefusal(status: 483, reason: "Too Many Hops", warning: nil)
        }
        try edit { () throws(SIPError) in try request.setMaxForwards(min(hops - 1, 255)) }
        return hash
    }

    /// §16.6 step 4 (Record-Route on a dialog-creating request outside a dialog) and RFC 3327 (Path on a
    /// softphone's REGISTER), both naming the softphone's flow by `token`.
    func addRouteEntries(_ request: inout SIPMessage, from flow: Flow, token: String) throws(ProxyRefusal) {
        if Self.dialogCreating.contains(request.method) && request.to.tag == nil {
            try edit { () throws(SIPError) in
                try request.insertOnTop(
                    SIPHeader(name: "Record-Route", value: local.routeURI(token: token, outbound: false).description))
            }
        }
        if request.method == .register && flow.kind == .softphone {
            // RFC 3327: the registrar stores this Path with the binding, so requests for this agent come back
            // through Sotto and are delivered over this very connection (RFC 5626 §5.3 style flow token).
            try edit { () throws(SIPError) in
                try request.insertOnTop(
                    SIPHeader(name: "Path", value: local.routeURI(token: token, outbound: true).description))
            }
        }
    }

    /// Runs a message edit; an edit that would make an invalid message is Sotto's bug or the peer's odd
    /// input, answered with 500 rather than a crash.
    func edit(_ body: () throws(SIPError) -> Void) throws(ProxyRefusal) {
        do {
            try body()
        } catch {
            logger.warning("a SIP edit failed", metadata: ["error": "\(error)"])
            throw ProxyRefusal(
                status: 500, reason: "Server Internal Error", warning: "Sotto could not edit the message")
        }
    }

    // MARK: Registrations

    /// Records the bindings of a REGISTER the registrar accepted, with the expiry the registrar granted
    /// (the contact's `expires` in the 2xx, else its Expires header, else the request's).
    func noteRegistration(request: SIPMessage, response: SIPMessage, flow flowID: FlowID) {
        guard let flow = flows[flowID], flow.kind == .softphone,
            case .addresses(let requested)? = try? request.contacts()
        else { return }
        let granted: [SIPNameAddress]
        if case .addresses(let list)? = try? response.contacts() { granted = list } else { granted = [] }
        let defaultExpiry = Int(response.firstValue(of: "Expires") ?? request.firstValue(of: "Expires") ?? "") ?? 3600
        let aor = request.to.uri.description
        let now = clock.now()
        for contact in requested {
            let key = aor + " " + contact.uri.description
            let match = granted.first { $0.uri == contact.uri }
            let seconds =
                (match?.parameters.value(ofParameterNamed: "expires") ?? nil).flatMap { Int($0) }
                ?? (contact.parameters.value(ofParameterNamed: "expires") ?? nil).flatMap { Int($0) } ?? defaultExpiry
            if seconds <= 0 || (match == nil && !granted.isEmpty) {
                registrations[key] = nil
            } else {
                registrations[key] = ProxyRegistration(
                    aor: aor, contact: contact.uri.description, flow: flowID, source: flow.peerDescription,
                    expires: now &+ UInt64(seconds) &* 1_000_000_000)
            }
        }
    }

    /// Live bindings (expired ones and those of closed flows are dropped as they are found).
    func currentRegistrations() -> [ProxyRegistration] {
        let now = clock.now()
        registrations = registrations.filter { $0.value.expires > now && flows[$0.value.flow] != nil }
        return registrations.values.sorted { ($0.aor, $0.contact) < ($1.aor, $1.contact) }
    }
}
