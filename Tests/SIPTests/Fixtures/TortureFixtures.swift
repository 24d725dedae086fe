import SIP
import Testing

/// One message written for Sotto in a category of RFC 4475 (SIP torture tests) or RFC 5118 (IPv6), with the
/// outcome a correct parser must reach.
struct TortureCase: Sendable, CustomTestStringConvertible {
    enum Outcome: Sendable {
        /// Parses, and the check holds.
        case valid(@Sendable (SIPMessage) -> Bool)
        /// Fails with this code.
        case invalid(SIPError.Code)
    }

    let name: String
    let bytes: [UInt8]
    let outcome: Outcome

    var testDescription: String { name }
}

/// A small valid OPTIONS to vary: `edit` changes its header lines.
func options(
    _ startLine: String = "OPTIONS sip:user@example.com SIP/2.0",
    body: String = "",
    edit: (inout [String]) -> Void = { _ in }
) -> [UInt8] {
    var lines = [
        "Via: SIP/2.0/TLS client.example.com:5061;branch=z9hG4bK74bf9",
        "Max-Forwards: 70",
        "From: <sip:caller@example.com>;tag=9fxced76sl",
        "To: <sip:user@example.com>",
        "Call-ID: 3848276298220188511@client.example.com",
        "CSeq: 1 OPTIONS",
        "Content-Length: @LEN@",
    ]
    edit(&lines)
    return sip([startLine] + lines, body: body)
}

/// Replaces the line that starts with `prefix`.
func replace(_ prefix: String, with line: String) -> (inout [String]) -> Void {
    { lines in lines = lines.map { $0.hasPrefix(prefix) ? line : $0 } }
}

/// Removes the lines that start with `prefix`.
func remove(_ prefix: String) -> (inout [String]) -> Void {
    { lines in lines.removeAll { $0.hasPrefix(prefix) } }
}

/// RFC 4475 §3.1.1: valid messages that are hard to parse.
enum ValidTortureFixtures {
    static let all: [TortureCase] = [
        TortureCase(
            name: "wsinv: white space around colons and slashes, tabs, folded lines",
            bytes: raw(
                "OPTIONS sip:user@example.com SIP/2.0\r\n"
                    + "Via  : SIP  /   2.0\r\n /TLS\r\n    client.example.com:5061;branch = z9hG4bK-ws\r\n"
                    + "TO :\r\n <sip:user@example.com>\r\n"
                    + "from\t:\t<sip:caller@example.com>\t;\ttag=3\r\n"
                    + "Max-Forwards:\t 0068\r\n"
                    + "call-ID   :   ws.1@client.example.com  \r\n"
                    + "Subject : lunch\r\n\t  tomorrow\r\n   \r\n at noon\r\n"
                    + "cSeQ: 8\r\n   OPTIONS\r\n"
                    + "l: 0\r\n\r\n"
            ),
            outcome: .valid { message in
                message.via.first?.transport == "TLS" && message.via.first?.branch == "z9hG4bK-ws"
                    && message.to.uri.user == "user" && message.from.tag == "3" && message.maxForwards == 68
                    && message.callID == "ws.1@client.example.com" && message.cseq.sequence == 8
                    && message.firstValue(of: "subject") == "lunch tomorrow at noon"
            }
        ),
        TortureCase(
            name: "intmeth: a method made of every token character",
            bytes: options(
                "!interesting-Method0123456789_*+`.%indeed'~ sip:user@example.com SIP/2.0",
                edit: replace("CSeq", with: "CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~")),
            outcome: .valid { $0.method.rawValue == "!interesting-Method0123456789_*+`.%indeed'~" }
        ),
        TortureCase(
            name: "esc01: escaped characters in the user part",
            bytes: options("OPTIONS sip:sips%3Auser%40example.com@example.net SIP/2.0"),
            outcome: .valid { $0.requestLine?.uri.decodedUser == "sips:user@example.com" }
        ),
        TortureCase(
            name: "escnull: an escaped NUL in the user part",
            bytes: options("OPTIONS sip:null-%00-null@example.com SIP/2.0"),
            outcome: .valid { $0.requestLine?.uri.decodedUser == "null-\u{0}-null" }
        ),
        TortureCase(
            name: "esc02: escaped headers in the Request-URI",
            bytes: options("OPTIONS sip:user@example.com?Route=%3Csip:example.com%3E&Subject=hi SIP/2.0"),
            outcome: .valid { $0.requestLine?.uri.headers.map(\.name) == ["Route", "Subject"] }
        ),
        TortureCase(
            name: "lwsdisp: a display name with no space before '<'",
            bytes: options(edit: replace("From", with: "From: caller<sip:caller@example.com>;tag=323")),
            outcome: .valid { $0.from.displayName == "caller" && $0.from.tag == "323" }
        ),
        TortureCase(
            name: "quoted display name with escaped quotes and backslashes",
            bytes: options(edit: replace("From", with: #"From: "J. \"R\" Doe \\ co" <sip:j@example.com>;tag=1"#)),
            outcome: .valid { $0.from.displayName == #"J. "R" Doe \ co"# }
        ),
        TortureCase(
            name: "longreq: long values and a long header",
            bytes: options(edit: { lines in
                lines.append("X-Long: " + String(repeating: "very-long-value-", count: 250))
                lines = lines.map {
                    $0.hasPrefix("To")
                        ? "To: \"\(String(repeating: "I have a long display name ", count: 20))\" <sip:user@example.com>"
                        : $0
                }
            }),
            outcome: .valid { $0.firstValue(of: "x-long")?.utf8.count == 4_000 && $0.to.displayName?.count == 540 }
        ),
        TortureCase(
            name: "many headers: 200 unknown headers kept in order",
            bytes: options(edit: { lines in
                for index in 0..<200 { lines.insert("X-H\(index): \(index)", at: 1) }
            }),
            outcome: .valid { message in
                let names = message.headers.map(\.name).filter { $0.hasPrefix("X-H") }
                return names == (0..<200).reversed().map { "X-H\($0)" }
            }
        ),
        TortureCase(
            name: "semiuri: semicolons and an escaped '@' in the user part",
            bytes: options("OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0"),
            outcome: .valid {
                $0.requestLine?.uri.user == "user;par=u%40example.net" && $0.requestLine?.uri.host == "example.com"
            }
        ),
        TortureCase(
            name: "transports: an unknown transport in Via",
            bytes: options(edit: replace("Via", with: "Via: SIP/2.0/UNKNOWN t1.example.com;branch=z9hG4bKkdjuw")),
            outcome: .valid { $0.via.first?.transport == "UNKNOWN" && $0.via.first?.port == nil }
        ),
        TortureCase(
            name: "mpart01: a multipart body with a quoted boundary",
            bytes: options(
                body: "--7e9b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--7e9b--\r\n",
                edit: { $0.insert("Content-Type: multipart/mixed;boundary=\"7e9b\"", at: 5) }
            ),
            outcome: .valid {
                $0.contentType?.subtype == "mixed" && $0.contentType?.parameters.first?.value == "\"7e9b\""
            }
        ),
        TortureCase(
            name: "unreason: a UTF-8 reason phrase with unusual characters",
            bytes: sip([
                "SIP/2.0 200 = 2**3 * 5**2 но сто девяносто девять - простое",
                "Via: SIP/2.0/TLS client.example.com:5061;branch=z9hG4bK74bf9",
                "From: <sip:caller@example.com>;tag=9fxced76sl",
                "To: <sip:user@example.com>;tag=x",
                "Call-ID: unreason@client.example.com",
                "CSeq: 1 OPTIONS",
                "Content-Length: 0",
            ]),
            outcome: .valid { $0.statusLine?.reasonPhrase.hasSuffix("простое") == true && $0.method == .options }
        ),
        TortureCase(
            name: "noreason: an empty reason phrase",
            bytes: sip([
                "SIP/2.0 100 ",
                "Via: SIP/2.0/TLS client.example.com:5061;branch=z9hG4bK74bf9",
                "From: <sip:caller@example.com>;tag=9fxced76sl",
                "To: <sip:user@example.com>",
                "Call-ID: noreason@client.example.com",
                "CSeq: 1 INVITE",
                "Content-Length: 0",
            ]),
            outcome: .valid { $0.statusLine?.statusCode == 100 && $0.statusLine?.reasonPhrase == "" }
        ),
        TortureCase(
            name: "unksch: an unknown scheme in the Request-URI",
            bytes: options("OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0"),
            outcome: .valid {
                $0.requestLine?.uri.scheme == "nobodyknowsthisscheme"
                    && $0.requestLine?.uri.opaque == "totallyopaquecontent"
            }
        ),
        TortureCase(
            name: "tel URIs in From and To",
            bytes: options(edit: { lines in
                lines = lines.map { $0.hasPrefix("To") ? "To: tel:+1-201-555-0123;phone-context=example.com" : $0 }
                lines = lines.map { $0.hasPrefix("From") ? "From: <tel:+12125551212>;tag=t" : $0 }
            }),
            outcome: .valid { message in
                message.to.uri.scheme == "tel" && message.to.uri.user == "+1-201-555-0123"
                    && message.to.parameters.isEmpty && message.to.uri.parameters.isEmpty == false
                    || message.to.parameters.first?.name == "phone-context"
            }
        ),
        TortureCase(
            name: "compact forms and names in any case",
            bytes: raw(
                "INVITE sip:user@example.com SIP/2.0\r\nv: SIP/2.0/TLS a.example.com;branch=z9hG4bK1\r\n"
                    + "f: <sip:a@example.com>;tag=1\r\nT: <sip:user@example.com>\r\ni: compact@a\r\n"
                    + "CSEQ: 1 INVITE\r\nm: <sip:a@a.example.com>\r\nc: application/sdp\r\nk: 100rel, timer\r\n"
                    + "L: 3\r\n\r\nv=0"
            ),
            outcome: .valid { message in
                message.callID == "compact@a" && message.contentType?.isSDP == true && message.contentLength == 3
                    && (try? message.supported()) == ["100rel", "timer"]
            }
        ),
        TortureCase(
            name: "an empty header value and Content-Length with leading zeros",
            bytes: options(edit: { lines in
                lines.insert("Subject:", at: 1)
                lines = lines.map { $0.hasPrefix("Content-Length") ? "Content-Length: 000" : $0 }
            }),
            outcome: .valid { $0.firstValue(of: "subject") == "" && $0.contentLength == 0 }
        ),
        TortureCase(
            name: "comma-joined Via values and Route with a quoted comma",
            bytes: options(edit: { lines in
                lines[0] =
                    "Via: SIP/2.0/TLS a.example.com;branch=z9hG4bK1, SIP/2.0/TLS b.example.com:5061;branch=z9hG4bK2"
                lines.insert("Route: <sip:p1.example.com;lr>;x=\"a,b\", <sip:p2.example.com;lr>", at: 1)
            }),
            outcome: .valid { message in
                message.via.map(\.host) == ["a.example.com", "b.example.com"]
                    && (try? message.routes())?.map(\.uri.host) == ["p1.example.com", "p2.example.com"]
            }
        ),
        TortureCase(
            name: "a Route without angle brackets parses lazily to an error",
            bytes: options(edit: { $0.insert("Route: sip:p1.example.com;lr", at: 1) }),
            outcome: .valid { (try? $0.routes()) == nil }
        ),
    ]
}

/// RFC 4475 §3.1.2: invalid messages, each with the error it must give.
enum InvalidTortureFixtures {
    static let all: [TortureCase] = [
        TortureCase(
            name: "clerr: Content-Length larger than the body",
            bytes: options(body: "v=0", edit: replace("Content-Length", with: "Content-Length: 9999")),
            outcome: .invalid(.bodyLengthMismatch)),
        TortureCase(
            name: "ncl: a negative Content-Length",
            bytes: options(edit: replace("Content-Length", with: "Content-Length: -999")),
            outcome: .invalid(.invalidNumber)),
        TortureCase(
            name: "scalar02: a CSeq number of 2^65",
            bytes: options(edit: replace("CSeq", with: "CSeq: 36893488147419103232 OPTIONS")),
            outcome: .invalid(.invalidNumber)),
        TortureCase(
            name: "scalar02: a CSeq number of 2^31",
            bytes: options(edit: replace("CSeq", with: "CSeq: 2147483648 OPTIONS")),
            outcome: .invalid(.invalidNumber)),
        TortureCase(
            name: "scalar02: Max-Forwards 300",
            bytes: options(edit: replace("Max-Forwards", with: "Max-Forwards: 300")),
            outcome: .invalid(.invalidNumber)),
        TortureCase(
            name: "two Content-Length headers",
            bytes: options(edit: { $0.insert("l: 0", at: 0) }),
            outcome: .invalid(.duplicateHeader)),
        TortureCase(
            name: "two To headers",
            bytes: options(edit: { $0.insert("To: <sip:other@example.com>", at: 0) }),
            outcome: .invalid(.duplicateHeader)),
        TortureCase(
            name: "missing Call-ID", bytes: options(edit: remove("Call-ID")), outcome: .invalid(.missingHeader)),
        TortureCase(name: "missing From", bytes: options(edit: remove("From")), outcome: .invalid(.missingHeader)),
        TortureCase(name: "missing To", bytes: options(edit: remove("To")), outcome: .invalid(.missingHeader)),
        TortureCase(name: "missing Via", bytes: options(edit: remove("Via")), outcome: .invalid(.missingHeader)),
        TortureCase(name: "missing CSeq", bytes: options(edit: remove("CSeq")), outcome: .invalid(.missingHeader)),
        TortureCase(
            name: "CSeq method differs from the request method",
            bytes: options(edit: replace("CSeq", with: "CSeq: 1 INVITE")), outcome: .invalid(.methodMismatch)),
        TortureCase(
            name: "CSeq method in another case (methods are case-sensitive)",
            bytes: options(edit: replace("CSeq", with: "CSeq: 1 options")), outcome: .invalid(.methodMismatch)),
        TortureCase(
            name: "an unterminated quoted display name",
            bytes: options(edit: replace("From", with: "From: \"Bob <sip:caller@example.com>;tag=1")),
            outcome: .invalid(.malformedHeaderValue)),
        TortureCase(
            name: "'<' without '>' in To",
            bytes: options(edit: replace("To", with: "To: <sip:user@example.com")),
            outcome: .invalid(.malformedHeaderValue)),
        TortureCase(
            name: "badvers: SIP/7.0",
            bytes: options("OPTIONS sip:user@example.com SIP/7.0"), outcome: .invalid(.unsupportedVersion)),
        TortureCase(
            name: "lwsstart: two spaces in the request line",
            bytes: options("OPTIONS  sip:user@example.com SIP/2.0"), outcome: .invalid(.malformedStartLine)),
        TortureCase(
            name: "trailing space after the version",
            bytes: options("OPTIONS sip:user@example.com SIP/2.0 "), outcome: .invalid(.malformedStartLine)),
        TortureCase(
            name: "ltgtruri: the Request-URI in angle brackets",
            bytes: options("OPTIONS <sip:user@example.com> SIP/2.0"), outcome: .invalid(.malformedURI)),
        TortureCase(
            name: "a bare LF line ending",
            bytes: raw("OPTIONS sip:user@example.com SIP/2.0\nVia: SIP/2.0/TLS a;branch=z9hG4bK1\r\n\r\n"),
            outcome: .invalid(.malformedHeader)),
        TortureCase(
            name: "an invalid escape in the user part",
            bytes: options("OPTIONS sip:us%G1er@example.com SIP/2.0"), outcome: .invalid(.malformedURI)),
        TortureCase(
            name: "a four-digit status code",
            bytes: sip(["SIP/2.0 2000 OK", "Content-Length: 0"]), outcome: .invalid(.malformedStartLine)),
        TortureCase(
            name: "a port above 65535",
            bytes: options("OPTIONS sip:user@example.com:70000 SIP/2.0"), outcome: .invalid(.malformedURI)),
        TortureCase(
            name: "a header line without a colon",
            bytes: options(edit: { $0.insert("NoColonHere", at: 1) }), outcome: .invalid(.malformedHeader)),
        TortureCase(
            name: "a NUL byte in a header value",
            bytes: options(edit: { $0.insert("X-Nul: a\u{0}b", at: 1) }), outcome: .invalid(.malformedHeader)),
        TortureCase(
            name: "invalid UTF-8 in a header value",
            bytes: options(edit: { $0.insert("X-Bad: @@", at: 1) }).replacingFirst("@@", with: [0xC3, 0x28]),
            outcome: .invalid(.invalidUTF8)),
        TortureCase(
            name: "a header section with no empty line",
            bytes: Array(options().dropLast(2)), outcome: .invalid(.truncated)),
        TortureCase(
            name: "a Via without a transport",
            bytes: options(edit: replace("Via", with: "Via: SIP/2.0 client.example.com;branch=z9hG4bK1")),
            outcome: .invalid(.malformedHeaderValue)),
        TortureCase(
            name: "an empty element in a Via list",
            bytes: options(edit: replace("Via", with: "Via: SIP/2.0/TLS a.example.com;branch=z9hG4bK1, ,")),
            outcome: .invalid(.malformedHeaderValue)),
        TortureCase(
            name: "a Via rport that is not a port",
            bytes: options(edit: replace("Via", with: "Via: SIP/2.0/TLS a.example.com;branch=z9hG4bK1;rport=99999")),
            outcome: .invalid(.invalidNumber)),
        TortureCase(
            name: "a continuation line before any header",
            bytes: raw("OPTIONS sip:user@example.com SIP/2.0\r\n folded\r\n\r\n"), outcome: .invalid(.malformedHeader)),
    ]
}

extension Array where Element == UInt8 {
    /// The array with the first occurrence of the ASCII `marker` replaced by `bytes`.
    func replacingFirst(_ marker: String, with bytes: [UInt8]) -> [UInt8] {
        let needle = Array(marker.utf8)
        guard let start = indices.first(where: { self[$0...].starts(with: needle) }) else { return self }
        return Array(self[..<start]) + bytes + Array(self[(start + needle.count)...])
    }
}
