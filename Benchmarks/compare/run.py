#!/usr/bin/env python3
"""Sotto vs Kamailio+rtpengine: the same load (sotto-loadgen) through (a) Sotto and (b) Kamailio over TLS
driving rtpengine 10.5 (userspace, one thread, forced to re-key), each relay pinned to one core and the
generator to the other. Concurrency is stepped up until loss passes --max-loss (0.1 %); per step the
relay's CPU per relayed packet, RSS per call, p50/p99 one-way latency; then a separate short run at a high
call rate gives the setup rate. Ends with five `compare ...` lines, every ratio = how many times better
Sotto is. See docs/bench-compare.md.

    python3 Benchmarks/compare/run.py                 # both sides, full run
    python3 Benchmarks/compare/run.py --dry-run       # the plan only
    python3 Benchmarks/compare/run.py --only anchor --steps 50,100 --step-seconds 10

Python 3 standard library only. Run as root or as a user that may use taskset and loopback ports
127.0.0.1:5061, 127.0.0.2:5061, 22223-22224, 30000-49999.
"""

import argparse
import json
import re
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import anchor  # noqa: E402
from anchor import ROOT, log, procs  # noqa: E402

SIDES = {"sotto": "sotto", "anchor": "kamailio+rtpengine"}
PPS_PER_DIRECTION = 50  # 20 ms packetisation (PCMU and Opus alike)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Sotto vs Kamailio+rtpengine under the same load.")
    p.add_argument("--sotto", default=None, help="sotto (default: .build/release/sotto, else .build-compare/release)")
    p.add_argument("--loadgen", default=None,
                   help="sotto-loadgen (default: .build/release/sotto-loadgen, else .build-compare/{release,debug})")
    p.add_argument("--only", choices=sorted(SIDES), action="append", help="run one side only (repeatable)")
    p.add_argument("--steps", default="50,100,200,250,300,400,600,800,1000,1200,1600,2000",
                   help="concurrent calls per step (ascending)")
    p.add_argument("--step-seconds", type=float, default=20.0, help="steady-state hold per step (default 20)")
    p.add_argument("--ramp-rate", type=float, default=100.0, help="calls/s while filling a step (default 100)")
    p.add_argument("--max-loss", type=float, default=0.1, help="loss %% that ends the stepping (default 0.1)")
    p.add_argument("--codec", default="pcmu", choices=["pcmu", "opus"])
    p.add_argument("--suite", default=anchor.CALLER_SUITE, help="the phones' SRTP suite")
    p.add_argument("--latency-streams", type=int, default=500,
                   help="report p99 at this many media streams (a stream = one direction of one call leg "
                        "pair, so streams/2 calls; default 500 -> 250 calls)")
    p.add_argument("--setup-calls", type=int, default=1000, help="calls in the setup-rate run (default 1000)")
    p.add_argument("--setup-rate", type=float, default=1000.0, help="offered calls/s in that run (default 1000)")
    p.add_argument("--setup-hold", type=float, default=0.5,
                   help="hold per call in that run, s (default 0.5: the calls' media stays far below either "
                        "relay's capacity, so the run measures setting calls up, not carrying them)")
    p.add_argument("--relay-cpu", default="0", help="core for the relay processes (default 0)")
    p.add_argument("--gen-cpu", default="1", help="core for sotto-loadgen (default 1)")
    p.add_argument("--skip-proof", action="store_true", help="skip the baresip re-key proof before (b)")
    p.add_argument("--json", help="write every step's numbers here")
    p.add_argument("--keep-logs", help="copy logs and loadgen reports here (no private keys)")
    p.add_argument("--loadgen-extra", default="", help="extra sotto-loadgen flags, space-separated")
    p.add_argument("--dry-run", action="store_true", help="print the plan and exit")
    return p.parse_args(argv)


def find_binary(given, name):
    if given:
        return given
    for candidate in (".build/release/", ".build-compare/release/", ".build-compare/debug/"):
        path = os.path.join(ROOT, candidate + name)
        if os.access(path, os.X_OK):
            return path
    return os.path.join(ROOT, ".build", "release", name)


def loadgen_argv(opts, loadgen, pki, *, calls, concurrency, hold, rate, json_path, max_loss, side=None):
    argv = [loadgen, "--relay", "%s:%d" % (anchor.RELAY_IP, anchor.RELAY_PORT),
            "--listen", "%s:%d" % (anchor.UAS_IP, anchor.UAS_PORT),
            "--calls", str(calls), "--concurrency", str(concurrency), "--hold", "%g" % hold,
            "--rate", "%g" % rate, "--codec", opts.codec, "--suite", opts.suite,
            "--json", json_path, "--max-loss", "%g" % max_loss,
            "--cert", pki.path("uas.pem"), "--key", pki.path("uas.key"), "--ca", pki.ca]
    if side == "anchor":
        # Kamailio opens its TLS connection to the PBX side on the first INVITE, not at start: nothing to
        # wait for (Sotto connects at start and answers 503 until it has).
        argv += ["--ready-timeout", "0"]
    argv += [a for a in opts.loadgen_extra.split() if a]
    return anchor.taskset(opts.gen_cpu, argv)


class Sampler(threading.Thread):
    """Samples the relay's RSS every 0.5 s while a step runs; keeps the maximum."""

    def __init__(self, pid_source):
        super().__init__(daemon=True)
        self.pid_source = pid_source
        self.max_kb = 0
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                self.max_kb = max(self.max_kb, anchor.rss_kb(self.pid_source()))
            except Exception:  # noqa: BLE001 - a process may vanish between listdir and open
                pass
            self.done.wait(0.5)


def get(d, *path, default=0.0):
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return default
        d = d[key]
    return d


PROGRESS = re.compile(r"calls up (\d+), started \d+, ended \d+, .*?sent (\d+), received (\d+)")


def steady_window(gen, relay, concurrency, seconds):
    """Measures the relay's CPU while every call of the step is up. sotto-loadgen prints a progress line
    each second on stderr ("calls up N, ... sent S, received R"); at the first line with N == concurrency
    the relay's CPU time and R are read, again `seconds` later (if all calls are still up). Returns
    (cpu seconds, packets received by the generator in between, wall seconds) or None."""
    def last_progress():
        found = PROGRESS.findall(gen.text())
        return (len(found), tuple(int(x) for x in found[-1])) if found else (0, None)

    def wait_new_line(count):
        while gen.alive():
            n, line = last_progress()
            if n > count:
                return n, line
            time.sleep(0.02)
        return None, None

    count = 0
    start = None
    while gen.alive():
        count, line = wait_new_line(count)
        if line is None:
            return None
        if line[0] >= concurrency:
            start = (anchor.cpu_seconds(relay.pids()), line[2], time.monotonic())
            break
    if start is None:
        return None
    while gen.alive():
        count, line = wait_new_line(count)
        if line is None:
            return None
        if line[0] < concurrency:
            return None  # calls ended (or failed) before the window closed
        if time.monotonic() - start[2] >= seconds:
            return (anchor.cpu_seconds(relay.pids()) - start[0], line[2] - start[1], time.monotonic() - start[2])
    return None


def run_loadgen(opts, loadgen, pki, work, label, relay, *, calls, concurrency, hold, rate, max_loss, steady=None):
    """One sotto-loadgen run against the running relay. Returns its report plus the relay's CPU (whole run
    and, if `steady` = (start, end) seconds after launch, over that window only) and peak RSS."""
    json_path = os.path.join(work, "%s.json" % label)
    argv = loadgen_argv(opts, loadgen, pki, calls=calls, concurrency=concurrency, hold=hold, rate=rate,
                        json_path=json_path, max_loss=max_loss, side=label.split("-")[0])
    pids = relay.pids()
    sampler = Sampler(relay.pids)
    sampler.start()
    cpu0 = anchor.cpu_seconds(pids)
    t0 = time.monotonic()
    gen = procs.Proc("loadgen-" + label, argv, os.path.join(work, "%s.log" % label))
    window = None
    if steady:
        window = steady_window(gen, relay, concurrency, steady)
    limit = hold + calls / max(rate, 1) + 120
    try:
        gen.popen.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        log("%s: sotto-loadgen still running after %.0f s; stopping it" % (label, limit))
    gen.stop(grace=5)
    elapsed = time.monotonic() - t0
    cpu1 = anchor.cpu_seconds(relay.pids())
    sampler.done.set()
    sampler.join()
    report = None
    if os.path.exists(json_path):
        with open(json_path) as f:
            try:
                report = json.load(f)
            except ValueError:
                report = None
    if report is None:
        tail = gen.text()[-1500:]
        raise RuntimeError("%s: sotto-loadgen wrote no JSON report (exit %s). Its output ends:\n%s"
                           % (label, gen.popen.returncode, tail))
    return {"report": report, "cpu_total": cpu1 - cpu0, "elapsed": elapsed, "window": window,
            "rss_peak_kb": sampler.max_kb, "exit": gen.popen.returncode}


def step_numbers(concurrency, result, idle_rss_kb, max_loss):
    r = result["report"]
    media = r.get("media", {})
    up, down = media.get("phoneToPBX", {}), media.get("pbxToPhone", {})
    received = get(up, "received") + get(down, "received")
    loss = get(media, "lossPercent")
    failed = get(r, "calls", "failed")
    completed = get(r, "calls", "completed")
    cpu_pp_total = result["cpu_total"] / received * 1e6 if received else None
    cpu_pp_steady = None
    if result["window"]:
        cpu, packets, _ = result["window"]
        cpu_pp_steady = cpu / packets * 1e6 if packets > 0 else None
    return {
        "concurrency": concurrency, "streams": concurrency * 2, "completed": completed, "failed": failed,
        "loss_percent": loss, "received": received,
        "p50_ms": max(get(up, "latencyMs", "p50"), get(down, "latencyMs", "p50")),
        "p99_ms": max(get(up, "latencyMs", "p99"), get(down, "latencyMs", "p99")),
        "cpu_us_per_packet": cpu_pp_steady if cpu_pp_steady is not None else cpu_pp_total,
        "cpu_us_per_packet_whole_run": cpu_pp_total,
        "relay_cpu_percent": (result["window"][0] / result["window"][2] * 100) if result["window"] else
                             result["cpu_total"] / result["elapsed"] * 100,
        "rss_peak_kb": result["rss_peak_kb"],
        "rss_per_call_kb": max(0, result["rss_peak_kb"] - idle_rss_kb) / concurrency,
        "setup_p99_ms": get(r, "calls", "inviteTo200Ms", "p99"),
        # Packets sotto-loadgen could not send on time (its core was busy): the step then measures the
        # generator as much as the relay.
        "generator_skipped": get(media, "generatorSkipped"),
        "auth_failures": get(media, "authFailures"),
        "ok": loss <= max_loss and failed == 0 and completed >= concurrency,
        "violations": r.get("violations", []),
    }


def start_relay(side, opts, pki, work):
    directory = os.path.join(work, side)
    if side == "sotto":
        relay = anchor.SottoRelay(directory, pki, opts.sotto, cpu=opts.relay_cpu)
        return relay.start(wait_upstream=False)  # the UAS only exists while sotto-loadgen runs
    return anchor.AnchorStack(directory, pki, cpu=opts.relay_cpu).start()


def run_side(side, opts, loadgen, pki, work):
    steps = [int(s) for s in opts.steps.split(",") if s.strip()]
    relay = start_relay(side, opts, pki, work)
    results = {"side": side, "steps": [], "setup": None}
    try:
        # Warm-up: the first calls make both relays allocate what they keep (TLS contexts, Kamailio's
        # shm pages, Sotto's pools); the baseline for RSS per call is taken after it.
        run_loadgen(opts, loadgen, pki, work, "%s-warmup" % side, relay, calls=20, concurrency=20, hold=2.0,
                    rate=50.0, max_loss=100.0)
        time.sleep(2.0)
        idle = anchor.rss_kb(relay.pids())
        results["idle_rss_kb"] = idle
        log("%s: RSS after warm-up %d kB over %d processes" % (SIDES[side], idle, len(relay.pids())))
        for concurrency in steps:
            ramp = concurrency / opts.ramp_rate
            # Every call is held long enough that all of them are up together for step_seconds + 2.
            hold = opts.step_seconds + ramp + 2.0
            steady = opts.step_seconds * 0.8
            label = "%s-c%d" % (side, concurrency)
            log("%s: step %d calls (%d streams), ramp %.1f s, hold %.1f s" % (
                SIDES[side], concurrency, concurrency * 2, ramp, hold))
            result = run_loadgen(opts, loadgen, pki, work, label, relay, calls=concurrency,
                                 concurrency=concurrency, hold=hold, rate=opts.ramp_rate, max_loss=100.0,
                                 steady=steady)
            numbers = step_numbers(concurrency, result, idle, opts.max_loss)
            results["steps"].append(numbers)
            log("%s: %d calls: loss %.3f %%, failed %d, p50 %.2f ms, p99 %.2f ms, %.1f us/packet, relay CPU %.0f %%, "
                "RSS %+d kB" % (SIDES[side], concurrency, numbers["loss_percent"], numbers["failed"], numbers["p50_ms"],
                               numbers["p99_ms"], numbers["cpu_us_per_packet"] or -1, numbers["relay_cpu_percent"],
                               numbers["rss_peak_kb"] - idle))
            if not numbers["ok"]:
                log("%s: loss or failed calls past the limit at %d calls: stepping stops" % (SIDES[side], concurrency))
                break
            time.sleep(2.0)  # let the relay tear the step's sessions down
        log("%s: setup-rate run, %d calls offered at %g/s" % (SIDES[side], opts.setup_calls, opts.setup_rate))
        result = run_loadgen(opts, loadgen, pki, work, "%s-setup" % side, relay, calls=opts.setup_calls,
                             concurrency=opts.setup_calls, hold=opts.setup_hold, rate=opts.setup_rate,
                             max_loss=100.0)
        r = result["report"]
        # sotto-loadgen's calls/s is completed calls over its whole run, hold included; every call here is
        # offered at once (concurrency = calls), so the time the relay took to set them all up is the
        # run's duration minus the hold.
        span = get(r, "durationSeconds") - opts.setup_hold
        results["setup"] = {"cps": get(r, "calls", "completed") / span if span > 0 else None,
                            "loadgen_calls_per_second": get(r, "calls", "callsPerSecond"), "completed": get(r, "calls", "completed"),
                            "failed": get(r, "calls", "failed"),
                            "setup_p50_ms": get(r, "calls", "inviteTo200Ms", "p50"),
                            "setup_p99_ms": get(r, "calls", "inviteTo200Ms", "p99")}
        log("%s: setup rate %s calls/s (%d completed, %d failed)" % (
            SIDES[side], fmt(results["setup"]["cps"], "%.0f"), results["setup"]["completed"], results["setup"]["failed"]))
    finally:
        relay.stop()
    return results


def summarise(results, opts):
    """max-calls, cpu-per-packet, p99@N streams, setup-rate, rss-per-call for one side."""
    steps = results["steps"]
    good = [s for s in steps if s["ok"]]
    best = good[-1] if good else None
    at = [s for s in steps if s["streams"] == opts.latency_streams]
    # CPU per packet and RSS per call: at the largest step both sides carried without loss (set later).
    return {"max_calls": best["concurrency"] if best else 0,
            "capped": bool(steps) and steps[-1]["ok"],
            "p99_at": at[0]["p99_ms"] if at else None,
            "setup_cps": results["setup"]["cps"] if results.get("setup") else None,
            "steps": {s["concurrency"]: s for s in steps}}


def ratio(better, worse):
    if not better or not worse:
        return "n/a"
    return "%.1fx" % (better / worse)


def fmt(value, spec):
    return "n/a" if value is None else spec % value


def print_table(name, results):
    print("\n%s (RSS after warm-up %s kB)" % (name, results.get("idle_rss_kb")))
    print("%7s %7s %9s %7s %9s %9s %11s %9s %11s %9s %9s %6s" % (
        "calls", "streams", "completed", "failed", "loss %", "p50 ms", "p99 ms", "us/pkt", "relay CPU%", "kB/call",
        "gen skip", "auth"))
    for s in results["steps"]:
        print("%7d %7d %9d %7d %9.3f %9.2f %11.2f %9s %11.0f %9.1f %9d %6d%s" % (
            s["concurrency"], s["streams"], s["completed"], s["failed"], s["loss_percent"], s["p50_ms"], s["p99_ms"],
            fmt(s["cpu_us_per_packet"], "%.1f"), s["relay_cpu_percent"], s["rss_per_call_kb"],
            s.get("generator_skipped", 0), s.get("auth_failures", 0), "" if s["ok"] else "  <- over the limit"))
    if results.get("setup"):
        st = results["setup"]
        print("setup run: %s calls/s, %d completed, %d failed, INVITE->200 p50 %.1f ms p99 %.1f ms" % (
            fmt(st["cps"], "%.0f"), st["completed"], st["failed"], st["setup_p50_ms"], st["setup_p99_ms"]))


def compare_lines(a, b, opts):
    """The five lines. CPU per packet and RSS per call are taken at the largest step both sides carried
    within the loss limit, so both are measured at the same load."""
    common = sorted(set(k for k, s in a["steps"].items() if s["ok"]) & set(k for k, s in b["steps"].items() if s["ok"]))
    at = common[-1] if common else None
    cpu_a = a["steps"][at]["cpu_us_per_packet"] if at else None
    cpu_b = b["steps"][at]["cpu_us_per_packet"] if at else None
    rss_a = a["steps"][at]["rss_per_call_kb"] if at else None
    rss_b = b["steps"][at]["rss_per_call_kb"] if at else None
    lines = [
        "compare max-calls: sotto %d, kamailio+rtpengine %d, ratio %s" % (
            a["max_calls"], b["max_calls"], ratio(a["max_calls"], b["max_calls"])),
        "compare cpu-per-packet: sotto %s us, kamailio+rtpengine %s us, ratio %s" % (
            fmt(cpu_a, "%.1f"), fmt(cpu_b, "%.1f"), ratio(cpu_b, cpu_a)),
        "compare p99-latency@%d-streams: sotto %s ms, kamailio+rtpengine %s ms, ratio %s" % (
            opts.latency_streams, fmt(a["p99_at"], "%.1f"), fmt(b["p99_at"], "%.1f"), ratio(b["p99_at"], a["p99_at"])),
        "compare setup-rate: sotto %s cps, kamailio+rtpengine %s cps, ratio %s" % (
            fmt(a["setup_cps"], "%.0f"), fmt(b["setup_cps"], "%.0f"), ratio(a["setup_cps"], b["setup_cps"])),
        "compare rss-per-call: sotto %s kB, kamailio+rtpengine %s kB, ratio %s" % (
            fmt(rss_a, "%.0f"), fmt(rss_b, "%.0f"), ratio(rss_b, rss_a)),
    ]
    notes = []
    if at:
        notes.append("cpu-per-packet and rss-per-call measured at %d calls (largest step both carried)" % at)
    for name, s in (("sotto", a), ("kamailio+rtpengine", b)):
        limited = [c for c, st in sorted(s["steps"].items()) if st.get("generator_skipped")]
        if limited:
            notes.append("%s: sotto-loadgen fell behind (skipped packets) at %s calls: latency and max-calls there "
                         "measure the generator's core too" % (name, ", ".join(map(str, limited))))
        if s["capped"]:
            notes.append("%s carried the largest step without loss: its max-calls is a lower bound" % name)
    return lines, notes


def plan(opts, loadgen):
    steps = [int(s) for s in opts.steps.split(",") if s.strip()]
    pki_dir = "<tmp>/pki"

    class FakePKI:
        ca = pki_dir + "/ca.pem"

        def path(self, name):
            return pki_dir + "/" + name
    fake = FakePKI()
    sides = opts.only or ["sotto", "anchor"]
    print("plan: %s; relays pinned to cpu %s, sotto-loadgen to cpu %s" % (
        " then ".join(SIDES[s] for s in sides), opts.relay_cpu, opts.gen_cpu))
    print("  sotto-loadgen: %s (%s)" % (loadgen, "present" if os.access(loadgen, os.X_OK) else "MISSING"))
    if "sotto" in sides:
        relay = anchor.SottoRelay("<tmp>/sotto", fake, opts.sotto, cpu=opts.relay_cpu)
        print("  (a) %s" % " ".join(anchor.taskset(opts.relay_cpu, relay.argv())))
        print("      sotto binary: %s" % ("present" if os.access(opts.sotto, os.X_OK) else "MISSING"))
    if "anchor" in sides:
        stack = anchor.AnchorStack("<tmp>/anchor", fake, cpu=opts.relay_cpu)
        print("  (b) %s" % " ".join(anchor.taskset(opts.relay_cpu, stack.rtpengine_argv())))
        print("      %s" % " ".join(anchor.taskset(opts.relay_cpu, ["kamailio", "-f", "<tmp>/anchor/kamailio.cfg",
                                                                    "-DD", "-E", "-m", "256", "-M", "32"])))
        print("      kamailio.cfg from Benchmarks/compare/templates/kamailio-rtpengine.cfg; rtpengine_offer(\"%s\"),"
              " offer toward the callee cut to %s only; rtpengine_answer(\"%s\")" % (
                  anchor.OFFER_FLAGS, anchor.CALLEE_SUITE, anchor.ANSWER_FLAGS))
        if not opts.skip_proof:
            print("      first: Benchmarks/compare/prove_rekey.py (baresip -> kamailio+rtpengine -> baresip, "
                  "both legs' keys must differ)")
    total = 0.0
    for c in steps:
        ramp = c / opts.ramp_rate
        hold = opts.step_seconds + ramp + 2.0
        argv = loadgen_argv(opts, loadgen, fake, calls=c, concurrency=c, hold=hold, rate=opts.ramp_rate,
                            json_path="<tmp>/SIDE-c%d.json" % c, max_loss=100)
        print("  step %5d calls: %s" % (c, " ".join(argv)))
        total += ramp + hold + 6
    setup = loadgen_argv(opts, loadgen, fake, calls=opts.setup_calls, concurrency=opts.setup_calls,
                         hold=opts.setup_hold, rate=opts.setup_rate, json_path="<tmp>/SIDE-setup.json", max_loss=100)
    print("  setup run     : %s" % " ".join(setup))
    total += opts.setup_calls / opts.setup_rate + opts.setup_hold + 10
    print("  stop a side at the first step with loss > %g %% or a failed call" % opts.max_loss)
    print("  worst-case time: about %.0f min per side (every step run)" % (total / 60))


def main():
    opts = parse_args()
    loadgen = find_binary(opts.loadgen, "sotto-loadgen")
    opts.sotto = find_binary(opts.sotto, "sotto")
    if opts.dry_run:
        plan(opts, loadgen)
        return 0
    sides = opts.only or ["sotto", "anchor"]
    for tool in (["taskset"] + (["kamailio", "rtpengine"] if "anchor" in sides else [])):
        if shutil.which(tool) is None:
            print("missing %s (see docs/bench-compare.md for the Debian packages)" % tool)
            return 2
    for path, what in ((loadgen, "sotto-loadgen"),) + (((opts.sotto, "sotto"),) if "sotto" in sides else ()):
        if not os.access(path, os.X_OK):
            print("missing %s at %s (swift build -c release --product %s)" % (what, path, what))
            return 2
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="sotto-compare-")
    procs.install_cleanup(lambda: shutil.rmtree(work, ignore_errors=True))
    summaries, everything = {}, {}
    status = 0
    try:
        pki = anchor.make_pki(os.path.join(work, "pki"))
        for side in sides:
            if side == "anchor" and not opts.skip_proof:
                proof = subprocess.run([sys.executable, os.path.join(anchor.HERE, "prove_rekey.py"),
                                        "--cpu", str(opts.relay_cpu)], capture_output=True, text=True, timeout=180)
                print(proof.stdout, end="")
                if proof.returncode != 0:
                    print("the anchor stack did not prove it re-keys; not benchmarking it\n" + proof.stderr[-2000:])
                    status = 1
                    continue
            results = run_side(side, opts, loadgen, pki, work)
            everything[side] = results
            summaries[side] = summarise(results, opts)
    except Exception as error:  # noqa: BLE001 - report, keep logs, exit non-zero
        print("compare run failed: %s" % error)
        status = 1
    finally:
        procs.stop_all()
        if opts.keep_logs:
            shutil.rmtree(opts.keep_logs, ignore_errors=True)
            shutil.copytree(work, opts.keep_logs, ignore=shutil.ignore_patterns("*.key", "*-combined.pem"))
    for side in sides:
        if side in everything:
            print_table(SIDES[side], everything[side])
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump({"settings": vars(opts), "results": everything}, f, indent=2)
    print("\none full run took %.1f min" % ((time.monotonic() - started) / 60))
    if "sotto" in summaries and "anchor" in summaries:
        lines, notes = compare_lines(summaries["sotto"], summaries["anchor"], opts)
        for note in notes:
            print("note: " + note)
        print("\n".join(lines))
    else:
        status = status or 1
        print("compare: need both sides for the compare lines (have: %s)" % ", ".join(summaries) or "none")
    shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
