"""The first run (`make run`): the test PBX (`sotto-loadgen pbx`) behind the real sotto, called by a real softphone
and by sotto-loadgen's phones, and the decision scripts/run-dev.sh makes about starting it.

  test_first_run_baresip: baresip registers through Sotto with the account line README's "Run it" section gives
      (TLS, mediaenc=srtp-mand, the CA as sip_cafile), the test PBX stores the binding; baresip calls `echo`: the
      call is established and, mid-call, Sotto's two legs both carry packets in and out, the PBX leg's packets in
      (the echo) at least 80 % of the phone leg's packets in; it calls `tone`: the PBX leg carries packets in (the
      tone) and the phone leg packets out; a call to `nobody` gets 404.
  test_first_run_loadgen: sotto-loadgen's phones (`--callee echo --expect-echo`, then `--callee tone`) call
      through Sotto: every call completes; for echo, mid-call, each session's PBX leg brings in about what its
      phone leg brought in, and the phones get back at least 99 % of the packets they sent, authenticated under
      the key Sotto gave them, each with the sequence number and payload it was sent with (the generator's run
      passes its limits); for tone, the phones receive the tone's packets, authenticated.
  test_run_dev_decision: scripts/run-dev.sh with a config whose PBX answers (a bare TCP listener) starts no test
      PBX, nor for a PBX on another host that does not answer; with nothing there on loopback it starts one at
      that address, Sotto connects to it, the banner names the account
      line and `sottoctl watch --socket ...`, and SIGINT to the script stops Sotto and the test PBX (exit 0,
      nothing left listening).
"""

import fcntl
import json
import os
import re
import signal
import socket
import subprocess
import termios
import threading
import time

from . import procs
from .phone import Phone
from .topology import KAM_IP, MEDIA_PORTS, SOTTO_IP, SOTTO_PORT

PBX_IP, PBX_PORT = KAM_IP, 5062  # the test PBX, where Kamailio would be (it presents the PKI's `kamailio` cert)
# The first-run phone's own ports (below Linux's ephemeral range; apart from the other tests' phones).
PHONE = dict(sip_port=26160, rtp_ports=(26000, 26099), ctrl_port=26170, tone_hz=440)
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def readme_account_line(user):
    """The baresip account line README's "Run it" section and scripts/run-dev.sh give, for `user`."""
    return ('<sip:%s@%s;transport=tls>;outbound="sip:%s:%d;transport=tls";mediaenc=srtp-mand;regint=600'
            % (user, SOTTO_IP, SOTTO_IP, SOTTO_PORT))


def listening(ip, port):
    try:
        with socket.create_connection((ip, port), timeout=0.5):
            return True
    except OSError:
        return False


class FirstRunTests:
    """Mixed into the runner's E2ETest, which gives setUp, track, start_sotto, sotto_flags and the PKI;
    `sotto_path()` names the sotto executable (sotto-loadgen and sottoctl are built beside it)."""

    def bin_path(self, name):
        path = os.path.join(os.path.dirname(self.sotto_path()), name)
        self.assertTrue(os.access(path, os.X_OK), "%s is not built beside sotto (swift build --product %s)" % (
            path, name))
        return path

    def start_test_pbx(self):
        pbx = self.track(procs.Proc(
            "test-pbx", [self.bin_path("sotto-loadgen"), "pbx", "--listen", "%s:%d" % (PBX_IP, PBX_PORT),
                         "--cert", self.pki.path("kamailio.pem"), "--key", self.pki.path("kamailio.key")],
            os.path.join(self.dir, "test-pbx.log")))
        procs.wait_tcp(PBX_IP, PBX_PORT, 20, pbx)
        self.log("test PBX (sotto-loadgen pbx) %s:%d pid %d" % (PBX_IP, PBX_PORT, pbx.pid))
        return pbx

    def start_sotto_to_test_pbx(self):
        flags = self.sotto_flags()
        flags[flags.index("--upstream") + 1] = "%s:%d" % (PBX_IP, PBX_PORT)
        return self.start_sotto(flags)

    def sessions(self):
        """`sottoctl sessions --json` (the sottoctl built beside sotto, so that --sottoctl is not needed)."""
        result = procs.run([self.bin_path("sottoctl"), "sessions", "--json", "--socket",
                            os.path.join(self.dir, "admin.sock")], timeout=10)
        self.assertEqual(result.returncode, 0, "sottoctl sessions failed: %s" % result.stderr.strip())
        return json.loads(result.stdout)

    def dial(self, phone, uri):
        """Dials; a refused dial is tried again (baresip picks its RTP port at random in its range, and on a busy
        machine another program may hold the one it picked: "Address already in use")."""
        for _ in range(3):
            response = phone.dial(uri)
            if response.get("ok"):
                return
            self.log("dial %s refused (%r): again" % (uri, response))
            time.sleep(0.3)
        self.fail("baresip would not dial %s: %r" % (uri, response))

    @staticmethod
    def legs(session):
        return {leg["side"]: leg for leg in session["legs"]}

    # -- a real softphone ---------------------------------------------------------------------------

    def test_first_run_baresip(self):
        pbx = self.start_test_pbx()
        self.start_sotto_to_test_pbx()
        alice = Phone("alice", os.path.join(self.dir, "phones"), ca=self.pki.ca, cert_combined=None,
                      outbound="sip:%s:%d;transport=tls" % (SOTTO_IP, SOTTO_PORT), domain=SOTTO_IP,
                      mediaenc="srtp-mand", **PHONE)
        # The account line exactly as README gives it (the harness's own line adds test-only parameters).
        with open(os.path.join(alice.directory, "accounts"), "w") as f:
            f.write(readme_account_line("alice") + "\n")
        alice.start()
        self.track(alice.proc)
        alice.wait_registered(20)
        pbx.wait_for(r"REGISTER alice: sip:alice", 5)
        self.log("alice registered through Sotto to the test PBX")

        for number, service in enumerate(("echo", "tone"), start=1):
            self.dial(alice, "sip:%s@%s" % (service, SOTTO_IP))
            alice.proc.wait_for(r"Call established", 20, count=1 if service == "echo" else 2)
            time.sleep(2.0)
            sessions = self.sessions()
            self.assertEqual(len(sessions), 1, "one session for the %s call: %r" % (service, sessions))
            legs = self.legs(sessions[0])
            self.log("%s call, mid-call: softphone leg in/out %d/%d, pbx leg in/out %d/%d" % (
                service, legs["softphone"]["packetsIn"], legs["softphone"]["packetsOut"], legs["pbx"]["packetsIn"],
                legs["pbx"]["packetsOut"]))
            self.assertGreater(legs["pbx"]["packetsIn"], 20, "the test PBX sent nothing back (%s)" % service)
            self.assertGreater(legs["softphone"]["packetsOut"], 20, "Sotto relayed nothing to alice (%s)" % service)
            self.assertGreater(legs["softphone"]["packetsIn"], 20, "alice sent nothing (%s)" % service)
            if service == "echo":
                self.assertGreaterEqual(legs["pbx"]["packetsIn"], 0.8 * legs["softphone"]["packetsIn"],
                                        "the echo brought back much less than alice sent")
            alice.hangup()
            alice.proc.wait_for(r"terminated \(duration", 10, count=number)
            pbx.wait_for(r"→ %s ended: (\d+) packets received, (\d+) sent" % service, 10)
        ended = re.search(r"→ echo ended: (\d+) packets received, (\d+) sent", pbx.text())
        self.assertGreaterEqual(int(ended.group(2)), 0.8 * int(ended.group(1)), ended.group(0))

        self.dial(alice, "sip:nobody@%s" % SOTTO_IP)
        alice.proc.wait_for(r"404 Not Found", 10)
        pbx.wait_for(r"nobody: 404", 5)
        self.log("a call to an unknown extension got 404")

    # -- sotto-loadgen's phones -----------------------------------------------------------------------

    def loadgen_calls(self, callee, calls=4, hold=4.0, extra=()):
        """Runs sotto-loadgen's phones against `callee` through Sotto; returns (exit status, report, sessions
        mid-call)."""
        report_path = os.path.join(self.dir, "loadgen-%s.json" % callee)
        argv = [self.bin_path("sotto-loadgen"), "--relay", "%s:%d" % (SOTTO_IP, SOTTO_PORT),
                # Its own PBX side listens where nothing calls it: the calls go to the test PBX behind Sotto.
                "--listen", "127.0.0.3:5063", "--server-name", SOTTO_IP, "--cert", self.pki.path("kamailio.pem"),
                "--key", self.pki.path("kamailio.key"), "--ca", self.pki.ca, "--callee", callee,
                "--calls", str(calls), "--concurrency", str(calls), "--phones", str(calls), "--hold", str(hold),
                "--ready-timeout", "0", "--media-sockets", "2", "--json", report_path] + list(extra)
        run = self.track(procs.Proc("loadgen-" + callee, argv, os.path.join(self.dir, "loadgen-%s.log" % callee)))
        time.sleep(hold / 2 + 0.5)
        sessions = self.sessions()
        status = run.popen.wait(timeout=hold + 30)
        with open(report_path) as f:
            report = json.load(f)
        media = report["media"]
        self.log("loadgen --callee %s (exit %d): %d calls completed; phone->PBX sent %d, received %d; PBX->phone "
                 "received %d, wrongSSRC %d; auth failures %d" % (
                     callee, status, report["calls"]["completed"], media["phoneToPBX"]["sent"],
                     media["phoneToPBX"]["received"], media["pbxToPhone"]["received"],
                     media["pbxToPhone"]["wrongSSRC"], media["authFailures"]))
        self.assertEqual(report["calls"]["completed"], calls, "not every call to %s completed" % callee)
        self.assertEqual(media["authFailures"], 0)
        self.assertEqual(len(sessions), calls, "mid-call sessions: %r" % sessions)
        return status, report, sessions

    def test_first_run_loadgen(self):
        self.start_test_pbx()
        self.start_sotto_to_test_pbx()
        # --expect-echo: each phone checks that its own packets come back byte for byte (sequence number and
        # payload), through Sotto both ways; the report's phone->PBX direction is then the round trip.
        status, report, sessions = self.loadgen_calls("echo", extra=["--expect-echo", "--max-loss", "1"])
        for session in sessions:
            legs = self.legs(session)
            self.assertGreater(legs["softphone"]["packetsIn"], 20)
            ratio = legs["pbx"]["packetsIn"] / float(legs["softphone"]["packetsIn"])
            self.assertTrue(0.8 <= ratio <= 1.2, "echo session %s: pbx in / phone in = %.2f" % (session["id"], ratio))
            self.assertGreaterEqual(legs["softphone"]["packetsOut"], 0.8 * legs["softphone"]["packetsIn"])
        round_trip = report["media"]["phoneToPBX"]
        self.assertEqual(status, 0, "sotto-loadgen's limits were not met: %s" % report.get("violations"))
        self.assertGreater(round_trip["sent"], 0)
        self.assertGreaterEqual(round_trip["received"], 0.99 * round_trip["sent"],
                                "the phones got back %d of the %d packets they sent" % (
                                    round_trip["received"], round_trip["sent"]))
        self.assertEqual(round_trip["corrupt"] + round_trip["wrongSSRC"], 0)

        status, report, sessions = self.loadgen_calls("tone", calls=2, hold=3.0)
        for session in sessions:
            legs = self.legs(session)
            self.assertGreater(legs["pbx"]["packetsIn"], 20, "no tone from the test PBX in session %s" % session["id"])
            self.assertGreater(legs["softphone"]["packetsOut"], 20)
        # The tone is not the generator's own stream, so it counts it as packets of another SSRC, but only those
        # that authenticated under the key Sotto gave the phone.
        self.assertGreater(report["media"]["pbxToPhone"]["wrongSSRC"], 2 * 3 * 50 * 0.5,
                           "the phones got little of the tone")

    # -- scripts/run-dev.sh -------------------------------------------------------------------------

    def run_dev(self, label, config, env):
        return self.track(procs.Proc(
            "run-dev-" + label, ["bash", os.path.join(REPO, "scripts", "run-dev.sh"),
                                 os.path.dirname(self.sotto_path()), config],
            os.path.join(self.dir, "run-dev-%s.log" % label), env=env, cwd=REPO))

    def run_dev_in_terminal(self, config, env):
        """run-dev.sh on a pseudo-terminal of its own, as `make run` in a terminal: Ctrl-C (a 0x03 written to the
        terminal) then sends SIGINT to its whole foreground process group, not only to the script. Returns (the
        process, the master side, the log path); the output is copied to the log by a thread."""
        master, slave = os.openpty()
        log_path = os.path.join(self.dir, "run-dev-terminal.log")

        def controlling_terminal():  # after setsid (start_new_session): the pty becomes the session's terminal
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        proc = subprocess.Popen(
            ["bash", os.path.join(REPO, "scripts", "run-dev.sh"), os.path.dirname(self.sotto_path()), config],
            stdin=slave, stdout=slave, stderr=slave, cwd=REPO, env=dict(os.environ, **env), start_new_session=True,
            preexec_fn=controlling_terminal)
        os.close(slave)

        log = open(log_path, "wb")  # made before the first read of it

        def copy():
            with log:
                while True:
                    try:
                        data = os.read(master, 4096)
                    except OSError:
                        return
                    if not data:
                        return
                    log.write(data)
                    log.flush()

        threading.Thread(target=copy, daemon=True).start()
        self.addCleanup(lambda: proc.poll() is None and os.killpg(proc.pid, signal.SIGKILL))
        return proc, master, log_path

    @staticmethod
    def read(path):
        try:
            with open(path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_text(self, path, pattern, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.read(path)):
                return
            time.sleep(0.1)
        self.fail("no /%s/ from run-dev.sh within %ss:\n%s" % (pattern, timeout, self.read(path)[-3000:]))

    def stop_like_ctrl_c(self, proc):
        """SIGINT to the script (Ctrl-C); it passes SIGTERM to Sotto and stops the test PBX after."""
        os.kill(proc.pid, signal.SIGINT)
        try:
            return proc.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.fail("run-dev.sh did not exit within 20 s of SIGINT")

    def test_run_dev_decision(self):
        certs = os.path.join(self.dir, "certs")
        subprocess.run(["bash", os.path.join(REPO, "scripts", "dev-certs.sh"), certs], check=True,
                       capture_output=True, timeout=60)
        config = os.path.join(self.dir, "sotto.toml")
        with open(config, "w") as f:
            f.write('[sip]\nlisten = "%s:%d"\ncert = "certs/server.crt"\nkey = "certs/server.key"\n'
                    'ca = "certs/ca.crt"\n\n[upstream]\naddress = "%s:%d"\n\n[media]\nip = "127.0.0.1"\n'
                    'ports = "%d-%d"\n\n[admin]\nsocket = "admin.sock"\naudit_log = "audit.jsonl"\n'
                    % (SOTTO_IP, SOTTO_PORT, PBX_IP, PBX_PORT, MEDIA_PORTS[0], MEDIA_PORTS[1]))
        env = {"SOTTO_DEV_CERTS": certs, "SOTTO_DEV_LOG_DIR": self.dir}
        loadgen_pbx = re.compile(r"sotto-loadgen pbx --listen %s:%d" % (re.escape(PBX_IP), PBX_PORT))
        # Whatever happens, no test PBX outlives the test (the assertions below report one left).
        self.addCleanup(lambda: [self._kill(pid) for pid in self.find_test_pbx(loadgen_pbx)])

        # A PBX answers (a bare TCP listener): no test PBX.
        with socket.socket() as fake:
            fake.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            fake.bind((PBX_IP, PBX_PORT))
            fake.listen(16)
            script = self.run_dev("reachable", config, env)
            script.wait_for(r"the PBX at %s:%d answers: no test PBX" % (re.escape(PBX_IP), PBX_PORT), 15)
            script.wait_for(r"sotto is running", 20)
            self.assertNotIn("starting the test PBX", script.text())
            self.assertFalse(self.find_test_pbx(loadgen_pbx), "a test PBX runs although the PBX answered")
            self.assertEqual(self.stop_like_ctrl_c(script), 0, script.text()[-2000:])
        self.log("PBX reachable: run-dev.sh started no test PBX")

        # A PBX on another host that does not answer (TEST-NET-1, never routed): no stand-in is started for it.
        remote = os.path.join(self.dir, "sotto-remote.toml")
        with open(config) as f, open(remote, "w") as out:
            out.write(f.read().replace('address = "%s:%d"' % (PBX_IP, PBX_PORT), 'address = "192.0.2.1:5062"'))
        script = self.run_dev("remote", remote, env)
        script.wait_for(r"the PBX at 192\.0\.2\.1:5062 is not reachable and not on this machine: no test PBX", 15)
        script.wait_for(r"sotto is running", 20)
        self.assertFalse(self.find_test_pbx(re.compile(r"sotto-loadgen pbx")), "a test PBX runs for a remote PBX")
        self.assertEqual(self.stop_like_ctrl_c(script), 0, script.text()[-2000:])
        self.log("PBX on another host, not reachable: run-dev.sh started no test PBX")

        # Nothing there: the test PBX is started at that address, Sotto connects to it; Ctrl-C on the terminal
        # stops both (the script, the tee of the PBX's log and anything else in its foreground group get SIGINT).
        script, terminal, log_path = self.run_dev_in_terminal(config, env)
        self.wait_text(log_path, r"nothing answers at %s:%d .*: starting the test PBX there" % (
            re.escape(PBX_IP), PBX_PORT), 15)
        self.wait_text(log_path, r"connected to the PBX", 20)
        self.assertTrue(self.find_test_pbx(loadgen_pbx), "no test PBX process")
        text = self.read(log_path).replace("\r\n", "\n")
        self.assertIn(readme_account_line("alice"), text, "the banner does not give README's account line")
        self.assertIn("sottoctl watch --socket %s" % os.path.join(self.dir, "admin.sock"), text)
        self.assertRegex(text, r"issued .*pbx-127\.0\.0\.2\.crt for 127\.0\.0\.2",
                         "no PBX certificate was issued for the name Sotto checks")
        os.write(terminal, b"\x03")  # Ctrl-C
        try:
            status = script.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.fail("run-dev.sh did not exit within 20 s of Ctrl-C:\n" + self.read(log_path)[-3000:])
        time.sleep(0.3)  # the last output through the terminal
        text = self.read(log_path)
        self.assertEqual(status, 0, text[-3000:])
        self.assertIn("test PBX stopped", text)
        self.assertRegex(text, r"sotto-loadgen pbx: stopped", "the test PBX did not stop by itself (its log ends)")
        self.assertFalse(listening(PBX_IP, PBX_PORT), "the test PBX still listens after run-dev.sh exited")
        self.assertFalse(listening(SOTTO_IP, SOTTO_PORT), "sotto still listens after run-dev.sh exited")
        self.assertFalse(self.find_test_pbx(loadgen_pbx), "a test PBX process is left")
        os.close(terminal)
        self.log("PBX not reachable: run-dev.sh started the test PBX, Sotto connected, Ctrl-C stopped both")

    @staticmethod
    def find_test_pbx(pattern):
        """The processes whose command line matches `pattern` (a test PBX on the address)."""
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % entry, "rb") as f:
                    command = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if pattern.search(command):
                found.append(int(entry))
        return found

    @staticmethod
    def _kill(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
