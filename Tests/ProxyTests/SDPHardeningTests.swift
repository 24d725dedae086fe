// SDP that reaches the other side (docs/media-policy.md, "What passes", "Peer addresses"): only attributes Sotto
// understands are forwarded, a peer may not aim media at an address Sotto refuses, and a peer may not give back
// Sotto's own key.
import SDP
import SIP
import SRTP
import Testing

@testable import Proxy

@Suite struct SDPHardeningTests {
    /// Lines Sotto does not understand, each of which once passed verbatim: each must not come out, at session or
    /// media level. `KEY` is replaced with the sender's own key parameter.
    static let forbidden: [String] = [
        "a=acap:1 crypto:1 AES_CM_128_HMAC_SHA1_80 KEY",
        "a=tcap:1 RTP/SAVPF RTP/SAVP",
        "a=pcfg:1 t=1 a=1",
        "a=Crypto:2 AES_CM_128_HMAC_SHA1_80 KEY",
        "a=alt:1 1 : e2br+9PL Pmd/j 203.0.113.99 40000",
        "a=x-vendor-key:KEY",
        "a=X-nat:0",
        "a=ssrc:1859426331 cname:agent7@10.20.30.40",
        "a=mid:audio0",
        "a=extmap:1 urn:ietf:params:rtp-hdrext:encrypt urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=candidate:1 1 UDP 2130706431 10.20.30.40 7078 typ host",
        "a=fingerprint:sha-256 6B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1",
        "a=key-mgmt:mikey AQAFgM0XflABAAAAAAAAAAAAAAsAyONQ6gAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ]

    /// An offer (or answer) with the forbidden `line` in the session part and in the media section, free text
    /// lines that carry the key, and the attributes that must pass.
    static func body(key: SRTPKeyMaterial, address: String, port: Int, line: String) -> String {
        let forbidden = line.replacing("KEY", with: key.sdesKeyParameter)
        return SIPText.sdp(
            """
            v=0
            o=- 1376587712 1937466186 IN IP4 \(address)
            s=-
            i=the key is \(key.sdesKeyParameter)
            u=http://example.com/\(key.sdesKeyParameter.dropFirst(7))
            e=agent7@example.com
            p=+1 617 555-6011
            c=IN IP4 \(address)
            t=0 0
            a=group:BUNDLE audio0
            \(forbidden)
            a=sendrecv
            m=audio \(port) RTP/SAVP 0 101
            i=stream key \(key.sdesKeyParameter)
            a=rtpmap:0 PCMU/8000
            a=rtpmap:101 telephone-event/8000
            a=fmtp:101 0-15
            \(forbidden)
            a=label:1
            a=crypto:1 \(key.profile.rawValue) \(key.sdesKeyParameter)
            a=ptime:20
            a=maxptime:140
            """)
    }

    /// What must come out of a forwarded body that was built by ``body(key:address:port:line:)``.
    static func checkClean(_ forwarded: SIPMessage, peerKey: SRTPKeyMaterial, line: String) throws {
        let text = String(decoding: forwarded.body, as: UTF8.self)
        let name = String(line.prefix { $0 != ":" })
        #expect(!text.contains(name + ":"), "\(name) was forwarded")
        #expect(!text.contains(String(peerKey.sdesKeyParameter.dropFirst(7))), "the peer's key was forwarded")
        #expect(!text.contains("a=group") && !text.contains("\ni=") && !text.contains("\nu="))
        #expect(!text.contains("\ne=") && !text.contains("\np="))
        for kept in ["a=rtpmap:0 PCMU/8000", "a=fmtp:101 0-15", "a=label:1", "a=ptime:20", "a=maxptime:140"] {
            #expect(text.contains(kept + "\r\n"), "\(kept) was removed")
        }
        #expect(try forwarded.sdp().direction == .sendrecv)
    }

    @Test(arguments: forbidden)
    func anAttributeSottoDoesNotUnderstandDoesNotReachThePBX(_ line: String) throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: Self.body(key: alice.key, address: "127.0.0.1", port: 10000, line: line)))
        let invite = try h.forwardedINVITE()
        try Self.checkClean(invite, peerKey: alice.key, line: line)
        #expect(try invite.cryptoSuites() == ["1 AES_CM_128_HMAC_SHA1_80", "2 AES_CM_128_HMAC_SHA1_32"])
    }

    @Test(arguments: forbidden)
    func anAttributeSottoDoesNotUnderstandDoesNotReachThePhone(_ line: String) throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        let pbxKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        let answer = Self.body(key: pbxKey, address: "192.0.2.10", port: 20000, line: line)
        h.fromPBX(PBX.response(to: invite, 200, "OK", sdp: answer))
        let ok = try h.expect(h.take(), ["a: 200 OK"])[0].message
        try Self.checkClean(ok, peerKey: pbxKey, line: line)
        #expect(try ok.cryptoSuites() == ["1 AES_CM_128_HMAC_SHA1_80"])
    }

    // MARK: Peer addresses

    /// A harness whose relay has a public media address, so loopback is not its scope.
    static func publicRelay(_ networks: [String] = []) throws -> ProxyHarness {
        try ProxyHarness { configuration in
            configuration.mediaAddress = "192.0.2.1"
            configuration.mediaPorts = 30000...39999
            configuration.allowedPeerNetworks = networks
        }
    }

    /// An offer with `c=` naming `address`, RTP on `port`, and `rtcp` as an extra line.
    static func offer(_ alice: AliceCall, address: String, port: Int = 10000, rtcp: String = "") -> String {
        let type = address.contains(":") ? "IP6" : "IP4"
        return SIPText.sdp(
            """
            v=0
            o=- 1376587712 1937466186 IN IP4 192.0.2.99
            s=-
            c=IN \(type) \(address)
            t=0 0
            m=audio \(port) RTP/SAVP 0
            a=rtpmap:0 PCMU/8000\(rtcp.isEmpty ? "" : "\n" + rtcp)
            a=crypto:1 AES_CM_128_HMAC_SHA1_80 \(alice.key.sdesKeyParameter)
            """)
    }

    static let refused: [(address: String, port: Int, rtcp: String, why: String)] = [
        ("127.0.0.1", 10000, "", "is a loopback address"),
        ("127.9.9.9", 10000, "", "is a loopback address"),
        ("::1", 10000, "", "is a loopback address"),
        ("::ffff:127.0.0.1", 10000, "", "is a loopback address"),
        ("224.2.1.1/127", 10000, "", "is a multicast address (with a TTL or count)"),
        ("239.1.1.1", 10000, "", "is a multicast address"),
        ("ff02::1", 10000, "", "is a multicast address"),
        ("255.255.255.255", 10000, "", "is a broadcast address"),
        ("169.254.10.1", 10000, "", "is a link-local address"),
        ("fe80::1", 10000, "", "is a link-local address"),
        ("0.1.2.3", 10000, "", "is an unspecified address (0.0.0.0/8)"),
        ("192.0.2.1", 5353, "", "is Sotto's own address, on a port outside its media ports"),
        ("198.51.100.7", 10000, "a=rtcp:10001 IN IP4 127.0.0.1", "is a loopback address"),
    ]

    @Test(arguments: refused.indices)
    func anOfferNamingARefusedMediaAddressGets488(_ index: Int) throws {
        let (address, port, rtcp, why) = Self.refused[index]
        let h = try Self.publicRelay()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: Self.offer(alice, address: address, port: port, rtcp: rtcp)))
        let out = try h.expect(h.take(), ["a: 488 Not Acceptable Here"])
        let warning = try #require(out[0].message.firstValue(of: "Warning"))
        #expect(warning.hasPrefix(#"399 127.0.0.1 "the offer's stream 1 (audio) names media address "#))
        #expect(warning.hasSuffix(#"which \#(why)""#), "\(warning)")
        #expect(h.media.snapshot().isEmpty, "nothing is allocated for a refused address")
        #expect(h.proxy.callCount == 0)
    }

    @Test func anAnswerNamingARefusedMediaAddressEndsTheCallBothWays() throws {
        let h = try Self.publicRelay()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: Self.offer(alice, address: "198.51.100.7")))
        let invite = try h.forwardedINVITE()
        let answer = PBX.answer(key: try .generate(for: .aesCM128HMACSHA1_80))
            .replacing("c=IN IP4 192.0.2.10", with: "c=IN IP4 127.0.0.1")
        h.fromPBX(PBX.response(to: invite, 200, "OK", sdp: answer))
        let warning = try Self.endedBothWays(h)
        #expect(
            warning
                == #"399 127.0.0.1 "the answer's stream 1 (audio) names media address 127.0.0.1, which is a loopback address""#
        )
        #expect(h.proxy.callCount == 0)
    }

    @Test func theOldHoldAddressIsAcceptedAndGivesNoDestination() throws {
        let h = try Self.publicRelay()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: Self.offer(alice, address: "0.0.0.0")))
        let forwarded = try h.forwardedINVITE()
        let pbxKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        h.fromPBX(PBX.response(to: forwarded, 200, "OK", sdp: PBX.answer(key: pbxKey)))
        try h.expect(h.take(), ["a: 200 OK"])
        #expect(h.media.leg(side: .a)?.declaredRTP == nil, "c=0.0.0.0 is hold: nothing is sent there")
        #expect(h.media.leg(side: .b)?.declaredRTP?.description == "192.0.2.10:20000")
    }

    @Test func theAllowListDecidesWhichNetworksAPeerMayName() {
        let own = "192.0.2.1"
        let only10 = SDPNegotiation.PeerPolicy(mediaAddress: own, allowedNetworks: ["10.0.0.0/8"])
        #expect(only10.refusal("10.1.2.3", port: 4000) == nil)
        #expect(only10.refusal("203.0.113.5", port: 4000) == "is outside media.allowed_peer_networks")
        let everything = SDPNegotiation.PeerPolicy(mediaAddress: own, allowedNetworks: ["0.0.0.0/0", "::/0"])
        #expect(everything.refusal("203.0.113.5", port: 4000) == nil)
        #expect(everything.refusal("127.0.0.1", port: 4000) == "is a loopback address", "0.0.0.0/0 is not loopback")
        let lab = SDPNegotiation.PeerPolicy(mediaAddress: own, allowedNetworks: ["0.0.0.0/0", "127.0.0.0/8"])
        #expect(lab.refusal("127.0.0.1", port: 4000) == nil, "naming loopback admits it")
        let relay = SDPNegotiation.PeerPolicy(mediaAddress: own, ownPorts: 30000...30099)
        #expect(relay.refusal(own, port: 30050) == nil, "the hairpin of a call between two agents through the PBX")
        #expect(relay.refusal(own, port: 53) == "is Sotto's own address, on a port outside its media ports")
        let colocated = SDPNegotiation.PeerPolicy(
            mediaAddress: own, ownPorts: 30000...30099, allowedNetworks: ["0.0.0.0/0", "192.0.2.1/32"])
        #expect(colocated.refusal(own, port: 10000) == nil, "a PBX on Sotto's own address, listed by that address")
        let loopbackRelay = SDPNegotiation.PeerPolicy(mediaAddress: "127.0.0.1", ownPorts: 30000...30099)
        #expect(loopbackRelay.refusal("127.0.0.1", port: 10000) == nil, "a relay on loopback reaches loopback peers")
        #expect(loopbackRelay.refusal("pbx.example.com", port: 4000) == nil, "a name is never sent to before latching")
    }

    /// Requires what a refused 200 gives: ACK and BYE to the PBX, 488 to Alice; returns the 488's Warning.
    static func endedBothWays(_ h: ProxyHarness) throws -> String? {
        let out = try h.expect(
            h.take(),
            [
                "pbx: ACK sip:bob@192.0.2.10:5061;transport=tls", "pbx: BYE sip:bob@192.0.2.10:5061;transport=tls",
                "a: 488 Not Acceptable Here",
            ])
        return out[2].message.firstValue(of: "Warning")
    }

    // MARK: Keys

    @Test func anAnswerThatGivesBackSottosOfferedKeyIsRefused() throws {
        let h = try ProxyHarness()
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let invite = try h.forwardedINVITE()
        let offered = try #require(try invite.inlineKeys().first)
        let echo = PBX.answer(
            key: try .generate(for: .aesCM128HMACSHA1_80), crypto: "a=crypto:1 AES_CM_128_HMAC_SHA1_80 \(offered)")
        h.fromPBX(PBX.response(to: invite, 200, "OK", sdp: echo))
        let warning = try Self.endedBothWays(h)
        #expect(
            warning
                == #"399 127.0.0.1 "SRTP is required: the answer's stream 1 (audio) gives back the key Sotto offered""#)
    }

    @Test func aReOfferThatGivesBackSottosKeyIsRefused() throws {
        let h = try ProxyHarness()
        var call = try EstablishedCall(h)
        let sottos = try #require(try call.okToAlice.inlineKeys().first)
        call.alice.cseq += 1
        let offer = call.alice.offer(crypto: "a=crypto:1 AES_CM_128_HMAC_SHA1_80 \(sottos)")
        h.fromA(call.alice.invite(branch: "z9hG4bK5c2e8a1f04d36b97", sdp: offer))
        let out = try h.expect(h.take(), ["a: 488 Not Acceptable Here"])
        #expect(
            out[0].message.firstValue(of: "Warning")
                == #"399 127.0.0.1 "the offer's stream 1 (audio) gives back Sotto's own key""#)
        #expect(h.proxy.callCount == 1, "the call goes on with the media it had")
    }
}
