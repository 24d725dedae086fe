import Testing

@testable import SIP

@Suite struct SIPURITests {
    static let roundTrips = [
        "sip:alice@pbx.test",
        "sips:alice:secret@pbx.test:5061;transport=tls;lr?Subject=hi&Priority=urgent",
        "sip:[2001:db8::10]:5061;maddr=[2001:db8::20]",
        "sip:user;par=u%40example.net@example.com",
        "tel:+1-201-555-0123;phone-context=example.com",
        "urn:service:sos",
        "sip:127.0.0.1:5061;transport=tls;r2=on;lr",
    ]

    @Test(arguments: roundTrips)
    func roundTrip(_ text: String) throws {
        let uri = try SIPURI(parsing: text)
        #expect(uri.description == text)
        #expect(try SIPURI(parsing: uri.description) == uri)
    }

    @Test func parts() throws {
        let uri = try SIPURI(parsing: "SIPS:alice:secret@pbx.test:5061;transport=tls;lr?Subject=hi")
        #expect(uri.scheme == "sips" && uri.isSecure)
        #expect(uri.user == "alice" && uri.password == "secret")
        #expect(uri.host == "pbx.test" && uri.port == 5061)
        #expect(uri.transport == "tls" && uri.isLooseRoute)
        #expect(uri.headers == [SIPParameter(name: "Subject", value: "hi")])
    }

    @Test func telURI() throws {
        let uri = try SIPURI(parsing: "tel:+12125551212;ext=12")
        #expect(uri.scheme == "tel" && uri.user == "+12125551212" && uri.host.isEmpty)
        #expect(uri.parameters == [SIPParameter(name: "ext", value: "12")])
    }

    @Test func escapesDecode() throws {
        #expect(try SIPURI(parsing: "sip:%61lice%20b@example.com").decodedUser == "alice b")
    }

    @Test func madeFromParts() {
        let uri = SIPURI(scheme: "sip", user: "bob", host: "[::1]", port: 5061, parameters: [SIPParameter(name: "lr")])
        #expect(uri.description == "sip:bob@[::1]:5061;lr")
    }

    static let invalid: [(String, Int)] = [
        ("", 0),
        ("sip", 3),
        ("1sip:a@b", 0),
        ("sip:a@", 6),
        ("sip:a@b:", 8),
        ("sip:a@b:65536", 8),
        ("sip:a@b;=x", 8),
        ("sip:a@b c", 7),
        ("sip:a%2@b", 5),
        ("sip:[2001:db8::1", 16),
        ("sip:a@b?x", 9),
        ("tel:", 4),
        ("mailto:", 7),
    ]

    @Test(arguments: invalid)
    func invalidURIs(_ text: String, _ offset: Int) {
        let error = #expect(throws: SIPError.self) { try SIPURI(parsing: text) }
        #expect(error?.code == .malformedURI)
        #expect(error?.offset == offset, "\(text): \(String(describing: error))")
    }
}
