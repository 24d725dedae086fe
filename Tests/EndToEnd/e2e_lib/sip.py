"""SIP messages out of baresip's `-s` trace and Kamailio's E2E-SDP log lines, and the media facts the
tests need from their SDP bodies (address, port, rtcp port, rtcp-mux, a=crypto)."""

import base64
import re

# baresip 1.0 with -s prints every SIP message it sends or receives as
#   ESC[36;1m#\nTLS 127.0.0.1:49730 -> 127.0.0.2:5061\n<message with CRLFs>ESC[;m
_TRACE = re.compile(r"\x1b\[36;1m#\n(UDP|TCP|TLS|WS|WSS) (\S+) -> (\S+)\n(.*?)\x1b\[;m", re.DOTALL)


class Message:
    def __init__(self, transport, src, dst, raw):
        self.transport = transport
        self.src = src
        self.dst = dst
        # Line ends are normalised: the trace may have been read with universal newlines.
        text = raw.replace("\r\n", "\n")
        head, _, body = text.partition("\n\n")
        lines = head.split("\n")
        self.start_line = lines[0].strip()
        self.headers = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:
                name, value = self.headers[-1]
                self.headers[-1] = (name, value + " " + line.strip())
            elif ":" in line:
                name, value = line.split(":", 1)
                self.headers.append((name.strip().lower(), value.strip()))
        self.body = body.rstrip("\n") + "\n" if body.strip() else ""

    def header(self, *names):
        for name, value in self.headers:
            if name in names:
                return value
        return None

    def header_all(self, *names):
        return [value for name, value in self.headers if name in names]

    @property
    def is_request(self):
        return not self.start_line.startswith("SIP/2.0")

    @property
    def method(self):
        return self.start_line.split(" ", 1)[0] if self.is_request else None

    @property
    def status(self):
        if self.is_request:
            return None
        parts = self.start_line.split(" ", 2)
        return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None

    @property
    def cseq_method(self):
        cseq = self.header("cseq") or ""
        parts = cseq.split()
        return parts[1] if len(parts) == 2 else None

    @property
    def call_id(self):
        return self.header("call-id", "i")

    def to_tag(self):
        to = self.header("to", "t") or ""
        match = re.search(r";\s*tag=([^;>\s]+)", to)
        return match.group(1) if match else None

    def __repr__(self):
        return "<%s %s -> %s: %s>" % (self.transport, self.src, self.dst, self.start_line)


def baresip_messages(trace_text):
    return [Message(t, s, d, raw) for t, s, d, raw in _TRACE.findall(trace_text)]


def kamailio_sdps(log_text):
    """The E2E-SDP lines kamailio.cfg writes: dicts with kind, method/status, callid, cseq, src, body."""
    found = []
    for line in log_text.splitlines():
        index = line.find("E2E-SDP ")
        if index < 0:
            continue
        fields = dict(re.findall(r"(\w+)=(\S+)", line[index:]))
        try:
            fields["body"] = base64.b64decode(fields.get("body", "")).decode("utf-8", "replace")
        except ValueError:
            fields["body"] = ""
        found.append(fields)
    return found


class Crypto:
    def __init__(self, tag, suite, key_param):
        self.tag = tag
        self.suite = suite
        self.key_param = key_param  # "inline:..." - secret: never print it

    def __repr__(self):
        return "<crypto %s %s (key redacted)>" % (self.tag, self.suite)


class AudioStream:
    """The first audio m= section of an SDP body."""

    def __init__(self, body):
        self.address = None
        self.port = None
        self.proto = None
        self.rtcp_port = None
        self.rtcp_mux = False
        self.cryptos = []
        session_address = None
        in_audio = False
        seen_audio = False
        for raw in body.replace("\r\n", "\n").split("\n"):
            line = raw.strip()
            if line.startswith("m="):
                if seen_audio:
                    break
                parts = line[2:].split()
                in_audio = parts[0] == "audio"
                if in_audio:
                    seen_audio = True
                    self.port = int(parts[1].split("/")[0])
                    self.proto = parts[2]
                continue
            if line.startswith("c="):
                address = line.split()[-1].split("/")[0]
                if in_audio:
                    self.address = address
                elif not seen_audio:
                    session_address = address
            if not in_audio:
                continue
            if line.startswith("a=crypto:"):
                parts = line[len("a=crypto:"):].split()
                if len(parts) >= 3:
                    self.cryptos.append(Crypto(parts[0], parts[1], parts[2]))
            elif line.startswith("a=rtcp-mux"):
                self.rtcp_mux = True
            elif line.startswith("a=rtcp:"):
                self.rtcp_port = int(line[len("a=rtcp:"):].split()[0])
        if self.address is None:
            self.address = session_address
        if self.port is not None and self.rtcp_port is None:
            self.rtcp_port = self.port if self.rtcp_mux else self.port + 1

    @property
    def crypto(self):
        return self.cryptos[0] if self.cryptos else None

    def __repr__(self):
        return "<audio %s:%s %s rtcp=%s mux=%s %s>" % (
            self.address, self.port, self.proto, self.rtcp_port, self.rtcp_mux, self.cryptos)


def negotiated(offer, answer):
    """The crypto each side sends with: the answer names the offer's tag it accepted (RFC 4568 §7.1.2),
    so the offerer's key is the offer's line with that tag, the answerer's is the answer's line."""
    if answer.crypto is None:
        return None, None
    for crypto in offer.cryptos:
        if crypto.tag == answer.crypto.tag:
            return crypto, answer.crypto
    return None, answer.crypto
