import SIP
import Testing

/// RFC 5118: IPv6 in SIP, each case named after the RFC's own test.
enum RFC5118Fixtures {
    static let all: [TortureCase] = [
        TortureCase(
            name: "§4.1 ipv6-good: an IPv6 reference in the Request-URI",
            bytes: options("REGISTER sip:[2001:db8::10] SIP/2.0", edit: replace("CSeq", with: "CSeq: 1 REGISTER")),
            outcome: .valid { $0.requestLine?.uri.host == "[2001:db8::10]" && $0.requestLine?.uri.port == nil }),
        TortureCase(
            name: "§4.2 ipv6-bad: an IPv6 address without brackets",
            bytes: options("REGISTER sip:2001:db8::10 SIP/2.0", edit: replace("CSeq", with: "CSeq: 1 REGISTER")),
            outcome: .invalid(.malformedURI)),
        TortureCase(
            name: "§4.3 port-ambiguous: the last group inside the brackets is not a port",
            bytes: options("REGISTER sip:[2001:db8::10:5070] SIP/2.0", edit: replace("CSeq", with: "CSeq: 1 REGISTER")),
            outcome: .valid { $0.requestLine?.uri.host == "[2001:db8::10:5070]" && $0.requestLine?.uri.port == nil }),
        TortureCase(
            name: "§4.3 port-unambiguous: a port after the brackets",
            bytes: options("REGISTER sip:[2001:db8::10]:5070 SIP/2.0", edit: replace("CSeq", with: "CSeq: 1 REGISTER")),
            outcome: .valid { $0.requestLine?.uri.host == "[2001:db8::10]" && $0.requestLine?.uri.port == 5070 }),
        TortureCase(
            name: "§4.5 via-received-param-with-delim",
            bytes: options(
                edit: replace(
                    "Via", with: "Via: SIP/2.0/TLS [2001:db8::9:1]:5061;received=[2001:db8::9:255];branch=z9hG4bK1")),
            outcome: .valid { $0.via.first?.received == "[2001:db8::9:255]" && $0.via.first?.port == 5061 }),
        TortureCase(
            name: "§4.5 via-received-param-no-delim",
            bytes: options(
                edit: replace(
                    "Via", with: "Via: SIP/2.0/TLS [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bK1;rport=5061")
            ),
            outcome: .valid { $0.via.first?.received == "2001:db8::9:255" && $0.via.first?.rport == 5061 }),
        TortureCase(
            name: "§4.6 mult-ip-in-header: IPv4 and IPv6 in one Route",
            bytes: options(edit: { $0.insert("Route: <sip:[2001:db8::1];lr>, <sip:192.0.2.1;lr>", at: 1) }),
            outcome: .valid { (try? $0.routes())?.map(\.uri.host) == ["[2001:db8::1]", "192.0.2.1"] }),
        TortureCase(
            name: "§4.8 ipv4-mapped-ipv6",
            bytes: options("OPTIONS sip:[::ffff:192.0.2.10]:5061;transport=tls SIP/2.0"),
            outcome: .valid {
                $0.requestLine?.uri.host == "[::ffff:192.0.2.10]" && $0.requestLine?.uri.transport == "tls"
            }),
        TortureCase(
            name: "§4.9 ipv6-correct-abnf: maddr with an IPv6 reference",
            bytes: options("OPTIONS sip:[2001:db8::10]:5061;maddr=[2001:db8::20] SIP/2.0"),
            outcome: .valid { $0.requestLine?.uri.parameters.first?.value == "[2001:db8::20]" }),
        TortureCase(
            name: "an IPv6 reference without its closing bracket",
            bytes: options("OPTIONS sip:[2001:db8::10 SIP/2.0"), outcome: .invalid(.malformedURI)),
    ]
}
