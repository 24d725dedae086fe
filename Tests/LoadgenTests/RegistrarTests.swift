import SIP
import Testing

@testable import sotto_loadgen

/// The registrar both PBX sides play: bindings by AOR user part, Path kept and echoed, expiry capped.
@Suite struct RegistrarTests {
    static func register(contact: String?, expires: String? = nil) throws -> SIPMessage {
        var lines = [
            "REGISTER sip:127.0.0.2:5062;transport=tls SIP/2.0",
            "Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-1",
            "Path: <sip:token1@127.0.0.1:5061;transport=tls;lr;ob>",
            "Max-Forwards: 69", "From: <sip:alice@example.com>;tag=1", "To: <sip:alice@example.com>",
            "Call-ID: r1", "CSeq: 1 REGISTER",
        ]
        if let contact { lines.append("Contact: \(contact)") }
        if let expires { lines.append("Expires: \(expires)") }
        lines += ["Content-Length: 0", "", ""]
        return try SIPMessage(parsing: Array(lines.joined(separator: "\r\n").utf8))
    }

    @Test func bindsListsAndRemoves() throws {
        var registrar = Registrar(maxExpires: 600)
        let (response, outcome) = registrar.handle(
            try Self.register(contact: "<sip:alice@127.0.0.1:26160;transport=tls>", expires: "3600"))
        let path = "<sip:token1@127.0.0.1:5061;transport=tls;lr;ob>"
        #expect(
            outcome
                == .bound(
                    user: "alice", contact: "sip:alice@127.0.0.1:26160;transport=tls", expires: 600, path: [path]))
        let answer = try SIPMessage(parsing: response)
        #expect(answer.statusLine?.statusCode == 200)
        #expect(answer.firstValue(of: "Path") == path)  // RFC 3327 §5.3: echoed
        #expect(answer.firstValue(of: "Contact") == "<sip:alice@127.0.0.1:26160;transport=tls>;expires=600")
        #expect(registrar.bindings["alice"]?.path == [path])
        #expect(registrar.handle(try Self.register(contact: nil)).outcome == .listed(user: "alice"))
        let removal = registrar.handle(try Self.register(contact: "<sip:alice@127.0.0.1:26160>", expires: "0"))
        #expect(removal.outcome == .removed(user: "alice"))
        #expect(registrar.bindings["alice"] == nil)
    }
}
