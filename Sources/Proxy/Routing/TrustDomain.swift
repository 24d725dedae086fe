import SIP

/// The identity headers of RFC 3325 at the edge of the trust domain (docs/proxy.md, "Who may be whom").
///
/// A PBX that takes Sotto's connection as part of its trust domain believes `P-Asserted-Identity` (and, in
/// older PBXes, `Remote-Party-ID`) on what Sotto forwards: the caller ID shown to an agent or a customer, the
/// identity billed, the one an emergency call carries. A softphone is outside that domain, so what it asserts
/// about itself must not arrive looking asserted (RFC 3325 §5: a proxy removes the header from an untrusted
/// source).
///
/// - `P-Asserted-Identity` and `Remote-Party-ID` (its pre-standard form, still read by Asterisk and others) are
///   removed from every softphone request.
/// - `P-Preferred-Identity` is removed too. RFC 3325 §6 has the first trusted proxy authenticate the user and
///   turn it into `P-Asserted-Identity`; Sotto does not authenticate users (the PBX does, with digest), so it
///   cannot make that assertion, and forwarded as it is the header would reach a PBX that treats the hop as
///   trusted.
/// - `Privacy` stays. It asks the trust domain to withhold the caller's identity (RFC 3323, RFC 3325 §9.3); it
///   grants no identity and concerns only the sender's own. Removing it would silently drop a caller's request
///   for privacy.
///
/// `sip.forward_softphone_identity = true` turns the removal off, for a PBX that does not treat Sotto as trusted
/// and checks each identity itself.
enum TrustDomain {
    /// The headers removed from softphone messages, as RFC 3325 and its predecessor name them.
    static let identityHeaders = ["P-Asserted-Identity", "P-Preferred-Identity", "Remote-Party-ID"]

    /// Removes the identity headers from a message that came from a softphone, unless `forward` says the PBX checks
    /// identities itself; returns how many went.
    @discardableResult
    static func stripIdentity(_ message: inout SIPMessage, fromSoftphone: Bool, forward: Bool) -> Int {
        guard fromSoftphone && !forward else { return 0 }
        var removed = 0
        for name in identityHeaders {
            removed += (try? message.removeHeaders(named: name)) ?? 0
        }
        return removed
    }
}
