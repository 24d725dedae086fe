"""The recording vault through the real relay (docs/recording.md): calls from sotto-loadgen recorded, exported on
the officer's side by sottoctl and checked with Debian's opus-tools, sox and age; a relay killed mid-call; a full
disk with and without `recording.required`. Mixed into the fault suite's case class (it needs root for tmpfs)."""

import json
import os
import re
import signal
import sys
import time

from e2e_lib import procs

# The tones each side sends (sotto-loadgen --tones PHONE,PBX): the export puts the PBX's leg on the left channel
# and the softphone's (the agent's) on the right.
PHONE_HZ, PBX_HZ = 1000, 440
# The group the auditor role is granted to in these cases.
AUDITOR_GID = 4242


def run(argv, timeout=60, check=True):
    result = procs.run(argv, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError("%s failed (%d): %s%s" % (" ".join(argv), result.returncode, result.stdout,
                                                       result.stderr))
    return result


def opus_seconds(path):
    """The playback length opusinfo reports."""
    text = run(["opusinfo", path]).stdout
    match = re.search(r"Playback length:\s*(\d+)m:([\d.]+)s", text)
    if not match:
        raise AssertionError("opusinfo gave no length:\n" + text)
    channels = re.search(r"Channels:\s*(\d+)", text)
    return int(match.group(1)) * 60 + float(match.group(2)), int(channels.group(1)) if channels else 0


def channel_hz(wav, channel, start=1.0, length=2.0):
    """sox's rough frequency of one channel over a span of the call (its zero crossings): enough to tell 440 Hz
    from 1000 Hz."""
    text = run(["sox", wav, "-n", "remix", str(channel), "trim", str(start), str(length), "stat"]).stderr
    match = re.search(r"Rough\s+frequency:\s*(\d+)", text)
    if not match:
        raise AssertionError("sox stat gave no frequency:\n" + text)
    return int(match.group(1))


class RecordingCases:
    """Cases over `self.start_sotto`, `self.loadgen`, `self.dir` and `self.sottoctl` of the fault suite's case."""

    def vault(self, required=False, directory=None, chunk_s=1):
        """An officer's key pair (sottoctl recordings keygen) and the [recording] table that records every call."""
        key = os.path.join(self.dir, "officer.key")
        run([self.sottoctl, "recordings", "keygen", "--out", key])
        self.assertTrue(os.path.exists(key + ".pub"), "keygen wrote the public half beside the key")
        self.assertEqual(os.stat(key).st_mode & 0o077, 0, "the identity is readable by its owner only")
        directory = directory or os.path.join(self.dir, "recordings")
        extra = """
[recording]
enabled = true
mode = "all"
directory = "{directory}"
recipients = "{pub}"
chunk_s = {chunk}
required = {required}
""".format(directory=directory, pub=key + ".pub", chunk=chunk_s, required="true" if required else "false")
        # The suite runs sottoctl as root, which keeps its admin role; the auditor is group 4242, which root joins
        # only for the recordings commands (`auditor_ctl`): an auditor grant takes precedence over the others.
        return key, directory, {"extra": extra, "admin_extra": 'auditors = ["gid:%d"]' % AUDITOR_GID}

    def auditor_ctl(self, sotto, *argv):
        """sottoctl as root with the auditor's group as its own (setpriv): the relay sees that gid and gives it the
        auditor role."""
        return procs.run(["setpriv", "--regid", str(AUDITOR_GID), "--clear-groups", self.sottoctl,
                          "--socket", sotto.admin_socket, *argv], timeout=30)

    def recordings(self, sotto):
        listing = self.auditor_ctl(sotto, "--json", "recordings", "list")
        self.assertEqual(listing.returncode, 0, listing.stderr)
        return json.loads(listing.stdout)

    def export(self, sotto, recording, key, out, *more):
        return self.auditor_ctl(sotto, "recordings", "export", recording, "--identity", key, "--reason",
                                "fault suite check", "--out", out, *more)

    def test_r_round_trip_pcmu_and_opus(self):
        """One call per codec from sotto-loadgen, each side a steady tone, recorded by the relay. Must hold: the
        index lists each as complete; `sottoctl recordings export` with the officer's key writes an Ogg Opus file
        that Debian's opusinfo reads as stereo, as long as the recorded call within 40 ms; decoded by opusdec,
        the left channel carries the PBX side's tone and the right the agent's (sox); the PCMU call also exports
        as WAV; `--to-age` writes a file Debian's age opens to the same audio. None of the relay's own files
        (config, TLS key, recipients file, index) opens it as an identity."""
        key, directory, config = self.vault()
        sotto = self.start_sotto(**config)
        age_identity = os.path.join(self.dir, "age-identity.txt")
        run(["age-keygen", "-o", age_identity])
        with open(age_identity) as f:
            age_recipient = re.search(r"public key: (age1\w+)", f.read()).group(1)
        for codec in ("pcmu", "opus"):
            gen = self.loadgen("rec-" + codec, calls=1, concurrency=1, hold=4, codec=codec,
                               extra=("--tones", "%d,%d" % (PHONE_HZ, PBX_HZ)))
            self.assertEqual(gen.wait(timeout=60), 0, "the call completed")
        rows = self.recordings(sotto)
        # Recordings are finished off the signalling loop: wait for both rows to complete.
        deadline = time.monotonic() + 10
        while any(row["state"] != "complete" for row in rows) and time.monotonic() < deadline:
            time.sleep(0.2)
            rows = self.recordings(sotto)
        self.assertEqual([row["state"] for row in rows], ["complete", "complete"], rows)
        for row, codec in zip(rows, ("pcmu", "opus")):
            self.assertIn("PCMU" if codec == "pcmu" else "opus", row["codecs"])
            ogg = os.path.join(self.dir, "%s.ogg" % codec)
            done = self.export(sotto, row["id"], key, ogg)
            self.assertEqual(done.returncode, 0, done.stderr)
            seconds, channels = opus_seconds(ogg)
            print("  %s: recorded %.3f s, exported %.3f s, %d channels" % (codec, row["durationSeconds"], seconds,
                                                                           channels), file=sys.stderr)
            self.assertEqual(channels, 2)
            self.assertLessEqual(abs(seconds - row["durationSeconds"]), 0.040, "the export's length is the call's")
            wav = os.path.join(self.dir, "%s-decoded.wav" % codec)
            run(["opusdec", "--quiet", ogg, wav])
            left, right = channel_hz(wav, 1), channel_hz(wav, 2)
            print("  %s: left %d Hz (PBX sent %d), right %d Hz (agent sent %d)" % (codec, left, PBX_HZ, right,
                                                                                  PHONE_HZ), file=sys.stderr)
            self.assertLess(abs(left - PBX_HZ), PBX_HZ * 0.05, "left is the PBX side")
            self.assertLess(abs(right - PHONE_HZ), PHONE_HZ * 0.05, "right is the agent")
            if codec == "pcmu":
                plain = os.path.join(self.dir, "pcmu.wav")
                self.assertEqual(self.export(sotto, row["id"], key, plain).returncode, 0)
                self.assertLess(abs(channel_hz(plain, 1) - PBX_HZ), PBX_HZ * 0.05)
        # For transport: an age file, opened by Debian's age, is the same Ogg Opus.
        sealed = os.path.join(self.dir, "opus.ogg.age")
        done = self.export(sotto, rows[1]["id"], key, sealed, "--to-age", age_recipient)
        self.assertEqual(done.returncode, 0, done.stderr)
        opened = os.path.join(self.dir, "opened.ogg")
        run(["age", "-d", "-i", age_identity, "-o", opened, sealed])
        self.assertEqual(opus_seconds(opened)[1], 2)
        # Everything the relay holds is tried as the identity: none opens a finished recording.
        candidates = [os.path.join(self.dir, "sotto.toml"), key + ".pub", self.pki.path("sotto.key"),
                      self.pki.path("sotto.pem"), os.path.join(directory, "index.sqlite")]
        for candidate in candidates:
            refused = self.export(sotto, rows[0]["id"], candidate, os.path.join(self.dir, "never.ogg"))
            self.assertNotEqual(refused.returncode, 0, "%s opened a recording" % candidate)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "never.ogg")))

    def test_r_pause_is_a_marked_gap(self):
        """An operator pauses a recorded call for 2 s (the span a customer reads out card details) and resumes.
        Must hold: `sessions` shows the call `paused`, then `recording`; the export lists a `paused` marker of
        about 2 s, and that span is silent on both channels while the rest carries the tones; root as admin
        may not list recordings (only the auditor may)."""
        key, _, config = self.vault()
        sotto = self.start_sotto(**config)
        gen = self.loadgen("pause", calls=1, concurrency=1, hold=7, codec="opus",
                           extra=("--tones", "%d,%d" % (PHONE_HZ, PBX_HZ)))
        sotto.proc.wait_for(r"call up", timeout=30)
        time.sleep(2)
        session = str(json.loads(sotto.ctl("--json", "sessions").stdout)[0]["id"])
        paused = sotto.ctl("record", "pause", session)
        self.assertEqual(paused.returncode, 0, paused.stderr)
        self.assertEqual(json.loads(sotto.ctl("--json", "sessions").stdout)[0].get("recording"), "paused")
        time.sleep(2)
        self.assertEqual(sotto.ctl("record", "resume", session).returncode, 0)
        self.assertEqual(json.loads(sotto.ctl("--json", "sessions").stdout)[0].get("recording"), "recording")
        self.assertEqual(gen.wait(timeout=60), 0)
        refused = sotto.ctl("recordings", "list")
        self.assertNotEqual(refused.returncode, 0, "an admin may not list recordings")
        self.assertIn("auditor", refused.stderr)
        rows = self.recordings(sotto)
        deadline = time.monotonic() + 10
        while rows[0]["state"] != "complete" and time.monotonic() < deadline:
            time.sleep(0.2)
            rows = self.recordings(sotto)
        wav = os.path.join(self.dir, "paused.wav")
        done = self.export(sotto, rows[0]["id"], key, wav, "--json")
        self.assertEqual(done.returncode, 0, done.stderr)
        markers = json.loads(done.stdout)["markers"]
        spans = [tuple(float(x) for x in m.split()[1].split("-")) for m in markers if m.startswith("paused")]
        print("  markers %s" % markers, file=sys.stderr)
        self.assertEqual(len(spans), 1, markers)
        start, end = spans[0]
        self.assertLess(abs((end - start) - 2.0), 0.3, "the pause lasted about 2 s")
        for channel in (1, 2):
            inside = run(["sox", wav, "-n", "remix", str(channel), "trim", "%.3f" % (start + 0.1),
                          "%.3f" % (end - start - 0.2), "stat"]).stderr
            outside = run(["sox", wav, "-n", "remix", str(channel), "trim", "0.5", "1", "stat"]).stderr
            peak = lambda text: float(re.search(r"Maximum amplitude:\s*([-\d.]+)", text).group(1))
            self.assertEqual(peak(inside), 0.0, "channel %d is silent while paused" % channel)
            self.assertGreater(peak(outside), 0.1, "channel %d carries its tone outside the pause" % channel)

    def test_r_killed_mid_call_is_cut(self):
        """A recorded call is up; Sotto is killed with SIGKILL. Must hold: after a restart the index says the
        recording was cut; its export succeeds, says so, and holds the call up to the last sealed chunk (at most
        `chunk_s` (1 s) lost)."""
        key, directory, config = self.vault()
        sotto = self.start_sotto(**config)
        gen = self.loadgen("crash", calls=1, concurrency=1, hold=30, max_failures=1,
                           extra=("--tones", "%d,%d" % (PHONE_HZ, PBX_HZ)))
        sotto.proc.wait_for(r"call up", timeout=30)
        time.sleep(5)
        os.kill(sotto.pid, signal.SIGKILL)
        sotto.proc.popen.wait(timeout=10)
        gen.stop()
        sotto = self.start_sotto(name="sotto-after", **config)
        rows = self.recordings(sotto)
        self.assertEqual([row["state"] for row in rows], ["cut"], rows)
        ogg = os.path.join(self.dir, "cut.ogg")
        done = self.export(sotto, rows[0]["id"], key, ogg)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("cut", done.stdout + done.stderr)
        seconds, _ = opus_seconds(ogg)
        print("  killed about 5 s into the call; the export holds %.2f s and says: %s"
              % (seconds, (done.stdout + done.stderr).strip().splitlines()[-1]), file=sys.stderr)
        self.assertGreaterEqual(seconds, 3.5, "everything up to the last sealed chunk")

    def disk_full_vault(self, required):
        directory = os.path.join(self.dir, "recordings")
        os.mkdir(directory, 0o700)
        procs.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "sotto-faults-rec", directory], timeout=10)
        self.mounts.append(directory)
        key, directory, config = self.vault(required=required, directory=directory)
        sotto = self.start_sotto(**config)
        filler = os.path.join(directory, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        return sotto

    def test_r_disk_full_not_required(self):
        """The recording directory is a full 2 MiB tmpfs and `recording.required` is false. Must hold: calls
        go on and complete unrecorded; the relay logs an ALERT saying recordings fail."""
        sotto = self.disk_full_vault(required=False)
        gen = self.loadgen("full", calls=4, concurrency=2, hold=2)
        self.assertEqual(gen.wait(timeout=60), 0, "every call completed")
        self.assertEqual(gen.report()["calls"]["completed"], 4)
        self.assertGreater(sotto.count(r"ALERT recording"), 0, "the failure is alerted")

    def test_r_disk_full_required(self):
        """As above with `recording.required = true`. Must hold: once the vault has failed to write, new calls
        are refused with 503 (no recording, no call), and the relay says why."""
        sotto = self.disk_full_vault(required=True)
        first = self.loadgen("first", calls=1, concurrency=1, hold=2, max_failures=1)
        first.wait(timeout=60)
        gen = self.loadgen("refused", calls=3, concurrency=1, hold=1, max_failures=3)
        gen.wait(timeout=60)
        causes = gen.report()["calls"]["failuresByStatus"]
        print("  after the store failed: %s" % causes, file=sys.stderr)
        self.assertEqual(gen.report()["calls"]["completed"], 0, causes)
        self.assertTrue(any("503" in cause for cause in causes), causes)
        self.assertGreater(sotto.count(r"must be recorded"), 0)
