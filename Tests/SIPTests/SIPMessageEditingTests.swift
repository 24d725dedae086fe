import Testing

@testable import SIP

@Suite struct SIPMessageEditingTests {
    @Test func proxyForwardingEdits() throws {
        var message = try SIPMessage(parsing: RealPeerFixtures.invite)
        let relayVia = SIPVia(
            transport: "TLS", host: "relay.example.com", port: 5061,
            parameters: [SIPParameter(name: "branch", value: "z9hG4bK-relay-1"), SIPParameter(name: "rport")])
        try message.insertVia(relayVia)
        try message.insertHeader(
            SIPHeader(name: "Record-Route", value: "<sip:relay.example.com:5061;transport=tls;lr>"),
            afterFirst: "Via")
        try message.setMaxForwards(try #require(message.maxForwards) - 1)
        try message.replaceBody(Array("v=0\r\n".utf8), contentType: .sdp)

        let text = String(decoding: message.serialized(), as: UTF8.self)
        #expect(
            text.hasPrefix(
                "INVITE sip:bob@pbx.test;transport=tls SIP/2.0\r\n"
                    + "Via: SIP/2.0/TLS relay.example.com:5061;branch=z9hG4bK-relay-1;rport\r\n"
                    + "Record-Route: <sip:relay.example.com:5061;transport=tls;lr>\r\n"
                    + "Via: SIP/2.0/TLS 127.0.0.3:5061;branch=z9hG4bK2c4e8a0f9d1b3c5e;rport\r\n"))
        #expect(text.contains("\r\nMax-Forwards: 69\r\n"))
        #expect(text.hasSuffix("Content-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n"))
        let reparsed = try SIPMessage(parsing: message.serialized())
        #expect(reparsed == message)
        #expect(reparsed.via.map(\.host) == ["relay.example.com", "127.0.0.3"])
        #expect(reparsed.maxForwards == 69 && reparsed.contentLength == 5)
        #expect(try reparsed.recordRoutes().first?.uri.host == "relay.example.com")
        // Unchanged headers keep their original text.
        #expect(text.contains("\r\nFrom: \"Alice\" <sip:alice@pbx.test>;tag=93a1f5c0e2d4b6a8\r\n"))
    }

    @Test func removeFirstViaFromASeparateHeader() throws {
        var response = try SIPMessage(parsing: RealPeerFixtures.okWithRecordRoute)
        let removed = try response.removeFirstVia()
        #expect(removed.branch == "z9hG4bK8f1c.0a2b3c4d")
        #expect(response.via.count == 1 && response.via[0].rport == 40412)
        #expect(response.headers.filter { $0.canonicalName == "via" }.count == 1)
    }

    @Test func removeFirstViaFromACommaJoinedHeader() throws {
        var message = try SIPMessage(
            parsing: options(
                edit: replace(
                    "Via",
                    with:
                        "v: SIP/2.0/TLS a.example.com;branch=z9hG4bK1 , SIP/2.0/TLS b.example.com;branch=z9hG4bK2,SIP/2.0/TLS c"
                )))
        let removed = try message.removeFirstVia()
        #expect(removed.host == "a.example.com")
        #expect(message.via.map(\.host) == ["b.example.com", "c"])
        #expect(message.headers[0].name == "v")
        #expect(message.headers[0].value == "SIP/2.0/TLS b.example.com;branch=z9hG4bK2,SIP/2.0/TLS c")
    }

    @Test func editsThatBreakTheMessageFailAndChangeNothing() throws {
        let original = try SIPMessage(parsing: RealPeerFixtures.register)
        var message = original
        #expect(throws: SIPError.self) { try message.removeHeaders(named: "Call-ID") }
        // Content-Length frames the message on a stream, in either spelling.
        #expect(throws: SIPError.self) { try message.removeHeaders(named: "Content-Length") }
        #expect(throws: SIPError.self) { try message.removeHeaders(named: "l") }
        #expect(throws: SIPError.self) {
            try message.insertHeader(SIPHeader(name: "X-Evil", value: "a\r\nVia: injected"))
        }
        #expect(throws: SIPError.self) { try message.insertHeader(SIPHeader(name: "Bad Name", value: "x")) }
        #expect(throws: SIPError.self) { try message.insertHeader(SIPHeader(name: "CSeq", value: "2 REGISTER")) }
        #expect(throws: SIPError.self) { try message.setHeader("CSeq", value: "2 INVITE") }
        #expect(throws: SIPError.self) { try message.insertHeader(SIPHeader(name: "X", value: "y"), at: 99) }
        #expect(throws: SIPError.self) { try message.setMaxForwards(256) }
        let error = #expect(throws: SIPError.self) { try message.removeFirstVia() }
        #expect(error?.code == .invalidEdit)
        #expect(message == original)
        #expect(message.serialized() == RealPeerFixtures.register)
    }

    @Test func setHeaderKeepsPositionAndNameAndDropsDuplicates() throws {
        var message = try SIPMessage(
            parsing: options(edit: {
                $0.insert("x-tag: 1", at: 1)
                $0.append("X-Tag: 2")
            }))
        try message.setHeader("X-TAG", value: "3")
        #expect(message.headers(named: "x-tag").map(\.value) == ["3"])
        #expect(message.headers[1].name == "x-tag")
        #expect(try message.removeHeaders(named: "x-tag") == 1)
    }

    @Test func maxForwardsIsAddedAfterTheViasWhenMissing() throws {
        var message = try SIPMessage(parsing: options(edit: remove("Max-Forwards")))
        #expect(message.maxForwards == nil)
        try message.setMaxForwards(70)
        #expect(message.headers[1].name == "Max-Forwards" && message.maxForwards == 70)
    }

    @Test func emptyBodyRemovesContentType() throws {
        var message = try SIPMessage(parsing: RealPeerFixtures.invite)
        try message.replaceBody([])
        #expect(message.contentType == nil && message.contentLength == 0 && message.body.isEmpty)
        #expect(try SIPMessage(parsing: message.serialized()) == message)
    }

    @Test func requestURIAndBuiltMessages() throws {
        var message = try SIPMessage(parsing: RealPeerFixtures.invite)
        try message.setRequestURI(SIPURI(user: "bob", host: "10.0.0.9", port: 5061))
        #expect(message.serialized().starts(with: Array("INVITE sip:bob@10.0.0.9:5061 SIP/2.0\r\n".utf8)))
        let built = try SIPMessage(
            startLine: .response(SIPStatusLine(statusCode: 100, reasonPhrase: "Trying")),
            headers: [
                SIPHeader(name: "Via", value: message.via[0].description),
                SIPHeader(name: "From", value: message.from.description),
                SIPHeader(name: "To", value: message.to.description),
                SIPHeader(name: "Call-ID", value: message.callID),
                SIPHeader(name: "CSeq", value: message.cseq.description),
                SIPHeader(name: "Content-Length", value: "0"),
            ]
        )
        #expect(try SIPMessage(parsing: built.serialized()) == built)
        #expect(built.method == .invite && built.from == message.from)
        #expect(throws: SIPError.self) {
            try SIPMessage(startLine: built.startLine, headers: Array(built.headers.dropFirst()))
        }
    }
}
