import Testing

@testable import SottoConfig

@Suite struct UpstreamAddressTests {
    static let accepted: [(String, String, UInt16)] = [
        ("pbx.example.com:5062", "pbx.example.com", 5062),
        ("pbx.example.com", "pbx.example.com", 5061),
        ("192.0.2.1", "192.0.2.1", 5061),
        ("192.0.2.1:5070", "192.0.2.1", 5070),
        ("[2001:db8::1]:5070", "2001:db8::1", 5070),
        ("[2001:db8::1]", "2001:db8::1", 5061),
        ("sips:pbx.example.com", "pbx.example.com", 5061),
        ("sips:pbx.example.com:5071", "pbx.example.com", 5071),
        ("SIPS:pbx.example.com:5071", "pbx.example.com", 5071),
        ("sips:[2001:db8::1]:5071;lr", "2001:db8::1", 5071),
        ("sip:pbx.example.com:5072;transport=tls", "pbx.example.com", 5072),
        ("sip:pbx.example.com;transport=TLS", "pbx.example.com", 5061),
        ("sip:192.0.2.1;lr;transport=tls", "192.0.2.1", 5061),
    ]

    @Test(arguments: accepted)
    func acceptedForms(text: String, host: String, port: UInt16) throws {
        let directory = try directoryWithCertificates()
        let config = try load(document(["upstream.address": "\"\(text)\""]), in: directory)
        #expect(config.upstream.address == HostPort(host: host, port: port))
    }

    static let tlsOnly = "Sotto only connects to the PBX over TLS"

    @Test(arguments: [
        ("udp:pbx.example.com:5060", "names UDP"),
        ("udp://pbx.example.com:5060", "names UDP"),
        ("tcp:pbx.example.com", "names TCP"),
        ("sctp:pbx.example.com", "names SCTP"),
        ("ws:pbx.example.com", "names WS"),
        ("wss:pbx.example.com", "names WSS"),
        ("sip:pbx.example.com", "is a plain sip: URI"),
        ("sip:pbx.example.com:5060", "is a plain sip: URI"),
        ("sip:192.0.2.1:5060", "is a plain sip: URI"),
        ("udp:192.0.2.1:5060", "names UDP"),
        ("sip:pbx.example.com;lr", "is a plain sip: URI"),
        ("sip:pbx.example.com;transport=udp", "names UDP"),
        ("sip:pbx.example.com;transport=TCP", "names TCP"),
        ("sip:pbx.example.com;transport=ws", "names WS"),
        ("sips:pbx.example.com;transport=tcp", "names TCP"),
        ("pbx.example.com:5060;transport=udp", "names UDP"),
    ])
    func formsThatAreNotTLSAreRefused(text: String, names: String) throws {
        let directory = try directoryWithCertificates()
        let error = loadError(document(["upstream.address": "\"\(text)\""]), in: directory)
        #expect(error?.file == directory.path + "/sotto.toml")
        #expect(error?.key == "upstream.address")
        #expect(error?.reason.contains(names) == true, "reason: \(error?.reason ?? "none")")
        #expect(error?.reason.contains(Self.tlsOnly) == true, "reason: \(error?.reason ?? "none")")
    }

    @Test(arguments: [
        ("http:pbx.example.com", "unknown scheme \"http:\""),
        ("sip:alice@pbx.example.com;transport=tls", "names a user"),
        ("sips:pbx.example.com;maddr=10.0.0.1", "parameter \";maddr=10.0.0.1\" is not supported"),
        ("pbx.example.com:0", "\"0\" is not a port 1-65535"),
        ("pbx.example.com:", "\"\" is not a port 1-65535"),
        (":5061", "has no host"),
        ("sips://pbx.example.com", "is not a SIP address"),
        ("0.0.0.0:5061", "the any-address"),
        ("pbx_1.example.com", "is neither an IP address nor a host name"),
        ("999.1.2.3", "is neither an IP address nor a host name"),
        ("2001:db8::1:5061", "write an IPv6 address in brackets"),
    ])
    func malformedAddressesAreRefused(text: String, reason: String) throws {
        let directory = try directoryWithCertificates()
        let error = loadError(document(["upstream.address": "\"\(text)\""]), in: directory)
        #expect(error?.key == "upstream.address")
        #expect(error?.reason.contains(reason) == true, "reason: \(error?.reason ?? "none")")
        #expect(error?.reason.contains(Self.tlsOnly) == false)
    }

    @Test func hostPortPrintsIPv6InBrackets() {
        #expect(HostPort(host: "2001:db8::1", port: 5061).description == "[2001:db8::1]:5061")
        #expect(HostPort(host: "pbx.example.com", port: 5062).description == "pbx.example.com:5062")
        #expect(HostPort(host: "2001:db8::1", port: 5061).isIPv6)
        #expect(!HostPort(host: "192.0.2.1", port: 5061).isIPv6)
    }
}
