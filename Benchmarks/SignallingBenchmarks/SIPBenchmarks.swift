import Benchmark
import SIP

/// baresip's INVITE with its SRTP audio offer: about 1 KB, the message every call starts with.
let sipInviteWithSDP: [UInt8] = {
    let sdp =
        "v=0\r\no=- 1827519046 2048394417 IN IP4 127.0.0.3\r\ns=-\r\nc=IN IP4 127.0.0.3\r\nt=0 0\r\n"
        + "m=audio 10002 RTP/SAVP 96 0 8 101\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 stereo=1;sprop-stereo=1\r\n"
        + "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
        + "a=fmtp:101 0-15\r\na=rtcp:10003\r\na=sendrecv\r\na=ptime:20\r\n"
        + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:Y2xXD0Dk1Mg4sRz5UKmVRjLk0iHqmBkbOjxZ/W9D\r\n"
    let head = [
        "INVITE sip:bob@pbx.test;transport=tls SIP/2.0",
        "Via: SIP/2.0/TLS 127.0.0.3:5061;branch=z9hG4bK2c4e8a0f9d1b3c5e;rport",
        "Contact: <sip:alice-0x55d1c3@127.0.0.3:5061;transport=tls>",
        "Max-Forwards: 70",
        "To: <sip:bob@pbx.test>",
        "From: \"Alice\" <sip:alice@pbx.test>;tag=93a1f5c0e2d4b6a8",
        "Call-ID: 7f3e9d1c5b2a4e6f",
        "CSeq: 1024 INVITE",
        "User-Agent: baresip v1.0.0 (x86_64/linux)",
        "Allow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,SUBSCRIBE,INFO,MESSAGE,UPDATE,REFER",
        "Supported: replaces,norefersub,timer",
        "Session-Expires: 1800;refresher=uac",
        "P-Preferred-Identity: \"Alice\" <sip:alice@pbx.test>",
        "Accept: application/sdp",
        "Content-Type: application/sdp",
        "Content-Length: \(sdp.utf8.count)",
    ]
    return Array((head.joined(separator: "\r\n") + "\r\n\r\n" + sdp).utf8)
}()

func sipConfiguration() -> Benchmark.Configuration {
    .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        timeUnits: .microseconds,
        warmupIterations: 3,
        scalingFactor: .one,
        maxDuration: .seconds(2),
        maxIterations: 20_000
    )
}

/// Registers the SIP benchmarks, one iteration per message: parse + serialise of the INVITE unchanged; the same
/// with the edits a proxy makes on the way to the PBX; and the stream path, framing then parsing.
func registerSIPBenchmarks() {
    Benchmark("SIP parse+serialise INVITE with SDP", configuration: sipConfiguration()) { benchmark in
        precondition(sipInviteWithSDP.count >= 950 && sipInviteWithSDP.count <= 1_150)
        for _ in benchmark.scaledIterations {
            let message = try SIPMessage(parsing: sipInviteWithSDP)
            blackHole(message.serialized())
        }
    }

    Benchmark("SIP proxy edits on INVITE", configuration: sipConfiguration()) { benchmark in
        let via = SIPVia(
            transport: "TLS",
            host: "relay.example.com",
            port: 5061,
            parameters: [SIPParameter(name: "branch", value: "z9hG4bK-relay-1"), SIPParameter(name: "rport")]
        )
        let recordRoute = SIPHeader(name: "Record-Route", value: "<sip:relay.example.com:5061;transport=tls;lr>")
        for _ in benchmark.scaledIterations {
            var message = try SIPMessage(parsing: sipInviteWithSDP)
            try message.insertVia(via)
            try message.insertHeader(recordRoute, afterFirst: "Via")
            try message.setMaxForwards((message.maxForwards ?? 70) - 1)
            blackHole(message.serialized())
        }
    }

    Benchmark("SIP frame+parse INVITE from a stream", configuration: sipConfiguration()) { benchmark in
        var framer = SIPStreamFramer()
        for _ in benchmark.scaledIterations {
            for case .message(let bytes) in framer.feed(sipInviteWithSDP) {
                blackHole(try SIPMessage(parsing: bytes))
            }
        }
    }
}
