import SIP
public import TLS

/// How a softphone's TLS certificate binds the identities it may use (`sip.client_identity`), checked on
/// REGISTER (the address of record in To) and on the From of every other request outside a dialog.
///
/// Without a binding, a certificate from the CA proves only that the phone belongs to the organisation:
/// any phone could register as any agent, or place calls as one. With mutual TLS, a binding makes the
/// certificate name the agent. Without mutual TLS and without digest authentication at the PBX, anyone who
/// can reach the port is a softphone (docs/security.md).
public enum IdentityBinding: String, Sendable, Hashable, CaseIterable {
    /// No check (the PBX authenticates, for example with digest).
    case none
    /// The address of record must be one of the certificate's subjectAltName URIs (user and host equal,
    /// host without regard to case; `sip:` and `sips:` alike).
    case uri
    /// The address of record's user part must be the certificate's subject common name, or the user part
    /// of one of its subjectAltName URIs (one CA per domain, names unique inside it).
    case user

    /// Whether a connection that proved `identity` may use `aor`.
    func allows(_ aor: SIPURI, identity: TLSPeerIdentity) -> Bool {
        switch self {
        case .none:
            return true
        case .uri:
            return identity.uris.contains { text in
                guard let uri = try? SIPURI(parsing: text), ["sip", "sips"].contains(uri.scheme.lowercased()) else {
                    return false
                }
                return uri.user == aor.user && uri.host.lowercased() == aor.host.lowercased()
            }
        case .user:
            guard let user = aor.user, !user.isEmpty else { return false }
            return identity.commonNames.contains(user)
                || identity.uris.contains { (try? SIPURI(parsing: $0))?.user == user }
        }
    }
}
