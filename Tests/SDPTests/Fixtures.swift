// Realistic offers and answers, written the way each kind of peer sends them. Keys are from RFC 4568 or made
// up for the test; none is a live key.
enum Fixtures {
    /// A baresip offer (mediaenc=srtp-mand): RTP/SAVP, one AES_CM_128_HMAC_SHA1_80 line, CRLF.
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
        + "a=rtcp-mux\r\n"
        + "a=sendrecv\r\n"
        + "a=label:1\r\n"
        + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
        + "a=ptime:20\r\n"

    /// An Asterisk-like answer: bare LF line breaks, a=rtcp (RFC 3605), maxptime, the session name it sends.
    static let asteriskAnswer =
        "v=0\n"
        + "o=- 1918413590 1918413592 IN IP4 198.51.100.7\n"
        + "s=Asterisk\n"
        + "c=IN IP4 198.51.100.7\n"
        + "t=0 0\n"
        + "m=audio 17228 RTP/SAVP 0 101\n"
        + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj\n"
        + "a=rtpmap:0 PCMU/8000\n"
        + "a=rtpmap:101 telephone-event/8000\n"
        + "a=fmtp:101 0-16\n"
        + "a=ptime:20\n"
        + "a=maxptime:150\n"
        + "a=rtcp:17229\n"
        + "a=sendrecv\n"

    /// A WebRTC-ish offer: IPv6, RTP/SAVPF, many attributes, two crypto lines, bundle, a disabled video line.
    static let webRTCOffer =
        "v=0\r\n"
        + "o=- 4611731400430051336 2 IN IP6 2001:db8::10\r\n"
        + "s=-\r\n"
        + "t=0 0\r\n"
        + "a=group:BUNDLE 0 1\r\n"
        + "a=extmap-allow-mixed\r\n"
        + "a=msid-semantic: WMS stream0\r\n"
        + "m=audio 50000 RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
        + "c=IN IP6 2001:db8::10\r\n"
        + "b=TIAS:64000\r\n"
        + "a=rtcp:50001 IN IP6 2001:db8::10\r\n"
        + "a=candidate:1 1 udp 2122260223 2001:db8::10 50000 typ host generation 0\r\n"
        + "a=ice-ufrag:8hhY\r\n"
        + "a=ice-pwd:asd88fgpdd777uzjYhagZg\r\n"
        + "a=mid:0\r\n"
        + "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
        + "a=sendrecv\r\n"
        + "a=msid:stream0 track0\r\n"
        + "a=rtcp-mux\r\n"
        + "a=rtcp-rsize\r\n"
        + "a=rtpmap:111 opus/48000/2\r\n"
        + "a=rtcp-fb:111 transport-cc\r\n"
        + "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
        + "a=rtpmap:63 red/48000/2\r\n"
        + "a=fmtp:63 111/111\r\n"
        + "a=rtpmap:9 G722/8000\r\n"
        + "a=rtpmap:0 PCMU/8000\r\n"
        + "a=rtpmap:8 PCMA/8000\r\n"
        + "a=rtpmap:13 CN/8000\r\n"
        + "a=rtpmap:110 telephone-event/48000\r\n"
        + "a=rtpmap:126 telephone-event/8000\r\n"
        + "a=crypto:1 AEAD_AES_256_GCM inline:aXp2YWxpZGF0ZWtleW1hdGVyaWFsZm9yYWVzZ2NtMjU2c2FsdDEyYnl0ZXM=\r\n"
        + "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^31\r\n"
        + "a=ssrc:1001 cname:user@example\r\n"
        + "m=video 0 RTP/SAVPF 96\r\n"
        + "c=IN IP6 2001:db8::10\r\n"
        + "a=mid:1\r\n"
        + "a=rtpmap:96 VP8/90000\r\n"
        + "a=inactive\r\n"

    /// Two m-lines, audio and video, with a session-level connection, hold (sendonly) on the audio.
    static let audioVideo =
        "v=0\r\n"
        + "o=bob 2808844564 2808844565 IN IP4 host.biloxi.example.com\r\n"
        + "s=\r\n"
        + "c=IN IP4 192.0.2.201\r\n"
        + "t=0 0\r\n"
        + "m=audio 49172 RTP/SAVP 0\r\n"
        + "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj\r\n"
        + "a=sendonly\r\n"
        + "m=video 49174 RTP/SAVP 32\r\n"
        + "a=rtpmap:32 MPV/90000\r\n"
        + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj\r\n"

    /// An answer that rejects the video stream with port 0 (RFC 3264 §6) and keeps the audio.
    static let rejectedVideo =
        "v=0\r\n"
        + "o=- 20518 0 IN IP4 203.0.113.1\r\n"
        + "s= \r\n"
        + "t=0 0\r\n"
        + "m=audio 54400 RTP/SAVP 0\r\n"
        + "c=IN IP4 203.0.113.1\r\n"
        + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4\r\n"
        + "m=video 0 RTP/SAVP 96\r\n"

    /// Several crypto lines with lifetimes, MKIs and session parameters (RFC 4568 §9.2, §6.3).
    static let manyCryptoLines =
        "v=0\r\n"
        + "o=sam 2890844526 2890842807 IN IP4 10.47.16.5\r\n"
        + "s=SRTP Discussion\r\n"
        + "i=A discussion about Secure RTP\r\n"
        + "u=http://www.example.com/seminars/srtp.pdf\r\n"
        + "e=marge@example.com (Marge Simpson)\r\n"
        + "c=IN IP4 168.2.17.12\r\n"
        + "t=2873397496 2873404696\r\n"
        + "m=audio 49170 RTP/SAVP 0\r\n"
        + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
        + "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4;"
        + "inline:QUJjZGVmMTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5|2^20|2:4 FEC_ORDER=FEC_SRTP\r\n"
        + "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|1048576 KDR=1 "
        + "UNENCRYPTED_SRTCP\r\n"
        + "a=crypto:3 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJDREUw|2^20|1:4\r\n"

    /// A plain RTP/AVP offer: what Sotto refuses with 488.
    static let plainOffer =
        "v=0\r\n"
        + "o=- 1 1 IN IP4 192.0.2.9\r\n"
        + "s=-\r\n"
        + "c=IN IP4 192.0.2.9\r\n"
        + "t=0 0\r\n"
        + "m=audio 4000 RTP/AVP 0 8\r\n"
        + "a=rtpmap:0 PCMU/8000\r\n"

    static let all: [(name: String, text: String)] = [
        ("baresip offer", baresipOffer), ("Asterisk answer", asteriskAnswer), ("WebRTC offer", webRTCOffer),
        ("audio and video", audioVideo), ("rejected video", rejectedVideo), ("many crypto lines", manyCryptoLines),
        ("plain offer", plainOffer),
    ]
}
