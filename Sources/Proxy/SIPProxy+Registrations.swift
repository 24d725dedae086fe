import SIP

/// A softphone binding seen passing through Sotto (REGISTER from the phone, 2xx from the registrar).
public struct ProxyRegistration: Sendable, Hashable {
    /// The address of record (the REGISTER's To).
    public var aor: String
    /// The contact the phone registered.
    public var contact: String
    /// The phone's flow.
    public var flow: FlowID
    /// The phone's connection, `ip:port`.
    public var source: String
    /// When the binding expires, on the proxy's clock.
    public var expires: UInt64
}

extension SIPProxy {
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
    public func currentRegistrations() -> [ProxyRegistration] {
        let now = clock.now()
        registrations = registrations.filter { $0.value.expires > now && flows[$0.value.flow] != nil }
        return registrations.values.sorted { ($0.aor, $0.contact) < ($1.aor, $1.contact) }
    }
}
