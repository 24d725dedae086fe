// Offers and answers written the way each kind of peer sends them, for the media policy tests. Addresses are
// from the documentation ranges (RFC 5737, RFC 3849); keys were made up for these tests and are no live key.
enum NegotiationFixtures {
    /// A key and salt for the 128-bit suites (30 octets), base64.
    static let key128 = "gikNGUNc8ytbg7DOVPZwn35y87hXNpdHIcDfSGjX"
    /// Another one, for a second line.
    static let otherKey128 = "GHn1QgBG4BmaWfFrx+W/X2PfamWMygbcIsO7lWo7"
    /// A third one.
    static let thirdKey128 = "fdUcXG2M2lDzRUHJodoQLuBRnKg+Spi9anbyrMM5"
    /// A key and salt for the 256-bit counter-mode suites (46 octets), base64.
    static let key256 = "TTeFz/lympO+JMx8agfnD5Jn/Pxjqu/CIPagR4nj3wXD3zK0yAYpYDck+ymLqQ=="
    /// Another one.
    static let otherKey256 = "I0F+UZuB6AyfpLngiJPL9f43k9Fgfy0E8qUesK1qxBA4ObtGsW0hXhpocxrY1Q=="
    /// 29 octets: one short of a 128-bit suite's key and salt.
    static let shortKey = "eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHg="

    /// baresip 1.0 with `mediaenc=srtp-mand`: RTP/SAVP, one AES_CM_128_HMAC_SHA1_80 line, a session-level c=,
    /// no rtcp-mux, Opus first, CRLF.
    static let baresipOffer =
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
        + "a=sendrecv\r\n"
        + "a=label:1\r\n"
        + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(key128)\r\n"
        + "a=ptime:20\r\n"

    /// A desk phone (Yealink/Snom style): four crypto lines in its own order of preference, G.711 first, a
    /// lifetime on some keys, the media-level c= it repeats.
    static let deskPhoneOffer =
        "v=0\r\n"
        + "o=- 20062 20062 IN IP4 192.0.2.31\r\n"
        + "s=SDP data\r\n"
        + "c=IN IP4 192.0.2.31\r\n"
        + "t=0 0\r\n"
        + "m=audio 11780 RTP/SAVP 0 8 18 9 101\r\n"
        + "c=IN IP4 192.0.2.31\r\n"
        + "a=rtpmap:0 PCMU/8000\r\n"
        + "a=rtpmap:8 PCMA/8000\r\n"
        + "a=rtpmap:18 G729/8000\r\n"
        + "a=fmtp:18 annexb=no\r\n"
        + "a=rtpmap:9 G722/8000\r\n"
        + "a=fmtp:101 0-15\r\n"
        + "a=rtpmap:101 telephone-event/8000\r\n"
        + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(key128)|2^31\r\n"
        + "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:\(otherKey128)|2^31\r\n"
        + "a=crypto:3 AES_256_CM_HMAC_SHA1_80 inline:\(key256)\r\n"
        + "a=crypto:4 AES_256_CM_HMAC_SHA1_32 inline:\(otherKey256)\r\n"
        + "a=ptime:20\r\n"
        + "a=sendrecv\r\n"

    /// What Asterisk (res_srtp, chan_pjsip) answers: bare LF, its session name, a=rtcp (RFC 3605), maxptime.
    /// `TAG`, `SUITE` and `KEY` are filled in by ``answer(tag:suite:key:)``.
    static let asteriskAnswerTemplate =
        "v=0\n"
        + "o=- 1918413590 1918413592 IN IP4 198.51.100.7\n"
        + "s=Asterisk\n"
        + "c=IN IP4 198.51.100.7\n"
        + "t=0 0\n"
        + "m=audio 17228 RTP/SAVP 0 101\n"
        + "a=crypto:TAG SUITE inline:KEY\n"
        + "a=rtpmap:0 PCMU/8000\n"
        + "a=rtpmap:101 telephone-event/8000\n"
        + "a=fmtp:101 0-16\n"
        + "a=ptime:20\n"
        + "a=maxptime:150\n"
        + "a=rtcp:17229\n"
        + "a=sendrecv\n"

    /// The Asterisk answer with one crypto line.
    static func asteriskAnswer(
        tag: Int = 1, suite: String = "AES_CM_128_HMAC_SHA1_80", key: String = otherKey128
    ) -> String {
        asteriskAnswerTemplate.replacing("TAG", with: String(tag), maxReplacements: 1)
            .replacing("SUITE", with: suite, maxReplacements: 1).replacing("KEY", with: key, maxReplacements: 1)
    }

    /// A video softphone: SRTP audio, plain RTP/AVP video. Sotto relays the audio and disables the video.
    static let audioWithPlainVideo =
        "v=0\r\n"
        + "o=alice 2890844526 2890844527 IN IP4 192.0.2.40\r\n"
        + "s=-\r\n"
        + "c=IN IP4 192.0.2.40\r\n"
        + "t=0 0\r\n"
        + "m=audio 5004 RTP/SAVP 0 101\r\n"
        + "a=rtpmap:0 PCMU/8000\r\n"
        + "a=rtpmap:101 telephone-event/8000\r\n"
        + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(key128)\r\n"
        + "m=video 5006 RTP/AVP 96\r\n"
        + "c=IN IP4 192.0.2.41\r\n"
        + "a=rtpmap:96 H264/90000\r\n"
        + "a=fmtp:96 profile-level-id=42e01f\r\n"
        + "a=rtcp:5009\r\n"

    /// The PBX's answer to Sotto's offer for ``audioWithPlainVideo``: audio accepted, the disabled video
    /// answered with port 0 as RFC 3264 §6 asks. `KEY` is the PBX's key.
    static let audioWithRejectedVideoAnswer =
        "v=0\r\n"
        + "o=- 3001 3001 IN IP4 198.51.100.8\r\n"
        + "s=-\r\n"
        + "c=IN IP4 198.51.100.8\r\n"
        + "t=0 0\r\n"
        + "m=audio 20000 RTP/SAVP 0\r\n"
        + "a=rtpmap:0 PCMU/8000\r\n"
        + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:\(thirdKey128)\r\n"
        + "m=video 0 RTP/AVP 96\r\n"

    /// A Linphone-style offer over IPv6 with ICE, rtcp-mux with an a=rtcp fallback, DTLS lines next to SDES
    /// (a peer that offers both), a k= line, and an AEAD suite first. Sotto must strip ICE, DTLS and k=.
    static let ipv6ICEOffer =
        "v=0\r\n"
        + "o=bob 3724 1 IN IP6 2001:db8::20\r\n"
        + "s=Talk\r\n"
        + "c=IN IP6 2001:db8::20\r\n"
        + "t=0 0\r\n"
        + "a=ice-ufrag:Vk3n\r\n"
        + "a=ice-pwd:9cJ2xoH1sd4W0aeLmX2pGf\r\n"
        + "a=ice-options:trickle\r\n"
        + "a=fingerprint:sha-256 6B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1\r\n"
        + "m=audio 7078 RTP/SAVPF 111 0 101\r\n"
        + "k=clear:unsafe\r\n"
        + "a=rtcp:7079 IN IP6 2001:db8::20\r\n"
        + "a=rtcp-mux\r\n"
        + "a=setup:actpass\r\n"
        + "a=rtpmap:111 opus/48000/2\r\n"
        + "a=fmtp:111 useinbandfec=1\r\n"
        + "a=rtpmap:101 telephone-event/48000\r\n"
        + "a=crypto:1 AEAD_AES_256_GCM inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXI=\r\n"
        + "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:\(key128)\r\n"
        + "a=candidate:1 1 UDP 2130706431 2001:db8::20 7078 typ host\r\n"
        + "a=candidate:2 1 UDP 1694498815 2001:db8:ffff::1 45664 typ srflx raddr 2001:db8::20 rport 7078\r\n"
        + "a=end-of-candidates\r\n"
        + "a=rtcp-fb:* ccm fir\r\n"
}
