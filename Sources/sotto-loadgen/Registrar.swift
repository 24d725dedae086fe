import SIP

/// The registrar both PBX sides play (the load test's with `--register`, the test PBX's): no authentication;
/// per AOR user part it keeps the first Contact's URI and every Path value of the REGISTER, in order, and
/// answers 200 with the Contact, its expiry and the Path echoed (RFC 3327 §5.3). Expires 0 removes the binding;
/// a REGISTER without Contact lists it.
struct Registrar: Sendable {
    /// Per AOR user part: the Contact URI and the Path values (each `<uri>`).
    var bindings: [String: (contact: String, path: [String])] = [:]
    /// The longest registration granted, and what a REGISTER without any Expires gets.
    let maxExpires: Int

    /// What one REGISTER did, for a log line.
    enum Outcome: Equatable {
        case bound(user: String, contact: String, expires: Int, path: [String])
        case removed(user: String)
        case listed(user: String)
        case refused
    }

    /// Applies `message` (a REGISTER) and returns the response to send and what it did.
    mutating func handle(_ message: SIPMessage) -> (response: [UInt8], outcome: Outcome) {
        let toTag = SIPText.token(10)
        guard let user = message.to.uri.user, !user.isEmpty, let contactList = try? message.contacts(),
            let paths = try? message.paths()
        else {
            return (SIPMessageBuilder.response(to: message, status: 400, reason: "Bad Request", toTag: toTag), .refused)
        }
        let path = paths.map { "<\($0.uri.description)>" }
        var extra: [SIPHeader] = []
        let outcome: Outcome
        if case .addresses(let contacts) = contactList, let contact = contacts.first {
            let expires =
                contact.parameters.first { $0.name.lowercased() == "expires" }?.value.flatMap { Int($0) }
                ?? message.firstValue(of: "Expires").flatMap { Int($0) } ?? maxExpires
            if expires == 0 {
                bindings[user] = nil
                outcome = .removed(user: user)
            } else {
                let granted = min(expires, maxExpires)
                bindings[user] = (contact.uri.description, path)
                extra.append(SIPHeader(name: "Contact", value: "<\(contact.uri.description)>;expires=\(granted)"))
                outcome = .bound(user: user, contact: contact.uri.description, expires: granted, path: path)
            }
        } else {
            if let binding = bindings[user] {
                extra.append(SIPHeader(name: "Contact", value: "<\(binding.contact)>;expires=\(maxExpires)"))
            }
            outcome = .listed(user: user)
        }
        extra += path.map { SIPHeader(name: "Path", value: $0) }
        return (
            SIPMessageBuilder.response(to: message, status: 200, reason: "OK", toTag: toTag, extra: extra), outcome
        )
    }
}
