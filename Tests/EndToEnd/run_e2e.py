#!/usr/bin/env python3
"""Sotto end-to-end tests with real peers: two baresip softphones, Kamailio as the PBX, tshark on lo.

    python3 Tests/EndToEnd/run_e2e.py --sotto .build-e2e/debug/sotto \\
        --checker .build-e2e/debug/srtp-leg-check [--keep-logs DIR] [--direct] [--only NAME]

The call under test: alice and bob (baresip, mediaenc=srtp-mand) register through Sotto (their outbound
proxy, 127.0.0.1:5061) to Kamailio (127.0.0.2:5061, TLS only, registrar with Path, digest auth). alice calls
bob: A -> Sotto -> Kamailio -> Sotto -> B. bob answers automatically, both send a tone for a few seconds,
alice hangs up. The capture of every media packet must show that each leg is SRTP under its own keys
(srtp-leg-check decrypts it with libsrtp2's stock crypto) and that no media went around Sotto.

Refusal scenarios (each its own test): plain RTP gets 488; nothing answers SIP over UDP or plain TCP;
TLS 1.0/1.1 handshakes fail; with sip.require_client_cert a phone without a certificate cannot register; a
wrong password does not register. The abuse test (e2e_lib/abuse.py): one attacker connection vs a live call.

--direct: no Sotto. The phones register straight to Kamailio and only the call runs, checking that
SRTP flowed and the keys from the SDP decrypt it. It proves the harness (baresip, Kamailio, tshark,
checker) on its own.

Only the Python 3 standard library is used. See Tests/EndToEnd/README.md and docs/e2e.md.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

from e2e_lib import abuse, capture, configs, firstrun, legcheck, preflight, procs, sip  # noqa: E402
from e2e_lib.legcheck import key_entry  # noqa: E402
from e2e_lib.probes import options_request, s_client, tcp_plain_options, udp_options  # noqa: E402
from e2e_lib.phone import Phone  # noqa: E402
from e2e_lib.pki import make_pki  # noqa: E402

# Topology: addresses, ports and the phones.
from e2e_lib.topology import (  # noqa: E402
    DOMAIN, KAM_IP, KAM_PORT, MEDIA_IP, MEDIA_PORTS, PHONES, PROBE_PORT, SOTTO_IP, SOTTO_PORT)

MEDIA_SECONDS = 3.0

# Sotto's per-call teardown line: "call ended" with each leg's packets in/out and drops by reason in its
# metadata (Sources/Proxy/SIPProxy+Teardown.swift, logCallEnded). A line qualifies when it says a call or
# session ended and mentions packets, in whatever order swift-log puts message and metadata.
TEARDOWN_PHRASE = re.compile(r"\b(call|session) (ended|torn down|closed|finished)\b", re.IGNORECASE)


def teardown_lines(text):
    return [line for line in text.splitlines() if TEARDOWN_PHRASE.search(line) and "packets" in line.lower()]


# Sotto's log line once its TLS connection to the PBX is up (Sources/Proxy: "connected to the PBX").
SOTTO_UPSTREAM_READY = r"connected to the PBX"

OPTIONS = None  # the parsed command line
RUN = {}  # per-run state: directory, PKI, start time


def log(message):
    print("[%6.1fs] %s" % (time.monotonic() - RUN["t0"], message), flush=True)


def in_range(port, ports):
    return ports[0] <= port <= ports[1]


# ---------------------------------------------------------------------------------------------------
# The harness every test uses.

class E2ETest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.name = self._testMethodName
        self.dir = os.path.join(RUN["dir"], self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.pki = RUN["pki"]
        self.procs = []
        self.started = time.monotonic()
        log("=== %s" % self.name)

    def tearDown(self):
        for proc in reversed(self.procs):
            proc.stop(grace=3)
        if OPTIONS.keep_logs:
            target = os.path.join(OPTIONS.keep_logs, self.name)
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(self.dir, target, ignore=shutil.ignore_patterns("*.key", "*-combined.pem"))
        log("=== %s done in %.1fs" % (self.name, time.monotonic() - self.started))

    def log(self, message):
        log(message)

    def track(self, proc):
        self.procs.append(proc)
        return proc

    # -- peers --------------------------------------------------------------------------------------

    def start_kamailio(self):
        directory = os.path.join(self.dir, "kamailio")
        cfg = configs.kamailio_files(directory, self.pki, KAM_IP, KAM_PORT, DOMAIN, RUN["passwords"])
        rundir = os.path.join(directory, "run")
        os.makedirs(rundir, exist_ok=True)
        check = procs.run(["kamailio", "-c", "-f", cfg], timeout=30)
        self.assertEqual(check.returncode, 0, "kamailio -c refused %s:\n%s" % (cfg, check.stdout + check.stderr))
        self.kamailio = self.track(procs.Proc(
            "kamailio", ["kamailio", "-f", cfg, "-DD", "-E", "-m", "64", "-M", "8", "-Y", rundir],
            os.path.join(self.dir, "kamailio.log")))
        procs.wait_tcp(KAM_IP, KAM_PORT, 20, self.kamailio)
        log("kamailio %s:%d (TLS only) pid %d" % (KAM_IP, KAM_PORT, self.kamailio.pid))
        return self.kamailio

    def sotto_flags(self):
        return ["--listen", "%s:%d" % (SOTTO_IP, SOTTO_PORT), "--upstream", "%s:%d" % (KAM_IP, KAM_PORT),
                "--cert", self.pki.path("sotto.pem"), "--key", self.pki.path("sotto.key"), "--ca", self.pki.ca,
                "--media-ip", MEDIA_IP, "--media-ports", "%d-%d" % MEDIA_PORTS,
                "--admin-socket", os.path.join(self.dir, "admin.sock"),
                # Its own audit log: the default, /var/log/sotto, belongs to an installed Sotto.
                "--audit-log", os.path.join(self.dir, "admin-audit.jsonl"), "--log-level", "info"] + (
                    # Sotto refuses to run as root unless told (process.allow_root); these tests run as root.
                    ["--allow-root"] if os.geteuid() == 0 else [])

    def start_sotto(self, argv_tail=None):
        argv = [OPTIONS.sotto] + (argv_tail if argv_tail is not None else self.sotto_flags())
        self.sotto = self.track(procs.Proc("sotto", argv, os.path.join(self.dir, "sotto.log")))
        procs.wait_tcp(SOTTO_IP, SOTTO_PORT, 30, self.sotto)
        # A REGISTER that arrives before Sotto's TLS connection to the PBX is up gets 503 (Warning: "the
        # PBX is not reachable"), and baresip only retries much later: wait for the connection first.
        self.sotto.wait_for(SOTTO_UPSTREAM_READY, 15)
        log("sotto %s:%d pid %d, connected to the PBX: %s" % (SOTTO_IP, SOTTO_PORT, self.sotto.pid, " ".join(argv[1:])))
        return self.sotto

    def phone(self, name, *, via_sotto=True, mediaenc="srtp-mand", with_cert=True, password=None):
        """Starts one baresip; `password` overrides the phone's digest password (RUN["passwords"])."""
        outbound = ("sip:%s:%d;transport=tls" % (SOTTO_IP, SOTTO_PORT) if via_sotto
                    else "sip:%s:%d;transport=tls" % (KAM_IP, KAM_PORT))
        spec = PHONES[name]
        phone = Phone(name, os.path.join(self.dir, "phones"), ca=self.pki.ca,
                      cert_combined=self.pki.path(name + "-combined.pem") if with_cert else None,
                      outbound=outbound, domain=DOMAIN, mediaenc=mediaenc,
                      auth_pass=password or RUN["passwords"][name], **spec)
        phone.start()
        self.track(phone.proc)
        return phone

    def start_capture(self, ranges):
        cap = capture.Capture(self.dir, ranges)
        self.track(cap.proc)
        cap.wait_ready()
        log("tshark on lo, filter: %s" % cap.filter)
        return cap

    # -- the call -----------------------------------------------------------------------------------

    def run_call(self, direct):
        self.start_kamailio()
        if not direct:
            self.start_sotto()
        alice_ports, bob_ports = PHONES["alice"]["rtp_ports"], PHONES["bob"]["rtp_ports"]
        ranges = [alice_ports, bob_ports] + ([] if direct else [MEDIA_PORTS])
        cap = self.start_capture(ranges)
        alice = self.phone("alice", via_sotto=not direct)
        bob = self.phone("bob", via_sotto=not direct)
        for p in (alice, bob):
            p.wait_registered(20)
        log("alice and bob registered %s" % ("directly to Kamailio" if direct else "through Sotto"))

        call_started = time.monotonic()
        response = alice.dial("sip:bob@%s" % DOMAIN)
        self.assertTrue(response.get("ok"), "ctrl_tcp dial failed: %r" % response)
        alice.proc.wait_for(r"Call established", 20)
        bob.proc.wait_for(r"Call established", 20)
        log("call established on both phones after %.2fs" % (time.monotonic() - call_started))

        kamailio_sockets = self.kamailio_connections()
        time.sleep(MEDIA_SECONDS / 2)
        probe = None if direct else self.probe_media_ports_in_call(alice, bob)
        if not direct and OPTIONS.sottoctl:
            self.admin_during_call()
        time.sleep(MEDIA_SECONDS / 2)

        response = alice.hangup()
        self.assertTrue(response.get("ok"), "ctrl_tcp hangup failed: %r" % response)
        alice.proc.wait_for(r"terminated \(duration", 10)
        bob.proc.wait_for(r"terminated \(duration", 10)
        log("alice hung up; BYE seen by both phones; call lasted %.1fs" % (time.monotonic() - call_started))
        time.sleep(0.5)  # the last packets in flight
        cap.stop()
        for p in (alice, bob):
            p.proc.stop(grace=3)
        sotto_status = None
        if not direct:
            # SIGTERM: the relay should end its sessions and log their counters before exiting.
            sotto_status = self.sotto.stop(grace=5)
            log("sotto stopped (exit status %s)" % sotto_status)
        self.kamailio.stop(grace=3)

        report = self.analyse_call(direct, alice, bob, cap, kamailio_sockets, probe)
        if not direct:
            self.assertEqual(sotto_status, 0, "sotto did not exit cleanly within 5 s of SIGTERM (status %s)" % sotto_status)
        return report

    def sottoctl(self, *args, timeout=10):
        result = procs.run([OPTIONS.sottoctl] + list(args) + ["--socket", os.path.join(self.dir, "admin.sock")],
                           timeout=timeout)
        self.assertEqual(result.returncode, 0, "sottoctl %s failed: %s" % (" ".join(args), result.stderr.strip()))
        return result.stdout

    def admin_during_call(self):
        """sottoctl against the running relay, mid-call: the two sessions of the call (one per pass through
        Sotto) with packets flowing on both legs, both registrations, and the full-screen watch view drawn in
        a real terminal (tmux) and left with q."""
        table = self.sottoctl("sessions")
        log("sottoctl sessions during the call:\n" + table.rstrip())
        sessions = json.loads(self.sottoctl("sessions", "--json"))
        self.assertEqual(len(sessions), 2, "one session per pass through Sotto: %r" % sessions)
        for session in sessions:
            self.assertEqual(session["state"], "confirmed")
            for leg in session["legs"]:
                self.assertGreater(leg["packetsIn"], 0, "no packets in on %s leg of session %s" % (
                    leg["side"], session["id"]))
                self.assertGreater(leg["packetsOut"], 0, "no packets out on %s leg of session %s" % (
                    leg["side"], session["id"]))
        registrations = json.loads(self.sottoctl("registrations", "--json"))
        self.assertEqual(sorted(r["aor"].split("@")[0] for r in registrations), ["sip:alice", "sip:bob"])
        stats = json.loads(self.sottoctl("stats", "--json"))
        self.assertEqual(stats["sessions"], 2)
        self.assertTrue(stats["pbxConnected"])
        # Every media loop reports its wakeups: the call's packets are among them, each wakeup in one bucket.
        loops = stats["loops"]
        self.assertEqual(len(loops), len(stats["loopSessions"]))
        self.assertGreater(sum(loop["packets"] for loop in loops), 0, "no loop served a packet: %r" % loops)
        for loop in loops:
            self.assertEqual(sum(loop["buckets"]), loop["wakeups"], "buckets do not add up: %r" % loop)
        metrics = self.sottoctl("metrics")
        self.assertIn('sotto_media_loop_packets_per_wakeup_bucket{loop="0",le="+Inf"}', metrics)
        self.abuse_admin_socket(sessions)
        if shutil.which("tmux") is None:
            log("tmux is not installed: the watch screen is not checked")
            return
        name = "sotto-e2e-%d" % os.getpid()
        command = "%s watch --interval-ms 300 --socket %s; echo WATCH-EXITED-$?; sleep 20" % (
            OPTIONS.sottoctl, os.path.join(self.dir, "admin.sock"))
        procs.run(["tmux", "new-session", "-d", "-s", name, "-x", "150", "-y", "30", command], timeout=10)
        try:
            screen = ""
            time.sleep(1.2)  # a few frames, so that packets/s has a previous frame to count from
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                screen = procs.run(["tmux", "capture-pane", "-p", "-t", name], timeout=5).stdout
                if "alice" in screen and "bob" in screen:
                    break
                time.sleep(0.4)
            log("sottoctl watch during the call (tmux capture):\n" + screen.rstrip())
            self.assertIn("alice", screen, "watch did not draw the call")
            procs.run(["tmux", "send-keys", "-t", name, "q"], timeout=5)
            after = ""
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                time.sleep(0.3)
                after = procs.run(["tmux", "capture-pane", "-p", "-t", name], timeout=5).stdout
                if "WATCH-EXITED" in after:
                    break
            self.assertIn("WATCH-EXITED-0", after, "watch did not exit with 0 on q: %r" % after)
            self.assertNotIn("alice", after, "the watch screen was left on the terminal")
        finally:
            procs.run(["tmux", "kill-session", "-t", name], timeout=5)

    def abuse_admin_socket(self, before):
        """Junk, a NUL byte and an oversized line on the real admin socket mid-call: each gets an error or a
        close, and afterwards the relay still relays (packet counters still climbing) and the socket still
        answers."""
        path = os.path.join(self.dir, "admin.sock")
        outcomes = []
        for name, payload in (("junk", b"this is not json\n"), ("NUL", b'{"id":1,"cmd":"vers\x00ion"}\n'),
                              ("1 MiB line", b"x" * (1 << 20) + b"\n")):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(3)
                sock.connect(path)
                try:
                    sock.sendall(payload)
                    reply = sock.recv(4096)
                except OSError as error:
                    reply = ("closed: %s" % error).encode()
                outcomes.append("%s -> %s" % (name, reply[:90].decode(errors="replace").strip() or "closed"))
        log("admin socket abuse mid-call: " + "; ".join(outcomes))
        time.sleep(0.5)
        after = json.loads(self.sottoctl("sessions", "--json"))
        counts = {s["id"]: sum(leg["packetsIn"] for leg in s["legs"]) for s in before}
        for session in after:
            self.assertGreater(sum(leg["packetsIn"] for leg in session["legs"]), counts.get(session["id"], 0),
                               "session %s stopped relaying after the admin socket abuse" % session["id"])

    def kamailio_connections(self):
        """Kamailio's TCP connections right now (from ss): local and remote address of each."""
        return procs.tcp_connections(self.kamailio.pid)

    def probe_media_ports_in_call(self, alice, bob):
        """Sends SIP OPTIONS over UDP to the call's Sotto media ports facing the phones, from PROBE_PORT;
        none may answer."""
        ports = set()
        for message in alice.messages() + bob.messages():
            if (message.method == "INVITE" or message.status == 200) and message.body and message.src.endswith(":5061"):
                stream = sip.AudioStream(message.body)
                if stream.port:
                    ports.update({stream.port, stream.rtcp_port})
        answers = {}
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", PROBE_PORT))
            sock.settimeout(0.2)
            for port in sorted(ports):
                sock.sendto(options_request("udp", "127.0.0.1:%d" % PROBE_PORT, port), (MEDIA_IP, port))
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                try:
                    data, sender = sock.recvfrom(65536)
                    answers[sender] = data[:60]
                except socket.timeout:
                    continue
                except OSError:
                    continue
        log("in-call probe: SIP OPTIONS over UDP to Sotto media ports %s: %s" % (
            sorted(ports), "no answer within 1 s" if not answers else "ANSWERED %r" % answers))
        return {"ports": sorted(ports), "answers": answers}

    # -- analysis -----------------------------------------------------------------------------------

    def analyse_call(self, direct, alice, bob, cap, kamailio_sockets, probe):
        problems = []
        a_msgs, b_msgs = alice.messages(), bob.messages()

        def first(messages, predicate, what):
            for m in messages:
                if predicate(m):
                    return m
            raise AssertionError("no %s in the SIP trace" % what)

        # The last initial INVITE: the PBX challenges the first (407) and alice sends it again with credentials.
        a_invite = first(reversed(a_msgs), lambda m: m.method == "INVITE" and m.to_tag() is None and m.body,
                         "INVITE alice sent")
        call_id = a_invite.call_id
        a_200 = first(a_msgs, lambda m: m.status == 200 and m.cseq_method == "INVITE" and m.body
                      and m.call_id == call_id, "200 alice received")
        b_invite = first(b_msgs, lambda m: m.method == "INVITE" and m.body, "INVITE bob received")
        b_200 = first(b_msgs, lambda m: m.status == 200 and m.cseq_method == "INVITE" and m.body
                      and m.call_id == b_invite.call_id, "200 bob sent")
        offer_a, answer_a = sip.AudioStream(a_invite.body), sip.AudioStream(a_200.body)
        offer_b, answer_b = sip.AudioStream(b_invite.body), sip.AudioStream(b_200.body)
        for label, stream in (("alice's offer", offer_a), ("answer to alice", answer_a),
                              ("offer to bob", offer_b), ("bob's answer", answer_b)):
            log("SDP %-16s %s" % (label, stream))
            if stream.proto != "RTP/SAVP" or not stream.crypto:
                problems.append("%s is not RTP/SAVP with a=crypto (%s)." % (label, stream))

        reinvites = [m for m in a_msgs + b_msgs if m.method == "INVITE" and m.to_tag() is not None]
        if reinvites:
            log("note: %d re-INVITE(s) seen; the keys of the initial offer/answer are used" % len(reinvites))

        kam_text = self.kamailio.text()
        packets_all = cap.packets()
        log("capture: %d UDP packets in %s" % (len(packets_all), cap.pcap))

        # The in-call probe's own packets are not media: leave them out of the checker's input.
        packets = [p for p in packets_all if PROBE_PORT not in (p["sport"], p["dport"])]
        probe_packets = len(packets_all) - len(packets)

        self.check_kamailio_sockets(kamailio_sockets, problems)

        if direct:
            crypto_a, crypto_b = sip.negotiated(offer_a, answer_a)
            legs = [{
                "name": "alice<->bob (direct)", "sotto_ip": "127.0.0.1", "sotto_port": offer_a.port,
                "sotto_rtcp_port": offer_a.rtcp_port,
                # "sotto" is alice's port here: what arrives there was encrypted by bob, what leaves by alice.
                "peer_to_sotto": key_entry(crypto_b), "sotto_to_peer": key_entry(crypto_a),
            }]
            for p in packets:
                for end_port in (p["sport"], p["dport"]):
                    if not (in_range(end_port, PHONES["alice"]["rtp_ports"]) or in_range(end_port, PHONES["bob"]["rtp_ports"])):
                        problems.append("a packet %s -> %s has an end outside the phones' RTP ports." % (p["src"], p["dst"]))
                        break
            expected_peers = None
        else:
            legs, expected_peers = self.through_sotto_legs(kam_text, offer_a, answer_a, offer_b, answer_b, call_id,
                                                           problems)
            self.check_no_bypass(packets, problems)
            self.check_signalling_path(kam_text, problems)

        checker = legcheck.LegChecker(OPTIONS.checker, self.dir, OPTIONS.keep_logs_keys, log)
        report, checker_problems = checker.run(legs, packets)
        problems += checker_problems
        legcheck.print_leg_table(report)
        if report.get("unmatched", {}).get("packets"):
            problems.append("%d captured packets touch no leg (e.g. %s)." % (
                report["unmatched"]["packets"], ", ".join(report["unmatched"]["examples"][:3])))
        if expected_peers:
            for leg in report.get("legs", []):
                allowed = expected_peers.get(leg["name"])
                for direction, data in leg["directions"].items():
                    stray = [peer for peer in data["peers"] if allowed and peer not in allowed]
                    if stray:
                        problems.append("leg %s %s exchanged media with %s, expected only %s." % (
                            leg["name"], direction, stray, sorted(allowed)))
        keys = report.get("keys", {})
        log("keys: %d distinct SDES keys across %d legs: %s" % (
            keys.get("count", 0), len(legs), "pairwise distinct" if keys.get("pairwise_distinct") else "NOT DISTINCT"))

        if probe is not None:
            if probe["answers"]:
                problems.append("a Sotto media port answered SIP OPTIONS over UDP: %r." % probe["answers"])
            log("probe packets left out of the checker's input: %d" % probe_packets)

        teardown = None
        if not direct:
            teardown = teardown_lines(self.sotto.text())
            if teardown:
                for line in teardown:
                    log("sotto teardown: %s" % line.strip())
            else:
                problems.append("Sotto's log has no per-call teardown line (a call ended, with packets each way and "
                                "drops by reason); looked for /%s/ + 'packets' in %s." % (
                                    TEARDOWN_PHRASE.pattern, self.sotto.log_path))

        if problems:
            self.fail("\n  - " + "\n  - ".join(problems))
        return report

    def through_sotto_legs(self, kam_text, offer_a, answer_a, offer_b, answer_b, call_id, problems):
        """The three SRTP legs of a call that spirals A -> Sotto -> Kamailio -> Sotto -> B.

        Kamailio relays SDP unchanged, so the two Sotto<->Kamailio legs (Sotto's upstream leg of the
        A-side session and of the B-side session) are one offer/answer pair: two keys, not four. The
        middle leg is described from the A-side session's port (the one in the INVITE Kamailio got)."""
        sdps = sip.kamailio_sdps(kam_text)
        invites = [s for s in sdps if s.get("kind") == "request" and s.get("method") == "INVITE"]
        replies = [s for s in sdps if s.get("kind") == "reply" and s.get("status") == "200"
                   and s.get("method") == "INVITE"]
        if not invites or not replies:
            raise AssertionError("Kamailio's log has no INVITE and 200 SDP (E2E-SDP lines) to learn the upstream keys")
        # The INVITE the 200 answers (same CSeq), not the one the PBX challenged with 407 before it.
        invite = next((s for s in invites if s.get("cseq") == replies[0].get("cseq")), invites[-1])
        offer_k, answer_k = sip.AudioStream(invite["body"]), sip.AudioStream(replies[0]["body"])
        log("SDP %-16s %s (from Kamailio's log, src %s)" % ("upstream offer", offer_k, invite.get("src")))
        log("SDP %-16s %s (from Kamailio's log, src %s)" % ("upstream answer", answer_k, replies[0].get("src")))
        for label, stream in (("upstream offer", offer_k), ("upstream answer", answer_k)):
            if stream.proto != "RTP/SAVP" or not stream.crypto:
                problems.append("the %s Kamailio relayed is not RTP/SAVP with a=crypto (%s)." % (label, stream))
        for label, stream in (("answer to alice", answer_a), ("upstream offer", offer_k),
                              ("upstream answer", answer_k), ("offer to bob", offer_b)):
            if stream.address != MEDIA_IP or not stream.port or not in_range(stream.port, MEDIA_PORTS):
                problems.append("the %s names %s:%s, not a Sotto media port (%s:%d-%d)." % (
                    label, stream.address, stream.port, MEDIA_IP, MEDIA_PORTS[0], MEDIA_PORTS[1]))

        alice_sends, sotto_to_alice = sip.negotiated(offer_a, answer_a)
        up_a_sends, up_b_sends = sip.negotiated(offer_k, answer_k)
        sotto_to_bob, bob_sends = sip.negotiated(offer_b, answer_b)
        legs = [
            {"name": "A: alice<->sotto", "sotto_ip": MEDIA_IP, "sotto_port": answer_a.port,
             "sotto_rtcp_port": answer_a.rtcp_port,
             "peer_to_sotto": key_entry(alice_sends), "sotto_to_peer": key_entry(sotto_to_alice)},
            {"name": "PBX: sotto<->kamailio<->sotto", "sotto_ip": MEDIA_IP, "sotto_port": offer_k.port,
             "sotto_rtcp_port": offer_k.rtcp_port,
             "peer_to_sotto": key_entry(up_b_sends), "sotto_to_peer": key_entry(up_a_sends)},
            {"name": "B: sotto<->bob", "sotto_ip": MEDIA_IP, "sotto_port": offer_b.port,
             "sotto_rtcp_port": offer_b.rtcp_port,
             "peer_to_sotto": key_entry(bob_sends), "sotto_to_peer": key_entry(sotto_to_bob)},
        ]
        expected_peers = {
            "A: alice<->sotto": {"127.0.0.1:%d" % p for p in range(PHONES["alice"]["rtp_ports"][0],
                                                                   PHONES["alice"]["rtp_ports"][1] + 1)},
            "PBX: sotto<->kamailio<->sotto": {"%s:%d" % (MEDIA_IP, p) for p in (answer_k.port, answer_k.rtcp_port)},
            "B: sotto<->bob": {"127.0.0.1:%d" % p for p in range(PHONES["bob"]["rtp_ports"][0],
                                                                 PHONES["bob"]["rtp_ports"][1] + 1)},
        }
        return legs, expected_peers

    def check_no_bypass(self, packets, problems):
        """Every packet that leaves or reaches a phone's RTP port has a Sotto media port at the other end."""
        phone_ranges = [PHONES["alice"]["rtp_ports"], PHONES["bob"]["rtp_ports"]]
        bypass = []
        for p in packets:
            for mine, other, other_ip in ((p["sport"], p["dport"], p["dst_ip"]), (p["dport"], p["sport"], p["src_ip"])):
                if any(in_range(mine, r) for r in phone_ranges):
                    if not (in_range(other, MEDIA_PORTS) and other_ip == MEDIA_IP):
                        bypass.append("%s -> %s" % (p["src"], p["dst"]))
                    break
        if bypass:
            problems.append("%d media packets went between a phone and something other than Sotto (e.g. %s)." % (
                len(bypass), ", ".join(sorted(set(bypass))[:4])))
        else:
            log("no bypass: every packet at a phone's RTP port has a Sotto media port at the other end")

    def check_kamailio_sockets(self, connections, problems):
        if not connections:
            problems.append("ss showed no established TCP connection of Kamailio during the call.")
            return
        wrong = [c for c in connections if not c[0].startswith(KAM_IP + ":")]
        log("kamailio's TLS connections during the call (local -> remote): %s" % ", ".join(
            "%s -> %s" % c for c in connections))
        if wrong:
            problems.append("Kamailio had connections from a local address other than %s: %s." % (KAM_IP, wrong))

    def check_signalling_path(self, kam_text, problems):
        """REGISTERs reached Kamailio from Sotto with a Path to Sotto; the INVITE to bob went back through it."""
        registers = re.findall(r"E2E-REGISTER aor=(\S+) src=(\S+) path=(.*?) contact=", kam_text)
        for aor, src, path in registers:
            if not src.startswith(SOTTO_IP + ":"):
                problems.append("Kamailio got REGISTER for %s from %s, not from Sotto." % (aor, src))
            if "%s:%d" % (SOTTO_IP, SOTTO_PORT) not in path or "transport=tls" not in path:
                problems.append("REGISTER for %s reached Kamailio with Path %r, not one through Sotto." % (aor, path))
        if registers:
            log("Kamailio stored Path %s" % registers[0][2])
        relays = re.findall(r"E2E-RELAY method=INVITE to=(\S+) ruri=(\S+)", kam_text)
        if not relays:
            problems.append("Kamailio relayed no INVITE.")
        for to, ruri in relays:
            if "%s:%d" % (SOTTO_IP, SOTTO_PORT) not in to:
                problems.append("Kamailio sent the INVITE for %s to %s, not back through Sotto's Path." % (ruri, to))
            else:
                log("Kamailio routed the INVITE to bob via the stored Path: %s" % to)


# ---------------------------------------------------------------------------------------------------
# The tests.

class CallTest(E2ETest):
    def test_call_srtp_every_leg(self):
        """alice calls bob through Sotto and Kamailio; every leg is SRTP under its own keys; no bypass."""
        if OPTIONS.direct:
            self.skipTest("--direct: see test_call_direct")
        self.run_call(direct=False)

    def test_call_direct(self):
        """Harness self-test: alice calls bob directly through Kamailio; the SDP keys decrypt the SRTP."""
        if not OPTIONS.direct:
            self.skipTest("only with --direct")
        self.run_call(direct=True)


class RefusalTest(E2ETest):
    def setUp(self):
        if OPTIONS.direct:
            self.skipTest("needs Sotto (not with --direct)")
        super().setUp()

    def test_plain_rtp_gets_488(self):
        """A phone offering plain RTP (no mediaenc) through Sotto gets 488; nothing reaches the PBX or bob."""
        self.start_kamailio()
        self.start_sotto()
        bob = self.phone("bob")
        carol = self.phone("carol", mediaenc=None)
        bob.wait_registered(20)
        carol.wait_registered(20)
        carol.dial("sip:bob@%s" % DOMAIN)
        match = carol.proc.wait_for(r"^SIP/2\.0 488[^\r\n]*", 15)
        log("carol got: %s" % match.group(0).strip())
        invite = next((m for m in carol.messages() if m.method == "INVITE"), None)
        self.assertIsNotNone(invite, "carol's INVITE is not in her trace")
        offer = sip.AudioStream(invite.body)
        self.assertEqual(offer.proto, "RTP/AVP", "carol should have offered plain RTP: %s" % offer)
        self.assertFalse(offer.cryptos, "carol's offer should carry no a=crypto")
        time.sleep(0.5)
        self.assertFalse([m for m in bob.messages() if m.method == "INVITE"], "bob received an INVITE")
        self.assertNotIn("callid=%s" % invite.call_id, re.sub(r"method=REGISTER.*", "", self.kamailio.text()),
                         "the plain-RTP INVITE reached Kamailio")

    def test_no_udp_or_plain_tcp(self):
        """Nothing answers SIP over UDP (5061, 5060, media ports) or plain-text SIP over TCP (5061, 5060)."""
        self.start_kamailio()
        self.start_sotto()
        targets = [SOTTO_PORT, 5060, MEDIA_PORTS[0], MEDIA_PORTS[0] + 1, (MEDIA_PORTS[0] + MEDIA_PORTS[1]) // 2 & ~1,
                   MEDIA_PORTS[1] - 1]
        for port in targets:
            outcome = udp_options(SOTTO_IP, port)
            log("UDP OPTIONS to %s:%d: %s" % (SOTTO_IP, port, outcome))
            self.assertFalse(outcome.startswith("ANSWER"), "UDP %d answered: %s" % (port, outcome))
        for port in (SOTTO_PORT, 5060):
            outcome = tcp_plain_options(SOTTO_IP, port)
            log("plain TCP OPTIONS to %s:%d: %s" % (SOTTO_IP, port, outcome))
            self.assertFalse(outcome.startswith("SIP RESPONSE"), "TCP %d gave a SIP response: %s" % (port, outcome))
        self.assertTrue(self.sotto.alive(), "sotto died during the probes")

    def test_old_tls_refused(self):
        """TLS 1.0 and 1.1 handshakes to Sotto fail (a control server shows the client can do them)."""
        self.start_kamailio()
        self.start_sotto()
        control = self.track(procs.Proc(
            "s_server", ["openssl", "s_server", "-accept", "127.0.0.1:29980", "-cert", self.pki.path("sotto.pem"),
                         "-key", self.pki.path("sotto.key"), "-cipher", "DEFAULT@SECLEVEL=0",
                         "-min_protocol", "TLSv1", "-max_protocol", "TLSv1.2", "-naccept", "4", "-quiet"],
            os.path.join(self.dir, "control-s_server.log"), stdin=subprocess.PIPE))
        procs.wait_tcp("127.0.0.1", 29980, 10, control)
        for flag in ("-tls1", "-tls1_1"):
            ok, summary = s_client("127.0.0.1:29980", flag, self.pki.ca)
            log("control: openssl s_client %s to an s_server that allows it: %s" % (flag, summary))
            self.assertTrue(ok, "the control handshake %s failed, so the client cannot prove anything: %s" % (flag, summary))
            ok, summary = s_client("%s:%d" % (SOTTO_IP, SOTTO_PORT), flag, self.pki.ca)
            log("openssl s_client %s to Sotto: %s" % (flag, summary))
            self.assertFalse(ok, "Sotto accepted a %s handshake: %s" % (flag, summary))
        ok, summary = s_client("%s:%d" % (SOTTO_IP, SOTTO_PORT), "-tls1_2", self.pki.ca)
        log("openssl s_client -tls1_2 to Sotto: %s" % summary)
        self.assertTrue(ok, "TLS 1.2 to Sotto should work: %s" % summary)

    def test_mtls_required(self):
        """With sip.require_client_cert = true, a phone without a certificate cannot register; one with can."""
        self.start_kamailio()
        config = configs.sotto_toml(
            os.path.join(self.dir, "sotto.toml"), listen="%s:%d" % (SOTTO_IP, SOTTO_PORT),
            cert=self.pki.path("sotto.pem"), key=self.pki.path("sotto.key"), ca=self.pki.ca, require_client_cert=True,
            upstream="%s:%d" % (KAM_IP, KAM_PORT), media_ip=MEDIA_IP, media_ports=MEDIA_PORTS,
            admin_socket=os.path.join(self.dir, "admin.sock"))
        self.start_sotto(["--config", config])
        dave = self.phone("dave", with_cert=False)
        erin = self.phone("erin", with_cert=True)
        erin.wait_registered(20)
        log("erin (client certificate) registered through Sotto")
        time.sleep(3)  # dave has had as long as erin and more
        self.assertFalse(dave.registered(), "dave registered without a client certificate")
        self.assertNotIn("aor=sip:dave@", self.kamailio.text(), "dave's REGISTER reached Kamailio")
        sent = len([m for m in dave.messages() if m.method == "REGISTER"])
        answers = [m.start_line for m in dave.messages() if m.status is not None]
        log("dave (no certificate): %d REGISTER attempt(s), responses: %s" % (sent, answers or "none"))
        self.assertFalse([a for a in answers if a.startswith("SIP/2.0 2")], "dave got a 2xx")
        for line in self.sotto.text().splitlines():
            if "certificate" in line.lower() or "handshake" in line.lower():
                log("sotto: %s" % line.strip())

    def test_wrong_password_not_registered(self):
        """The PBX's digest authentication is in force through Sotto: a phone with a wrong password is
        challenged (401), answers, is challenged again and never registers."""
        self.start_kamailio()
        self.start_sotto()
        dave = self.phone("dave", with_cert=False, password="wrong" + RUN["passwords"]["dave"])
        failure = re.compile(r"reg: sip:dave@%s: \d{3}[^\n\x1b]*" % re.escape(DOMAIN))
        deadline = time.monotonic() + 15
        while not failure.search(dave.text()) and not dave.registered() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(dave.registered(), "dave registered with a wrong password")
        self.assertRegex(dave.text(), failure, "dave's registration neither failed nor succeeded within 15 s")
        log("dave (wrong password): %s" % failure.search(dave.text()).group(0).strip())
        challenges = re.findall(r"E2E-CHALLENGE status=401 method=REGISTER aor=sip:dave@\S+ user=(\S+)",
                                self.kamailio.text())
        log("Kamailio challenged dave's REGISTER %d time(s), credentials for: %s" % (len(challenges), challenges))
        self.assertIn("dave", challenges, "dave's REGISTER with (wrong) credentials was not challenged again")
        self.assertNotIn("E2E-REGISTER aor=sip:dave@", self.kamailio.text(), "dave's REGISTER was saved")


class AbuseTest(abuse.AbuseTests, E2ETest):
    """The abuse scenario (e2e_lib/abuse.py): one attacker connection against a live call."""

    def sottoctl_available(self):
        return bool(OPTIONS.sottoctl)

    def setUp(self):
        if OPTIONS.direct:
            self.skipTest("needs Sotto (not with --direct)")
        super().setUp()


class FirstRunTest(firstrun.FirstRunTests, E2ETest):
    """The first run (e2e_lib/firstrun.py): the test PBX behind Sotto, and scripts/run-dev.sh's decision."""

    def sotto_path(self):
        return OPTIONS.sotto

    def setUp(self):
        if OPTIONS.direct:
            self.skipTest("needs Sotto (not with --direct)")
        super().setUp()


# ---------------------------------------------------------------------------------------------------

def main():
    global OPTIONS
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sotto", help="the sotto executable (not needed with --direct)")
    parser.add_argument("--checker", required=True, help="the srtp-leg-check executable")
    parser.add_argument("--keep-logs", metavar="DIR", help="copy every test's logs, configs and capture here")
    parser.add_argument("--keep-keys", dest="keep_logs_keys", action="store_true",
                        help="also keep the checker's input (it holds SRTP keys; test keys only)")
    parser.add_argument("--direct", action="store_true", help="no Sotto: prove the harness with a direct call")
    parser.add_argument("--sottoctl", metavar="PATH",
                        help="also check sottoctl against the running relay during the call")
    parser.add_argument("--only", metavar="TEXT", action="append", help="run only tests whose name contains TEXT")
    OPTIONS = parser.parse_args()
    if not OPTIONS.direct and not OPTIONS.sotto:
        parser.error("--sotto is required unless --direct")
    OPTIONS.checker = os.path.abspath(OPTIONS.checker)
    if OPTIONS.sotto:
        OPTIONS.sotto = os.path.abspath(OPTIONS.sotto)
    if OPTIONS.keep_logs:
        OPTIONS.keep_logs = os.path.abspath(OPTIONS.keep_logs)
        os.makedirs(OPTIONS.keep_logs, exist_ok=True)

    RUN["t0"] = time.monotonic()
    procs.install_cleanup(lambda: shutil.rmtree(RUN.get("dir") or "/nonexistent", ignore_errors=True))
    preflight.check_tools(OPTIONS.sotto, OPTIONS.checker, need_sotto=not OPTIONS.direct, log=log)
    RUN["dir"] = tempfile.mkdtemp(prefix="sotto-e2e-")
    try:
        RUN["pki"] = make_pki(os.path.join(RUN["dir"], "pki"), list(PHONES))
        # Digest passwords Kamailio checks, throwaway like the PKI.
        RUN["passwords"] = {name: secrets.token_hex(12) for name in PHONES}
        log("throwaway PKI in %s" % RUN["pki"].directory)
        loader = unittest.TestLoader()
        suite = unittest.TestSuite()
        for case in (CallTest, RefusalTest, AbuseTest, FirstRunTest):
            for name in loader.getTestCaseNames(case):
                if OPTIONS.only and not any(text in name for text in OPTIONS.only):
                    continue
                if OPTIONS.direct and name != "test_call_direct":
                    continue
                if not OPTIONS.direct and name == "test_call_direct":
                    continue
                suite.addTest(case(name))
        if suite.countTestCases() == 0:
            # A run that tests nothing must not read as a pass (a mistyped --only, say).
            log("no test matches the selection: nothing was tested")
            return 1
        result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    finally:
        procs.stop_all()
        shutil.rmtree(RUN["dir"], ignore_errors=True)
    elapsed = time.monotonic() - RUN["t0"]
    verdict = "PASSED" if result.wasSuccessful() else "FAILED"
    print("\nSotto end-to-end (%s): %s: %d run, %d failed, %d errors, %d skipped in %.1fs%s" % (
        "direct, no Sotto" if OPTIONS.direct else "through Sotto", verdict, result.testsRun, len(result.failures),
        len(result.errors), len(result.skipped), elapsed,
        ("; logs in " + OPTIONS.keep_logs) if OPTIONS.keep_logs else ""))
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
