#!/usr/bin/env python3
"""One SIP request over TLS and its final response, for the cases that need to ask Sotto something the
load generator does not (an OPTIONS, an INVITE while draining). Run inside a namespace:

    sip_probe.py --relay IP:PORT --ca CA.pem --server-name NAME --method OPTIONS|INVITE

Prints the final response as JSON: {"status": 503, "reason": "...", "warning": "..." or null}. An INVITE
goes without a body: what the cases ask is answered before Sotto looks at one."""

import argparse
import json
import os
import socket
import ssl
import sys


def request(method, relay, local):
    host, port = relay
    branch = "z9hG4bK" + os.urandom(6).hex()
    tag = os.urandom(4).hex()
    call_id = os.urandom(8).hex() + "@probe"
    lines = [
        "%s sip:echo@%s:%d;transport=tls SIP/2.0" % (method, host, port),
        "Via: SIP/2.0/TLS %s:%d;branch=%s;rport" % (local[0], local[1], branch),
        "Max-Forwards: 70",
        "From: <sip:probe@%s>;tag=%s" % (host, tag),
        "To: <sip:echo@%s>" % host,
        "Call-ID: %s" % call_id,
        "CSeq: 1 %s" % method,
        "Contact: <sip:probe@%s:%d;transport=tls>" % local,
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_final(sock):
    buffer = b""
    while True:
        while b"\r\n\r\n" in buffer:
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            text = head.decode(errors="replace").split("\r\n")
            parts = text[0].split(" ", 2)
            if not text[0].startswith("SIP/2.0") or len(parts) < 2:
                continue
            status = int(parts[1])
            if status < 200:
                continue
            headers = {}
            for line in text[1:]:
                name, _, value = line.partition(":")
                headers.setdefault(name.strip().lower(), value.strip())
            return {"status": status, "reason": parts[2] if len(parts) > 2 else "", "warning": headers.get("warning")}
        data = sock.recv(65536)
        if not data:
            raise SystemExit("the connection closed before a final response")
        buffer += data


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--relay", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--server-name", required=True)
    parser.add_argument("--method", required=True, choices=["OPTIONS", "INVITE"])
    args = parser.parse_args()
    host, port = args.relay.rsplit(":", 1)
    context = ssl.create_default_context(cafile=args.ca)
    raw = socket.create_connection((host, int(port)), timeout=10)
    with context.wrap_socket(raw, server_hostname=args.server_name) as sock:
        sock.sendall(request(args.method, (host, int(port)), sock.getsockname()[:2]))
        print(json.dumps(read_final(sock)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
