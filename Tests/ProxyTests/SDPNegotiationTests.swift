import Proxy
import SDP
import SRTP
import Testing

/// Sotto's allow-list in these tests, in its order of preference.
private let sottoAllowList: [SRTPProfile] = [.aesCM128HMACSHA1_80, .aes256CMHMACSHA1_80]
private let relay = "203.0.113.10"

private func parse(_ text: String) throws -> SDPSessionDescription { try SDPSessionDescription(parsing: text) }

private func offerPlan(_ text: String, allowed: [SRTPProfile] = sottoAllowList) throws -> MediaPlan {
    try SDPNegotiation.readOffer(parse(text), allowed: allowed).get()
}

/// A fixed key of Sotto's, so that written text can be compared exactly.
private func sottoKey(_ profile: SRTPProfile, _ byte: UInt8) throws -> SRTPKeyMaterial {
    try SRTPKeyMaterial(
        profile: profile, key: [UInt8](repeating: byte, count: profile.masterKeyLength),
        salt: [UInt8](repeating: byte &+ 1, count: profile.masterSaltLength))
}

/// A peer's key as its `inline:` text gives it.
private func peerKey(_ keySalt: String, _ profile: SRTPProfile) throws -> SRTPKeyMaterial {
    try SRTPKeyMaterial(sdesKeyParameter: "inline:" + keySalt, profile: profile)
}

@Suite("Reading an offer: which streams are relayed, with which key")
struct SDPNegotiationOfferReadingTests {
    @Test("baresip: one active audio stream, session c=, RTCP on RTP + 1, Opus clock, tag 1 and its key")
    func baresip() throws {
        let plan = try offerPlan(NegotiationFixtures.baresipOffer)
        let expected = MediaPlan.Stream(
            index: 0, media: "audio", isActive: true, peerAddress: "192.0.2.20", peerRTPPort: 10000,
            peerSeparateRTCPPort: 10001, peerRTCPAddress: "192.0.2.20", rtcpMux: false, cryptoTag: 1,
            key: try peerKey(NegotiationFixtures.key128, .aesCM128HMACSHA1_80), clockRate: 48000)
        #expect(plan == MediaPlan(streams: [expected]))
        #expect(plan.streams[0].peerRTCPPort == 10001)
        #expect(plan.activeStreams.count == 1)
    }

    @Test(
        "the allow-list is the order of preference among the desk phone's four lines",
        arguments: [
            ([SRTPProfile.aesCM128HMACSHA1_80], 1, NegotiationFixtures.key128 + "|2^31"),
            ([.aes256CMHMACSHA1_80, .aesCM128HMACSHA1_80], 3, NegotiationFixtures.key256),
            ([.aesCM128HMACSHA1_32, .aesCM128HMACSHA1_80], 2, NegotiationFixtures.otherKey128 + "|2^31"),
            ([.aeadAES128GCM, .aes256CMHMACSHA1_32, .aesCM128HMACSHA1_80], 4, NegotiationFixtures.otherKey256),
            (SRTPProfile.allCases, 1, NegotiationFixtures.key128 + "|2^31"),
        ])
    func preference(allowed: [SRTPProfile], tag: Int, keyText: String) throws {
        let stream = try offerPlan(NegotiationFixtures.deskPhoneOffer, allowed: allowed).streams[0]
        #expect(stream.isActive && stream.cryptoTag == tag)
        let profile = try #require(stream.key?.profile)
        #expect(stream.key == (try peerKey(keyText, profile)))
        let phoneSuites: [SRTPProfile] = [
            .aesCM128HMACSHA1_80, .aesCM128HMACSHA1_32, .aes256CMHMACSHA1_80, .aes256CMHMACSHA1_32,
        ]
        #expect(profile == allowed.first { phoneSuites.contains($0) })
        #expect(stream.clockRate == 8000 && stream.peerAddress == "192.0.2.31" && stream.peerRTPPort == 11780)
    }

    @Test("lines of the same suite: the lowest tag wins, whatever the order they come in")
    func lowestTag() throws {
        let offer = NegotiationFixtures.baresipOffer.replacing(
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(NegotiationFixtures.key128)\r\n",
            with: "a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:\(NegotiationFixtures.key128)\r\n"
                + "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:\(NegotiationFixtures.otherKey128)\r\n")
        let stream = try offerPlan(offer).streams[0]
        #expect(stream.cryptoTag == 3)
        #expect(stream.key == (try peerKey(NegotiationFixtures.otherKey128, .aesCM128HMACSHA1_80)))
    }

    @Test("a preferred line with a bad key is passed over for a usable one")
    func preferredButUnusable() throws {
        let allowed: [SRTPProfile] = [.aes256CMHMACSHA1_80, .aesCM128HMACSHA1_80]
        let offer = NegotiationFixtures.deskPhoneOffer.replacing(
            "inline:\(NegotiationFixtures.key256)", with: "inline:\(NegotiationFixtures.key128)")
        let stream = try offerPlan(offer, allowed: allowed).streams[0]
        #expect(stream.cryptoTag == 1 && stream.key?.profile == .aesCM128HMACSHA1_80)
    }

    @Test("SRTP audio with plain video: the audio is relayed, the video disabled with its reason")
    func plainVideoDisabled() throws {
        let plan = try offerPlan(NegotiationFixtures.audioWithPlainVideo)
        #expect(plan.streams.map(\.isActive) == [true, false])
        let video = plan.streams[1]
        #expect(video.disabledReason == "SRTP is required: stream 2 (video) offers RTP/AVP")
        #expect(video.key == nil && video.cryptoTag == nil)
        #expect(video.peerAddress == "192.0.2.41" && video.peerRTCPPort == 5009 && video.clockRate == 90000)
        #expect(plan.streams[0].disabledReason == nil && plan.streams[0].clockRate == 8000)
    }

    @Test("a key with a lifetime and an MKI is accepted for an _80 suite and keeps both")
    func mkiAccepted() throws {
        let offer = NegotiationFixtures.baresipOffer.replacing(
            "inline:\(NegotiationFixtures.key128)", with: "inline:\(NegotiationFixtures.key128)|2^20|1:4")
        let key = try #require(try offerPlan(offer).streams[0].key)
        #expect(key.mki == (try SRTPMasterKeyIdentifier(value: 1, length: 4)))
        #expect(key.lifetime == 1 << 20)
    }

    @Test("IPv6 with ICE and rtcp-mux: the a=rtcp fallback is kept apart from the muxed port")
    func ipv6() throws {
        let stream = try offerPlan(NegotiationFixtures.ipv6ICEOffer).streams[0]
        #expect(stream.isActive && stream.cryptoTag == 2)
        #expect(stream.peerAddress == "2001:db8::20" && stream.peerRTPPort == 7078 && stream.rtcpMux)
        #expect(stream.peerRTCPPort == 7078 && stream.peerSeparateRTCPPort == 7079)
        #expect(stream.rtcpPort(muxAgreed: false) == 7079 && stream.rtcpPort(muxAgreed: true) == 7078)
        #expect(stream.peerRTCPAddress == "2001:db8::20" && stream.clockRate == 48000)
        let gcm = try offerPlan(NegotiationFixtures.ipv6ICEOffer, allowed: [.aeadAES256GCM, .aesCM128HMACSHA1_80])
        #expect(gcm.streams[0].cryptoTag == 1 && gcm.streams[0].key?.profile == .aeadAES256GCM)
    }

    @Test(
        "the clock rate comes from the first format's rtpmap, else the static table, else 8000",
        arguments: [
            ("96", "a=rtpmap:96 opus/48000/2\r\n", UInt32(48000)), ("0", "", 8000), ("9", "", 8000),
            ("6", "", 16000), ("34", "", 90000), ("120", "", 8000), ("96", "a=rtpmap:96 broken/0\r\n", 8000),
        ])
    func clockRate(format: String, rtpmap: String, rate: UInt32) throws {
        let offer =
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
            + "m=audio 4000 RTP/SAVP \(format)\r\n" + rtpmap
            + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(NegotiationFixtures.key128)\r\n"
        #expect(try offerPlan(offer).streams[0].clockRate == rate)
    }
}

@Suite("Refusing an offer: every reason, one sentence, never a key")
struct SDPNegotiationOfferRefusalTests {
    static let baresip = NegotiationFixtures.baresipOffer
    static let cryptoLine = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(NegotiationFixtures.key128)\r\n"

    static func withCrypto(_ line: String) -> String { baresip.replacing(cryptoLine, with: line) }

    static let cases: [(name: String, offer: String, allowed: [SRTPProfile], reason: String)] = [
        (
            "plain RTP/AVP", baresip.replacing("RTP/SAVP", with: "RTP/AVP"), sottoAllowList,
            "SRTP is required: stream 1 (audio) offers RTP/AVP"
        ),
        (
            "DTLS-SRTP", baresip.replacing("RTP/SAVP", with: "UDP/TLS/RTP/SAVPF"), sottoAllowList,
            "SRTP is required: stream 1 (audio) offers UDP/TLS/RTP/SAVPF"
        ),
        (
            "no a=crypto", withCrypto(""), sottoAllowList,
            "SRTP is required: stream 1 (audio) has no a=crypto line"
        ),
        (
            "a suite outside the allow-list",
            withCrypto("a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:\(NegotiationFixtures.key128)\r\n"),
            [.aesCM128HMACSHA1_80],
            "SRTP is required: stream 1 (audio) offers only suites outside the allow-list (AES_CM_128_HMAC_SHA1_32)"
        ),
        (
            "two suites outside the allow-list",
            withCrypto(
                "a=crypto:1 F8_128_HMAC_SHA1_80 inline:\(NegotiationFixtures.key128)\r\n"
                    + "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:\(NegotiationFixtures.key128)\r\n"),
            sottoAllowList,
            "SRTP is required: stream 1 (audio) offers only suites outside the allow-list "
                + "(F8_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32)"
        ),
        (
            "only a=crypto lines that do not parse", withCrypto("a=crypto:one\r\n"), sottoAllowList,
            "SRTP is required: stream 1 (audio) has no a=crypto line that parses"
        ),
        (
            "a key one octet short",
            withCrypto("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(NegotiationFixtures.shortKey)\r\n"),
            sottoAllowList, "SRTP is required: stream 1 (audio) has a key that does not parse"
        ),
        (
            "a key that is not base64", withCrypto("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:@@@@\r\n"),
            sottoAllowList, "SRTP is required: stream 1 (audio) has a key that does not parse"
        ),
        (
            "UNENCRYPTED_SRTP",
            baresip.replacing(cryptoLine, with: cryptoLine.replacing("\r\n", with: " UNENCRYPTED_SRTP\r\n")),
            sottoAllowList,
            "SRTP is required: stream 1 (audio) switches encryption or authentication off (UNENCRYPTED_SRTP)"
        ),
        (
            "UNAUTHENTICATED_SRTP and UNENCRYPTED_SRTCP",
            withCrypto(cryptoLine.replacing("\r\n", with: " KDR=1 UNAUTHENTICATED_SRTP UNENCRYPTED_SRTCP\r\n")),
            sottoAllowList,
            "SRTP is required: stream 1 (audio) switches encryption or authentication off "
                + "(UNAUTHENTICATED_SRTP, UNENCRYPTED_SRTCP)"
        ),
        (
            "several master keys on one line",
            withCrypto(
                "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(NegotiationFixtures.key128)|2^20|1:4;"
                    + "inline:\(NegotiationFixtures.otherKey128)|2^20|2:4\r\n"),
            sottoAllowList,
            "SRTP is required: stream 1 (audio) gives several master keys on one a=crypto line, "
                + "which Sotto does not support"
        ),
        (
            "an MKI with an _32 suite",
            withCrypto("a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:\(NegotiationFixtures.key128)|2^20|1:4\r\n"),
            [.aesCM128HMACSHA1_32],
            "SRTP is required: stream 1 (audio) gives an MKI with AES_CM_128_HMAC_SHA1_32, which Sotto does not support"
        ),
        (
            "no m= line",
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n", sottoAllowList,
            "SRTP is required: the offer has no m= line"
        ),
        (
            "every stream disabled by the offerer", baresip.replacing("m=audio 10000", with: "m=audio 0"),
            sottoAllowList, "the offer has no active stream: every m= line has port 0"
        ),
        (
            "a protocol with quote and backslash", baresip.replacing("RTP/SAVP", with: "RTP/\"AV\\P"),
            sottoAllowList, "SRTP is required: stream 1 (audio) offers RTP/?AV?P"
        ),
        (
            "two unusable streams: the first one's reason",
            NegotiationFixtures.audioWithPlainVideo.replacing("RTP/SAVP", with: "RTP/AVP"), sottoAllowList,
            "SRTP is required: stream 1 (audio) offers RTP/AVP"
        ),
    ]

    @Test("the offer is refused with the sentence for its flaw", arguments: cases)
    func refused(name: String, offer: String, allowed: [SRTPProfile], reason: String) throws {
        let result = SDPNegotiation.readOffer(try parse(offer), allowed: allowed)
        #expect(result == .failure(MediaRefusal(reason)), "\(name)")
        for secret in [NegotiationFixtures.key128, NegotiationFixtures.otherKey128, "inline"] {
            #expect(!reason.contains(secret))
        }
    }

    @Test("a disabled stream's reason is the refusal's, so the two never disagree")
    func disabledReasonMatches() throws {
        let offer = NegotiationFixtures.audioWithPlainVideo.replacing("RTP/SAVP", with: "RTP/AVP")
        let refusal = SDPNegotiation.readOffer(try parse(offer), allowed: sottoAllowList)
        let video = try offerPlan(NegotiationFixtures.audioWithPlainVideo).streams[1]
        #expect(refusal == .failure(MediaRefusal("SRTP is required: stream 1 (audio) offers RTP/AVP")))
        #expect(video.disabledReason?.hasPrefix("SRTP is required: stream 2 (video)") == true)
    }
}

@Suite("Writing the offer Sotto forwards")
struct SDPNegotiationOfferWritingTests {
    @Test("baresip: relay c= and o=, relay port and a=rtcp, Sotto's two crypto lines; every other line as it was")
    func baresip() throws {
        let offer = try parse(NegotiationFixtures.baresipOffer)
        let plan = try offerPlan(NegotiationFixtures.baresipOffer)
        let keys = [try sottoKey(.aesCM128HMACSHA1_80, 0x11), try sottoKey(.aes256CMHMACSHA1_80, 0x22)]
        let written = try SDPNegotiation.writeOffer(
            offer, plan: plan, relayAddress: relay, ports: [RelayPorts(rtp: 30000, rtcp: 30001)], keys: [keys])
        let expected =
            "v=0\r\n"
            + "o=- 1376587712 1937466186 IN IP4 203.0.113.10\r\n"
            + "s=-\r\n"
            + "c=IN IP4 203.0.113.10\r\n"
            + "t=0 0\r\n"
            + "m=audio 30000 RTP/SAVP 96 0 8 101\r\n"
            + "c=IN IP4 203.0.113.10\r\n"
            + "b=AS:128\r\n"
            + "a=rtpmap:96 opus/48000/2\r\n"
            + "a=fmtp:96 stereo=1;sprop-stereo=1\r\n"
            + "a=rtpmap:0 PCMU/8000\r\n"
            + "a=rtpmap:8 PCMA/8000\r\n"
            + "a=rtpmap:101 telephone-event/8000\r\n"
            + "a=fmtp:101 0-15\r\n"
            + "a=sendrecv\r\n"
            + "a=label:1\r\n"
            + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 \(keys[0].sdesKeyParameter)\r\n"
            + "a=crypto:2 AES_256_CM_HMAC_SHA1_80 \(keys[1].sdesKeyParameter)\r\n"
            + "a=ptime:20\r\n"
            + "a=rtcp:30001 IN IP4 203.0.113.10\r\n"
        #expect(written.text == expected)
        #expect(!written.text.contains(NegotiationFixtures.key128) && !written.text.contains("192.0.2.20"))
    }

    @Test("round trip: the written offer, read with Sotto's allow-list, gives Sotto's keys in its preference order")
    func roundTrip() throws {
        let plan = try offerPlan(NegotiationFixtures.deskPhoneOffer)
        let keys = [try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80), try .generate(for: .aes256CMHMACSHA1_80)]
        let written = try SDPNegotiation.writeOffer(
            parse(NegotiationFixtures.deskPhoneOffer), plan: plan, relayAddress: relay,
            ports: [RelayPorts(rtp: 31000, rtcp: 31001)], keys: [keys])
        let again = try parse(written.text)
        #expect(again == written)
        let reread = try SDPNegotiation.readOffer(again, allowed: sottoAllowList).get().streams[0]
        #expect(reread.key == keys[0] && reread.cryptoTag == 1)
        #expect(reread.peerAddress == relay && reread.peerRTPPort == 31000 && reread.peerRTCPPort == 31001)
        let reversed = try SDPNegotiation.readOffer(again, allowed: sottoAllowList.reversed()).get().streams[0]
        #expect(reversed.key == keys[1] && reversed.cryptoTag == 2)
        #expect(again.media[0].cryptoAttributes.map(\.tag) == [1, 2])
    }

    @Test("SRTP audio with plain video: the video goes out with port 0, no a=rtcp, the relay's c=, its proto kept")
    func plainVideo() throws {
        let plan = try offerPlan(NegotiationFixtures.audioWithPlainVideo)
        let key = try sottoKey(.aesCM128HMACSHA1_80, 0x33)
        let written = try SDPNegotiation.writeOffer(
            parse(NegotiationFixtures.audioWithPlainVideo), plan: plan, relayAddress: relay,
            ports: [RelayPorts(rtp: 30010, rtcp: 30011), RelayPorts(rtp: 1)], keys: [[key], []])
        let expected =
            "v=0\r\n"
            + "o=alice 2890844526 2890844527 IN IP4 203.0.113.10\r\n"
            + "s=-\r\n"
            + "c=IN IP4 203.0.113.10\r\n"
            + "t=0 0\r\n"
            + "m=audio 30010 RTP/SAVP 0 101\r\n"
            + "c=IN IP4 203.0.113.10\r\n"
            + "a=rtpmap:0 PCMU/8000\r\n"
            + "a=rtpmap:101 telephone-event/8000\r\n"
            + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 \(key.sdesKeyParameter)\r\n"
            + "a=rtcp:30011 IN IP4 203.0.113.10\r\n"
            + "m=video 0 RTP/AVP 96\r\n"
            + "c=IN IP4 203.0.113.10\r\n"
            + "a=rtpmap:96 H264/90000\r\n"
            + "a=fmtp:96 profile-level-id=42e01f\r\n"
        #expect(written.text == expected)
    }

    @Test("IPv6 with ICE and DTLS lines: IN IP6 relay, ICE, DTLS and k= gone, rtcp-mux kept without a=rtcp")
    func ipv6Stripped() throws {
        let plan = try offerPlan(NegotiationFixtures.ipv6ICEOffer)
        let key = try sottoKey(.aesCM128HMACSHA1_80, 0x44)
        let written = try SDPNegotiation.writeOffer(
            parse(NegotiationFixtures.ipv6ICEOffer), plan: plan, relayAddress: "2001:db8::1",
            ports: [RelayPorts(rtp: 40000)], keys: [[key]])
        let expected =
            "v=0\r\n"
            + "o=bob 3724 1 IN IP6 2001:db8::1\r\n"
            + "s=Talk\r\n"
            + "c=IN IP6 2001:db8::1\r\n"
            + "t=0 0\r\n"
            + "m=audio 40000 RTP/SAVPF 111 0 101\r\n"
            + "c=IN IP6 2001:db8::1\r\n"
            + "a=rtcp-mux\r\n"
            + "a=rtpmap:111 opus/48000/2\r\n"
            + "a=fmtp:111 useinbandfec=1\r\n"
            + "a=rtpmap:101 telephone-event/48000\r\n"
            + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 \(key.sdesKeyParameter)\r\n"
            + "a=rtcp-fb:* ccm fir\r\n"
        #expect(written.text == expected)
    }

    @Test("an IPv4 relay on an IPv6 offer gives IN IP4 in o= and both c= lines")
    func ipv4RelayForIPv6Peer() throws {
        let plan = try offerPlan(NegotiationFixtures.ipv6ICEOffer)
        let written = try SDPNegotiation.writeOffer(
            parse(NegotiationFixtures.ipv6ICEOffer), plan: plan, relayAddress: relay,
            ports: [RelayPorts(rtp: 40000, rtcp: 40001)], keys: [[try sottoKey(.aesCM128HMACSHA1_80, 1)]])
        #expect(written.origin?.addressType == "IP4" && written.origin?.address == relay)
        #expect(written.connection?.value == "IN IP4 203.0.113.10")
        #expect(written.media[0].connections.map(\.value) == ["IN IP4 203.0.113.10"])
        #expect(written.media[0].attributeValues("rtcp") == ["40001 IN IP4 203.0.113.10"])
        #expect(!written.text.contains("2001:db8::20"))
    }

    @Test("a session-level a=crypto, a=fingerprint and k= from the peer never reach the other side")
    func sessionLevelKeysStripped() throws {
        let text = NegotiationFixtures.baresipOffer.replacing(
            "t=0 0\r\n",
            with:
                "t=0 0\r\nk=base64:c2VjcmV0\r\na=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:\(NegotiationFixtures.otherKey128)\r\n"
                + "a=fingerprint:sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB\r\na=setup:actpass\r\n"
        )
        let sdp = try parse(text)
        #expect(sdp.attributeValues("crypto").count == 1 && sdp.sessionLines.contains { $0.type == "k" })
        let written = try SDPNegotiation.writeOffer(
            sdp, plan: try offerPlan(text), relayAddress: relay, ports: [RelayPorts(rtp: 30000)],
            keys: [[try sottoKey(.aesCM128HMACSHA1_80, 5)]])
        for gone in ["k=", "a=fingerprint", "a=setup", NegotiationFixtures.otherKey128, NegotiationFixtures.key128] {
            #expect(!written.text.contains(gone), "\(gone)")
        }
        #expect(written.text.contains("t=0 0\r\nm=audio 30000 RTP/SAVP"))
    }

    @Test(
        "each ICE, DTLS and MIKEY attribute is stripped at session and media level",
        arguments: [
            "candidate", "remote-candidates", "end-of-candidates", "ice-ufrag", "ice-pwd", "ice-options", "ice-lite",
            "ice-mismatch", "ice-pacing", "fingerprint", "setup", "tls-id", "key-mgmt",
        ])
    func stripped(name: String) throws {
        let text =
            NegotiationFixtures.baresipOffer.replacing("t=0 0\r\n", with: "t=0 0\r\na=\(name):session\r\n")
            + "a=\(name):media\r\na=\(name)\r\n"
        let written = try SDPNegotiation.writeOffer(
            parse(text), plan: try offerPlan(text), relayAddress: relay, ports: [RelayPorts(rtp: 30000)],
            keys: [[try sottoKey(.aesCM128HMACSHA1_80, 5)]])
        #expect(!written.text.contains("a=\(name)"))
        #expect(written.text.hasSuffix("a=ptime:20\r\n"))
    }

    @Test("a lower-case savp profile is written in upper case; SAVPF stays SAVPF")
    func profileCase() throws {
        let text = NegotiationFixtures.baresipOffer.replacing("RTP/SAVP", with: "rtp/savpf")
        let written = try SDPNegotiation.writeOffer(
            parse(text), plan: try offerPlan(text), relayAddress: relay, ports: [RelayPorts(rtp: 30000)],
            keys: [[try sottoKey(.aesCM128HMACSHA1_80, 5)]])
        #expect(written.media[0].lines[0].text == "m=audio 30000 RTP/SAVPF 96 0 8 101")
    }

    @Test("a re-offer with the same keys and ports gives the same bytes (RFC 4568 §7.1.4: the context is kept)")
    func reOfferSameKeys() throws {
        let plan = try offerPlan(NegotiationFixtures.baresipOffer)
        let keys = [[try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)]]
        func write() throws -> String {
            try SDPNegotiation.writeOffer(
                parse(NegotiationFixtures.baresipOffer), plan: plan, relayAddress: relay,
                ports: [RelayPorts(rtp: 30000, rtcp: 30001)], keys: keys
            ).text
        }
        let first = try write()
        #expect(try write() == first)
        let fresh = try SDPNegotiation.writeOffer(
            parse(NegotiationFixtures.baresipOffer), plan: plan, relayAddress: relay,
            ports: [RelayPorts(rtp: 30000, rtcp: 30001)], keys: [[try .generate(for: .aesCM128HMACSHA1_80)]])
        #expect(fresh.text != first)
    }

    @Test("arguments that do not fit the offer throw an SDPError, with no partial result")
    func misuse() throws {
        let sdp = try parse(NegotiationFixtures.audioWithPlainVideo)
        let plan = try offerPlan(NegotiationFixtures.audioWithPlainVideo)
        let key = try sottoKey(.aesCM128HMACSHA1_80, 1)
        let ports = [RelayPorts(rtp: 30000), RelayPorts(rtp: 30002)]
        let cases: [(String, [RelayPorts], [[SRTPKeyMaterial]])] = [
            (relay, [RelayPorts(rtp: 30000)], [[key], []]),
            (relay, ports, [[key]]),
            (relay, ports, [[], []]),
            ("bad address", ports, [[key], []]),
            (relay, [RelayPorts(rtp: 0), RelayPorts(rtp: 1)], [[key], []]),
            (relay, [RelayPorts(rtp: 70000), RelayPorts(rtp: 1)], [[key], []]),
            (relay, [RelayPorts(rtp: 30000, rtcp: 70001), RelayPorts(rtp: 1)], [[key], []]),
        ]
        for (address, ports, keys) in cases {
            #expect(throws: SDPError.self) {
                try SDPNegotiation.writeOffer(sdp, plan: plan, relayAddress: address, ports: ports, keys: keys)
            }
        }
        var shuffled = plan
        shuffled.streams.swapAt(0, 1)
        #expect(throws: SDPError.self) {
            try SDPNegotiation.writeOffer(sdp, plan: shuffled, relayAddress: relay, ports: ports, keys: [[key], [key]])
        }
        #expect(throws: Never.self) {
            try SDPNegotiation.writeOffer(sdp, plan: plan, relayAddress: relay, ports: ports, keys: [[key], []])
        }
    }
}

@Suite("Reading the answer to Sotto's offer")
struct SDPNegotiationAnswerReadingTests {
    /// The keys Sotto offered the PBX for the baresip call: tag 1 an _80 key, tag 2 an AES-256 one.
    static func offered() throws -> [[SRTPKeyMaterial]] {
        [[try sottoKey(.aesCM128HMACSHA1_80, 0x11), try sottoKey(.aes256CMHMACSHA1_80, 0x22)]]
    }

    static func read(_ answer: String, offer: String = NegotiationFixtures.baresipOffer) throws -> Result<
        MediaPlan, MediaRefusal
    > {
        SDPNegotiation.readAnswer(try parse(answer), offered: try offered(), offerPlan: try offerPlan(offer))
    }

    @Test("Asterisk accepts tag 1: its address, a=rtcp port, key and clock rate")
    func asterisk() throws {
        let plan = try Self.read(NegotiationFixtures.asteriskAnswer()).get()
        let expected = MediaPlan.Stream(
            index: 0, media: "audio", isActive: true, peerAddress: "198.51.100.7", peerRTPPort: 17228,
            peerSeparateRTCPPort: 17229, rtcpMux: false, cryptoTag: 1,
            key: try peerKey(NegotiationFixtures.otherKey128, .aesCM128HMACSHA1_80), clockRate: 8000)
        #expect(plan == MediaPlan(streams: [expected]))
    }

    @Test("an answer may take any tag Sotto offered, with that tag's suite")
    func secondTag() throws {
        let answer = NegotiationFixtures.asteriskAnswer(
            tag: 2, suite: "AES_256_CM_HMAC_SHA1_80", key: NegotiationFixtures.key256)
        let stream = try Self.read(answer).get().streams[0]
        let expected = try peerKey(NegotiationFixtures.key256, .aes256CMHMACSHA1_80)
        #expect(stream.cryptoTag == 2 && stream.key == expected)
    }

    static let twoLines =
        NegotiationFixtures.asteriskAnswer().replacing(
            "a=rtpmap:0", with: "a=crypto:2 AES_256_CM_HMAC_SHA1_80 inline:\(NegotiationFixtures.key256)\na=rtpmap:0")

    static let cases: [(name: String, answer: String, reason: String)] = [
        (
            "a tag that was not offered", NegotiationFixtures.asteriskAnswer(tag: 7),
            "SRTP is required: the answer's stream 1 (audio) answers crypto tag 7, which was not offered"
        ),
        (
            "tag 0", NegotiationFixtures.asteriskAnswer(tag: 0),
            "SRTP is required: the answer's stream 1 (audio) answers crypto tag 0, which was not offered"
        ),
        (
            "the wrong suite for the tag",
            NegotiationFixtures.asteriskAnswer(
                tag: 1, suite: "AES_256_CM_HMAC_SHA1_80", key: NegotiationFixtures.key256),
            "SRTP is required: the answer's stream 1 (audio) answers crypto tag 1 with AES_256_CM_HMAC_SHA1_80, "
                + "but it was offered with AES_CM_128_HMAC_SHA1_80"
        ),
        (
            "two crypto lines", twoLines,
            "SRTP is required: the answer's stream 1 (audio) has 2 a=crypto lines, where an answer has exactly one"
        ),
        (
            "a plain answer",
            NegotiationFixtures.asteriskAnswer().replacing("RTP/SAVP", with: "RTP/AVP").replacing(
                "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(NegotiationFixtures.otherKey128)\n", with: ""),
            "SRTP is required: the answer's stream 1 (audio) answers RTP/AVP"
        ),
        (
            "RTP/SAVP without a=crypto",
            NegotiationFixtures.asteriskAnswer().replacing(
                "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(NegotiationFixtures.otherKey128)\n", with: ""),
            "SRTP is required: the answer's stream 1 (audio) has no a=crypto line"
        ),
        (
            "an a=crypto line that does not parse", NegotiationFixtures.asteriskAnswer(key: "@@@"),
            "SRTP is required: the answer's stream 1 (audio) has an a=crypto line that does not parse"
        ),
        (
            "a key one octet short", NegotiationFixtures.asteriskAnswer(key: NegotiationFixtures.shortKey),
            "SRTP is required: the answer's stream 1 (audio) has a key that does not parse"
        ),
        (
            "UNENCRYPTED_SRTP",
            NegotiationFixtures.asteriskAnswer(key: NegotiationFixtures.otherKey128 + " UNENCRYPTED_SRTP"),
            "SRTP is required: the answer's stream 1 (audio) switches encryption or authentication off "
                + "(UNENCRYPTED_SRTP)"
        ),
        (
            "several master keys",
            NegotiationFixtures.asteriskAnswer(
                key: NegotiationFixtures.otherKey128 + "|2^20|1:1;inline:\(NegotiationFixtures.key128)|2^20|2:1"),
            "SRTP is required: the answer's stream 1 (audio) gives several master keys on one a=crypto line, "
                + "which Sotto does not support"
        ),
        (
            "one m= line more than the offer",
            NegotiationFixtures.asteriskAnswer() + "m=video 0 RTP/SAVP 96\n",
            "the answer has 2 m= lines but the offer had 1 (RFC 3264 §6)"
        ),
        (
            "every stream rejected", NegotiationFixtures.asteriskAnswer().replacing("m=audio 17228", with: "m=audio 0"),
            "the answer rejects every stream Sotto offered"
        ),
    ]

    @Test("the answer is refused with the sentence for its flaw", arguments: cases)
    func refused(name: String, answer: String, reason: String) throws {
        #expect(try Self.read(answer) == .failure(MediaRefusal(reason)), "\(name)")
        #expect(!reason.contains(NegotiationFixtures.otherKey128) && !reason.contains("inline"))
    }

    @Test("an answer that revives a stream Sotto disabled is refused; one that keeps it at port 0 is read")
    func disabledStream() throws {
        let offer = NegotiationFixtures.audioWithPlainVideo
        let plan = try offerPlan(offer)
        let offered = [[try sottoKey(.aesCM128HMACSHA1_80, 0x11)], []]
        let good = try parse(NegotiationFixtures.audioWithRejectedVideoAnswer)
        let read = try SDPNegotiation.readAnswer(good, offered: offered, offerPlan: plan).get()
        #expect(read.streams.map(\.isActive) == [true, false] && read.streams[1].disabledReason == nil)
        #expect(read.streams[0].key == (try peerKey(NegotiationFixtures.thirdKey128, .aesCM128HMACSHA1_80)))

        let revived = try parse(
            NegotiationFixtures.audioWithRejectedVideoAnswer.replacing("m=video 0", with: "m=video 20002"))
        #expect(
            SDPNegotiation.readAnswer(revived, offered: offered, offerPlan: plan)
                == .failure(
                    MediaRefusal("the answer's stream 2 (video) has a port, but Sotto's offer disabled that stream")))
    }

    @Test("an answerer may reject one of two active streams; the other carries the call")
    func oneOfTwoRejected() throws {
        let offer =
            NegotiationFixtures.audioWithPlainVideo.replacing("RTP/AVP 96", with: "RTP/SAVP 96")
            + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(NegotiationFixtures.key128)\r\n"
        let plan = try offerPlan(offer)
        #expect(plan.streams.map(\.isActive) == [true, true])
        let offered = [[try sottoKey(.aesCM128HMACSHA1_80, 1)], [try sottoKey(.aesCM128HMACSHA1_80, 2)]]
        let answer = try SDPNegotiation.readAnswer(
            parse(NegotiationFixtures.audioWithRejectedVideoAnswer.replacing("RTP/AVP", with: "RTP/SAVP")),
            offered: offered, offerPlan: plan
        ).get()
        #expect(answer.streams.map(\.isActive) == [true, false])
        #expect(answer.streams[1].disabledReason == "the answer's stream 2 (video) is rejected with port 0")
    }

    @Test("rtcp-mux counts only when offered and answered (RFC 5761 §5.1.1)", arguments: [true, false])
    func rtcpMux(offerHasMux: Bool) throws {
        let offer = NegotiationFixtures.baresipOffer.replacing(
            "a=sendrecv\r\n", with: offerHasMux ? "a=sendrecv\r\na=rtcp-mux\r\n" : "a=sendrecv\r\n")
        let answer = NegotiationFixtures.asteriskAnswer().replacing("a=sendrecv\n", with: "a=sendrecv\na=rtcp-mux\n")
        let stream = try Self.read(answer, offer: offer).get().streams[0]
        #expect(stream.rtcpMux == offerHasMux)
        #expect(stream.peerRTCPPort == (offerHasMux ? 17228 : 17229))
    }

    @Test("keys for the wrong number of streams are refused, not trapped on")
    func offeredMismatch() throws {
        let answer = try parse(NegotiationFixtures.asteriskAnswer())
        let plan = try offerPlan(NegotiationFixtures.baresipOffer)
        #expect(
            SDPNegotiation.readAnswer(answer, offered: [], offerPlan: plan)
                == .failure(MediaRefusal("Sotto's offer kept keys for 0 of its 1 streams")))
        #expect(
            SDPNegotiation.readAnswer(answer, offered: [[]], offerPlan: plan)
                == .failure(
                    MediaRefusal(
                        "SRTP is required: the answer's stream 1 (audio) answers crypto tag 1, which was not offered")))
    }
}

@Suite("Writing the answer Sotto forwards to the offerer")
struct SDPNegotiationAnswerWritingTests {
    @Test("Asterisk's answer to baresip: relay address and ports, Sotto's key under baresip's tag, LF kept")
    func asteriskToBaresip() throws {
        let offerPlan = try offerPlan(NegotiationFixtures.baresipOffer)
        let answer = try parse(NegotiationFixtures.asteriskAnswer())
        let sottoOffered = [[try sottoKey(.aesCM128HMACSHA1_80, 0x11)]]
        let answerPlan = try SDPNegotiation.readAnswer(answer, offered: sottoOffered, offerPlan: offerPlan).get()
        let keyA = try sottoKey(.aesCM128HMACSHA1_80, 0x55)
        let written = try SDPNegotiation.writeAnswer(
            answer, answerPlan: answerPlan, offerPlan: offerPlan, relayAddress: relay,
            ports: [RelayPorts(rtp: 30002, rtcp: 30003)], keys: [keyA])
        let expected =
            "v=0\n"
            + "o=- 1918413590 1918413592 IN IP4 203.0.113.10\n"
            + "s=Asterisk\n"
            + "c=IN IP4 203.0.113.10\n"
            + "t=0 0\n"
            + "m=audio 30002 RTP/SAVP 0 101\n"
            + "c=IN IP4 203.0.113.10\n"
            + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 \(keyA.sdesKeyParameter)\n"
            + "a=rtpmap:0 PCMU/8000\n"
            + "a=rtpmap:101 telephone-event/8000\n"
            + "a=fmtp:101 0-16\n"
            + "a=ptime:20\n"
            + "a=maxptime:150\n"
            + "a=rtcp:30003 IN IP4 203.0.113.10\n"
            + "a=sendrecv\n"
        #expect(written.text == expected)

        // baresip's view: the answer accepts its tag 1 with its suite, and carries Sotto's key.
        let asSeen = SDPNegotiation.readAnswer(
            try parse(written.text), offered: [[try peerKey(NegotiationFixtures.key128, .aesCM128HMACSHA1_80)]],
            offerPlan: offerPlan)
        #expect(try asSeen.get().streams[0].key == keyA)
        #expect(try asSeen.get().streams[0].peerRTPPort == 30002)
    }

    @Test("each leg keeps its own suite: the desk phone chose AES-256 (tag 3), the PBX answered the _80 line")
    func suitePerLeg() throws {
        let allowed: [SRTPProfile] = [.aes256CMHMACSHA1_80, .aesCM128HMACSHA1_80]
        let offerPlan = try offerPlan(NegotiationFixtures.deskPhoneOffer, allowed: allowed)
        #expect(offerPlan.streams[0].cryptoTag == 3)
        let sottoOffered = [[try sottoKey(.aesCM128HMACSHA1_80, 1), try sottoKey(.aes256CMHMACSHA1_80, 2)]]
        let answer = try parse(NegotiationFixtures.asteriskAnswer())
        let answerPlan = try SDPNegotiation.readAnswer(answer, offered: sottoOffered, offerPlan: offerPlan).get()
        let keyA = try SRTPKeyMaterial.generate(for: .aes256CMHMACSHA1_80)
        let written = try SDPNegotiation.writeAnswer(
            answer, answerPlan: answerPlan, offerPlan: offerPlan, relayAddress: relay,
            ports: [RelayPorts(rtp: 30004, rtcp: 30005)], keys: [keyA])
        let line = "3 AES_256_CM_HMAC_SHA1_80 " + keyA.sdesKeyParameter
        #expect(written.media[0].attributeValues("crypto").map(String.init) == [line])
        let phoneKeys = try [
            peerKey(NegotiationFixtures.key128 + "|2^31", .aesCM128HMACSHA1_80),
            peerKey(NegotiationFixtures.otherKey128 + "|2^31", .aesCM128HMACSHA1_32),
            peerKey(NegotiationFixtures.key256, .aes256CMHMACSHA1_80),
            peerKey(NegotiationFixtures.otherKey256, .aes256CMHMACSHA1_32),
        ]
        let asSeen = try SDPNegotiation.readAnswer(parse(written.text), offered: [phoneKeys], offerPlan: offerPlan)
            .get()
        #expect(asSeen.streams[0].cryptoTag == 3 && asSeen.streams[0].key == keyA)
    }

    @Test("streams inactive in either plan go back with port 0 and no crypto")
    func inactiveStreams() throws {
        let offer = NegotiationFixtures.audioWithPlainVideo
        let plan = try offerPlan(offer)
        let answer = try parse(NegotiationFixtures.audioWithRejectedVideoAnswer)
        let answerPlan = try SDPNegotiation.readAnswer(
            answer, offered: [[try sottoKey(.aesCM128HMACSHA1_80, 1)], []], offerPlan: plan
        ).get()
        let keyA = try sottoKey(.aesCM128HMACSHA1_80, 9)
        let written = try SDPNegotiation.writeAnswer(
            answer, answerPlan: answerPlan, offerPlan: plan, relayAddress: relay,
            ports: [RelayPorts(rtp: 30006, rtcp: 30007), RelayPorts(rtp: 0)], keys: [keyA, nil])
        #expect(written.media[1].lines.map(\.text) == ["m=video 0 RTP/AVP 96"])
        #expect(
            written.media[0].lines.map(\.text).contains("a=crypto:1 AES_CM_128_HMAC_SHA1_80 " + keyA.sdesKeyParameter))
        #expect(!written.text.contains(NegotiationFixtures.thirdKey128) && !written.text.contains("198.51.100.8"))

        // The PBX rejecting an active stream: it goes back to the offerer with port 0 and no key.
        let twoActive =
            offer.replacing("RTP/AVP 96", with: "RTP/SAVP 96")
            + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(NegotiationFixtures.key128)\r\n"
        let twoPlan = try offerPlan(twoActive)
        let rejecting = try parse(
            NegotiationFixtures.audioWithRejectedVideoAnswer.replacing("RTP/AVP", with: "RTP/SAVP"))
        let rejectingPlan = try SDPNegotiation.readAnswer(
            rejecting, offered: [[try sottoKey(.aesCM128HMACSHA1_80, 1)], [try sottoKey(.aesCM128HMACSHA1_80, 2)]],
            offerPlan: twoPlan
        ).get()
        let back = try SDPNegotiation.writeAnswer(
            rejecting, answerPlan: rejectingPlan, offerPlan: twoPlan, relayAddress: relay,
            ports: [RelayPorts(rtp: 30006), RelayPorts(rtp: 30008)], keys: [keyA, keyA])
        #expect(back.media[1].port == 0 && back.media[1].cryptoAttributes.isEmpty)
        #expect(back.media[0].port == 30006 && back.media[0].cryptoAttributes.count == 1)
    }

    @Test("rtcp-mux goes back to the offerer only when the offerer offered it", arguments: [true, false])
    func rtcpMuxForwarded(offerHasMux: Bool) throws {
        let offer = NegotiationFixtures.baresipOffer.replacing(
            "a=sendrecv\r\n", with: offerHasMux ? "a=sendrecv\r\na=rtcp-mux\r\n" : "a=sendrecv\r\n")
        let offerPlan = try offerPlan(offer)
        let answer = try parse(
            NegotiationFixtures.asteriskAnswer().replacing("a=sendrecv\n", with: "a=rtcp-mux\na=sendrecv\n"))
        let answerPlan = try SDPNegotiation.readAnswer(
            answer, offered: [[try sottoKey(.aesCM128HMACSHA1_80, 1)]], offerPlan: offerPlan
        ).get()
        let written = try SDPNegotiation.writeAnswer(
            answer, answerPlan: answerPlan, offerPlan: offerPlan, relayAddress: relay,
            ports: [RelayPorts(rtp: 30002)], keys: [try sottoKey(.aesCM128HMACSHA1_80, 2)])
        #expect(written.media[0].rtcpMux == offerHasMux)
        #expect(written.text.hasSuffix(offerHasMux ? "a=rtcp-mux\na=sendrecv\n" : "a=maxptime:150\na=sendrecv\n"))
    }

    @Test("a key for the wrong suite, a missing key or a count that does not fit throws")
    func misuse() throws {
        let offerPlan = try offerPlan(NegotiationFixtures.baresipOffer)
        let answer = try parse(NegotiationFixtures.asteriskAnswer())
        let answerPlan = try SDPNegotiation.readAnswer(
            answer, offered: [[try sottoKey(.aesCM128HMACSHA1_80, 1)]], offerPlan: offerPlan
        ).get()
        let ports = [RelayPorts(rtp: 30002)]
        let wrongSuite = try sottoKey(.aes256CMHMACSHA1_80, 3)
        let cases: [([RelayPorts], [SRTPKeyMaterial?])] = [
            (ports, [wrongSuite]), (ports, [nil]), ([], [try sottoKey(.aesCM128HMACSHA1_80, 3)]),
            (ports, []),
        ]
        for (ports, keys) in cases {
            #expect(throws: SDPError.self) {
                try SDPNegotiation.writeAnswer(
                    answer, answerPlan: answerPlan, offerPlan: offerPlan, relayAddress: relay, ports: ports,
                    keys: keys)
            }
        }
        do {
            _ = try SDPNegotiation.writeAnswer(
                answer, answerPlan: answerPlan, offerPlan: offerPlan, relayAddress: relay, ports: ports,
                keys: [wrongSuite])
            Issue.record("a key for the wrong suite was written")
        } catch {
            #expect(error.reason.contains("AES_256_CM_HMAC_SHA1_80") && !error.reason.contains("inline"))
        }
    }
}
