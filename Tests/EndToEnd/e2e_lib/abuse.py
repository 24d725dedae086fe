"""The end-to-end abuse test: one attacker against a live call, through the real sotto, Kamailio with digest
authentication and two baresip phones.

alice and bob are in a call with audio both ways. From the same host (so the same address as both phones)
one attacker opens its own TLS connection to Sotto, without a client certificate or a password, and sends:

  (a) an INVITE whose SDP has 64 m= lines: 488 with a Warning naming the limit of 4 media streams, and not
      one media port taken (ports in use and calls, from the admin socket, unchanged);
  (b) INVITEs at 500 per second for FLOOD_SECONDS, 25 to a write (each its own Call-ID and branch, a valid
      SRTP offer): most get 503 with Retry-After (sip.requests_per_second_per_connection, 20/s, bursts of
      40); of the first burst, which Sotto reads before the PBX has answered any, 4 become calls and the
      rest get 403 (calls.max_calls_per_connection, lowered from 32 to 4 so that one batch reaches it); the
      calls admitted reach the PBX and are challenged (407). Polled every POLL_S, the live calls never exceed
      the real call's two plus 4, nor the media ports in use what those calls may hold;
  (c) a REGISTER for alice's address of record: it reaches the PBX only to be challenged (401, there is no
      password to give), and alice's registration is untouched (the same binding in Sotto, no new save at
      the PBX, and after the attack bob calls alice and the call is established).

Throughout, the audio of alice's call goes on: from the capture, every RTP packet alice sent into Sotto
during the attack window must reach bob from Sotto (matched by SSRC and sequence number, which Sotto relays
unchanged), and the same bob to alice; loss must be below 0.1 %. Sotto's metrics must count the refusals by
limit (sotto_limit_refusals_total{limit="streams_per_offer"} and {limit="requests_per_connection"}).

What it proves: the limits of issue 13 item 4 hold over a real TLS connection against the real binary, they
refuse before anything is allocated, they are counted, and one abusive connection from a phone's own address
neither takes the relay's ports nor disturbs another phone's call or registration.
"""

import base64
import json
import os
import re
import secrets
import select
import socket
import ssl
import struct
import threading
import time

from . import configs, sip
from .topology import DOMAIN, KAM_IP, KAM_PORT, MEDIA_IP, MEDIA_PORTS, PHONES, SOTTO_IP, SOTTO_PORT

FLOOD_RATE = 500  # INVITEs per second
FLOOD_SECONDS = 3.0
FLOOD_BATCH = 25  # INVITEs per write
MAX_STREAMS = 4  # calls.max_streams_per_offer (the default, set explicitly)
RATE_PER_CONNECTION = 20  # sip.requests_per_second_per_connection (the default, set explicitly)
CALLS_PER_CONNECTION = 4  # calls.max_calls_per_connection, lowered from 32
POLL_S = 0.1
MAX_LOSS = 0.001


class AdminClient:
    """One connection to Sotto's admin socket (newline-delimited JSON, docs/admin-protocol.md)."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(path)
        self.reader = self.sock.makefile("rb")
        self.next_id = 0

    def call(self, cmd, **args):
        self.next_id += 1
        self.sock.sendall(json.dumps({"id": self.next_id, "cmd": cmd, "args": args}).encode() + b"\n")
        reply = json.loads(self.reader.readline())
        if "error" in reply:
            raise AssertionError("admin %s: %s" % (cmd, reply["error"]))
        return reply["result"]

    def close(self):
        self.reader.close()
        self.sock.close()


def limit_refusals(metrics_text):
    """sotto_limit_refusals_total by limit name, from the Prometheus text."""
    return {m.group(1): int(float(m.group(2))) for m in re.finditer(
        r'^sotto_limit_refusals_total\{limit="([^"]+)"\} (\S+)$', metrics_text, re.MULTILINE)}


class StatsPoller(threading.Thread):
    """Polls `stats` every POLL_S on its own admin connection; keeps the largest calls and ports in use."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.admin = AdminClient(path)
        self.stop_event = threading.Event()
        self.max_calls = self.max_ports = self.samples = 0
        self.errors = []

    def run(self):
        while not self.stop_event.is_set():
            try:
                stats = self.admin.call("stats")
                self.max_calls = max(self.max_calls, stats["calls"])
                self.max_ports = max(self.max_ports, stats["portsInUse"])
                self.samples += 1
            except (AssertionError, OSError, ValueError) as error:
                self.errors.append(str(error))
            self.stop_event.wait(POLL_S)

    def stop(self):
        self.stop_event.set()
        self.join(5)
        self.admin.close()


class Attacker:
    """A SIP client on its own TLS connection to Sotto (no client certificate, no password). It reads every
    response, and ACKs each final non-2xx response to an INVITE as RFC 3261 §17.1.1.3 says, so that what
    the relay holds afterwards is only what its limits allow."""

    def __init__(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # the attacker does not care who answers
        raw = socket.create_connection((SOTTO_IP, SOTTO_PORT), timeout=10)
        self.sock = context.wrap_socket(raw)
        self.local = "%s:%d" % self.sock.getsockname()[:2]
        self.buffer = b""
        self.held = []
        self.sent = {}  # Call-ID -> the request's headers, for the ACK
        self.finals = {}  # Call-ID -> (status, headers) of the final response
        self.provisionals = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def request(self, method, uri, from_user, to_user, *, body=b"", extra=(), call_id=None, hold=False):
        """Sends one request (with `hold`, keeps it for the next flush(), so several go in one write)."""
        call_id = call_id or "atk-%s" % secrets.token_hex(8)
        branch = "z9hG4bK-atk-%s" % secrets.token_hex(8)
        headers = [
            "Via: SIP/2.0/TLS %s;branch=%s;rport" % (self.local, branch), "Max-Forwards: 70",
            "From: <sip:%s@%s>;tag=%s" % (from_user, DOMAIN, secrets.token_hex(4)),
            "To: <sip:%s@%s>" % (to_user, DOMAIN), "Call-ID: %s" % call_id, "CSeq: 1 %s" % method,
            "Contact: <sip:%s@%s;transport=tls>" % (from_user, self.local)] + list(extra)
        if body:
            headers.append("Content-Type: application/sdp")
        head = "%s %s SIP/2.0\r\n%s\r\nContent-Length: %d\r\n\r\n" % (method, uri, "\r\n".join(headers), len(body))
        self.sent[call_id] = (uri, headers[:5])
        self.held.append(head.encode() + body)
        if not hold:
            self.flush()
        return call_id

    def flush(self):
        self.sock.sendall(b"".join(self.held))
        self.held = []

    def pump(self, wait):
        """Reads whatever responses arrive within `wait` seconds."""
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if self.sock.pending() == 0:
                readable, _, _ = select.select([self.sock], [], [], max(0.0, left))
                if not readable:
                    return
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("Sotto closed the attacker's connection")
            self.buffer += chunk
            self._parse()
            if left <= 0:
                return

    def wait_finals(self, call_ids, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(c not in self.finals for c in call_ids):
            self.pump(0.05)
        return [c for c in call_ids if c not in self.finals]

    def _parse(self):
        while True:
            self.buffer = self.buffer.lstrip(b"\r\n")  # keep-alive CRLFs
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("utf-8", "replace").split("\r\n")
            length = 0
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers.setdefault(name.strip().lower(), value.strip())
            length = int(headers.get("content-length", headers.get("l", "0")) or 0)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length:]
            if not head[0].startswith("SIP/2.0 "):
                continue  # a request toward the attacker: ignored
            status = int(head[0].split()[1])
            call_id = headers.get("call-id", headers.get("i", ""))
            if status < 200:
                self.provisionals += 1
                continue
            self.finals[call_id] = (status, headers)
            if status >= 300 and headers.get("cseq", "").endswith("INVITE") and call_id in self.sent:
                self._ack(call_id, headers)

    def _ack(self, call_id, response):
        uri, (via, max_forwards, from_, _to, call_id_line) = self.sent[call_id]
        lines = [via, max_forwards, from_, "To: %s" % response.get("to", response.get("t", "")), call_id_line,
                 "CSeq: 1 ACK", "Content-Length: 0"]
        self.sock.sendall(("ACK %s SIP/2.0\r\n%s\r\n\r\n" % (uri, "\r\n".join(lines))).encode())


def srtp_offer(streams, port=29000):
    """An SRTP (SDES) offer with `streams` audio m= lines, each with its own fresh key."""
    lines = ["v=0", "o=atk 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0"]
    for index in range(streams):
        key = base64.b64encode(secrets.token_bytes(30)).decode()
        lines += ["m=audio %d RTP/SAVP 0" % (port + 2 * index), "a=rtpmap:0 PCMU/8000",
                  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s" % key, "a=sendrecv"]
    return ("\r\n".join(lines) + "\r\n").encode()


def alice_bindings(registrations):
    """alice's registrations as the admin socket lists them, without the seconds left (which tick)."""
    return sorted(json.dumps({k: v for k, v in r.items() if k != "expiresInSeconds"}, sort_keys=True)
                  for r in registrations if r["aor"].startswith("sip:alice@"))


def rtp_seqs(packets, src, dst, start, end):
    """(SSRC, sequence number) of the RTP packets src -> dst captured within [start, end] (RTCP, told apart
    by its second octet 200-204, left out)."""
    found = []
    for p in packets:
        if p["src"] != src or p["dst"] != dst or not (start <= p["time"] <= end) or len(p["hex"]) < 24:
            continue
        data = bytes.fromhex(p["hex"][:24])
        if data[0] >> 6 != 2 or 200 <= data[1] <= 204:
            continue
        seq, _, ssrc = struct.unpack("!HII", data[2:12])
        found.append((ssrc, seq))
    return found


class AbuseTests:
    """Mixed into the runner's harness (E2ETest): start_kamailio, start_sotto, phone, start_capture, log."""

    def start_limited_sotto(self):
        config = configs.sotto_toml(
            os.path.join(self.dir, "sotto.toml"), listen="%s:%d" % (SOTTO_IP, SOTTO_PORT),
            cert=self.pki.path("sotto.pem"), key=self.pki.path("sotto.key"), ca=self.pki.ca, require_client_cert=False,
            upstream="%s:%d" % (KAM_IP, KAM_PORT), media_ip=MEDIA_IP, media_ports=MEDIA_PORTS,
            admin_socket=os.path.join(self.dir, "admin.sock"),
            sip_extra={"requests_per_second_per_connection": RATE_PER_CONNECTION},
            calls_extra={"max_streams_per_offer": MAX_STREAMS, "max_calls_per_connection": CALLS_PER_CONNECTION})
        return self.start_sotto(["--config", config])

    def test_abuse_one_connection(self):
        """64 m= lines, 500 INVITEs/s and a REGISTER for alice from one connection: refused, counted, no ports
        taken, and alice's call with bob keeps its audio (loss < 0.1 %)."""
        self.start_kamailio()
        self.start_limited_sotto()
        cap = self.start_capture([PHONES["alice"]["rtp_ports"], PHONES["bob"]["rtp_ports"], MEDIA_PORTS])
        alice, bob = self.phone("alice"), self.phone("bob")
        alice.wait_registered(20)
        bob.wait_registered(20)
        self.assertTrue(alice.dial("sip:bob@%s" % DOMAIN).get("ok"))
        alice.proc.wait_for(r"Call established", 20)
        bob.proc.wait_for(r"Call established", 20)
        time.sleep(1.0)  # past the call's first packets
        admin = AdminClient(os.path.join(self.dir, "admin.sock"))
        before = admin.call("stats")
        refusals_before = limit_refusals(admin.call("metrics"))
        registrations_before = admin.call("registrations")
        sessions_before = admin.call("sessions")
        self.log("before the attack: calls %d, sessions %d, media ports in use %d (free %d), registrations %s" % (
            before["calls"], before["sessions"], before["portsInUse"], before["portsFree"],
            sorted((r["aor"], r.get("contact")) for r in registrations_before)))
        self.assertEqual(before["calls"], 2, "alice's call should be two calls in Sotto (it spirals)")
        kamailio_saves_before = self.kamailio.text().count("E2E-REGISTER aor=sip:alice@")

        poller = StatsPoller(os.path.join(self.dir, "admin.sock"))
        attacker = Attacker()
        window_start = time.time()
        poller.start()
        try:
            self.attack_streams(attacker, admin, before)
            flood = self.attack_flood(attacker)
            self.attack_register(attacker)
        finally:
            poller.stop()
            window_end = time.time()
            attacker.close()
        self.log("attack window %.1f s; admin stats polled %d times (errors: %s): at most %d calls, %d media "
                 "ports in use" % (window_end - window_start, poller.samples, poller.errors[:3] or "none",
                                   poller.max_calls, poller.max_ports))
        self.assertGreater(poller.samples, 5, "the admin socket was not polled during the attack")
        self.assertLessEqual(poller.max_calls, before["calls"] + CALLS_PER_CONNECTION,
                             "live calls went beyond the attacker connection's limit")
        # One call of one stream holds what each of the real call's two calls holds (whatever unit the relay
        # counts in: it reports RTP/RTCP pairs).
        per_call = before["portsInUse"] // before["calls"]
        self.assertLessEqual(poller.max_ports, before["portsInUse"] + CALLS_PER_CONNECTION * per_call,
                             "media ports in use went beyond what the attacker's allowed calls may hold")

        refusals = limit_refusals(admin.call("metrics"))
        delta = {k: refusals.get(k, 0) - refusals_before.get(k, 0) for k in refusals}
        self.log("sotto_limit_refusals_total during the attack: %s" % {k: v for k, v in delta.items() if v})
        self.assertEqual(delta.get("streams_per_offer"), 1)
        self.assertGreaterEqual(delta.get("requests_per_connection", 0), flood["rate_refusals"])
        self.assertEqual(delta.get("calls_per_connection", 0), flood["call_refusals"])
        registrations_after = admin.call("registrations")
        self.assertEqual(alice_bindings(registrations_after), alice_bindings(registrations_before),
                         "alice's registration in Sotto changed")
        self.assertEqual(self.kamailio.text().count("E2E-REGISTER aor=sip:alice@"), kamailio_saves_before,
                         "the PBX saved a REGISTER for alice during the attack")
        self.log_call_counters(sessions_before, admin.call("sessions"))
        time.sleep(0.5)
        after = admin.call("stats")
        self.log("after the attack: calls %d, media ports in use %d" % (after["calls"], after["portsInUse"]))
        self.assertEqual((after["calls"], after["portsInUse"]), (before["calls"], before["portsInUse"]),
                         "the attack left calls or media ports behind")
        admin.close()
        if self.sottoctl_available():
            self.log("sottoctl stats after the attack:\n" + self.sottoctl("stats").rstrip())

        self.assertTrue(alice.hangup().get("ok"))
        alice.proc.wait_for(r"terminated \(duration", 10)
        bob.proc.wait_for(r"terminated \(duration", 10)
        self.assertTrue(bob.dial("sip:alice@%s" % DOMAIN).get("ok"))
        bob.proc.wait_for(r"Call established", 20, count=2)
        alice.proc.wait_for(r"Call established", 20, count=2)
        self.log("after the attack bob called alice: established on both phones")
        bob.hangup()
        # alice, the callee this time, logs "session closed" when bob's BYE arrives (baresip 1.0).
        alice.proc.wait_for(r"session closed", 10)
        cap.stop()
        self.check_audio_kept(alice, bob, cap, window_start, window_end)

    def log_call_counters(self, before, after):
        """The real call's legs over the attack, from the admin socket: packets in and out, drops by reason."""
        old = {(s["id"], leg["side"]): leg for s in before for leg in s["legs"]}
        for session in after:
            for leg in session["legs"]:
                was = old.get((session["id"], leg["side"]))
                if was is None:
                    continue
                drops = {k: v - was["drops"].get(k, 0) for k, v in leg["drops"].items() if v - was["drops"].get(k, 0)}
                self.log("session %s %s leg during the attack: %d packets in, %d out, drops %s" % (
                    session["id"], leg["side"], leg["packetsIn"] - was["packetsIn"],
                    leg["packetsOut"] - was["packetsOut"], drops or "none"))

    def attack_streams(self, attacker, admin, before):
        call_id = attacker.request("INVITE", "sip:bob@%s" % DOMAIN, "mallory", "bob", body=srtp_offer(64))
        self.assertEqual(attacker.wait_finals([call_id], 10), [], "no final answer to the 64-stream INVITE")
        status, headers = attacker.finals[call_id]
        self.log("(a) INVITE with 64 m= lines: %d, Warning: %s" % (status, headers.get("warning")))
        self.assertEqual(status, 488)
        self.assertIn("at most %d media streams" % MAX_STREAMS, headers.get("warning", ""))
        stats = admin.call("stats")
        self.assertEqual((stats["calls"], stats["portsInUse"]), (before["calls"], before["portsInUse"]),
                         "the 64-stream INVITE left a call or took media ports")

    def attack_flood(self, attacker):
        total = int(FLOOD_RATE * FLOOD_SECONDS)
        offer = srtp_offer(1)
        sent = []
        started = time.monotonic()
        # In batches of FLOOD_BATCH, each batch in one write, as a flood comes: Sotto reads a batch before the
        # PBX has challenged any of it, so the calls it admits are all live at once and the connection's call
        # limit is reached (the rest of the first batches get 403).
        for index in range(0, total, FLOOD_BATCH):
            due = started + index / FLOOD_RATE
            attacker.pump(max(0.0, due - time.monotonic()))
            for _ in range(min(FLOOD_BATCH, total - index)):
                sent.append(attacker.request("INVITE", "sip:bob@%s" % DOMAIN, "mallory", "bob", body=offer, hold=True))
            attacker.flush()
        took = time.monotonic() - started
        missing = attacker.wait_finals(sent, 15)
        statuses = {}
        for call_id in sent:
            if call_id in attacker.finals:
                status = attacker.finals[call_id][0]
                statuses[status] = statuses.get(status, 0) + 1
        rate_refusals = [attacker.finals[c][1] for c in sent if c in attacker.finals and attacker.finals[c][0] == 503
                         and "too many requests on this connection" in attacker.finals[c][1].get("warning", "")]
        call_refusals = [h for c in sent if c in attacker.finals and attacker.finals[c][0] == 403
                         for h in [attacker.finals[c][1]]
                         if "this connection has %d calls" % CALLS_PER_CONNECTION in h.get("warning", "")]
        without_retry = [h for c in sent if c in attacker.finals and attacker.finals[c][0] == 503
                         for h in [attacker.finals[c][1]] if "retry-after" not in h]
        self.log("(b) %d INVITEs in %.2f s (%.0f/s): final responses by status %s, %d unanswered; %d refused by "
                 "the per-connection request rate, %d by the per-connection call limit" % (
                     total, took, total / took, dict(sorted(statuses.items())), len(missing), len(rate_refusals),
                     len(call_refusals)))
        self.assertEqual(missing, [], "INVITEs of the flood got no final response")
        self.assertGreater(len(rate_refusals), total // 2, "most of the flood should be refused by the rate limit")
        self.assertEqual(without_retry, [], "a 503 without Retry-After")
        self.assertGreater(len(call_refusals), 0, "the per-connection call limit was never reached")
        self.assertEqual(set(statuses) - {503, 407, 403}, set(), "unexpected answers to the flood")
        return {"rate_refusals": len(rate_refusals), "call_refusals": len(call_refusals)}

    def attack_register(self, attacker):
        # The flood emptied the connection's token bucket, and Sotto may still be working through the flood's
        # ACKs (each takes a token as one comes back). A client told 503 with Retry-After waits and tries again,
        # as RFC 3261 §21.5.4 asks; so does the attacker here, a few times.
        time.sleep(2.0 / RATE_PER_CONNECTION + 0.5)
        for attempt in range(5):
            call_id = attacker.request("REGISTER", "sip:%s" % DOMAIN, "alice", "alice", extra=["Expires: 600"])
            self.assertEqual(attacker.wait_finals([call_id], 10), [], "no final answer to the REGISTER for alice")
            status, headers = attacker.finals[call_id]
            if status != 503:
                break
            self.log("(c) REGISTER attempt %d: 503 (Retry-After %s, Warning %s), trying again" % (
                attempt + 1, headers.get("retry-after", "none"), headers.get("warning", "none")))
            time.sleep(float(headers.get("retry-after", "1")))
        self.log("(c) REGISTER for alice's AOR from the attacker: %d, WWW-Authenticate: %s" % (
            status, headers.get("www-authenticate", "none")[:60]))
        self.assertEqual(status, 401)
        self.assertIn("www-authenticate", headers)
        challenge = r"E2E-CHALLENGE status=401 method=REGISTER aor=sip:alice@\S+ user=<null> src=\S+ callid=%s"
        self.assertRegex(self.kamailio.text(), challenge % re.escape(call_id),
                         "the REGISTER did not reach the PBX's challenge")

    def check_audio_kept(self, alice, bob, cap, start, end):
        """Loss over the attack window, each way: RTP packets a phone sent into Sotto, matched by SSRC and
        sequence number against those Sotto sent on to the other phone."""
        # alice's INVITE that was answered: the PBX challenged the first one (407).
        first_call = next(m for m in alice.messages() if m.method == "INVITE" and m.body).call_id
        a_invite = [m for m in alice.messages() if m.method == "INVITE" and m.to_tag() is None and m.body
                    and m.call_id == first_call][-1]
        a_200 = next(m for m in alice.messages() if m.status == 200 and m.call_id == a_invite.call_id and m.body)
        b_invite = next(m for m in bob.messages() if m.method == "INVITE" and m.body)
        b_200 = next(m for m in bob.messages() if m.status == 200 and m.call_id == b_invite.call_id and m.body)
        offer_a, answer_a = sip.AudioStream(a_invite.body), sip.AudioStream(a_200.body)
        offer_b, answer_b = sip.AudioStream(b_invite.body), sip.AudioStream(b_200.body)
        packets = cap.packets()
        sotto_a, sotto_b = "%s:%d" % (MEDIA_IP, answer_a.port), "%s:%d" % (MEDIA_IP, offer_b.port)
        phone_a, phone_b = "127.0.0.1:%d" % offer_a.port, "127.0.0.1:%d" % answer_b.port
        for label, into, out_of in (("alice -> bob", (phone_a, sotto_a), (sotto_b, phone_b)),
                                    ("bob -> alice", (phone_b, sotto_b), (sotto_a, phone_a))):
            sent = rtp_seqs(packets, into[0], into[1], start, end)
            relayed = set(rtp_seqs(packets, out_of[0], out_of[1], start - 1, end + 1))
            lost = [s for s in sent if s not in relayed]
            loss = len(lost) / len(sent) if sent else 1.0
            self.log("audio %s during the attack: %d RTP packets into Sotto, %d not relayed on (loss %.3f %%)" % (
                label, len(sent), len(lost), 100 * loss))
            self.assertGreater(len(sent), 50 * (end - start) * 0.8, "too few packets in the window: %s" % label)
            self.assertLess(loss, MAX_LOSS, "%s lost %d of %d packets (e.g. %s)" % (label, len(lost), len(sent),
                                                                                    lost[:5]))
