import Testing

@testable import SIP

@Suite struct SIPHeaderValueTests {
    @Test func via() throws {
        let via = try SIPVia(
            parsing: "SIP/2.0/TLS [2001:db8::9:1]:5061;branch=z9hG4bK776asdhds;received=192.0.2.1;rport=5062;x")
        #expect(via.protocolName == "SIP" && via.protocolVersion == "2.0" && via.transport == "TLS")
        #expect(via.host == "[2001:db8::9:1]" && via.port == 5061)
        #expect(via.branch == "z9hG4bK776asdhds" && via.received == "192.0.2.1" && via.rport == 5062)
        #expect(via.parameters.last == SIPParameter(name: "x"))
        #expect(
            via.description
                == "SIP/2.0/TLS [2001:db8::9:1]:5061;branch=z9hG4bK776asdhds;received=192.0.2.1;rport=5062;x")
    }

    @Test(arguments: ["SIP/2.0", "SIP/2.0/TLS", "SIP/2.0/TLS host:port", "SIP/2.0/TLS h;=", "SIP/2.0/TLS h;rport=x"])
    func invalidVia(_ text: String) {
        #expect(throws: SIPError.self) { try SIPVia(parsing: text) }
    }

    @Test func nameAddressForms() throws {
        let quoted = try SIPNameAddress(parsing: #""A \"B\"" <sip:a@example.com;transport=tls>;tag=x;expires=60"#)
        #expect(quoted.displayName == #"A "B""# && quoted.uri.transport == "tls" && quoted.tag == "x")
        #expect(quoted.parameters.count == 2 && quoted.hasAngleBrackets)
        let tokens = try SIPNameAddress(parsing: "Bob  Smith <sip:b@example.com>")
        #expect(tokens.displayName == "Bob  Smith")
        // Without brackets, the parameters belong to the header, not the URI (RFC 3261 §20.10).
        let bare = try SIPNameAddress(parsing: "sip:c@example.com;tag=1")
        #expect(bare.uri.parameters.isEmpty && bare.tag == "1" && !bare.hasAngleBrackets)
        #expect(quoted.description == #""A \"B\"" <sip:a@example.com;transport=tls>;tag=x;expires=60"#)
    }

    @Test(arguments: ["", "<sip:a@b", "\"open <sip:a@b>", "name sip:a@b", "<sip:a@b> junk", "<>"])
    func invalidNameAddress(_ text: String) {
        #expect(throws: SIPError.self) { try SIPNameAddress(parsing: text) }
    }

    @Test func cseq() throws {
        #expect(try SIPCSeq(parsing: "  4711   INVITE ") == SIPCSeq(sequence: 4711, method: .invite))
        #expect(try SIPCSeq(parsing: "2147483647 BYE").sequence == 2_147_483_647)
        for bad in ["INVITE", "1INVITE", "-1 INVITE", "2147483648 INVITE", "1 INVITE x"] {
            #expect(throws: SIPError.self) { try SIPCSeq(parsing: bad) }
        }
    }

    @Test func contactWildcardAndList() throws {
        let wildcard = try SIPMessage(parsing: options(edit: { $0.insert("Contact: *", at: 0) }))
        #expect(try wildcard.contacts() == .wildcard)
        let list = try SIPMessage(
            parsing: options(edit: {
                $0.insert("m: <sip:a@example.com>;q=0.7, \"B, C\" <sip:b@example.com>", at: 0)
                $0.insert("Contact: sip:c@example.com;expires=5", at: 0)
            })
        )
        guard case .addresses(let contacts) = try list.contacts() else {
            Issue.record("expected addresses")
            return
        }
        #expect(contacts.map(\.uri.user) == ["c", "a", "b"])
        #expect(contacts[2].displayName == "B, C")
    }

    @Test func supportedAndRequire() throws {
        let message = try SIPMessage(
            parsing: options(edit: {
                $0.insert("Supported:", at: 0)
                $0.insert("Require: 100rel , timer", at: 0)
                $0.insert("k: path", at: 0)
            })
        )
        #expect(try message.supported() == ["path"])
        #expect(try message.required() == ["100rel", "timer"])
        let bad = try SIPMessage(parsing: options(edit: { $0.insert("Require: a b", at: 0) }))
        #expect(throws: SIPError.self) { try bad.required() }
    }

    @Test func pathAndRecordRouteNeedAngleBrackets() throws {
        let message = try SIPMessage(
            parsing: options(edit: {
                $0.insert("Path: <sip:relay.example.com;lr;ob>", at: 0)
                $0.insert("Record-Route: sip:p.example.com;lr", at: 0)
            })
        )
        #expect(try message.paths().first?.uri.parameters.map(\.name) == ["lr", "ob"])
        #expect(throws: SIPError.self) { try message.recordRoutes() }
    }

    @Test func mediaType() throws {
        let message = try SIPMessage(parsing: options(edit: { $0.insert("c: Application/SDP ; charset=utf-8", at: 0) }))
        let type = try #require(message.contentType)
        #expect(type.isSDP && type.parameters == [SIPParameter(name: "charset", value: "utf-8")])
        #expect(SIPMediaType.sdp.description == "application/sdp")
    }
}
