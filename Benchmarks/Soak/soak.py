#!/usr/bin/env python3
"""The soak benchmark (`make soak`, docs/soak.md): one release `sotto` carrying half its measured capacity of
calls with churn for a long time, with the phones' registrations refreshing and `sottoctl watch` attached,
sampled every minute. It ends with one line

    soak: N minutes, C calls completed, F failed, loss L %, rss growth G %/h, fds start/end A/B, sessions leaked S

and writes the samples (CSV and JSON), a PNG plot of them (gnuplot) and the logs to the output directory.
Exit status 0 only if the targets are met: no failed call, RSS growth below 1 %/h after the warm-up, file
descriptors back to their count before the first call, no session left once the load has ended.

    python3 Benchmarks/Soak/soak.py --minutes 60 --calls 400 --out /tmp/soak

Python 3 standard library only (gnuplot for the plot). sotto runs with a throwaway CA and a config of its own in
the output directory; every child is stopped by its PID on exit, on error and on Ctrl-C.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "Tests", "EndToEnd"))
sys.path.insert(0, HERE)

from e2e_lib import procs  # noqa: E402  (after the path insert)
from e2e_lib.pki import PKI  # noqa: E402

import analysis  # noqa: E402

# Ports of their own, away from the tests' and bench-compare's (5061, 5062, the end-to-end phones' 15060-19070,
# 20000-29999, 30000-49999), so a test run on the same machine meanwhile does not collide with a soak that runs
# for an hour. (The first 60-minute run had 15061, which is the end-to-end phone alice's TLS port.)
RELAY_IP, RELAY_PORT = "127.0.0.1", 14061
PBX_IP, PBX_PORT = "127.0.0.2", 14062
MEDIA_PORTS = (50000, 53999)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(message):
    sys.stderr.write("[soak %s] %s\n" % (time.strftime("%H:%M:%S"), message))
    sys.stderr.flush()


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Sotto under churning load for a long time, sampled every minute.")
    p.add_argument("--minutes", type=float, default=60.0, help="how long new calls start (default 60)")
    p.add_argument("--calls", type=int, default=400,
                   help="calls up at once (default 400: half the 800 that bench-compare measured on the 2-core VM)")
    p.add_argument("--hold", type=float, default=30.0, help="seconds each call lasts (default 30)")
    p.add_argument("--phones", type=int, default=50, help="softphone connections (default 50)")
    p.add_argument("--register-every", type=float, default=120.0,
                   help="seconds between each phone's REGISTER refreshes (default 120; 0: register once)")
    p.add_argument("--sample-s", type=float, default=None,
                   help="seconds between samples (default 60; 15 for runs shorter than 10 minutes)")
    p.add_argument("--warmup-fraction", type=float, default=0.1,
                   help="share of the run left out of the RSS fit (default 0.1: the first 6 minutes of 60)")
    p.add_argument("--settle", type=float, default=45.0,
                   help="seconds to wait after the load for sessions and transactions to drain (default 45)")
    p.add_argument("--codec", default="pcmu", choices=["pcmu", "opus"])
    p.add_argument("--out", default=os.path.join(ROOT, ".build-soak", "run"), help="output directory")
    p.add_argument("--sotto", default=os.path.join(ROOT, ".build", "release", "sotto"))
    p.add_argument("--loadgen", default=os.path.join(ROOT, ".build", "release", "sotto-loadgen"))
    p.add_argument("--sottoctl", default=os.path.join(ROOT, ".build", "release", "sottoctl"))
    p.add_argument("--plot", default=None, help="also copy the PNG here (e.g. docs/soak/soak-60min.png)")
    p.add_argument("--fake-leak", type=int, default=0,
                   help="testing the harness only: add this many to the sessions read at the end (must fail)")
    return p.parse_args(argv)


def write_config(directory, pki):
    """sotto's config: the throwaway certificates, its own ports, the admin socket and audit log in `directory`.
    sotto-loadgen's 50 phones carry 8 calls each and set them up quickly from one address, beyond the limits a
    relay sets on one phone or one address by default (docs/security.md): those are lifted, as bench-compare
    does; the soak measures leaks, not those limits."""
    path = os.path.join(directory, "sotto.toml")
    with open(path, "w") as out:
        out.write("""# Written by Benchmarks/Soak/soak.py.
[sip]
listen = "{relay}:{relay_port}"
cert = "{cert}"
key = "{key}"
ca = "{ca}"
requests_per_second_per_connection = 0
requests_per_second_per_address = 0
max_transactions_per_connection = 0

[upstream]
address = "{pbx}:{pbx_port}"
server_name = "pbx.test"
reconnect_min_ms = 200
reconnect_max_ms = 1000

[media]
ip = "{relay}"
ports = "{low}-{high}"

[calls]
max_calls_per_connection = 0
max_calls_per_address = 0
max_calls_per_aor = 0

[admin]
socket = "{dir}/admin.sock"
audit_log = "{dir}/admin-audit.jsonl"

[log]
level = "notice"

[process]
allow_root = {root}
""".format(relay=RELAY_IP, relay_port=RELAY_PORT, cert=pki.path("sotto.pem"), key=pki.path("sotto.key"),
           ca=pki.ca, pbx=PBX_IP, pbx_port=PBX_PORT, low=MEDIA_PORTS[0], high=MEDIA_PORTS[1], dir=directory,
           root="true" if os.geteuid() == 0 else "false"))
    return path


class Probe:
    """What is read of the running sotto: /proc for memory, descriptors and CPU, the admin socket for the rest."""

    def __init__(self, pid, sottoctl, socket_path):
        self.pid = pid
        self.sottoctl = sottoctl
        self.socket = socket_path
        self.started = time.monotonic()
        self.load_started = None
        self.last_cpu = None

    def rss_kb(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.pid) as f:
            # The command name may hold spaces: the fields after it start after the last ')'.
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14 and 15)

    def stats(self):
        result = procs.run([self.sottoctl, "stats", "--json", "--socket", self.socket], timeout=30)
        if result.returncode != 0:
            raise RuntimeError("sottoctl stats failed: %s" % result.stderr.strip())
        return json.loads(result.stdout)

    def sample(self, phase):
        now = time.monotonic()
        cpu = self.cpu_seconds()
        cpu_percent = None
        if self.last_cpu is not None and now > self.last_cpu[0]:
            cpu_percent = 100.0 * (cpu - self.last_cpu[1]) / (now - self.last_cpu[0])
        self.last_cpu = (now, cpu)
        stats = self.stats()
        return {
            "phase": phase,
            "minute": round((now - (self.load_started or now)) / 60.0, 3),
            "t_s": round(now - self.started, 1),
            "rss_kb": self.rss_kb(),
            "fds": self.fds(),
            "sessions": stats.get("sessions"),
            "calls": stats.get("calls"),
            "ports_in_use": stats.get("portsInUse"),
            "timers": stats.get("timers"),
            "transactions": stats.get("transactions"),
            "tls_open": stats.get("tlsConnectionsOpen"),
            "cpu_percent": None if cpu_percent is None else round(cpu_percent, 1),
            "calls_started": stats.get("callsStarted"),
            "calls_ended": stats.get("callsEnded"),
        }


def loadgen_argv(opts, pki, report_path, register_every_supported):
    rate = opts.calls / opts.hold
    argv = [opts.loadgen, "--relay", "%s:%d" % (RELAY_IP, RELAY_PORT), "--listen", "%s:%d" % (PBX_IP, PBX_PORT),
            "--server-name", "sotto.test", "--cert", pki.path("pbx.pem"), "--key", pki.path("pbx.key"),
            "--ca", pki.ca, "--calls", "0", "--duration", "%g" % (opts.minutes * 60),
            "--concurrency", str(opts.calls), "--rate", "%.3f" % rate, "--hold", "%g" % opts.hold,
            "--phones", str(opts.phones), "--codec", opts.codec, "--register",
            "--max-failures", "1000000000", "--max-loss", "100", "--ready-timeout", "30", "--json", report_path]
    if opts.register_every > 0 and register_every_supported:
        argv += ["--register-every", "%g" % opts.register_every]
    return argv


def wait_stable(read, timeout, settle=3.0):
    """Polls `read` until it has returned the same value for `settle` seconds or `timeout` passes."""
    deadline = time.monotonic() + timeout
    value, since = read(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now_value = read()
        if now_value != value:
            value, since = now_value, time.monotonic()
        elif time.monotonic() - since >= settle:
            break
    return value


def run(opts):
    for binary in (opts.sotto, opts.loadgen, opts.sottoctl):
        if not os.access(binary, os.X_OK):
            raise SystemExit("soak: %s is missing (swift build -c release)" % binary)
    interval = opts.sample_s or (60.0 if opts.minutes >= 10 else 15.0)
    out = os.path.abspath(opts.out)
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    procs.install_cleanup()
    pki = PKI(os.path.join(out, "pki"))
    pki.make_ca()
    pki.issue("sotto", "sotto.test", san="IP:%s,DNS:sotto.test" % RELAY_IP)
    pki.issue("pbx", "pbx.test", san="IP:%s,DNS:pbx.test" % PBX_IP)
    config = write_config(out, pki)
    socket_path = os.path.join(out, "admin.sock")

    try:
        procs.wait_tcp(RELAY_IP, RELAY_PORT, 0.5)
        raise RuntimeError("something already listens on %s:%d (another soak?)" % (RELAY_IP, RELAY_PORT))
    except procs.NotListening:
        pass
    sotto = procs.Proc("sotto", [opts.sotto, "--config", config], os.path.join(out, "sotto.log"))
    procs.wait_tcp(RELAY_IP, RELAY_PORT, 30, sotto)
    deadline = time.monotonic() + 20
    while not os.path.exists(socket_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    log("sotto pid %d, config %s" % (sotto.pid, config))
    probe = Probe(sotto.pid, opts.sottoctl, socket_path)

    # `watch` stays attached for the whole run; its frames (one JSON line each) are counted at the end.
    watch_path = os.path.join(out, "watch.jsonl")
    watch = procs.Proc("watch", [opts.sottoctl, "watch", "--json", "--interval-ms", "1000", "--socket", socket_path],
                       watch_path)
    time.sleep(2)
    # The baseline: sotto with no phone and no PBX yet, the watcher attached (it stays attached to the end).
    fds_start = wait_stable(probe.fds, 15)
    samples = [probe.sample("start")]
    samples[0]["fds"] = fds_start
    log("baseline: rss %d kB, %d fds" % (samples[0]["rss_kb"], fds_start))

    help_text = procs.run([opts.loadgen, "--help"], timeout=30).stdout
    register_every_supported = "--register-every" in help_text
    if opts.register_every > 0 and not register_every_supported:
        log("this sotto-loadgen has no --register-every: the phones register once")
    report_path = os.path.join(out, "loadgen-report.json")
    argv = loadgen_argv(opts, pki, report_path, register_every_supported)
    log("sotto-loadgen: %s" % " ".join(argv[1:]))
    loadgen = procs.Proc("loadgen", argv, os.path.join(out, "loadgen.log"))
    load_started = time.monotonic()
    probe.load_started = load_started
    next_sample = load_started + interval
    while loadgen.alive():
        if time.monotonic() >= next_sample:
            next_sample += interval
            sample = probe.sample("load")
            samples.append(sample)
            log("%5.1f min: rss %d kB, fds %d, sessions %s, ports %s, timers %s, transactions %s, cpu %s %%"
                % ((time.monotonic() - load_started) / 60, sample["rss_kb"], sample["fds"], sample["sessions"],
                   sample["ports_in_use"], sample["timers"], sample["transactions"], sample["cpu_percent"]))
            if not watch.alive():
                log("sottoctl watch exited (status %s): see %s" % (watch.popen.returncode, watch_path))
        time.sleep(0.5)
    loadgen_status = loadgen.popen.returncode
    load_minutes = (time.monotonic() - load_started) / 60
    log("sotto-loadgen exited with status %s after %.1f min" % (loadgen_status, load_minutes))

    # Drain: sessions and SIP transactions back to zero (ended transactions wait 32 s in their last state), or
    # the settle time passes; then the end sample.
    deadline = time.monotonic() + opts.settle
    while time.monotonic() < deadline:
        stats = probe.stats()
        if not stats.get("sessions") and not stats.get("transactions"):
            break
        time.sleep(1)
    time.sleep(3)
    fds_end = wait_stable(probe.fds, 15)
    end = probe.sample("end")
    end["fds"] = fds_end
    end["sessions"] = (end["sessions"] or 0) + opts.fake_leak
    samples.append(end)
    watch_alive = watch.alive()
    watch.stop()
    sotto_alive = sotto.alive()
    sotto.stop()

    with open(watch_path, "rb") as f:
        watch_frames = sum(1 for line in f if line.startswith(b"{"))
    try:
        with open(report_path) as f:
            report = json.load(f)
    except (OSError, ValueError) as error:
        raise SystemExit("soak: no sotto-loadgen report (%s); log %s" % (error, loadgen.log_path))
    report.pop("perCall", None)  # thousands of calls: the summary is enough here
    result = analysis.summarize(samples, report, minutes=opts.minutes, warmup_fraction=opts.warmup_fraction,
                                fds_start=fds_start, fds_end=fds_end)
    result.update({"watch_frames": watch_frames, "watch_attached_to_end": watch_alive,
                   "sotto_alive_at_end": sotto_alive, "loadgen_status": loadgen_status,
                   "registrations_refreshed": register_every_supported and opts.register_every > 0,
                   "calls_concurrent": opts.calls, "hold_s": opts.hold, "sample_s": interval})
    if not watch_alive:
        result["misses"].append("sottoctl watch did not stay attached")
    if not sotto_alive:
        result["misses"].append("sotto was not running at the end")

    analysis.write_samples(out, samples)
    with open(os.path.join(out, "result.json"), "w") as f:
        json.dump({"result": result, "loadgen": report}, f, indent=2, sort_keys=True)
    png = os.path.join(out, "soak.png")
    title = "sotto soak: %g min, %d calls up, %g s hold, %s" % (opts.minutes, opts.calls, opts.hold,
                                                              time.strftime("%Y-%m-%d", time.gmtime()))
    if analysis.plot(out, samples, png, title):
        if opts.plot:
            shutil.copyfile(png, opts.plot)
    else:
        result["misses"].append("no plot (gnuplot missing or failed)")
    log("watch frames read: %d; samples: %s/samples.csv; plot: %s" % (watch_frames, out, png))
    for miss in result["misses"]:
        log("target missed: %s" % miss)
    line = analysis.line(result)
    with open(os.path.join(out, "soak.txt"), "w") as f:
        f.write(line + "\n")
    print(line, flush=True)
    return 0 if not result["misses"] else 1


def main():
    opts = parse_args()
    try:
        return run(opts)
    except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired, procs.NotListening,
            procs.TimeoutExpired) as error:
        # sotto gone mid-run (its /proc entry or admin socket vanished), a child that never started: no line of
        # figures, but a clear one, and a failure.
        print("soak: did not finish: %s (logs in %s)" % (error, os.path.abspath(opts.out)), flush=True)
        return 1
    finally:
        procs.stop_all()


if __name__ == "__main__":
    sys.exit(main())
