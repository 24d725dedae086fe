import Testing

@testable import SIP

@Suite struct SIPBadRequestTests {
    @Test func copiesTheTransactionHeadersAndSaysWhatIsWrong() throws {
        let request = options(edit: replace("CSeq", with: "CSeq: 1 INVITE"))
        let error = try #require(#expect(throws: SIPError.self) { try SIPMessage(parsing: request) })
        let response = try #require(SIPBadRequest.response(to: request, error: error, toTag: "r3l4y"))
        let parsed = try SIPMessage(parsing: response)
        let status = try #require(parsed.statusLine)
        #expect(status.statusCode == 400)
        #expect(status.reasonPhrase == "Bad Request (the CSeq method INVITE does not match the request method OPTIONS)")
        #expect(parsed.via.first?.branch == "z9hG4bK74bf9")
        #expect(parsed.from.tag == "9fxced76sl")
        #expect(parsed.to.tag == "r3l4y")
        #expect(parsed.callID == "3848276298220188511@client.example.com")
        #expect(parsed.cseq == SIPCSeq(sequence: 1, method: .invite))
        #expect(parsed.contentLength == 0)
    }

    @Test func keepsAnExistingToTagAndEveryVia() throws {
        let request = options(edit: {
            $0[0] = "Via: SIP/2.0/TLS a.example.com;branch=z9hG4bK1, SIP/2.0/TLS b.example.com;branch=z9hG4bK2"
            $0.insert("v: SIP/2.0/TLS c.example.com;branch=z9hG4bK3", at: 1)
            $0 = $0.map { $0.hasPrefix("To") ? "To: <sip:user@example.com>;tag=existing" : $0 }
            $0.append("Max-Forwards: 70")
        })
        let error = try #require(#expect(throws: SIPError.self) { try SIPMessage(parsing: request) })
        #expect(error.code == .duplicateHeader)
        let response = try SIPMessage(
            parsing: try #require(SIPBadRequest.response(to: request, error: error, toTag: "new")))
        #expect(response.to.tag == "existing")
        #expect(response.via.map(\.host) == ["a.example.com", "b.example.com", "c.example.com"])
    }

    @Test func unreadableHeadersAreLeftOut() throws {
        let request = raw(
            "INVITE sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/TLS a;branch=z9hG4bK1\r\nFrom: \u{1}bad\r\nCall-ID: x\r\n\r\n"
        )
        let error = SIPError(.malformedHeader, "a line holds a control character", offset: 60, expected: "text")
        let text = String(
            decoding: try #require(SIPBadRequest.response(to: request, error: error, toTag: "t")), as: UTF8.self)
        #expect(text.contains("Via: SIP/2.0/TLS a;branch=z9hG4bK1\r\n") && text.contains("Call-ID: x\r\n"))
        #expect(!text.contains("From:"))
    }

    @Test func neverAnswersResponsesOrACK() {
        let error = SIPError(.missingHeader, "x", offset: 0, expected: "y")
        #expect(SIPBadRequest.response(to: RealPeerFixtures.okWithRecordRoute, error: error, toTag: "t") == nil)
        #expect(SIPBadRequest.response(to: raw("ACK sip:a@b SIP/2.0\r\n\r\n"), error: error, toTag: "t") == nil)
    }

    @Test func versionErrorsGet505() throws {
        let request = options("OPTIONS sip:user@example.com SIP/3.0")
        let error = try #require(#expect(throws: SIPError.self) { try SIPMessage(parsing: request) })
        let response = try SIPMessage(
            parsing: try #require(SIPBadRequest.response(to: request, error: error, toTag: "t")))
        #expect(response.statusLine?.statusCode == 505)
    }

    @Test func reasonPhraseIsSanitisedAndBounded() {
        let hostile = SIPError(
            .malformedHeader, "evil\r\nVia: x " + String(repeating: "é", count: 200), offset: 0,
            expected: "x")
        let phrase = SIPBadRequest.reasonPhrase(for: hostile)
        #expect(phrase.utf8.count <= SIPBadRequest.maxReasonLength)
        #expect(phrase.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
        #expect(phrase.hasPrefix("Bad Request (evil??Via: x ??") && phrase.hasSuffix(")"))
    }
}
