/// Messages shaped like the ones Sotto's real peers send (their shapes checked against baresip and Kamailio in the
/// end-to-end tests): baresip 1.0 over TLS, Kamailio 5.6 as the registrar/proxy. Written for Sotto, not captured.
enum RealPeerFixtures {
    /// baresip's REGISTER through the relay (`regint=600`, `outbound=`), with `rport` and `Supported: outbound`.
    static let register = sip([
        "REGISTER sip:pbx.test;transport=tls SIP/2.0",
        "Via: SIP/2.0/TLS 127.0.0.3:5061;branch=z9hG4bKb6d8a3f6e7c14a1e;rport",
        "Contact: <sip:alice-0x55d1c3@127.0.0.3:5061;transport=tls>;expires=600",
        "Max-Forwards: 70",
        "To: <sip:alice@pbx.test>",
        "From: <sip:alice@pbx.test>;tag=6d2c1a7fb0f4a8e2",
        "Call-ID: 4c2d1e0f9a8b7c6d",
        "CSeq: 26343 REGISTER",
        "User-Agent: baresip v1.0.0 (x86_64/linux)",
        "Allow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,SUBSCRIBE,INFO,MESSAGE,UPDATE,REFER",
        "Supported: outbound,path,gruu",
        "Content-Length: 0",
    ])

    /// The SDP offer of baresip with `mediaenc=srtp-mand`: RTP/SAVP and one `a=crypto` line.
    static let offer =
        "v=0\r\no=- 1827519046 2048394417 IN IP4 127.0.0.3\r\ns=-\r\nc=IN IP4 127.0.0.3\r\nt=0 0\r\n"
        + "m=audio 10002 RTP/SAVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
        + "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=rtcp:10003\r\na=sendrecv\r\n"
        + "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:Y2xXD0Dk1Mg4sRz5UKmVRjLk0iHqmBkbOjxZ/W9D\r\n"

    /// baresip's INVITE with that offer: the ~1 KB message of the benchmark.
    static let invite = sip(
        [
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
            "Supported: replaces,norefersub",
            "Content-Type: application/sdp",
            "Content-Length: @LEN@",
        ],
        body: offer
    )

    /// Kamailio's relayed 200 OK for that INVITE: two Vias (its own with `i=`), a comma-joined Record-Route with
    /// `r2=on;lr`, the softphone's Via with `received` and a filled-in `rport`.
    static let okWithRecordRoute = sip([
        "SIP/2.0 200 OK",
        "Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK8f1c.0a2b3c4d;i=1",
        "Via: SIP/2.0/TLS 127.0.0.3:5061;received=127.0.0.1;branch=z9hG4bK2c4e8a0f9d1b3c5e;rport=40412",
        "Record-Route: <sip:127.0.0.1:5061;transport=tls;r2=on;lr>,<sip:10.0.0.1;r2=on;lr>",
        "From: \"Alice\" <sip:alice@pbx.test>;tag=93a1f5c0e2d4b6a8",
        "To: <sip:bob@pbx.test>;tag=as5f1c2d3e",
        "Call-ID: 7f3e9d1c5b2a4e6f",
        "CSeq: 1024 INVITE",
        "Contact: <sip:bob@127.0.0.4:5061;transport=tls>",
        "Server: kamailio (5.6.3 (x86_64/linux))",
        "Content-Length: 0",
    ])

    /// Kamailio's 401 challenge to the REGISTER, with a quoted realm and nonce.
    static let unauthorized = sip([
        "SIP/2.0 401 Unauthorized",
        "Via: SIP/2.0/TLS 127.0.0.3:5061;received=127.0.0.1;branch=z9hG4bKb6d8a3f6e7c14a1e;rport=40412",
        "To: <sip:alice@pbx.test>;tag=d1a5e3c7b9f0a2c4",
        "From: <sip:alice@pbx.test>;tag=6d2c1a7fb0f4a8e2",
        "Call-ID: 4c2d1e0f9a8b7c6d",
        "CSeq: 26343 REGISTER",
        "WWW-Authenticate: Digest realm=\"pbx.test\", nonce=\"ZQx1bGVfbm9uY2U=\", qop=\"auth\"",
        "Server: kamailio (5.6.3 (x86_64/linux))",
        "Content-Length: 0",
    ])
}
