// The proxy tests' harness: a recording transport, a clock moved by hand, a real media engine on loopback, and
// SIP messages written the way baresip (the agents' softphone) and Asterisk (the PBX) write them.
//
// Flows: `a` is agent Alice's softphone (127.0.0.1:5062), `pbx` is Sotto's upstream connection to the PBX
// (127.0.0.2:5061), `b` an optional second softphone (127.0.0.1:5064). Sotto is 127.0.0.1:5061.
import Logging
import Media
import SDP
import SIP
import SRTP
import SottoTestSupport
import Testing
import Transport

@testable import Proxy

/// One message the proxy sent, parsed back.
struct Sent {
    let flow: FlowID
    let message: SIPMessage

    var status: Int? { message.statusLine?.statusCode }
    var method: SIPMethod { message.method }
    var isRequest: Bool { message.isRequest }
}

/// Records what the proxy sends instead of writing it to a TLS stream.
final class RecordingTransport: ProxyTransport {
    private(set) var records: [(flow: FlowID, bytes: [UInt8])] = []
    private var taken = 0

    func send(_ bytes: [UInt8], on flow: FlowID) -> Bool {
        records.append((flow, bytes))
        return true
    }

    /// Everything sent since the last call, as text, for a message that need not parse (a 400 that echoes the
    /// malformed header it answers).
    func takeText() -> [(flow: FlowID, text: String)] {
        let new = records[taken...]
        taken = records.count
        return new.map { ($0.flow, String(decoding: $0.bytes, as: UTF8.self)) }
    }

    /// Everything sent since the last call, parsed (a message that does not parse fails the test).
    func take() throws -> [Sent] {
        let new = records[taken...]
        taken = records.count
        return try new.map { Sent(flow: $0.flow, message: try SIPMessage(parsing: $0.bytes)) }
    }
}

/// A proxy wired to a recording transport, a manual clock and a fake media engine (no socket is bound).
final class ProxyHarness {
    static let suites: [SRTPProfile] = [.aesCM128HMACSHA1_80, .aesCM128HMACSHA1_32]

    let clock: ManualClock
    let transport = RecordingTransport()
    let media = FakeMedia()
    let proxy: SIPProxy
    /// Alice's softphone.
    let a: FlowID
    /// Sotto's connection to the PBX (0 when the harness was made without one).
    let pbx: FlowID
    /// A second softphone, once ``openB()`` ran.
    private(set) var b: FlowID?

    init(upstream: Bool = true, configure: (inout ProxyConfiguration) -> Void = { _ in }) throws {
        try SRTPLibrary.start()
        let clock = ManualClock()
        var configuration = ProxyConfiguration(
            host: "127.0.0.1", port: 5061, suites: Self.suites, mediaAddress: "127.0.0.1")
        configure(&configuration)
        proxy = SIPProxy(
            configuration: configuration, media: media, clock: clock,
            logger: Logger(label: "sotto.proxy.tests") { _ in SwiftLogNoOpLogHandler() })
        self.clock = clock
        proxy.setTransport(transport)
        // The real engine's events reach the proxy later, on the signalling loop; ``take()`` delivers these.
        media.setSessionEndedHandler { [weak proxy] snapshot in proxy?.mediaSessionEnded(snapshot) }
        a = proxy.openFlow(kind: .softphone, peerIP: "127.0.0.1", peerPort: 5062)
        pbx = upstream ? proxy.openFlow(kind: .pbx, peerIP: "127.0.0.2", peerPort: 5061, upstream: true) : 0
    }

    /// Opens Bob's softphone flow (127.0.0.1:5064).
    @discardableResult
    func openB() -> FlowID {
        let id = proxy.openFlow(kind: .softphone, peerIP: "127.0.0.1", peerPort: 5064)
        b = id
        return id
    }

    /// The flow token Sotto gave a softphone flow (in its Path and Record-Route entries).
    func token(_ flow: FlowID) -> String { proxy.router.flow(flow)?.token ?? "" }

    func fromA(_ bytes: [UInt8]) { proxy.receive(bytes, on: a) }
    func fromPBX(_ bytes: [UInt8]) { proxy.receive(bytes, on: pbx) }
    func fromB(_ bytes: [UInt8]) { proxy.receive(bytes, on: b!) }

    /// Everything sent since the last call (after the media side's pending events have reached the proxy).
    func take() throws -> [Sent] {
        media.deliver()
        return try transport.take()
    }

    /// `a: 100 Trying`, `pbx: INVITE sip:bob@pbx.test`: where each message went and its start line, for
    /// asserting the exact sequence of messages sent.
    func summary(_ sent: [Sent]) -> [String] {
        sent.map { item in
            let name = item.flow == a ? "a" : item.flow == pbx ? "pbx" : item.flow == b ? "b" : "flow\(item.flow)"
            if let status = item.message.statusLine {
                return "\(name): \(status.statusCode) \(status.reasonPhrase)"
            }
            return "\(name): \(item.message.method) \(item.message.requestLine?.uriText ?? "")"
        }
    }

    /// Requires exactly these messages, as ``summary(_:)`` writes them, and returns them so that the test may index
    /// them; a difference ends the test there.
    @discardableResult
    func expect(
        _ sent: [Sent], _ expected: [String], _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [Sent] {
        let got = summary(sent)
        try #require(got == expected, comment, sourceLocation: sourceLocation)
        return sent
    }

    /// After Alice's initial INVITE: requires `100 Trying` to her and the INVITE to the PBX, and returns the latter.
    func forwardedINVITE(sourceLocation: SourceLocation = #_sourceLocation) throws -> SIPMessage {
        try expect(take(), ["a: 100 Trying", "pbx: INVITE sip:bob@pbx.test"], sourceLocation: sourceLocation)[1].message
    }

    /// Leg A's and leg B's local RTP ports of the first stream of a media session (sessions in order of creation).
    func relayPorts(session index: Int = 0) throws -> (a: Int, b: Int) {
        let sessions = media.snapshot()
        try #require(sessions.indices.contains(index), "no media session \(index)")
        let legs = try #require(sessions[index].streams.first)
        let a = try #require(legs.first { $0.side == .a })
        let b = try #require(legs.first { $0.side == .b })
        return (Int(a.localRTPPort), Int(b.localRTPPort))
    }

    /// Moves the clock and fires due timers.
    func advance(seconds: UInt64, milliseconds: UInt64 = 0) {
        clock.advance(seconds: seconds, milliseconds: milliseconds)
        proxy.tick()
    }
}

// MARK: - Message text

/// Messages written as Swift multi-line literals with `\n`, put on the wire with CRLF and a right Content-Length.
enum SIPText {
    /// The head lines with CRLF; any Content-Length line replaced by the body's length; `Content-Type:
    /// application/sdp` added for a body when the head has no Content-Type.
    static func wire(_ head: String, body: String? = nil) -> [UInt8] {
        let bodyBytes = Array((body ?? "").utf8)
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last?.isEmpty == true { lines.removeLast() }
        lines.removeAll { $0.lowercased().hasPrefix("content-length:") }
        if body != nil && !lines.contains(where: { $0.lowercased().hasPrefix("content-type:") }) {
            lines.append("Content-Type: application/sdp")
        }
        lines.append("Content-Length: \(bodyBytes.count)")
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) + bodyBytes
    }

    /// An SDP body: every line ends with CRLF.
    static func sdp(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.map { $0 + "\r\n" }.joined()
    }
}

extension SIPText {
    /// A user agent's response to a request: its Via and (for a dialog-creating request) Record-Route headers
    /// echoed, a To tag added above 100, `contact` on a 1xx/2xx to an INVITE.
    static func response(
        to request: SIPMessage, _ status: Int, _ reason: String, toTag: String?, contact: String, product: String,
        extra: [String] = [], sdp: String? = nil
    ) -> [UInt8] {
        var lines = ["SIP/2.0 \(status) \(reason)"]
        lines += request.headers(named: "Via").map { "Via: \($0.value)" }
        if request.method == .invite || request.method == .subscribe {
            lines += request.headers(named: "Record-Route").map { "Record-Route: \($0.value)" }
        }
        let to = request.firstValue(of: "To") ?? ""
        let tag = request.to.tag == nil && status > 100 ? toTag.map { ";tag=\($0)" } ?? "" : ""
        lines += [
            "From: \(request.firstValue(of: "From") ?? "")", "To: \(to)\(tag)", "Call-ID: \(request.callID)",
            "CSeq: \(request.cseq.sequence) \(request.cseq.method)", product,
        ]
        if request.method == .invite && status > 100 && status < 300 { lines.append("Contact: \(contact)") }
        lines += extra
        return SIPText.wire(lines.joined(separator: "\n"), body: sdp)
    }
}

/// One call as Alice's baresip places it: Call-ID, From tag, her SRTP key, and the dialog once answered.
struct AliceCall {
    var callID = "7d3e0c5a91b24f68a1c2@127.0.0.1"
    var fromTag = "9f2c41a7e3b05d68"
    let key: SRTPKeyMaterial
    var uri = "sip:bob@pbx.test"
    var cseq: UInt32 = 25143
    /// The PBX's To tag, from the 2xx.
    var toTag: String?
    /// The PBX's Contact, from the 2xx: the remote target of in-dialog requests.
    var remoteTarget = "sip:bob@pbx.test"
    /// The route set, from the 2xx's Record-Route (reversed, RFC 3261 §12.1.2).
    var routeSet: [String] = []

    init() throws { key = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80) }

    /// The dialog as Alice learns it from the 2xx she got.
    mutating func learnDialog(from response: SIPMessage) {
        toTag = response.to.tag
        if case .addresses(let list)? = try? response.contacts(), let contact = list.first {
            remoteTarget = contact.uri.description
        }
        routeSet = ((try? response.recordRoutes()) ?? []).reversed().map(\.description)
    }

    /// baresip's offer (`mediaenc=srtp-mand`): RTP/SAVP, G.711 and telephone-event, one AES_CM_128_HMAC_SHA1_80 key.
    func offer(port: Int = 10000, proto: String = "RTP/SAVP", crypto: String? = nil) -> String {
        let line = crypto ?? "a=crypto:1 AES_CM_128_HMAC_SHA1_80 \(key.sdesKeyParameter)"
        return SIPText.sdp(
            """
            v=0
            o=- 1376587712 1937466186 IN IP4 127.0.0.1
            s=-
            c=IN IP4 127.0.0.1
            t=0 0
            m=audio \(port) \(proto) 0 101
            b=AS:64
            a=rtpmap:0 PCMU/8000
            a=rtpmap:101 telephone-event/8000
            a=fmtp:101 0-15
            a=sendrecv
            a=label:1
            \(line)
            a=ptime:20
            """)
    }

    /// The initial INVITE (or, with `toTag`, a re-INVITE along the dialog).
    func invite(branch: String = "z9hG4bK0b8e6c3f2a7d4e91", maxForwards: Int = 70, sdp: String?) -> [UInt8] {
        request("INVITE", branch: branch, maxForwards: maxForwards, body: sdp)
    }

    /// A request from Alice: outside a dialog through Sotto's outbound proxy Route, inside one along the route set.
    func request(
        _ method: String, branch: String, cseq: UInt32? = nil, maxForwards: Int = 70, extra: String = "",
        body: String? = nil
    ) -> [UInt8] {
        let inDialog = toTag != nil
        let target = inDialog ? remoteTarget : uri
        let routes = inDialog ? routeSet : ["<sip:127.0.0.1:5061;transport=tls;lr>"]
        let routeLines = routes.map { "Route: \($0)\n" }.joined()
        let toTagText = toTag.map { ";tag=\($0)" } ?? ""
        let contact =
            ["INVITE", "UPDATE"].contains(method)
            ? "Contact: <sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls>\n" : ""
        return SIPText.wire(
            """
            \(method) \(target) SIP/2.0
            Via: SIP/2.0/TLS 127.0.0.1:5062;branch=\(branch);rport
            \(contact)Max-Forwards: \(maxForwards)
            To: <sip:bob@pbx.test>\(toTagText)
            From: "Alice" <sip:alice@pbx.test>;tag=\(fromTag)
            Call-ID: \(callID)
            CSeq: \(cseq ?? self.cseq) \(method)
            \(routeLines)User-Agent: baresip v3.10.1 (x86_64/linux)
            Allow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,SUBSCRIBE,INFO,MESSAGE,UPDATE,REFER
            \(extra)
            """, body: body)
    }

    /// baresip's response to a request Sotto delivered to it.
    func response(
        to request: SIPMessage, _ status: Int, _ reason: String, toTag: String = "8b3e1f0a", sdp: String? = nil
    )
        -> [UInt8]
    {
        SIPText.response(
            to: request, status, reason, toTag: toTag, contact: "<sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls>",
            product: "User-Agent: baresip v3.10.1 (x86_64/linux)", sdp: sdp)
    }

    /// The CANCEL of the initial INVITE: same branch, Request-URI, Route and CSeq number (RFC 3261 §9.1).
    func cancel(branch: String = "z9hG4bK0b8e6c3f2a7d4e91") -> [UInt8] {
        SIPText.wire(
            """
            CANCEL \(uri) SIP/2.0
            Via: SIP/2.0/TLS 127.0.0.1:5062;branch=\(branch);rport
            Max-Forwards: 70
            To: <sip:bob@pbx.test>
            From: "Alice" <sip:alice@pbx.test>;tag=\(fromTag)
            Call-ID: \(callID)
            CSeq: \(cseq) CANCEL
            Route: <sip:127.0.0.1:5061;transport=tls;lr>
            User-Agent: baresip v3.10.1 (x86_64/linux)
            """)
    }

    /// The ACK for a non-2xx final response: the INVITE's branch, the response's To tag (RFC 3261 §17.1.1.3).
    func ackForFailure(toTag: String, branch: String = "z9hG4bK0b8e6c3f2a7d4e91") -> [UInt8] {
        SIPText.wire(
            """
            ACK \(uri) SIP/2.0
            Via: SIP/2.0/TLS 127.0.0.1:5062;branch=\(branch);rport
            Max-Forwards: 70
            To: <sip:bob@pbx.test>;tag=\(toTag)
            From: "Alice" <sip:alice@pbx.test>;tag=\(fromTag)
            Call-ID: \(callID)
            CSeq: \(cseq) ACK
            Route: <sip:127.0.0.1:5061;transport=tls;lr>
            """)
    }
}

/// What the PBX (Asterisk) sends.
enum PBX {
    static let contact = "<sip:bob@192.0.2.10:5061;transport=tls>"

    /// A response to a request Sotto forwarded, as Asterisk writes it.
    static func response(
        to request: SIPMessage, _ status: Int, _ reason: String, toTag: String? = "as5e3f1b2c", extra: [String] = [],
        sdp: String? = nil
    ) -> [UInt8] {
        SIPText.response(
            to: request, status, reason, toTag: toTag, contact: contact, product: "Server: Asterisk PBX 20.5.0",
            extra: extra, sdp: sdp)
    }

    /// Asterisk's answer to Sotto's offer: RTP/SAVP with one crypto line, tag 1 (Sotto's first suite).
    static func answer(
        key: SRTPKeyMaterial, port: Int = 20000, proto: String = "RTP/SAVP", crypto: String? = nil
    ) -> String {
        let line = crypto ?? "a=crypto:1 \(key.profile.rawValue) \(key.sdesKeyParameter)"
        return SIPText.sdp(
            """
            v=0
            o=- 1046210391 1046210393 IN IP4 192.0.2.10
            s=Asterisk
            c=IN IP4 192.0.2.10
            t=0 0
            m=audio \(port) \(proto) 0 101
            a=rtpmap:0 PCMU/8000
            a=rtpmap:101 telephone-event/8000
            a=fmtp:101 0-16
            a=ptime:20
            a=maxptime:140
            a=sendrecv
            \(line)
            """)
    }

    /// Asterisk's offer in a 200 to an INVITE without SDP (late offer).
    static func offer(key: SRTPKeyMaterial, port: Int = 20000, proto: String = "RTP/SAVP") -> String {
        answer(key: key, port: port, proto: proto)
    }

    /// A request the PBX sends toward an agent, with the agent's flow token in `route` (from the Path it stored).
    static func request(
        _ method: String, uri: String, route: String?, branch: String = "z9hG4bK-524287-1---3f0c2b9ad1e84c67",
        callID: String = "1c7e9f2b6d0a4358@192.0.2.10", cseq: Int = 102, maxForwards: Int = 70,
        fromTag: String = "as0d2c7e11", toTag: String? = nil, extra: [String] = [], body: String? = nil
    ) -> [UInt8] {
        let extraLines = extra.map { $0 + "\n" }.joined()
        let routeLine = route.map { "Route: \($0)\n" } ?? ""
        let contact = method == "INVITE" ? "Contact: <sip:bob@192.0.2.10:5061;transport=tls>\n" : ""
        return SIPText.wire(
            """
            \(method) \(uri) SIP/2.0
            Via: SIP/2.0/TLS 192.0.2.10:5061;branch=\(branch)
            Max-Forwards: \(maxForwards)
            \(routeLine)From: "Bob" <sip:bob@pbx.test>;tag=\(fromTag)
            To: <sip:alice@pbx.test>\(toTag.map { ";tag=\($0)" } ?? "")
            \(contact)Call-ID: \(callID)
            CSeq: \(cseq) \(method)
            \(extraLines)User-Agent: Asterisk PBX 20.5.0
            """, body: body)
    }
}

// MARK: - Reading what was sent

extension SIPMessage {
    /// The body as a session description.
    func sdp() throws -> SDPSessionDescription { try SDPSessionDescription(parsing: body) }

    /// The first `m=` line.
    func audio() throws -> SDPMediaDescription { try #require(try sdp().media.first) }

    /// The `inline:` key parameters of the first `m=` line's crypto lines, in order.
    func inlineKeys() throws -> [String] {
        try audio().cryptoAttributes.map { $0.keyParameters.first?.text ?? "" }
    }

    /// `tag suite` of the first `m=` line's crypto lines.
    func cryptoSuites() throws -> [String] {
        try audio().cryptoAttributes.map { "\($0.tag) \($0.suite)" }
    }

    /// The Via header values, top first, one per value.
    var viaTexts: [String] { via.map(\.description) }
}

/// Runs a call through to confirmed: Alice's INVITE, the PBX's 180 and 200, Alice's ACK. Returns what each side
/// got, with the recorder emptied.
struct EstablishedCall {
    var alice: AliceCall
    let pbxKey: SRTPKeyMaterial
    /// The INVITE as the PBX got it.
    let forwardedInvite: SIPMessage
    /// The 200 as Alice got it.
    let okToAlice: SIPMessage

    init(_ h: ProxyHarness, alice: AliceCall? = nil) throws {
        var alice = try alice ?? AliceCall()
        pbxKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        h.fromPBX(PBX.response(to: invite, 180, "Ringing"))
        h.fromPBX(PBX.response(to: invite, 200, "OK", sdp: PBX.answer(key: pbxKey)))
        let ok = try h.expect(h.take(), ["a: 180 Ringing", "a: 200 OK"])[1].message
        alice.learnDialog(from: ok)
        h.fromA(alice.request("ACK", branch: "z9hG4bK1e5a9c03b77d42f0"))
        try h.expect(h.take(), ["pbx: ACK \(alice.remoteTarget)"])
        self.alice = alice
        forwardedInvite = invite
        okToAlice = ok
    }
}
