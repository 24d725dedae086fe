import Benchmark
import SDP

/// A typical audio offer of about 400 bytes, as a softphone sends it: RTP/SAVP, one crypto line.
let sdpAudioOffer =
    "v=0\r\n"
    + "o=- 1376587712 1937466186 IN IP4 192.0.2.20\r\n"
    + "s=-\r\n"
    + "c=IN IP4 192.0.2.20\r\n"
    + "t=0 0\r\n"
    + "m=audio 10000 RTP/SAVP 96 0 8 101\r\n"
    + "b=AS:128\r\n"
    + "a=rtpmap:96 opus/48000/2\r\n"
    + "a=fmtp:96 stereo=1;sprop-stereo=1\r\n"
    + "a=rtpmap:0 PCMU/8000\r\n"
    + "a=rtpmap:8 PCMA/8000\r\n"
    + "a=rtpmap:101 telephone-event/8000\r\n"
    + "a=fmtp:101 0-15\r\n"
    + "a=rtcp-mux\r\n"
    + "a=sendrecv\r\n"
    + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
    + "a=ptime:20\r\n"

func sdpConfiguration() -> Benchmark.Configuration {
    .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        timeUnits: .microseconds,
        warmupIterations: 3,
        scalingFactor: .one,
        maxDuration: .seconds(2),
        maxIterations: 20_000
    )
}

/// Registers the SDP benchmarks: parse + serialise of a typical audio offer, and the Proxy's rewrite of its
/// audio line (relay address and port, Sotto's own crypto line). One iteration is one message.
func registerSDPBenchmarks() {
    Benchmark("SDP parse+serialise audio offer", configuration: sdpConfiguration()) { benchmark in
        precondition(sdpAudioOffer.utf8.count >= 380 && sdpAudioOffer.utf8.count <= 450)
        for _ in benchmark.scaledIterations {
            let parsed = try SDPSessionDescription(parsing: sdpAudioOffer)
            blackHole(parsed.text)
        }
    }

    Benchmark("SDP rewrite audio line", configuration: sdpConfiguration()) { benchmark in
        let key = try SDPCryptoKeyParameter(keySalt: "QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5")
        let crypto = try SDPCryptoAttribute(tag: 1, suite: "AES_CM_128_HMAC_SHA1_80", keyParameters: [key])
        for _ in benchmark.scaledIterations {
            var parsed = try SDPSessionDescription(parsing: sdpAudioOffer)
            try parsed.media[0].setConnection(address: "203.0.113.50", port: 30000)
            parsed.media[0].replaceCryptoAttributes(with: [crypto])
            blackHole(parsed.text)
        }
    }
}
