import Testing

@testable import SIP

@Suite("The messages an element writes itself")
struct SIPMessageBuilderTests {
    let invite = try! SIPMessage(parsing: RealPeerFixtures.invite)

    @Test func aResponseCopiesTheRequestsTransactionHeadersAndAddsTheToTag() throws {
        let bytes = SIPMessageBuilder.response(
            to: invite, status: 486, reason: "Busy Here", toTag: "t1", server: "Sotto/test")
        let response = try SIPMessage(parsing: bytes)
        #expect(response.statusLine?.statusCode == 486)
        #expect(response.via.map(\.description) == invite.via.map(\.description))
        #expect(response.from.tag == invite.from.tag && response.to.tag == "t1")
        #expect(response.callID == invite.callID && response.cseq == invite.cseq)
        #expect(response.firstValue(of: "Server") == "Sotto/test")
        #expect(response.firstValue(of: "Contact") == nil && response.body.isEmpty)
    }

    @Test func a100HasNoToTagAndRecordRouteIsCopiedOnlyWhenAsked() throws {
        let trying = try SIPMessage(
            parsing: SIPMessageBuilder.response(to: invite, status: 100, reason: "Trying", toTag: "t1"))
        #expect(trying.to.tag == nil)
        let routed = try SIPMessage(parsing: RealPeerFixtures.okWithRecordRoute)
        let withRoutes = try SIPMessage(
            parsing: SIPMessageBuilder.response(
                to: routed, status: 200, reason: "OK", toTag: nil, recordRoute: true, body: Array("v=0\r\n".utf8)))
        #expect(withRoutes.headers(named: "Record-Route") == routed.headers(named: "Record-Route"))
        #expect(withRoutes.contentType?.isSDP == true && withRoutes.body == Array("v=0\r\n".utf8))
        let without = try SIPMessage(
            parsing: SIPMessageBuilder.response(to: routed, status: 200, reason: "OK", toTag: nil))
        #expect(without.headers(named: "Record-Route").isEmpty)
    }

    @Test func aWarningCannotBreakItsQuotedString() {
        let header = SIPMessageBuilder.warning(host: "sotto", text: "a \"quoted\"\r\nline\\")
        #expect(header.value == "399 sotto \"a 'quoted'  line'\"")
    }

    @Test func aRequestRoundTrips() throws {
        let bytes = SIPMessageBuilder.request(
            .register, uri: "sip:pbx.test",
            headers: [
                SIPHeader(name: "Via", value: "SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK1"),
                SIPHeader(name: "From", value: "<sip:a@pbx.test>;tag=1"),
                SIPHeader(name: "To", value: "<sip:a@pbx.test>"),
                SIPHeader(name: "Call-ID", value: "c1"), SIPHeader(name: "CSeq", value: "1 REGISTER"),
            ])
        let request = try SIPMessage(parsing: bytes)
        #expect(request.method == .register && request.requestLine?.uriText == "sip:pbx.test")
        #expect(request.serialized() == bytes)
    }
}
