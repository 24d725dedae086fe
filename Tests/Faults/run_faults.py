#!/usr/bin/env python3
"""The fault suite: Sotto and sotto-loadgen (phones and PBX) in network namespaces of their own, and the
faults production brings (a phone that vanishes, the PBX connection that drops, a lossy phone link), each
case stating what must hold and checking it. Needs root (ip netns, tc). See docs/faults.md."""

import argparse
import errno
import json
import signal
import os
import shutil
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "EndToEnd"))

from e2e_lib import procs  # noqa: E402
from faults_lib import relay, sandbox  # noqa: E402
from faults_lib.recording import RecordingCases  # noqa: E402
from faults_lib.relay import Loadgen, Sotto, wait_until  # noqa: E402

# Sizes: `ci` is what a CI run can afford, `full` is `make faults`.
SIZES = {
    "ci": {"vanish_calls": 4, "drop_calls": 4, "drop_hold": 6, "netem_calls": 4, "netem_hold": 10, "drain_calls": 50,
           "fd_calls": 4, "nat_calls": 4, "nat_hold": 8},
    "full": {"vanish_calls": 40, "drop_calls": 40, "drop_hold": 15, "netem_calls": 20, "netem_hold": 30,
             "drain_calls": 50, "fd_calls": 20, "nat_calls": 20, "nat_hold": 20},
}

OPTIONS = argparse.Namespace()
BOX = sandbox.Sandbox()
# The running case's temporary directory, removed on SIGINT/SIGTERM as well as at the case's end, and the
# file systems a case mounted in it (unmounted first).
WORK_DIRS = []
MOUNTS = []


def remove_work_dirs():
    while MOUNTS:
        procs.run(["umount", "-l", MOUNTS.pop()], timeout=10)
    while WORK_DIRS:
        shutil.rmtree(WORK_DIRS.pop(), ignore_errors=True)


def setUpModule():
    procs.install_cleanup(BOX.down, remove_work_dirs)
    BOX.up()


def tearDownModule():
    procs.stop_all()
    BOX.down()


def direction(report, name):
    return report["media"][name]


class FaultCase(RecordingCases, unittest.TestCase):
    def setUp(self):
        self.sottoctl = OPTIONS.sottoctl
        self.mounts = MOUNTS
        self.dir = tempfile.mkdtemp(prefix="sotto-faults-%s-" % self._testMethodName)
        WORK_DIRS.append(self.dir)
        self.pki = relay.make_pki(os.path.join(self.dir, "pki"))
        self.size = SIZES[OPTIONS.size]
        self.started = time.monotonic()

    def tearDown(self):
        procs.stop_all()
        BOX.wire_bridged(True)
        for link in (sandbox.PHONE_LINK, sandbox.PBX_LINK):
            BOX.link_up(link)
        print("  [%s: %.1f s]" % (self._testMethodName, time.monotonic() - self.started), file=sys.stderr)
        if OPTIONS.keep_logs:
            target = os.path.join(OPTIONS.keep_logs, self._testMethodName)
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(self.dir, target, ignore=shutil.ignore_patterns("*.key", "*-combined.pem", "*.sock"))
        remove_work_dirs()

    def start_sotto(self, name="sotto", **config):
        path = relay.write_config(self.dir, self.pki, **config)
        return Sotto(OPTIONS.sotto, path, self.dir, sottoctl=OPTIONS.sottoctl, name=name)

    def loadgen(self, name, **kwargs):
        return Loadgen(OPTIONS.loadgen, self.pki, self.dir, name, **kwargs)

    # (a) A phone vanishes.

    def test_a_phone_vanishes(self):
        """Calls are up; the phones' link goes down (no FIN, no RST). The PBX side goes on sending, but each
        phone's leg falls silent, and a leg whose peer should send counts on its own
        (media.idle_timeout_s): every call ends by the media idle timeout (end-reason mediaTimeout) with a
        BYE toward the PBX (the loadgen's PBX side records the relay's BYE before the caller hung up); the
        phones' TLS connections are closed later by sip.idle_timeout_s; Sotto's media ports and file
        descriptors return to what they were before the calls. Takes about 10 s (every
        wait bounded, 60 s at most for sotto-loadgen to finish)."""
        calls = self.size["vanish_calls"]
        media_idle, sip_idle = 2, 8
        sotto = self.start_sotto(media_idle_s=media_idle, sip_idle_s=sip_idle)
        baseline_fds = sotto.fd_count()
        self.assertEqual(sotto.media_ports(), set(), "media ports bound before any call")
        # Hold far beyond the test: the phones would hang up only after the fault.
        gen = self.loadgen("loadgen", calls=calls, concurrency=calls, hold=60, max_failures=calls)
        sotto.proc.wait_for(r"call up", timeout=30, count=calls)
        time.sleep(0.5)
        in_call_ports = sotto.media_ports()
        self.assertEqual(len(in_call_ports), 4 * calls, "each call binds 4 media ports")
        print("  baseline fds %d; with %d calls up: fds %d, media ports %d"
              % (baseline_fds, calls, sotto.fd_count(), len(in_call_ports)), file=sys.stderr)

        vanished = time.monotonic()
        BOX.link_down(sandbox.PHONE_LINK)
        sotto.proc.wait_for(r"call ended$", timeout=media_idle + 10, count=calls)
        took = time.monotonic() - vanished
        reasons = sotto.ended_reasons()
        self.assertEqual(reasons, ["mediaTimeout"] * calls, "every call ends by the media idle timeout")
        self.assertLess(took, sip_idle, "the calls ended before the SIP idle timeout closed the connections")
        ports = wait_until(lambda: not sotto.media_ports(), timeout=5)
        self.assertTrue(ports, "media ports still bound after the calls ended: %s" % sorted(sotto.media_ports()))
        # The phones' TLS connections: closed by Sotto's SIP idle timeout (their FIN is lost on the dead link).
        gone = wait_until(lambda: not sotto.established_from(sandbox.PHONE_IP), timeout=sip_idle + 10)
        self.assertTrue(gone, "Sotto still holds the vanished phones' connections: %s"
                        % sotto.established_from(sandbox.PHONE_IP))
        print("  calls ended (%s) %.1f s after the link went down (media idle %d s, SIP idle %d s); phones'"
              " connections closed" % (",".join(sorted(set(reasons))), took, media_idle, sip_idle), file=sys.stderr)

        # The phones come back only so that sotto-loadgen can finish (their connections are gone: RST/FIN).
        BOX.link_up(sandbox.PHONE_LINK)
        gen.wait(timeout=60)
        report = gen.report()
        causes = report["calls"]["failuresByStatus"]
        relay_byes = sum(n for cause, n in causes.items() if cause.startswith("the relay ended the call"))
        self.assertEqual(relay_byes, calls, "the PBX side got Sotto's BYE for every call: %s" % causes)
        self.assertEqual(direction(report, "phoneToPBX")["authFailures"], 0)
        self.assertEqual(direction(report, "pbxToPhone")["authFailures"], 0)

        back = wait_until(lambda: sotto.fd_count() == baseline_fds and not sotto.media_ports(), timeout=10,
                          interval=0.1)
        self.assertTrue(back, "fds %d, baseline %d; media ports %s"
                        % (sotto.fd_count(), baseline_fds, sorted(sotto.media_ports())))
        print("  PBX side saw the relay's BYE on %d/%d calls (%s); fds back to %d, media ports 0"
              % (relay_byes, calls, ", ".join(sorted(causes)), baseline_fds), file=sys.stderr)
        self.assertTrue(sotto.proc.alive())

    # (b) The PBX link drops mid-call.

    def test_b_pbx_connection_drops(self):
        """Calls are up; the PBX side's TCP connection is destroyed (`ss -K` in its namespace: RST to
        Sotto). Must hold: Sotto reconnects; the established calls keep their media (loss below 0.1 % each
        way, measured by sotto-loadgen over the whole run), their BYEs pass over the new connection, and the
        second wave of calls, placed after the reconnection, completes. Takes about 2 x hold + 2 s (bounded by
        2 x hold + 60 s)."""
        calls, hold = self.size["drop_calls"], self.size["drop_hold"]
        sotto = self.start_sotto()
        gen = self.loadgen("loadgen", calls=2 * calls, concurrency=calls, hold=hold)
        sotto.proc.wait_for(r"call up", timeout=30, count=calls)
        time.sleep(1.0)
        before = sotto.established_from(sandbox.PBX_IP)
        self.assertEqual(len(before), 1, "one connection to the PBX: %s" % before)
        killed = BOX.kill_tcp(sandbox.LOADGEN_NS, ["sport", "=", ":%d" % relay.PBX_PORT])
        self.assertIn(str(relay.PBX_PORT), killed, "ss -K destroyed the PBX side's connection")
        sotto.proc.wait_for(r"the connection to the PBX was lost; reconnecting", timeout=10)
        sotto.proc.wait_for(r"connected to the PBX", timeout=10, count=2)
        after = wait_until(lambda: sotto.established_from(sandbox.PBX_IP), timeout=5)
        self.assertEqual(len(after), 1)
        self.assertNotEqual(before[0].split()[2], after[0].split()[2], "a new connection (another local port)")
        self.assertEqual(sotto.count(r"call ended"), 0, "no call ended when the PBX connection dropped")
        print("  PBX connection %s destroyed; Sotto reconnected from %s" % (before[0].split()[2], after[0].split()[2]),
              file=sys.stderr)

        status = gen.wait(timeout=2 * hold + 60)
        report = gen.report()
        log = sotto.proc.text()
        reconnected_at = log.index("connected to the PBX", log.index("the connection to the PBX was lost"))
        second_wave = log.count("call up", reconnected_at)
        for name in ("phoneToPBX", "pbxToPhone"):
            d = direction(report, name)
            print("  %s: sent %d received %d loss %.3f %% authFailures %d"
                  % (name, d["sent"], d["received"], d["lossPercent"], d["authFailures"]), file=sys.stderr)
            self.assertLess(d["lossPercent"], 0.1, name)
            self.assertEqual(d["authFailures"], 0, name)
        self.assertEqual(report["calls"]["completed"], 2 * calls, report["calls"])
        self.assertEqual(second_wave, calls, "the second wave of calls was set up after the reconnection")
        self.assertEqual(status, 0, "sotto-loadgen: %s" % report.get("violations"))
        self.assertEqual(sorted(set(sotto.ended_reasons())), ["bye"])

    def test_b2_pbx_connection_drops_during_setup(self):
        """Calls are ringing (the PBX side answers only after 4 s); the PBX side's TCP connection is destroyed
        as in (b). Must hold: every caller gets a final SIP response from Sotto (the INVITE transaction does
        not just time out on the phone), Sotto reconnects, and a new run of calls completes after.
        Takes about 10 s (bounded by 60 s per sotto-loadgen run)."""
        calls = self.size["drop_calls"]
        sotto = self.start_sotto()
        gen = self.loadgen("ringing", calls=calls, concurrency=calls, hold=2, max_failures=calls, extra=("--ring", "4"))
        ringing = wait_until(lambda: sotto.metrics().get("sotto_calls", 0) >= calls, timeout=20, interval=0.3)
        self.assertTrue(ringing, "the calls are ringing")
        killed = BOX.kill_tcp(sandbox.LOADGEN_NS, ["sport", "=", ":%d" % relay.PBX_PORT])
        self.assertIn(str(relay.PBX_PORT), killed)
        gen.wait(timeout=60)
        causes = gen.report()["calls"]["failuresByStatus"]
        print("  ringing calls when the PBX connection dropped: %s" % causes, file=sys.stderr)
        print("  Sotto ended them: %s" % sorted(set(sotto.ended_reasons())), file=sys.stderr)
        answered = sum(n for cause, n in causes.items() if cause.startswith("SIP "))
        self.assertEqual(answered, calls, "every caller got a final response: %s" % causes)
        after = self.loadgen("after", calls=2, concurrency=2, hold=2)
        self.assertEqual(after.wait(timeout=60), 0, "new calls after the reconnection: %s" % after.report()["calls"])

    def test_b3_call_ended_while_the_pbx_is_away(self):
        """Calls are up; the PBX side stops (SIGSTOP) and its TCP connection is destroyed, so Sotto's new
        connection cannot finish its TLS handshake; meanwhile an operator ends one call (`sottoctl
        terminate`). Must hold: the phone gets Sotto's BYE at once, and the BYE toward the PBX waits for the
        new connection and goes on it once the PBX side runs again (sotto-loadgen's PBX side counts it), so
        the PBX does not keep a call Sotto has ended; the other calls complete. Takes about 10 s."""
        calls = 2
        sotto = self.start_sotto()
        gen = self.loadgen("loadgen", calls=calls, concurrency=calls, hold=8, max_failures=1, max_loss=100)
        sotto.proc.wait_for(r"call up", timeout=30, count=calls)
        gen.proc.popen.send_signal(signal.SIGSTOP)
        try:
            BOX.kill_tcp(sandbox.LOADGEN_NS, ["sport", "=", ":%d" % relay.PBX_PORT])
            sotto.proc.wait_for(r"the connection to the PBX was lost; reconnecting", timeout=10)
            session = str(json.loads(sotto.ctl("--json", "sessions").stdout)[0]["id"])
            self.assertEqual(sotto.ctl("terminate", session).returncode, 0)
            sotto.proc.wait_for(r"BYE toward the PBX waits for its connection", timeout=5)
        finally:
            gen.proc.popen.send_signal(signal.SIGCONT)
        sotto.proc.wait_for(r"sent=1 .*BYEs that waited for the PBX connection", timeout=20)
        gen.wait(timeout=60)
        report = gen.report()
        print("  while the PBX was away: %s" % report["calls"]["failuresByStatus"], file=sys.stderr)
        self.assertEqual(report["calls"]["relayByesToPhones"], 1, "the phone got Sotto's BYE")
        self.assertEqual(report["calls"]["relayByesToPBX"], 1, "the PBX side got the BYE that waited")
        self.assertEqual(report["calls"]["completed"], calls - 1, report["calls"])

    # (c) Loss, reordering, jitter and duplication on the phones' link.

    def test_c_lossy_phone_link(self):
        """The phones' link loses 5 % of IP packets, delays them 40 ms with 20 ms of jitter (which reorders)
        and duplicates 1 %, both ways, for the whole run (wire.py, netem in user space). Must hold: no packet
        fails authentication anywhere (Sotto's drop counters, both sides of sotto-loadgen); duplicates from
        the phones are dropped by Sotto as replays and none is forwarded; those toward the phones are
        refused by the phones' replay check; no leg re-latches; every call completes; and the loss each
        direction shows is what the wire took (sotto-loadgen's lost packets = the wire's drops, give or take
        0.5 % of the packets sent, for the packets still in flight at hang-up). Takes about hold + 5 s (bounded
        by hold + 60 s)."""
        calls, hold = self.size["netem_calls"], self.size["netem_hold"]
        sotto = self.start_sotto()
        wire = BOX.impair_phones(self.dir, loss=5, duplicate=1, delay_ms=40, jitter_ms=20)
        gen = self.loadgen("loadgen", calls=calls, concurrency=calls, hold=hold, max_loss=100)
        status = gen.wait(timeout=hold + 60)
        report = gen.report()
        metrics = sotto.metrics()
        wire.stop(grace=5)
        with open(wire.stats_path) as f:
            wire_stats = json.load(f)
        # Frames that came in on the interface toward the phones went toward Sotto.
        from_phones, from_sotto = wire_stats[sandbox.WIRE_IFS[1]], wire_stats[sandbox.WIRE_IFS[0]]
        print("  wire, phones -> Sotto: %s; Sotto -> phones: %s" % (from_phones, from_sotto), file=sys.stderr)
        drops = {name: int(v) for name, v in metrics.items() if name.startswith("sotto_drops_total")}
        print("  Sotto drops: %s; relatches %d" % (drops, metrics.get("sotto_relatches_total", 0)), file=sys.stderr)
        for name, wire_side in (("phoneToPBX", from_phones), ("pbxToPhone", from_sotto)):
            d = direction(report, name)
            print("  %s: sent %d received %d lost %d (%.2f %%) reordered %d duplicates %d authFailures %d"
                  % (name, d["sent"], d["received"], d["lost"], d["lossPercent"], d["reordered"], d["duplicates"],
                     d["authFailures"]), file=sys.stderr)
            self.assertEqual(d["authFailures"], 0, name)
            self.assertEqual(d["corrupt"], 0, name)
            self.assertEqual(d["wrongSSRC"], 0, name)
            self.assertGreater(wire_side["udpLost"], 0, "%s: the wire lost packets" % name)
            self.assertLessEqual(abs(d["lost"] - wire_side["udpLost"]), max(3, d["sent"] // 200),
                                 "%s: loss %d is what the wire took (%d)" % (name, d["lost"], wire_side["udpLost"]))
        toward_phones = direction(report, "pbxToPhone")
        self.assertGreater(toward_phones["duplicates"], 0, "the wire's duplicates reach the phones as replays")
        self.assertLessEqual(abs(toward_phones["duplicates"] - from_sotto["udpDuplicated"]),
                             max(3, toward_phones["sent"] // 200), "the phones see each duplicate the wire made")
        self.assertGreater(toward_phones["reordered"], 0, "the jitter reorders packets")
        self.assertEqual(direction(report, "phoneToPBX")["duplicates"], 0, "Sotto forwards no duplicate")
        self.assertEqual(drops.get('sotto_drops_total{reason="authFailed"}', 0), 0)
        replays = drops.get('sotto_drops_total{reason="replay"}', 0)
        self.assertGreater(replays, 0, "the phones' duplicated packets are dropped by Sotto as replays")
        self.assertLessEqual(replays, from_phones["udpDuplicated"], "no replay beyond the wire's duplicates")
        self.assertEqual(metrics.get("sotto_relatches_total", 0), 0, "no leg re-latched")
        self.assertEqual(report["calls"]["completed"], calls, report["calls"])
        self.assertEqual(sorted(set(sotto.ended_reasons())), ["bye"])
        self.assertEqual(status, 0, "sotto-loadgen: %s" % report.get("violations"))

    # (d) SIGKILL and restart.

    def test_d_sigkill_and_restart(self):
        """Calls are up and the admin audit log has a line (an operator command); Sotto is killed with
        SIGKILL (no clean-up of its own). Must hold: a new Sotto with the same config starts (the stale admin
        socket path is reused, the audit log is continued with its hash chain intact, every media port is
        free), answers the admin socket, and new calls, with the phones registering again first, complete
        within sotto-loadgen's ready timeout (10 s) plus their hold. Takes about 10 s (bounded by 60 s per
        sotto-loadgen run)."""
        calls = self.size["vanish_calls"]
        sotto = self.start_sotto()
        audit = os.path.join(self.dir, "admin-audit.jsonl")
        result = procs.run([OPTIONS.sottoctl, "log-level", "debug", "--socket", sotto.admin_socket], timeout=10)
        self.assertEqual(result.returncode, 0, result.stderr)
        gen = self.loadgen("before", calls=calls, concurrency=calls, hold=60, max_failures=calls)
        sotto.proc.wait_for(r"call up", timeout=30, count=calls)
        os.kill(sotto.pid, signal.SIGKILL)
        sotto.proc.popen.wait(timeout=10)
        gen.wait(timeout=60)
        self.assertTrue(os.path.exists(sotto.admin_socket), "SIGKILL leaves the socket file behind")
        lines_before = sum(1 for _ in open(audit))

        restarted = self.start_sotto(name="sotto-restarted")
        self.assertEqual(restarted.media_ports(), set(), "no media port left bound")
        result = procs.run([OPTIONS.sottoctl, "log-level", "info", "--socket", restarted.admin_socket], timeout=10)
        self.assertEqual(result.returncode, 0, "the restarted Sotto answers on the reused socket path: %s"
                         % result.stderr)
        started = time.monotonic()
        after = self.loadgen("after", calls=calls, concurrency=calls, hold=2, extra=("--register",))
        status = after.wait(timeout=60)
        report = after.report()
        print("  restarted; %d/%d phones registered again, %d/%d calls completed %.1f s after the restart"
              % (report["registrations"]["registered"], calls, report["calls"]["completed"], calls,
                 time.monotonic() - started), file=sys.stderr)
        self.assertEqual(status, 0, "calls after the restart: %s" % report.get("violations"))
        self.assertEqual(report["registrations"]["registered"], calls)
        restarted.stop()
        lines_after = sum(1 for _ in open(audit))
        self.assertGreater(lines_after, lines_before, "the restarted Sotto appended to the same audit log")
        verify = procs.run([OPTIONS.sottoctl, "audit", "verify", audit], timeout=10)
        print("  audit verify: %s" % (verify.stdout.strip() or verify.stderr.strip()), file=sys.stderr)
        self.assertEqual(verify.returncode, 0, "the audit log's chain holds across the SIGKILL")

    # (e) SIGTERM drain.

    def test_e_sigterm_drain(self):
        """50 calls are up (started 10 a second, each meant to last 8 s) when Sotto gets SIGTERM, with
        calls.drain_s = 6. Must hold: while draining, an OPTIONS is answered 503 (a PBX or load balancer
        probing Sotto takes it out of rotation) and a new INVITE gets 503; the live calls keep their media
        (loss below 0.1 % each way over the run); the calls that end within drain_s end by their own BYE, and
        at drain_s Sotto sends BYE both ways for the rest (each remaining call: one BYE to the phone, one to
        the PBX side); Sotto exits 0 within drain_s + 5 s; nothing is left bound or connected in its
        namespace. Takes about 15 s (bounded by 60 s per wait)."""
        calls, drain_s = self.size["drain_calls"], 6
        sotto = self.start_sotto(extra="[calls]\ndrain_s = %d\n" % drain_s)
        self.assertEqual(relay.probe(self.pki, "OPTIONS")["status"], 200, "OPTIONS before the drain")
        gen = self.loadgen("loadgen", calls=calls, concurrency=calls, hold=8, max_failures=calls,
                           phones=10, extra=("--rate", "10"))
        sotto.proc.wait_for(r"call up", timeout=60, count=calls)
        sent_term = time.monotonic()
        os.kill(sotto.pid, signal.SIGTERM)
        sotto.proc.wait_for(r"draining: new calls get 503", timeout=10)
        options = relay.probe(self.pki, "OPTIONS")
        invite = relay.probe(self.pki, "INVITE")
        print("  draining: OPTIONS %(status)d %(reason)s;" % options, "INVITE %(status)d %(reason)s" % invite,
              file=sys.stderr)
        self.assertEqual(options["status"], 503, "OPTIONS while draining: %s" % options)
        self.assertEqual(invite["status"], 503, "a new INVITE while draining: %s" % invite)

        status = sotto.proc.popen.wait(timeout=drain_s + 30)
        took = time.monotonic() - sent_term
        self.assertEqual(status, 0, "Sotto's exit status after the drain")
        self.assertLess(took, drain_s + 5, "Sotto exited within drain_s + 5 s")
        reasons = sotto.ended_reasons()
        on_their_own, cut = reasons.count("bye"), reasons.count("shutdown")
        print("  Sotto exited %d after %.1f s: %d calls ended by their own BYE during the drain, %d ended by Sotto"
              " at drain_s" % (status, took, on_their_own, cut), file=sys.stderr)
        self.assertEqual(on_their_own + cut, calls, "every call ended, by BYE or by the drain: %s" % reasons)
        self.assertGreater(on_their_own, 0, "calls that ended within drain_s were left to end")
        self.assertGreater(cut, 0, "calls still up at drain_s were ended by Sotto")
        self.assertEqual(sotto.sockets(), [], "nothing left bound in Sotto's namespace")

        gen.wait(timeout=60)
        report = gen.report()
        print("  BYEs from Sotto: %d to phones, %d to the PBX side" % (
            report["calls"]["relayByesToPhones"], report["calls"]["relayByesToPBX"]), file=sys.stderr)
        # Every call either ended by the caller's own BYE or got Sotto's BYE on both sides. A call that was
        # hanging up at the very moment drain_s passed is both (its BYE crossed Sotto's): Sotto counts it as
        # cut, sotto-loadgen as completed; calls start 0.1 s apart, so at most one or two are.
        by_sotto = report["calls"]["relayByesToPhones"]
        self.assertEqual(by_sotto, report["calls"]["relayByesToPBX"], "Sotto's BYE went both ways")
        self.assertEqual(report["calls"]["completed"] + by_sotto, calls, report["calls"])
        self.assertLessEqual(cut - by_sotto, 2, "calls cut by Sotto without its BYE reaching the phones")
        self.assertGreaterEqual(cut, by_sotto)
        # The media of the calls that lived through the drain and ended on their own. (A call Sotto cut shows
        # loss at its end: the phone and the PBX side send until Sotto's BYE reaches them, into sockets Sotto
        # has closed.)
        lived = [call for call in report["perCall"] if call["completed"]]
        for index, name in enumerate(("phoneToPBX", "pbxToPhone")):
            sent = sum(call["directions"][index]["sent"] for call in lived)
            lost = sum(call["directions"][index]["lost"] for call in lived)
            print("  %s, the %d calls that ended on their own: sent %d lost %d" % (name, len(lived), sent, lost),
                  file=sys.stderr)
            self.assertGreater(sent, 0, name)
            self.assertLess(lost, sent / 1000, "%s: loss below 0.1 %% while draining" % name)
            self.assertEqual(direction(report, name)["authFailures"], 0, name)

    # (f) Disk full.

    def test_f_disk_full(self):
        """The audit log is on a 1 MiB tmpfs, which is then filled. Must hold: once the audit log cannot
        grow (appends fit in its last page for a few lines, as on any file system), a state-changing admin
        command is refused with a message that says the audit log could not be written, and is not carried
        out: `terminate` of a live call is refused and that call goes on to complete with its media (loss
        below 0.1 %); a read-only command (metrics) still answers; once space returns, `terminate` of the
        other call succeeds (Sotto's BYE reaches both sides), and the audit log's chain verifies (the failed
        writes left no torn line). Takes about 10 s."""
        audit_dir = os.path.join(self.dir, "audit")
        os.mkdir(audit_dir)
        procs.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "sotto-faults-audit", audit_dir], timeout=10)
        MOUNTS.append(audit_dir)
        sotto = self.start_sotto(audit_dir=audit_dir)
        gen = self.loadgen("loadgen", calls=2, concurrency=2, hold=8, max_failures=1)
        sotto.proc.wait_for(r"call up", timeout=30, count=2)
        filler = os.path.join(audit_dir, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError as error:
            self.assertEqual(error.errno, errno.ENOSPC, "the tmpfs filled up")
        finally:
            os.close(fd)
        # The audit log's last page still takes a few lines; a no-op command fills it.
        accepted = 0
        while sotto.ctl("log-level", "info").returncode == 0 and accepted < 64:
            accepted += 1
        listing = json.loads(sotto.ctl("--json", "sessions").stdout)
        ids = sorted(str(session["id"]) for session in listing)
        self.assertEqual(len(ids), 2, listing)
        refused = sotto.ctl("terminate", ids[0])
        print("  disk full (%d commands fitted in the log's last page); terminate: exit %d, %s"
              % (accepted, refused.returncode, refused.stderr.strip()), file=sys.stderr)
        self.assertLess(accepted, 64, "the audit log stopped growing")
        self.assertNotEqual(refused.returncode, 0, "terminate while the disk is full")
        self.assertIn("audit log could not be written", refused.stderr)
        self.assertEqual(sotto.ctl("metrics").returncode, 0, "a read-only command still answers")

        os.remove(filler)
        done = sotto.ctl("terminate", ids[1])
        self.assertEqual(done.returncode, 0, "terminate once space returned: %s" % done.stderr)
        gen.wait(timeout=60)
        report = gen.report()
        print("  space back: terminate accepted; calls %s" % report["calls"]["failuresByStatus"], file=sys.stderr)
        self.assertEqual(report["calls"]["completed"], 1, "the call whose terminate was refused completed")
        self.assertEqual(report["calls"]["relayByesToPhones"], 1, report["calls"])
        self.assertEqual(report["calls"]["relayByesToPBX"], 1, report["calls"])
        survivor = next(call for call in report["perCall"] if call["completed"])
        for index in (0, 1):
            d = survivor["directions"][index]
            self.assertLess(d["lost"], max(1, d["sent"] / 1000), "the surviving call's media: %s" % d)
        verify = procs.run([OPTIONS.sottoctl, "audit", "verify", os.path.join(audit_dir, "admin-audit.jsonl")],
                           timeout=10)
        print("  audit verify: %s" % verify.stdout.strip(), file=sys.stderr)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)

    # (g) File descriptors exhausted.

    def test_g_descriptors_exhausted(self):
        """Calls are up; then Sotto's open-files limit is lowered (prlimit on the running process) to what it
        has open plus 2, so that the next call's media sockets fail with EMFILE part-way. (Sotto checks at start
        that the calls its config allows fit in the limit, so a limit set before start cannot be overrun by
        calls; this is what happens when the budget is wrong or something else takes the descriptors.)
        Must hold: each new call gets 503 with Sotto's log naming file descriptors (the 503's Warning says
        "Sotto is out of file descriptors"), the sockets made before the failure are closed again (the fd count
        does not grow) and their ports go back to the pool, the calls already up keep their media to the end
        (loss below 0.1 %); once the limit is raised again, new calls complete. Takes about 20 s."""
        calls = self.size["fd_calls"]
        sotto = self.start_sotto()
        # `calls` calls start at once and last 14 s; `calls` more start one a second after the first wave.
        gen = self.loadgen("loadgen", calls=2 * calls, concurrency=2 * calls, hold=14, max_failures=calls,
                           phones=2, extra=("--rate", str(calls)))
        sotto.proc.wait_for(r"call up", timeout=30, count=calls)
        hard = int(procs.run(["prlimit", "--pid", str(sotto.pid), "--nofile", "--raw", "--noheadings",
                              "--output", "HARD"], timeout=10).stdout.strip())
        open_now = sotto.fd_count()
        procs.run(["prlimit", "--pid", str(sotto.pid), "--nofile=%d:%d" % (open_now + 2, hard)], timeout=10)
        lowered = time.monotonic()
        sotto.proc.wait_for(r"no media session for a call", timeout=30, count=calls)
        during = sotto.fd_count()
        procs.run(["prlimit", "--pid", str(sotto.pid), "--nofile=%d:%d" % (hard, hard)], timeout=10)
        print("  limit lowered to %d (open: %d) for %.1f s; fds after the refusals: %d"
              % (open_now + 2, open_now, time.monotonic() - lowered, during), file=sys.stderr)
        self.assertLessEqual(during, open_now, "the sockets made before EMFILE were closed again")
        # ... and their ports went back to the pool: only the first wave's are in use (4 per call).
        self.assertEqual(sotto.metrics()["sotto_ports_in_use"], 4 * calls, "media ports in use after the refusals")
        self.assertEqual(sotto.count(r"out of file descriptors.*no media session for a call"), calls,
                         "each refusal names file descriptors")
        status = gen.wait(timeout=60)
        report = gen.report()
        print("  first wave: %d completed; second wave: %s" % (report["calls"]["completed"],
                                                              report["calls"]["failuresByStatus"]), file=sys.stderr)
        self.assertEqual(report["calls"]["failuresByStatus"], {"SIP 503": calls})
        self.assertEqual(report["calls"]["completed"], calls, "the calls that were up kept going to the end")
        for name in ("phoneToPBX", "pbxToPhone"):
            self.assertLess(direction(report, name)["lossPercent"], 0.1, name)
        self.assertEqual(status, 0, report.get("violations"))
        after = self.loadgen("after", calls=2, concurrency=2, hold=2)
        self.assertEqual(after.wait(timeout=60), 0, "new calls once the limit is back: %s" % after.report()["calls"])

    # (h) NAT rebinding.

    def test_h_nat_rebinding(self):
        """Calls are up behind a NAT (wire.py) that rebinds mid-call: every UDP packet from the phones leaves
        with a new source port from then on, and the old mapping is forgotten. Must hold: each leg re-latches
        on the first authenticated packet from the new port (sotto_relatches_total counts one per phone-side
        leg that moved; the warning line and `sottoctl watch`'s relatch event are the alert); audio goes on
        (each call completes; loss at most a few packets per call each way, those in flight toward the
        forgotten mapping); no packet fails authentication. Takes about hold + 5 s."""
        calls, hold = self.size["nat_calls"], self.size["nat_hold"]
        sotto = self.start_sotto()
        wire = BOX.impair_phones(self.dir, nat_shift=1000)
        watch = procs.Proc("watch", [OPTIONS.sottoctl, "--socket", sotto.admin_socket, "--json", "watch"],
                           os.path.join(self.dir, "watch.log"))
        gen = self.loadgen("loadgen", calls=calls, concurrency=calls, hold=hold, max_loss=100)
        sotto.proc.wait_for(r"call up", timeout=30, count=calls)
        time.sleep(hold / 3)
        self.assertEqual(sotto.metrics().get("sotto_relatches_total", 0), 0, "no re-latch before the rebind")
        wire.popen.send_signal(signal.SIGUSR1)
        sotto.proc.wait_for(r"re-latched to .* on an authenticated packet", timeout=10)
        watch.wait_for(r"relatch", timeout=10)
        status = gen.wait(timeout=hold + 60)
        report = gen.report()
        metrics = sotto.metrics()
        watch.stop()
        wire.stop(grace=5)
        with open(wire.stats_path) as f:
            nat = json.load(f)["nat"]
        relatches = int(metrics.get("sotto_relatches_total", 0))
        print("  NAT rebound: %d packets rewritten, %d toward the forgotten mapping dropped; Sotto re-latched %d"
              " times" % (nat["udpRebound"], nat["udpToOldMapping"], relatches), file=sys.stderr)
        # sotto-loadgen sends RTP only (no RTCP): one phone-side leg per call moves.
        self.assertEqual(relatches, calls, "one re-latch per phone-side leg that moved")
        self.assertEqual(report["calls"]["completed"], calls, report["calls"])
        for name in ("phoneToPBX", "pbxToPhone"):
            d = direction(report, name)
            print("  %s: sent %d received %d lost %d authFailures %d"
                  % (name, d["sent"], d["received"], d["lost"], d["authFailures"]), file=sys.stderr)
            self.assertEqual(d["authFailures"], 0, name)
            self.assertLessEqual(d["lost"], 5 * calls, "%s: audio went on after the rebind" % name)
        self.assertEqual(status, 0, report.get("violations"))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sotto", required=True)
    parser.add_argument("--loadgen", required=True)
    parser.add_argument("--sottoctl", help="default: sottoctl beside --sotto")
    parser.add_argument("--size", choices=sorted(SIZES), default="ci")
    parser.add_argument("--keep-logs", help="copy each case's logs and reports to DIR/<case>/")
    parser.add_argument("--only", action="append", default=[], help="run only the cases whose name contains TEXT")
    args = parser.parse_args()
    args.sottoctl = args.sottoctl or os.path.join(os.path.dirname(args.sotto), "sottoctl")
    for name in ("sotto", "loadgen", "sottoctl"):
        setattr(args, name, os.path.abspath(getattr(args, name)))
    vars(OPTIONS).update(vars(args))
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for test in loader.loadTestsFromTestCase(FaultCase):
        if not args.only or any(text in test.id() for text in args.only):
            suite.addTest(test)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
