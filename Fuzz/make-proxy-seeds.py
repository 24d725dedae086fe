#!/usr/bin/env python3
"""Writes the seeds of ProxyRequestFuzz into Fuzz/corpus/proxy/: whole exchanges as baresip (the softphone) and
Asterisk (the PBX) write them, in the target's input format (Fuzz/ProxyRequestFuzz/FuzzEntry.swift): messages
separated by a NUL byte, each led by its flow ('a' Alice, 'p' the PBX, 'b' Bob), with `@ECHO@` (the Via and
Record-Route lines of the last request the proxy sent on that flow; `@ECHO-INVITE@` the same of the last initial
INVITE), `@ROUTE@` (the route set from the Record-Route of the last response it sent there), `@UASROUTE@` (the
same, in order, from the last initial INVITE it sent there) and `@PATH@` (Route lines from the Path of the last
request it sent there). Run it from the repository's root after changing the format; the keys are fixed test values."""

from pathlib import Path

ALICE_KEY = "inline:c290dG8tZnV6ei1hbGljZS1tYXN0ZXIta2V5LTMw"
PBX_KEY = "inline:c290dG8tZnV6ei1wYngtbWFzdGVyLWtleS0zMDAw"
UA = "User-Agent: baresip v3.10.1 (x86_64/linux)"
ALLOW = "Allow: INVITE,ACK,BYE,CANCEL,OPTIONS,NOTIFY,SUBSCRIBE,INFO,MESSAGE,UPDATE,REFER"


def sdp(origin, address, port, key, session="-", extra=()):
    lines = ["v=0", f"o=- {origin} IN IP4 {address}", f"s={session}", f"c=IN IP4 {address}", "t=0 0",
             f"m=audio {port} RTP/SAVP 0 101", *extra, "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000",
             "a=fmtp:101 0-15", "a=sendrecv", f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 {key}", "a=ptime:20"]
    return "".join(line + "\r\n" for line in lines)


ALICE_SDP = sdp("1376587712 1937466186", "127.0.0.1", 10000, ALICE_KEY, extra=("b=AS:64",))
PBX_SDP = sdp("1046210391 1046210393", "192.0.2.10", 20000, PBX_KEY, session="Asterisk")


def wire(flow, lines, body=""):
    head = list(lines)
    if body:
        head.append("Content-Type: application/sdp")
    head.append(f"Content-Length: {len(body.encode())}")
    return flow.encode() + ("\r\n".join(head) + "\r\n\r\n" + body).encode()


def alice(method, uri="sip:bob@pbx.test", branch="z9hG4bK0b8e6c3f2a7d4e91", cseq=25143, to_tag=None, route=None,
          body=""):
    lines = [f"{method} {uri} SIP/2.0", f"Via: SIP/2.0/TLS 127.0.0.1:5062;branch={branch};rport"]
    if method in ("INVITE", "REGISTER"):
        lines.append("Contact: <sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls>")
    lines += ["Max-Forwards: 70", "To: <sip:bob@pbx.test>" + (f";tag={to_tag}" if to_tag else ""),
              '"From: "Alice" <sip:alice@pbx.test>;tag=9f2c41a7e3b05d68'[1:], "Call-ID: 7d3e0c5a91b24f68a1c2@127.0.0.1",
              f"CSeq: {cseq} {method}"]
    lines.append(route or "Route: <sip:127.0.0.1:5061;transport=tls;lr>")
    lines += [UA, ALLOW]
    return wire("a", lines, body)


def response(flow, status, reason, cseq, method, to_tag, server, contact=None, body="", caller="alice",
             call_id="7d3e0c5a91b24f68a1c2@127.0.0.1", from_tag="9f2c41a7e3b05d68", echo="@ECHO@"):
    callee = "bob" if caller == "alice" else "alice"
    lines = [f"SIP/2.0 {status} {reason}", echo,
             f'From: "{caller.title()}" <sip:{caller}@pbx.test>;tag={from_tag}',
             f"To: <sip:{callee}@pbx.test>" + (f";tag={to_tag}" if to_tag else ""), f"Call-ID: {call_id}",
             f"CSeq: {cseq} {method}", server]
    if contact:
        lines.append(f"Contact: {contact}")
    return wire(flow, lines, body)


def pbx(status, reason, cseq=25143, method="INVITE", to_tag="as5e3f1b2c", body="", echo="@ECHO@"):
    contact = "<sip:bob@192.0.2.10:5061;transport=tls>" if method == "INVITE" and 100 < status < 300 else None
    return response("p", status, reason, cseq, method, to_tag if status > 100 else None,
                    "Server: Asterisk PBX 20.5.0", contact, body, echo=echo)


def pbx_request(method, route, cseq=102, to_tag=None, body="", uri="sip:alice@127.0.0.1:5062;transport=tls"):
    lines = [f"{method} {uri} SIP/2.0", "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK-524287-1---3f0c2b9ad1e84c67",
             "Max-Forwards: 70", route, '"From: "Bob" <sip:bob@pbx.test>;tag=as0d2c7e11'[1:],
             "To: <sip:alice@pbx.test>" + (f";tag={to_tag}" if to_tag else "")]
    if method == "INVITE":
        lines.append("Contact: <sip:bob@192.0.2.10:5061;transport=tls>")
    lines += ["Call-ID: 1c7e9f2b6d0a4358@192.0.2.10", f"CSeq: {cseq} {method}", "User-Agent: Asterisk PBX 20.5.0"]
    return wire("p", lines, body)


def alice_answer(status, reason, cseq=102, method="INVITE", body=""):
    contact = "<sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls>" if method == "INVITE" and status > 100 else None
    return response("a", status, reason, cseq, method, "8b3e1f0a", UA, contact, body, caller="bob",
                    call_id="1c7e9f2b6d0a4358@192.0.2.10", from_tag="as0d2c7e11")


IN_DIALOG = dict(uri="sip:bob@192.0.2.10:5061;transport=tls", to_tag="as5e3f1b2c", route="@ROUTE@")

SEEDS = {
    # Alice calls Bob through the PBX; he answers; she hangs up.
    "call-answered-bye": [
        alice("INVITE", body=ALICE_SDP), pbx(100, "Trying"), pbx(180, "Ringing"), pbx(200, "OK", body=PBX_SDP),
        alice("ACK", branch="z9hG4bK1e5a9c03b77d42f0", **IN_DIALOG),
        alice("BYE", branch="z9hG4bK5c0d7e2a91f34b68", cseq=25144, **IN_DIALOG),
        pbx(200, "OK", cseq=25144, method="BYE")],
    # The same call, put on hold by a re-INVITE, then hung up by the PBX's BYE.
    "call-reinvite-pbx-bye": [
        alice("INVITE", body=ALICE_SDP), pbx(200, "OK", body=PBX_SDP),
        alice("ACK", branch="z9hG4bK1e5a9c03b77d42f0", **IN_DIALOG),
        alice("INVITE", branch="z9hG4bK77aa01c3d5e94f20", cseq=25144, body=ALICE_SDP.replace("sendrecv", "sendonly"),
              **IN_DIALOG),
        pbx(200, "OK", cseq=25144, body=PBX_SDP.replace("sendrecv", "recvonly")),
        alice("ACK", branch="z9hG4bK9d1f3b5e7a2c4d68", cseq=25144, **IN_DIALOG),
        wire("p", ["BYE sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls SIP/2.0",
                   "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bK-524287-1---77c0e1d2a3b4c5d6", "Max-Forwards: 70",
                   "@UASROUTE@", "From: <sip:bob@pbx.test>;tag=as5e3f1b2c",
                   '"To: "Alice" <sip:alice@pbx.test>;tag=9f2c41a7e3b05d68'[1:],
                   "Call-ID: 7d3e0c5a91b24f68a1c2@127.0.0.1", "CSeq: 102 BYE", "User-Agent: Asterisk PBX 20.5.0"]),
        alice_answer(200, "OK", cseq=102, method="BYE")],
    # Alice gives up while it rings.
    "call-cancelled": [
        alice("INVITE", body=ALICE_SDP), pbx(100, "Trying"), pbx(180, "Ringing"), alice("CANCEL"),
        pbx(200, "OK", method="CANCEL", to_tag=None), pbx(487, "Request Terminated", echo="@ECHO-INVITE@"),
        alice("ACK", to_tag="as5e3f1b2c")],
    # The PBX refuses.
    "call-busy": [alice("INVITE", body=ALICE_SDP), pbx(486, "Busy Here"), alice("ACK", to_tag="as5e3f1b2c")],
    # Alice registers; the PBX calls her through the Path Sotto added; she answers; the PBX hangs up.
    "register-then-incoming": [
        alice("REGISTER", uri="sip:pbx.test;transport=tls", branch="z9hG4bKb6d8a3f6e7c14a1e", cseq=26343),
        pbx(200, "OK", cseq=26343, method="REGISTER", to_tag="as1f2e3d4c"),
        pbx_request("INVITE", "@PATH@", body=PBX_SDP), alice_answer(180, "Ringing"),
        alice_answer(200, "OK", body=ALICE_SDP),
        pbx_request("ACK", "@ROUTE@", to_tag="8b3e1f0a", uri="sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls"),
        pbx_request("BYE", "@ROUTE@", cseq=103, to_tag="8b3e1f0a",
                    uri="sip:alice-0x5581d2c0@127.0.0.1:5062;transport=tls"),
        alice_answer(200, "OK", cseq=103, method="BYE")],
    # Keep-alives both ways, and a request from a second phone.
    "options": [
        alice("OPTIONS", uri="sip:127.0.0.1:5061;transport=tls", branch="z9hG4bK3a5c7e9b1d2f4a60"),
        pbx_request("OPTIONS", "Route: <sip:127.0.0.1:5061;transport=tls;lr>", uri="sip:127.0.0.1:5061;transport=tls"),
        b"b" + alice("MESSAGE", branch="z9hG4bK0f1e2d3c4b5a6978")[1:]],
}

if __name__ == "__main__":
    out = Path("Fuzz/corpus/proxy")
    out.mkdir(parents=True, exist_ok=True)
    for name, messages in SEEDS.items():
        (out / f"{name}.bin").write_bytes(b"\0".join(messages))
    for path in sorted(Path("Fuzz/corpus/sip").glob("*.sip")):
        (out / f"single-{path.stem}.bin").write_bytes(b"a" + path.read_bytes())
