import Testing

@testable import SIP

@Suite struct SIPMessageParserTests {
    static let realPeers: [(String, [UInt8])] = [
        ("baresip REGISTER", RealPeerFixtures.register),
        ("baresip INVITE with SDP", RealPeerFixtures.invite),
        ("Kamailio 200 OK with Record-Route", RealPeerFixtures.okWithRecordRoute),
        ("Kamailio 401", RealPeerFixtures.unauthorized),
    ]

    @Test(arguments: realPeers)
    func realPeerMessagesRoundTrip(_ name: String, _ bytes: [UInt8]) throws {
        let message = try SIPMessage(parsing: bytes)
        #expect(message.serialized() == bytes, "\(name)")
        #expect(try SIPMessage(parsing: message.serialized()) == message)
    }

    @Test func baresipRegister() throws {
        let message = try SIPMessage(parsing: RealPeerFixtures.register)
        let line = try #require(message.requestLine)
        #expect(line.method == .register)
        #expect(line.uri.host == "pbx.test" && line.uri.transport == "tls")
        #expect(message.via.count == 1)
        #expect(message.via[0].transport == "TLS" && message.via[0].host == "127.0.0.3" && message.via[0].port == 5061)
        #expect(message.via[0].branch == "z9hG4bKb6d8a3f6e7c14a1e")
        #expect(message.via[0].hasRPort && message.via[0].rport == nil)
        #expect(message.from.tag == "6d2c1a7fb0f4a8e2" && message.to.tag == nil)
        #expect(message.callID == "4c2d1e0f9a8b7c6d")
        #expect(message.cseq == SIPCSeq(sequence: 26343, method: .register))
        #expect(message.maxForwards == 70 && message.contentLength == 0 && message.body.isEmpty)
        #expect(try message.supported() == ["outbound", "path", "gruu"])
        guard case .addresses(let contacts) = try message.contacts() else {
            Issue.record("expected addresses")
            return
        }
        #expect(contacts.count == 1)
        #expect(
            contacts[0].uri.user == "alice-0x55d1c3"
                && contacts[0].parameters == [SIPParameter(name: "expires", value: "600")])
    }

    @Test func baresipInviteCarriesItsSDP() throws {
        let message = try SIPMessage(parsing: RealPeerFixtures.invite)
        #expect(message.method == .invite)
        #expect(message.from.displayName == "Alice")
        #expect(message.contentType?.isSDP == true)
        #expect(message.body == Array(RealPeerFixtures.offer.utf8))
        #expect(message.contentLength == RealPeerFixtures.offer.utf8.count)
        #expect(
            message.headers.map(\.name) == [
                "Via", "Contact", "Max-Forwards", "To", "From", "Call-ID", "CSeq", "User-Agent", "Allow", "Supported",
                "Content-Type", "Content-Length",
            ])
    }

    @Test func kamailioResponse() throws {
        let message = try SIPMessage(parsing: RealPeerFixtures.okWithRecordRoute)
        #expect(!message.isRequest && message.statusLine?.statusCode == 200 && message.statusLine?.reasonPhrase == "OK")
        #expect(message.method == .invite)
        #expect(message.via.count == 2)
        #expect(message.via[1].received == "127.0.0.1" && message.via[1].rport == 40412)
        let recordRoutes = try message.recordRoutes()
        #expect(recordRoutes.map(\.uri.host) == ["127.0.0.1", "10.0.0.1"])
        #expect(recordRoutes.allSatisfy { $0.uri.isLooseRoute })
        #expect(recordRoutes[0].uri.port == 5061)
        #expect(message.to.tag == "as5f1c2d3e")
        #expect(try message.routes().isEmpty)
    }

    @Test func unknownHeadersAreKeptVerbatimAndInOrder() throws {
        let bytes = options(edit: { lines in
            lines.insert("X-First:   spaced   value  ", at: 0)
            lines.insert("x-second:tight", at: 3)
            lines.append("P-Asserted-Identity: \"A\" <sip:a@example.com>")
        })
        let message = try SIPMessage(parsing: bytes)
        let names = message.headers.map(\.name)
        #expect(names.first == "X-First" && names[3] == "x-second" && names.last == "P-Asserted-Identity")
        #expect(message.firstValue(of: "X-FIRST") == "spaced   value")
        #expect(message.firstValue(of: "x-second") == "tight")
        #expect(message.serialized() == bytes)
    }

    @Test func headerNamesCompareCaseInsensitivelyWithCompactForms() throws {
        let message = try SIPMessage(parsing: options(edit: { $0.insert("k: timer", at: 0) }))
        #expect(message.headers(named: "SUPPORTED").count == 1)
        #expect(message.headers(named: "k").first?.value == "timer")
        #expect(SIPHeaderName.canonical("I") == "call-id" && SIPHeaderName.canonical("Call-ID") == "call-id")
        #expect(SIPHeaderName.canonical("o") == "event" && SIPHeaderName.canonical("X-Other") == "x-other")
    }

    @Test func limitsAreEnforced() throws {
        let bytes = RealPeerFixtures.invite
        let small = SIPLimits(maxMessageSize: 512)
        #expect(throws: SIPError.self) { try SIPMessage(parsing: bytes, limits: small) }
        let fewHeaders = SIPLimits(maxHeaderCount: 5)
        let tooMany = #expect(throws: SIPError.self) { try SIPMessage(parsing: bytes, limits: fewHeaders) }
        #expect(tooMany?.code == .tooManyHeaders)
        let shortLines = SIPLimits(maxLineLength: 60)
        let tooLong = #expect(throws: SIPError.self) { try SIPMessage(parsing: bytes, limits: shortLines) }
        #expect(tooLong?.code == .lineTooLong)
        // The defaults admit the message.
        #expect(throws: Never.self) { try SIPMessage(parsing: bytes) }
        let oversize = #expect(throws: SIPError.self) { try SIPMessage(parsing: bytes, limits: small) }
        #expect(oversize?.code == .messageTooLarge)
    }

    @Test func errorsCarryTheOffsetAndWhatWasExpected() throws {
        let bytes = options(edit: replace("CSeq", with: "CSeq: x OPTIONS"))
        let error = try #require(#expect(throws: SIPError.self) { try SIPMessage(parsing: bytes) })
        let cseq = try #require(offset(of: "CSeq: ", in: bytes))
        #expect(error.code == .invalidNumber)
        #expect(error.offset == cseq + 6)
        #expect(error.expected == "a CSeq number")
        #expect(error.description.contains("offset \(error.offset)"))
    }

    @Test func datagramWithoutContentLengthTakesTheRest() throws {
        let message = try SIPMessage(parsing: options(body: "hello", edit: remove("Content-Length")))
        #expect(message.body == Array("hello".utf8) && message.contentLength == nil)
    }

    /// Every truncation of a valid message fails with a typed error or, where the cut falls in the body of a
    /// message without Content-Length, parses; it never crashes.
    @Test(arguments: realPeers)
    func truncationNeverCrashes(_ name: String, _ bytes: [UInt8]) {
        for length in 0..<bytes.count {
            do {
                let message = try SIPMessage(parsing: Array(bytes[0..<length]))
                Issue.record("\(name) cut at \(length) parsed: \(message.startLine)")
            } catch {
                #expect((0...length).contains(error.offset))
            }
        }
    }
}
