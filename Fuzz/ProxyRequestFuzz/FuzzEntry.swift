// libFuzzer target for the SIP proxy's request handling: the input is a short exchange of messages, each fed to a
// fresh `SIPProxy` through `receive(_:on:)` on one of three flows (Alice's softphone, the PBX connection, Bob's
// softphone), so that the router, the transaction layer and the call controller all run, over a fake media engine
// and a transport that records what the proxy sends. No socket is bound.
//
// Input: messages separated by a NUL byte. The first byte of each picks the flow ('a', 'p', 'b'; any other byte
// by its value modulo 3). Marker lines (`@ECHO@`, `@ECHO-INVITE@`, `@ROUTE@`, `@UASROUTE@`, `@PATH@`, see `substitute`) are replaced by what the
// proxy sent on that flow, so that a seed can answer a request whose branch the proxy made up at random, and a
// whole call (INVITE, 180, 200, ACK, BYE, 200) runs from the committed corpus (Fuzz/make-proxy-seeds.py).
//
// After the messages the clock moves past every timer, all flows close and the media events are delivered, then
// the proxy is dropped: nothing carries over to the next input. Invariants (checked as `precondition`s on values
// computed beforehand): every message the proxy sends parses, except a 400 or 505 that echoes the malformed text it
// answers; when everything is over, no media session is left.

import Logging
import Media
import Proxy
import SIP
import SRTP
import SottoTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Checks what the proxy sends, and keeps the last request and response per flow for the markers.
final class RecordingTransport: ProxyTransport {
    var lastRequest: [FlowID: SIPMessage] = [:]
    var lastResponse: [FlowID: SIPMessage] = [:]
    var lastInvite: [FlowID: SIPMessage] = [:]

    func send(_ bytes: [UInt8], on flow: FlowID) -> Bool {
        let message = try? SIPMessage(parsing: bytes, limits: SIPLimits(maxMessageSize: 1 << 20))
        // A 400 (or 505 for a bad version) echoes what it could read of the malformed message it answers.
        let isBadRequest =
            bytes.starts(with: Array("SIP/2.0 400 ".utf8)) || bytes.starts(with: Array("SIP/2.0 505 ".utf8))
        precondition(message != nil || isBadRequest, "the proxy sent a message that does not parse")
        if trace {
            let firstLine = bytes.prefix { $0 != 13 }
            print("  sent on flow \(flow): \(String(decoding: firstLine, as: UTF8.self))")
            if getenv("SOTTO_FUZZ_TRACE_ALL") != nil { print(String(decoding: bytes, as: UTF8.self)) }
        }
        if let message, message.isRequest {
            lastRequest[flow] = message
            if message.method == .invite, message.to.tag == nil { lastInvite[flow] = message }
        } else if let message {
            lastResponse[flow] = message
        }
        return true
    }
}

let started: Bool = {
    do {
        try SRTPLibrary.start()
    } catch {
        fatalError("libsrtp2 did not start: \(error)")
    }
    return true
}()

/// `SOTTO_FUZZ_TRACE=1` prints the first line of each message the proxy sends (to check what a seed reaches).
let trace = getenv("SOTTO_FUZZ_TRACE") != nil

let quiet = Logger(label: "sotto.proxy.fuzz") { _ in SwiftLogNoOpLogHandler() }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    precondition(started)
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let messages = bytes.split(separator: 0, maxSplits: 16, omittingEmptySubsequences: true)
    let clock = ManualClock()
    let media = NullMedia()
    let transport = RecordingTransport()
    let configuration = ProxyConfiguration(
        host: "127.0.0.1", port: 5061, suites: [.aesCM128HMACSHA1_80, .aesCM128HMACSHA1_32],
        mediaAddress: "127.0.0.1")
    let proxy = SIPProxy(configuration: configuration, media: media, clock: clock, logger: quiet)
    proxy.setTransport(transport)
    media.setSessionEndedHandler { [weak proxy] snapshot in proxy?.mediaSessionEnded(snapshot) }
    let flows = [
        proxy.openFlow(kind: .softphone, peerIP: "127.0.0.1", peerPort: 5062),
        proxy.openFlow(kind: .pbx, peerIP: "127.0.0.2", peerPort: 5061, upstream: true),
        proxy.openFlow(kind: .softphone, peerIP: "127.0.0.1", peerPort: 5064),
    ]
    for message in messages {
        let selector = message.first!
        let flow =
            switch selector {
            case UInt8(ascii: "a"): flows[0]
            case UInt8(ascii: "p"): flows[1]
            case UInt8(ascii: "b"): flows[2]
            default: flows[Int(selector) % 3]
            }
        if trace {
            print("from flow \(flow): \(String(decoding: message.dropFirst().prefix { $0 != 13 }, as: UTF8.self))")
        }
        proxy.receive(substitute(Array(message.dropFirst()), flow: flow, transport), on: flow)
        media.deliver()
        clock.advance(seconds: 0, milliseconds: 20)
        proxy.tick()
    }
    // Every timer (transactions, ringing and idle limits, registrations) fires; then every connection goes.
    for seconds: UInt64 in [1, 4, 32, 64, 300, 3600, 86_400] {
        clock.advance(seconds: seconds)
        proxy.tick()
        media.deliver()
    }
    for flow in flows { proxy.closeFlow(flow) }
    media.deliver()
    proxy.endAllCalls(reason: .shutdown)
    media.deliver()
    clock.advance(seconds: 86_400)
    proxy.tick()
    media.deliver()
    let leftSessions = media.liveSessions
    precondition(leftSessions == 0, "a media session outlived its call")
    return 0
}

/// The message with its markers replaced: `@ECHO@` by the Via and Record-Route lines of the last request the proxy
/// sent on the flow (`@ECHO-INVITE@`: of the last initial INVITE), `@ROUTE@` by Route lines from the Record-Route of the last response it sent there (reversed,
/// as a caller builds its route set), `@UASROUTE@` by Route lines from the Record-Route of the last initial INVITE it
/// sent there (in order, as a callee builds it), `@PATH@` by Route lines from the Path of the last request it sent there.
func substitute(_ message: [UInt8], flow: FlowID, _ transport: RecordingTransport) -> [UInt8] {
    var message = message
    let request = transport.lastRequest[flow]
    let response = transport.lastResponse[flow]
    for (marker, echoed) in [("@ECHO@", request), ("@ECHO-INVITE@", transport.lastInvite[flow])] {
        replace(marker, in: &message) {
            guard let echoed else { return "" }
            let vias = echoed.headers(named: "Via").map { "Via: \($0.value)\r\n" }
            return (vias + echoed.headers(named: "Record-Route").map { "Record-Route: \($0.value)\r\n" }).joined()
        }
    }
    replace("@ROUTE@", in: &message) {
        let routes = ((try? response?.recordRoutes()) ?? []).reversed()
        return routes.map { "Route: \($0.description)\r\n" }.joined()
    }
    replace("@UASROUTE@", in: &message) {
        ((try? transport.lastInvite[flow]?.recordRoutes()) ?? []).map { "Route: \($0.description)\r\n" }.joined()
    }
    replace("@PATH@", in: &message) {
        ((try? request?.paths()) ?? []).map { "Route: \($0.description)\r\n" }.joined()
    }
    return message
}

/// Replaces the first line `marker` (with its CRLF) by what `lines` returns.
func replace(_ marker: String, in message: inout [UInt8], with lines: () -> String) {
    let needle = Array((marker + "\r\n").utf8)
    guard let start = firstRange(of: needle, in: message) else { return }
    message.replaceSubrange(start..<(start + needle.count), with: Array(lines().utf8))
}

func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard haystack.count >= needle.count else { return nil }
    for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
        if Array(haystack[start..<(start + needle.count)]) == needle { return start }
    }
    return nil
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
) -> Int32

@_cdecl("ProxyRequestFuzz_main")  // SwiftPM links executables with --defsym main=<target>_main
public func proxyRequestFuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzzOne($0, $1) }
}
