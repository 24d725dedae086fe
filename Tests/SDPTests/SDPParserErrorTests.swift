import Testing

@testable import SDP

/// A malformed description and where the parser must stop on it.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    let code: SDPError.Code
    let offset: Int
    let line: Int

    /// A case whose error offset is where `marker` first occurs in `text`, moved by `plus`.
    init(_ name: String, _ text: String, _ code: SDPError.Code, at marker: String, plus: Int = 0, line: Int) {
        self.name = name
        self.text = text
        self.code = code
        let bytes = Array(text.utf8)
        let needle = Array(marker.utf8)
        let found = (0...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle }
        self.offset = found.map { $0 + plus } ?? -1
        self.line = line
    }

    var testDescription: String { name }
}

/// The error parsing `text` throws, or nil when it parses.
func parseError(_ text: String, limits: SDPLimits = .default) -> SDPError? {
    do {
        _ = try SDPSessionDescription(parsing: text, limits: limits)
        return nil
    } catch {
        return error
    }
}

@Suite("Malformed descriptions: the code, byte offset and line of each refusal")
struct SDPParserErrorTests {
    static let head = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
    static let body = "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n"
    static let valid = head + body

    static let cases: [MalformedCase] = [
        MalformedCase("o= first", "o=- 1 1 IN IP4 h\r\n", .missingLine, at: "o=", line: 1),
        MalformedCase("v=1", "v=1\r\n" + valid.dropFirst(5), .invalidVersion, at: "1", line: 1),
        MalformedCase("no o=", "v=0\r\ns=-\r\n" + body, .missingLine, at: "s=", line: 2),
        MalformedCase("s= before o=", "v=0\r\ns=-\r\no=- 1 1 IN IP4 h\r\n", .missingLine, at: "s=", line: 2),
        MalformedCase(
            "o= with five fields", "v=0\r\no=- 1 IN IP4 h\r\ns=-\r\n" + body, .invalidOrigin, at: "\r\ns=",
            line: 2),
        MalformedCase(
            "o= with a letter id", "v=0\r\no=- 1x 1 IN IP4 h\r\ns=-\r\n" + body, .invalidOrigin, at: "1x",
            line: 2),
        MalformedCase("upper-case type", head + "C=IN IP4 192.0.2.1\r\n", .malformedLine, at: "C=", line: 4),
        MalformedCase(
            "no equals sign", head + "c IN IP4 192.0.2.1\r\n", .malformedLine, at: "c IN", plus: 1,
            line: 4),
        MalformedCase(
            "space before equals", head + "c =IN IP4 192.0.2.1\r\n", .malformedLine, at: "c =", plus: 1,
            line: 4),
        MalformedCase(
            "two-letter type", head + "ca=IN IP4 192.0.2.1\r\n", .malformedLine, at: "ca=", plus: 1,
            line: 4),
        MalformedCase("blank line inside", head + "\r\n" + body, .malformedLine, at: "\r\n\r\n", plus: 2, line: 4),
        MalformedCase("unknown type letter", head + "x=whatever\r\n" + body, .unknownType, at: "x=", line: 4),
        MalformedCase(
            "c= after t=", head + "t=0 0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/SAVP 0\r\n",
            .outOfOrder, at: "c=", line: 5),
        MalformedCase("second s=", head + "s=again\r\n" + body, .outOfOrder, at: "s=again", line: 4),
        MalformedCase(
            "r= without t=", head + "c=IN IP4 192.0.2.1\r\nr=1 2 3\r\nt=0 0\r\n", .outOfOrder, at: "r=",
            line: 5),
        MalformedCase(
            "a= before c= in media", valid + "a=sendrecv\r\nc=IN IP4 192.0.2.2\r\n", .outOfOrder,
            at: "c=IN IP4 192.0.2.2", line: 8),
        MalformedCase("t= inside media", valid + "t=1 2\r\n", .outOfOrder, at: "t=1 2", line: 7),
        MalformedCase("two i= in media", valid + "i=a\r\ni=b\r\n", .outOfOrder, at: "i=b", line: 8),
        MalformedCase(
            "m= before t=", head + "c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/SAVP 0\r\n", .missingLine,
            at: "m=", line: 5),
        MalformedCase(
            "no t= at all", head + "c=IN IP4 192.0.2.1\r\n", .missingLine, at: "c=IN IP4 192.0.2.1", plus: 18,
            line: 5),
        MalformedCase(
            "port above 65535", head + "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 65536 RTP/SAVP 0\r\n",
            .invalidMediaField, at: "65536", line: 6),
        MalformedCase(
            "port count 0", head + "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000/0 RTP/SAVP 0\r\n",
            .invalidMediaField, at: "0 RTP", line: 6),
        MalformedCase(
            "m= without format", head + "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP\r\n",
            .invalidMediaField, at: "SAVP\r\n", plus: 4, line: 6),
        MalformedCase(
            "c= with two fields", head + "c=IN IP4\r\nt=0 0\r\n", .invalidConnection, at: "IP4\r\n",
            plus: 3, line: 4),
        MalformedCase(
            "b= without colon", head + "c=IN IP4 192.0.2.1\r\nb=AS\r\nt=0 0\r\n", .invalidBandwidth,
            at: "AS", line: 5),
        MalformedCase(
            "b= not a number", head + "c=IN IP4 192.0.2.1\r\nb=AS:lots\r\nt=0 0\r\n", .invalidBandwidth,
            at: "lots", line: 5),
        MalformedCase(
            "t= with one time", head + "c=IN IP4 192.0.2.1\r\nt=0\r\n", .invalidTiming, at: "t=0\r\n", plus: 2,
            line: 5),
        MalformedCase("a= without name", valid + "a=\r\n", .invalidAttribute, at: "a=\r\n", plus: 2, line: 7),
        MalformedCase("a= with empty name", valid + "a=:x\r\n", .invalidAttribute, at: ":x", line: 7),
        MalformedCase(
            "NUL in a line", head + "c=IN IP4 192.0.2.1\u{0}\r\nt=0 0\r\n", .invalidEncoding, at: "\u{0}",
            line: 4),
        MalformedCase("lone CR", head + "c=IN IP4\r192.0.2.1\r\nt=0 0\r\n", .invalidEncoding, at: "\r192", line: 4),
        MalformedCase(
            "no c= anywhere", head + "t=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n", .missingConnection,
            at: "m=", line: 5),
        MalformedCase(
            "no c= in the second section",
            head + "t=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n"
                + "c=IN IP4 192.0.2.1\r\nm=video 4002 RTP/SAVP 96\r\n", .missingConnection, at: "m=video", line: 7),
        MalformedCase("only whitespace", " \r\n\r\n", .missingLine, at: " ", line: 1),
    ]

    @Test("each malformed description is refused where it goes wrong", arguments: cases)
    func refused(_ testCase: MalformedCase) {
        let error = parseError(testCase.text)
        #expect(error?.code == testCase.code, "\(String(describing: error))")
        #expect(error?.offset == testCase.offset, "\(String(describing: error))")
        #expect(error?.line == testCase.line, "\(String(describing: error))")
        #expect(error.map { !$0.reason.isEmpty && !$0.expected.isEmpty } == true)
    }

    @Test("the base of the malformed cases is itself valid")
    func baseIsValid() throws {
        #expect(try SDPSessionDescription(parsing: Self.valid).media.count == 1)
    }

    @Test("an empty input is a missing v= at 0")
    func empty() {
        #expect(parseError("")?.code == .missingLine && parseError("")?.offset == 0)
        #expect(throws: SDPError.self) { try SDPSessionDescription(parsing: [UInt8]()) }
    }

    @Test(
        "bytes that are not UTF-8 are refused at the first bad byte",
        arguments: [
            ([0xFF], 0), ([0xC3], 0), ([0xE2, 0x82], 0), ([0xED, 0xA0, 0x80], 0), ([0xC0, 0xAF], 0),
            ([0x41, 0xF4, 0x90, 0x80, 0x80], 1), ([0xC3, 0xA9, 0x80], 2),
        ] as [([UInt8], Int)])
    func notUTF8(_ bad: [UInt8], _ offset: Int) {
        let prefix = Array("v=0\r\no=- 1 1 IN IP4 h\r\ns=".utf8)
        let bytes = prefix + bad + Array("\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n".utf8)
        do {
            _ = try SDPSessionDescription(parsing: bytes)
            Issue.record("invalid UTF-8 parsed")
        } catch {
            #expect(error.code == .invalidEncoding)
            #expect(error.offset == prefix.count + offset)
        }
    }

    @Test("valid UTF-8 in a session name is kept byte for byte")
    func utf8Kept() throws {
        let text = "v=0\r\no=- 1 1 IN IP4 h\r\ns=Réunion 会議 🎧\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
        let parsed = try SDPSessionDescription(parsing: Array(text.utf8))
        #expect(parsed.bytes == Array(text.utf8))
        #expect(parsed.sessionName == "Réunion 会議 🎧")
    }

    @Test("the size, line and media section limits hold")
    func limits() throws {
        let big =
            Self.valid + String(repeating: "a=x-padding:0123456789012345678901234567890123456789\r\n", count: 1300)
        #expect(big.utf8.count > 65536)
        #expect(parseError(big)?.code == .tooLarge)
        let roomy = SDPLimits(maximumSize: 1 << 20, maximumLines: 2000)
        #expect(try SDPSessionDescription(parsing: big, limits: roomy).media[0].lines.count == 1301)

        let manyLines = Self.valid + String(repeating: "a=x\r\n", count: 10)
        do {
            _ = try SDPSessionDescription(parsing: manyLines, limits: SDPLimits(maximumLines: 15))
            Issue.record("16 lines parsed under a limit of 15")
        } catch {
            #expect(error.code == .tooManyLines && error.line == 16)
        }
        #expect(try SDPSessionDescription(parsing: manyLines, limits: SDPLimits(maximumLines: 16)).lines.count == 16)

        let media = String(repeating: "m=audio 4000 RTP/SAVP 0\r\n", count: 3)
        let threeSections = Self.head + "c=IN IP4 192.0.2.1\r\nt=0 0\r\n" + media
        let tooMany = parseError(threeSections, limits: SDPLimits(maximumMediaDescriptions: 2))
        #expect(tooMany?.code == .tooManyMediaDescriptions && tooMany?.line == 8)
        #expect(try SDPSessionDescription(parsing: threeSections).media.count == 3)
    }

    @Test(
        "a valid description cut at every length never traps, and parses only where a line is complete",
        arguments: Fixtures.all.map(\.name))
    func truncation(_ name: String) {
        let bytes = Array(Fixtures.all.first { $0.name == name }!.text.utf8)
        var parsedLengths = 0
        for length in 0...bytes.count {
            let prefix = Array(bytes[..<length])
            guard let parsed = try? SDPSessionDescription(parsing: prefix) else { continue }
            parsedLengths += 1
            #expect(parsed.bytes == prefix)
        }
        #expect(parsedLengths > 0)
    }

    @Test("the error's description names the code, place and expectation")
    func errorDescription() {
        do {
            _ = try SDPSessionDescription(parsing: "v=1\r\n")
        } catch {
            #expect(
                error.description == "SDPError.invalidVersion at line 1, byte 2: the protocol version is 0 "
                    + "(expected \"0\")")
            #expect(error == SDPError(.invalidVersion, "other", offset: 9, expected: "x"))
            #expect(error != SDPError(.invalidOrigin, "the protocol version is 0", offset: 2, expected: "\"0\""))
        }
    }
}
