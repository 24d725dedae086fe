import Testing

@testable import SIP

/// The RFC 4475 and RFC 5118 categories, with messages written for Sotto (Fixtures/TortureFixtures.swift).
@Suite struct TortureTests {
    @Test(arguments: ValidTortureFixtures.all + InvalidTortureFixtures.all + RFC5118Fixtures.all)
    func outcome(_ fixture: TortureCase) throws {
        switch fixture.outcome {
        case .valid(let check):
            let message = try SIPMessage(parsing: fixture.bytes)
            #expect(check(message))
            // Valid messages also round-trip byte for byte and re-parse equal.
            #expect(message.serialized() == fixture.bytes)
            #expect(try SIPMessage(parsing: message.serialized()) == message)
        case .invalid(let code):
            let error = #expect(throws: SIPError.self) { try SIPMessage(parsing: fixture.bytes) }
            #expect(error?.code == code, "\(String(describing: error))")
            #expect((0...fixture.bytes.count).contains(error?.offset ?? -1))
            #expect(error?.expected.isEmpty == false)
        }
    }

    /// Every invalid request framed on a stream gets a 400 naming what is wrong (or a 505 for the version).
    @Test(arguments: InvalidTortureFixtures.all.filter { !$0.bytes.starts(with: Array("SIP/".utf8)) })
    func invalidRequestsGetAnAnswer(_ fixture: TortureCase) throws {
        guard case .invalid(let code) = fixture.outcome else { return }
        let error = SIPError(code, "the fixture is invalid", offset: 0, expected: "x")
        let response = try #require(SIPBadRequest.response(to: fixture.bytes, error: error, toTag: "t1"))
        let text = String(decoding: response, as: UTF8.self)
        #expect(text.hasPrefix(code == .unsupportedVersion ? "SIP/2.0 505 " : "SIP/2.0 400 "))
        #expect(text.hasSuffix("Content-Length: 0\r\n\r\n"))
    }
}
