#!/usr/bin/env python3
"""Sotto vs Kamailio+rtpengine, with the floor beside them: the same load (sotto-loadgen) through (a) Sotto,
(b) floor_relay.c, a no-crypto relay doing only what the kernel makes every per-port relay do (driven by
`sotto-loadgen --floor`: plain RTP, no SIP), and (c) Kamailio over TLS driving rtpengine 10.5 (userspace, one
thread, forced to re-key); each relay pinned to one core and the generator to the other.

Concurrency is stepped up; a step is good when loss < --max-loss (0.1 %), p99 one-way latency <= --max-p99-ms
(10 ms) and no call failed. Stepping stops at the first bad step (once the reporting step, --latency-streams / 2
calls, has run), then the grid between the last good and the first bad step is refined in --refine-step (50) calls.
Per step: the relay's CPU per relayed packet, RSS per call, p50/p99 one-way latency; then a short run at a high
call rate gives the setup rate (not for the floor: no signalling). Each side runs --repeat times (3), rounds
interleaved; every figure is the median with its min-max spread. Ends with five `compare ...` lines, every ratio =
how many times better Sotto is than the anchor, to-floor = Sotto's CPU per packet / the floor's. See
docs/bench-compare.md.

    python3 Benchmarks/compare/run.py                 # all three sides, three rounds (about 1 h)
    python3 Benchmarks/compare/run.py --repeat 1      # one round (a quick look)
    python3 Benchmarks/compare/run.py --dry-run       # the plan and the time estimate only
    python3 Benchmarks/compare/run.py --only floor --only sotto --steps 50,100 --step-seconds 5 --repeat 1

Python 3 standard library only. Run as root or as a user that may use taskset and loopback ports
127.0.0.1:5061, 127.0.0.2:5061, 22223-22224, 30000-49999.
"""

import argparse
import json
import re
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import anchor  # noqa: E402
import floor  # noqa: E402
from anchor import ROOT, log, procs  # noqa: E402

SIDES = {"sotto": "sotto", "floor": "floor", "anchor": "kamailio+rtpengine"}
ORDER = ["sotto", "floor", "anchor"]
SIGNALLING = {"sotto", "anchor"}  # the floor has no calls to set up and no per-call state
PPS_PER_DIRECTION = 50  # 20 ms packetisation (PCMU and Opus alike)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Sotto vs Kamailio+rtpengine under the same load, with the floor relay.")
    p.add_argument("--sotto", default=None, help="sotto (default: .build/release/sotto, else .build-compare/release)")
    p.add_argument("--loadgen", default=None,
                   help="sotto-loadgen (default: .build/release/sotto-loadgen, else .build-compare/{release,debug})")
    p.add_argument("--only", choices=ORDER, action="append", help="run this side only (repeatable)")
    p.add_argument("--steps", default="50,100,200,250,300,400,600,800,1000,1200,1600,2000",
                   help="concurrent calls per step (ascending; include --latency-streams / 2, where the "
                        "per-packet figures are taken)")
    p.add_argument("--step-seconds", type=float, default=15.0, help="steady-state hold per step (default 15)")
    p.add_argument("--ramp-rate", type=float, default=100.0, help="calls/s while filling a step (default 100)")
    p.add_argument("--max-loss", type=float, default=0.1, help="a good step's loss is below this, %% (default 0.1)")
    p.add_argument("--max-p99-ms", type=float, default=10.0,
                   help="a good step's p99 one-way latency is at most this, ms (default 10)")
    p.add_argument("--refine-step", type=int, default=50,
                   help="calls between the refinement steps run between the last good and the first bad step "
                        "(default 50; 0: no refinement)")
    p.add_argument("--repeat", type=int, default=3,
                   help="rounds: each side runs this many times, figures are medians (default 3; 1 for a quick look)")
    p.add_argument("--codec", default="pcmu", choices=["pcmu", "opus"])
    p.add_argument("--suite", default=anchor.CALLER_SUITE, help="the phones' SRTP suite")
    p.add_argument("--latency-streams", type=int, default=500,
                   help="report CPU per packet, p99 and RSS per call at this many media streams (a stream = one "
                        "direction of one call leg pair, so streams/2 calls; default 500 -> 250 calls)")
    p.add_argument("--setup-calls", type=int, default=1000, help="calls in the setup-rate run (default 1000)")
    p.add_argument("--setup-rate", type=float, default=1000.0, help="offered calls/s in that run (default 1000)")
    p.add_argument("--setup-hold", type=float, default=0.5,
                   help="hold per call in that run, s (default 0.5: the calls' media stays far below either "
                        "relay's capacity, so the run measures setting calls up, not carrying them)")
    p.add_argument("--relay-cpu", default="0", help="core for the relay processes (default 0)")
    p.add_argument("--gen-cpu", default="1", help="core for sotto-loadgen (default 1)")
    p.add_argument("--skip-proof", action="store_true", help="skip the baresip re-key proof before the anchor side")
    p.add_argument("--json", help="write every run's steps and figures here")
    p.add_argument("--keep-logs", help="copy logs and loadgen reports here (no private keys)")
    p.add_argument("--loadgen-extra", default="", help="extra sotto-loadgen flags, space-separated")
    p.add_argument("--sotto-toml", default="",
                   help="extra TOML for Sotto's config, e.g. '[media]\\npoll_enter_wakeups_per_s = 0' (experiments; "
                        "\\n is a newline)")
    p.add_argument("--dry-run", action="store_true", help="print the plan and the time estimate, and exit")
    opts = p.parse_args(argv)
    opts.step_list = [int(s) for s in opts.steps.split(",") if s.strip()]
    if opts.step_list != sorted(set(opts.step_list)) or not opts.step_list or opts.step_list[0] < 1:
        p.error("--steps must be ascending positive call counts")
    if opts.repeat < 1:
        p.error("--repeat must be at least 1")
    if opts.refine_step < 0:
        p.error("--refine-step must not be negative")
    if opts.latency_streams % 2:
        p.error("--latency-streams must be even (two streams per call)")
    opts.report_calls = opts.latency_streams // 2
    if opts.report_calls not in opts.step_list:
        sys.stderr.write("note: --steps lacks %d calls (--latency-streams %d): cpu-per-packet, p99 and rss-per-call "
                         "are taken there, so they will read n/a\n" % (opts.report_calls, opts.latency_streams))
    if max(opts.step_list) > floor.pairs():
        p.error("the floor relay has %d port pairs: no step may exceed that" % floor.pairs())
    opts.sides = [s for s in ORDER if s in (opts.only or ORDER)]
    return opts


def find_binary(given, name):
    if given:
        return given
    for candidate in (".build/release/", ".build-compare/release/", ".build-compare/debug/"):
        path = os.path.join(ROOT, candidate + name)
        if os.access(path, os.X_OK):
            return path
    return os.path.join(ROOT, ".build", "release", name)


def loadgen_argv(opts, loadgen, pki, *, side, calls, concurrency, hold, rate, json_path, max_loss):
    common = ["--calls", str(calls), "--concurrency", str(concurrency), "--hold", "%g" % hold,
              "--rate", "%g" % rate, "--codec", opts.codec, "--suite", opts.suite,
              "--json", json_path, "--max-loss", "%g" % max_loss]
    if side == "floor":
        # Plain RTP to the floor relay's port pairs; --suite only sizes the packets like the SRTP runs' ones.
        argv = [loadgen, "--floor", floor.loadgen_target()] + common
    else:
        argv = [loadgen, "--relay", "%s:%d" % (anchor.RELAY_IP, anchor.RELAY_PORT),
                "--listen", "%s:%d" % (anchor.UAS_IP, anchor.UAS_PORT)] + common + [
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
            start = (anchor.cpu_seconds(relay.pids()), line[2], time.monotonic(), loop_counts(relay))
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
            cpu = anchor.cpu_seconds(relay.pids()) - start[0]
            loops = loop_window(start[3], loop_counts(relay))
            return (cpu, line[2] - start[1], time.monotonic() - start[2], loops)
    return None


def loop_counts(relay):
    """Sotto's media loops as its admin socket reports them (`sottoctl stats --json`), or None for a relay
    without one."""
    stats = relay.admin_stats() if hasattr(relay, "admin_stats") else None
    return (stats or {}).get("loops")


def loop_window(before, after):
    """Packets per wakeup over the steady window and the loops' modes at its end ("events"/"polling" per loop)."""
    if not before or not after or len(before) != len(after):
        return None
    packets = sum(b["packets"] - a["packets"] for a, b in zip(before, after))
    wakeups = sum(b["wakeups"] - a["wakeups"] for a, b in zip(before, after))
    return {"packets_per_wakeup": packets / wakeups if wakeups else None,
            "modes": ["polling" if loop["polling"] else "events" for loop in after]}


def run_loadgen(opts, loadgen, pki, work, side, label, relay, *, calls, concurrency, hold, rate, max_loss,
                steady=None):
    """One sotto-loadgen run against the running relay. Returns its report plus the relay's CPU (whole run
    and, if `steady` seconds are given, over a window that long with every call up) and peak RSS."""
    json_path = os.path.join(work, "%s.json" % label)
    argv = loadgen_argv(opts, loadgen, pki, side=side, calls=calls, concurrency=concurrency, hold=hold, rate=rate,
                        json_path=json_path, max_loss=max_loss)
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


def step_numbers(concurrency, result, idle_rss_kb, opts):
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
        cpu, packets = result["window"][:2]
        cpu_pp_steady = cpu / packets * 1e6 if packets > 0 else None
    p99 = max(get(up, "latencyMs", "p99"), get(down, "latencyMs", "p99"))
    # The good-call rule: a step counts toward max-calls only if the voice is still good on every call.
    why_bad = []
    if not loss < opts.max_loss:
        why_bad.append("loss %.3f %% >= %g %%" % (loss, opts.max_loss))
    if not p99 <= opts.max_p99_ms:
        why_bad.append("p99 %.2f ms > %g ms" % (p99, opts.max_p99_ms))
    if failed or completed < concurrency:
        why_bad.append("%d failed, %d of %d completed" % (failed, completed, concurrency))
    return {
        "concurrency": concurrency, "streams": concurrency * 2, "completed": completed, "failed": failed,
        "loss_percent": loss, "received": received,
        "p50_ms": max(get(up, "latencyMs", "p50"), get(down, "latencyMs", "p50")),
        "p99_ms": p99,
        "cpu_us_per_packet": cpu_pp_steady if cpu_pp_steady is not None else cpu_pp_total,
        "cpu_us_per_packet_whole_run": cpu_pp_total,
        "packets_per_wakeup": (result["window"][3] or {}).get("packets_per_wakeup") if result["window"] else None,
        "loop_modes": (result["window"][3] or {}).get("modes") if result["window"] else None,
        "relay_cpu_percent": (result["window"][0] / result["window"][2] * 100) if result["window"] else
                             result["cpu_total"] / result["elapsed"] * 100,
        "rss_peak_kb": result["rss_peak_kb"],
        "rss_per_call_kb": max(0, result["rss_peak_kb"] - idle_rss_kb) / concurrency,
        "setup_p99_ms": get(r, "calls", "inviteTo200Ms", "p99"),
        # Packets sotto-loadgen could not send on time (its core was busy): the step then measures the
        # generator as much as the relay.
        "generator_skipped": get(media, "generatorSkipped"),
        "auth_failures": get(media, "authFailures"),
        "ok": not why_bad,
        "why_bad": why_bad,
        "violations": r.get("violations", []),
    }


def start_relay(side, opts, pki, work, directory):
    if side == "sotto":
        relay = anchor.SottoRelay(directory, pki, opts.sotto, cpu=opts.relay_cpu,
                                  extra_toml=opts.sotto_toml.replace("\\n", "\n"))
        return relay.start(wait_upstream=False)  # the UAS only exists while sotto-loadgen runs
    if side == "floor":
        return floor.FloorRelay(directory, opts.floor_binary, cpu=opts.relay_cpu).start()
    return anchor.AnchorStack(directory, pki, cpu=opts.relay_cpu).start()


def refinement(steps_run, opts):
    """The calls to try between the last good and the first bad step, in --refine-step calls (ascending)."""
    bad = [s["concurrency"] for s in steps_run if not s["ok"]]
    if not bad or opts.refine_step <= 0:
        return []
    first_bad = bad[0]
    good_below = [s["concurrency"] for s in steps_run if s["ok"] and s["concurrency"] < first_bad]
    last_good = max(good_below) if good_below else 0
    return list(range(last_good + opts.refine_step, first_bad, opts.refine_step))


def run_step(side, opts, loadgen, pki, work, relay, idle, tag, concurrency):
    ramp = concurrency / opts.ramp_rate
    # Every call is held long enough that all of them are up together for step_seconds + 2.
    hold = opts.step_seconds + ramp + 2.0
    label = "%s-c%d" % (tag, concurrency)
    log("%s: step %d calls (%d streams), ramp %.1f s, hold %.1f s" % (
        tag, concurrency, concurrency * 2, ramp, hold))
    result = run_loadgen(opts, loadgen, pki, work, side, label, relay, calls=concurrency, concurrency=concurrency,
                         hold=hold, rate=opts.ramp_rate, max_loss=100.0, steady=opts.step_seconds * 0.8)
    numbers = step_numbers(concurrency, result, idle, opts)
    loops = ""
    if numbers.get("packets_per_wakeup") is not None:
        loops = ", %.1f packets/wakeup (%s)" % (numbers["packets_per_wakeup"], "/".join(numbers["loop_modes"]))
    log("%s: %d calls: loss %.3f %%, failed %d, p50 %.2f ms, p99 %.2f ms, %.1f us/packet, relay CPU %.0f %%, "
        "RSS %+d kB%s%s" % (tag, concurrency, numbers["loss_percent"], numbers["failed"], numbers["p50_ms"],
                            numbers["p99_ms"], numbers["cpu_us_per_packet"] or -1, numbers["relay_cpu_percent"],
                            numbers["rss_peak_kb"] - idle, loops,
                          "" if numbers["ok"] else " -- bad step: " + "; ".join(numbers["why_bad"])))
    time.sleep(2.0)  # let the relay tear the step's sessions down
    return numbers


def run_side(side, opts, loadgen, pki, work, round_number):
    """One run of one side: its relay started afresh, warm-up, the steps, the refinement, the setup-rate run."""
    tag = "%s-r%d" % (side, round_number)
    relay = start_relay(side, opts, pki, work, os.path.join(work, tag))
    results = {"side": side, "round": round_number, "steps": [], "refined": [], "setup": None}
    try:
        # Warm-up: the first calls make the relays allocate what they keep (TLS contexts, Kamailio's
        # shm pages, Sotto's pools); the baseline for RSS per call is taken after it.
        run_loadgen(opts, loadgen, pki, work, side, "%s-warmup" % tag, relay, calls=20, concurrency=20, hold=2.0,
                    rate=50.0, max_loss=100.0)
        time.sleep(2.0)
        idle = anchor.rss_kb(relay.pids())
        results["idle_rss_kb"] = idle
        log("%s: RSS after warm-up %d kB over %d processes" % (tag, idle, len(relay.pids())))
        for concurrency in opts.step_list:
            numbers = run_step(side, opts, loadgen, pki, work, relay, idle, tag, concurrency)
            results["steps"].append(numbers)
            # Stop at the first bad step, but only once the reporting step has run: its figures are reported
            # whatever the side's limit.
            if any(not s["ok"] for s in results["steps"]) and concurrency >= opts.report_calls:
                log("%s: a bad step at or below %d calls: stepping stops" % (tag, concurrency))
                break
        for concurrency in refinement(results["steps"], opts):
            numbers = run_step(side, opts, loadgen, pki, work, relay, idle, tag + "-refine", concurrency)
            results["refined"].append(numbers)
            if not numbers["ok"]:
                break
        if side in SIGNALLING:
            log("%s: setup-rate run, %d calls offered at %g/s" % (tag, opts.setup_calls, opts.setup_rate))
            result = run_loadgen(opts, loadgen, pki, work, side, "%s-setup" % tag, relay, calls=opts.setup_calls,
                                 concurrency=opts.setup_calls, hold=opts.setup_hold, rate=opts.setup_rate,
                                 max_loss=100.0)
            r = result["report"]
            # sotto-loadgen's calls/s is completed calls over its whole run, hold included; every call here is
            # offered at once (concurrency = calls), so the time the relay took to set them all up is the
            # run's duration minus the hold.
            span = get(r, "durationSeconds") - opts.setup_hold
            results["setup"] = {"cps": get(r, "calls", "completed") / span if span > 0 else None,
                                "loadgen_calls_per_second": get(r, "calls", "callsPerSecond"),
                                "completed": get(r, "calls", "completed"), "failed": get(r, "calls", "failed"),
                                "setup_p50_ms": get(r, "calls", "inviteTo200Ms", "p50"),
                                "setup_p99_ms": get(r, "calls", "inviteTo200Ms", "p99")}
            log("%s: setup rate %s calls/s (%d completed, %d failed)" % (
                tag, fmt(results["setup"]["cps"], "%.0f"), results["setup"]["completed"],
                results["setup"]["failed"]))
    finally:
        counters = relay.stop()
        if side == "floor":
            results["floor_counters"] = counters
    results["figures"] = figures(results, opts)
    return results


def max_calls(steps):
    """The largest good step below the first bad one (steps in any order); and whether no step was bad."""
    ordered = sorted(steps, key=lambda s: s["concurrency"])
    best = 0
    for s in ordered:
        if not s["ok"]:
            return best, False
        best = s["concurrency"]
    return best, True


def figures(results, opts):
    """One run's figures: max-calls (good-call rule, refined grid), and at the reporting step (--latency-streams)
    CPU per packet, p99 and RSS per call; the setup rate."""
    steps = results["steps"] + results["refined"]
    best, capped = max_calls(steps)
    at = [s for s in steps if s["concurrency"] == opts.report_calls]
    at = at[0] if at else None
    return {"max_calls": best, "capped": capped and bool(steps),
            "cpu_us": at["cpu_us_per_packet"] if at else None,
            "p99_ms": at["p99_ms"] if at else None,
            # RSS per call is read at the largest step both signalling sides carried in the round (common_rss),
            # as before the floor column: at a small step the allocator's slack from earlier steps weighs more.
            "rss_by_calls": {s["concurrency"]: s["rss_per_call_kb"] for s in steps if s["ok"]}
            if results["side"] in SIGNALLING else {},
            "setup_cps": results["setup"]["cps"] if results.get("setup") else None,
            "generator_skipped_at": sorted(s["concurrency"] for s in steps if s.get("generator_skipped"))}


# -- medians, spreads, the compare lines -----------------------------------------------------------------

def ratio_of(better, worse):
    """How many times `better` is better: better / worse (None when either is missing or zero)."""
    if not better or not worse:
        return None
    return better / worse


def fmt(value, spec):
    return "n/a" if value is None else spec % value


class Figure:
    """One figure of one side over the rounds: the median and the min-max spread of the values it has."""

    def __init__(self, values):
        self.values = [v for v in values if v is not None]
        self.median = statistics.median(self.values) if self.values else None

    def show(self, spec, unit=""):
        if self.median is None:
            return "n/a"
        text = spec % self.median + unit
        if len(self.values) > 1:
            text += " (%s-%s)" % (spec % min(self.values), spec % max(self.values))
        return text


def per_round(runs, name):
    return [r["figures"][name] for r in runs]


def round_ratios(numerators, denominators):
    """Per-round ratios (round r of one side against round r of the other: they ran back to back)."""
    return Figure([ratio_of(a, b) for a, b in zip(numerators, denominators)])


def ratio_text(numerators, denominators):
    """The ratio of the medians, with the spread of the per-round ratios."""
    value = ratio_of(Figure(numerators).median, Figure(denominators).median)
    spread = round_ratios(numerators, denominators)
    text = fmt(value, "%.1fx")
    if len(spread.values) > 1:
        text += " (%.1f-%.1fx)" % (min(spread.values), max(spread.values))
    return text


def common_rss(runs):
    """Per round, RSS per call of Sotto and of the anchor at the largest step both carried within the good-step rule
    in that round (the same load on both), and those steps; sets figures["rss_kb"] on both sides' runs."""
    at = []
    for sotto, anchor_run in zip(runs.get("sotto", []), runs.get("anchor", [])):
        ours, theirs = sotto["figures"]["rss_by_calls"], anchor_run["figures"]["rss_by_calls"]
        common = sorted(set(ours) & set(theirs))
        sotto["figures"]["rss_kb"] = ours[common[-1]] if common else None
        anchor_run["figures"]["rss_kb"] = theirs[common[-1]] if common else None
        at.append(common[-1] if common else None)
    for side in ("sotto", "anchor"):
        for run in runs.get(side, [])[len(at):]:
            run["figures"]["rss_kb"] = None
    return at


def compare_lines(runs, opts):
    """The five lines (medians over the rounds, spreads in brackets) and notes. `runs`: side -> its runs."""
    def values(side, name):
        return per_round(runs.get(side, []), name)

    rss_at = common_rss(runs)

    def show(side, name, spec, unit=""):
        return Figure(values(side, name)).show(spec, unit) if runs.get(side) else "n/a"

    s, f, a = "sotto", "floor", "anchor"
    lines = [
        "compare cpu-per-packet@%d-streams: sotto %s, floor %s, kamailio+rtpengine %s, to-floor %s, ratio %s" % (
            opts.latency_streams, show(s, "cpu_us", "%.1f", " us"), show(f, "cpu_us", "%.1f", " us"),
            show(a, "cpu_us", "%.1f", " us"), ratio_text(values(s, "cpu_us"), values(f, "cpu_us")),
            ratio_text(values(a, "cpu_us"), values(s, "cpu_us"))),
        "compare max-calls(p99<=%gms): sotto %s, floor %s, kamailio+rtpengine %s, ratio %s" % (
            opts.max_p99_ms, show(s, "max_calls", "%d"), show(f, "max_calls", "%d"), show(a, "max_calls", "%d"),
            ratio_text(values(s, "max_calls"), values(a, "max_calls"))),
        "compare p99-latency@%d-streams: sotto %s, kamailio+rtpengine %s, ratio %s" % (
            opts.latency_streams, show(s, "p99_ms", "%.1f", " ms"), show(a, "p99_ms", "%.1f", " ms"),
            ratio_text(values(a, "p99_ms"), values(s, "p99_ms"))),
        "compare setup-rate: sotto %s, kamailio+rtpengine %s, ratio %s" % (
            show(s, "setup_cps", "%.0f", " cps"), show(a, "setup_cps", "%.0f", " cps"),
            ratio_text(values(s, "setup_cps"), values(a, "setup_cps"))),
        "compare rss-per-call: sotto %s, kamailio+rtpengine %s, ratio %s" % (
            show(s, "rss_kb", "%.0f", " kB"), show(a, "rss_kb", "%.0f", " kB"),
            ratio_text(values(a, "rss_kb"), values(s, "rss_kb"))),
    ]
    notes = []
    rounds = max((len(v) for v in runs.values()), default=0)
    notes.append("medians of %d round(s)%s; a ratio is the ratio of the medians, its bracket the range of the "
                 "per-round ratios" % (rounds, ", (min-max) after each" if rounds > 1 else ""))
    notes.append("cpu-per-packet and p99 at %d calls (%d streams); p99 = the generator's one-way "
                 "latency, send() to the kernel's arrival timestamp (the floor's p99 there: %s)" % (
                     opts.report_calls, opts.latency_streams, show(f, "p99_ms", "%.2f", " ms")))
    if rss_at:
        notes.append("rss-per-call at the largest step both sotto and kamailio+rtpengine carried, per round: %s calls"
                     % ", ".join("n/a" if c is None else str(c) for c in rss_at))
    if runs.get(s) and runs.get(f):
        notes.append("max-calls sotto/floor: %s (target at least 0.8x)"
                     % ratio_text(values(s, "max_calls"), values(f, "max_calls")))
    for side in ORDER:
        for run in runs.get(side, []):
            fig = run["figures"]
            if fig["generator_skipped_at"]:
                notes.append("%s round %d: sotto-loadgen fell behind (skipped packets) at %s calls: latency and "
                             "max-calls there measure the generator's core too" % (
                                 SIDES[side], run["round"], ", ".join(map(str, fig["generator_skipped_at"]))))
            if fig["capped"]:
                notes.append("%s round %d carried the largest step: its max-calls is a lower bound"
                             % (SIDES[side], run["round"]))
    return lines, notes


def print_table(run):
    name = "%s, round %d" % (SIDES[run["side"]], run["round"])
    print("\n%s (RSS after warm-up %s kB)" % (name, run.get("idle_rss_kb")))
    print("%7s %7s %9s %7s %9s %9s %11s %9s %11s %9s %9s %6s" % (
        "calls", "streams", "completed", "failed", "loss %", "p50 ms", "p99 ms", "us/pkt", "relay CPU%", "kB/call",
        "gen skip", "auth"))
    rows = [(s, "") for s in run["steps"]] + [(s, " (refined)") for s in run["refined"]]
    for s, extra in sorted(rows, key=lambda row: row[0]["concurrency"]):
        print("%7d %7d %9d %7d %9.3f %9.2f %11.2f %9s %11.0f %9.1f %9d %6d%s%s" % (
            s["concurrency"], s["streams"], s["completed"], s["failed"], s["loss_percent"], s["p50_ms"], s["p99_ms"],
            fmt(s["cpu_us_per_packet"], "%.1f"), s["relay_cpu_percent"], s["rss_per_call_kb"],
            s.get("generator_skipped", 0), s.get("auth_failures", 0), extra,
            "" if s["ok"] else "  <- bad: " + "; ".join(s["why_bad"])))
    if run.get("setup"):
        st = run["setup"]
        print("setup run: %s calls/s, %d completed, %d failed, INVITE->200 p50 %.1f ms p99 %.1f ms" % (
            fmt(st["cps"], "%.0f"), st["completed"], st["failed"], st["setup_p50_ms"], st["setup_p99_ms"]))
    if run.get("floor_counters"):
        c = run["floor_counters"]
        print("floor_relay: received %d, sent %d, dropped %d (latch packets before the other leg latched), "
              "send errors %d" % (c["received"], c["sent"], c["dropped"], c["send_errors"]))
    fig = run["figures"]
    print("max-calls %d%s" % (fig["max_calls"], " (lower bound)" if fig["capped"] else ""))


# -- the plan and the time estimate ------------------------------------------------------------------------

def step_seconds(opts, concurrency):
    """Wall time of one step: ramp, hold (which covers the ramp again and the steady window), teardown."""
    ramp = concurrency / opts.ramp_rate
    return ramp + (opts.step_seconds + ramp + 2.0) + 2.0 + 1.5


def side_seconds(side, opts, steps):
    total = 5.0 + 2.0 + 2.0 + 20 / 50.0 + 1.0  # relay start, warm-up, idle pause
    total += sum(step_seconds(opts, c) for c in steps)
    if side in SIGNALLING:
        total += opts.setup_calls / opts.setup_rate + opts.setup_hold + 10
    if side == "anchor":
        total += 10  # Kamailio and rtpengine start
    return total


# Where each side's first bad step was on the 2-vCPU development VM (docs/bench-compare.md), for the likely
# run time only: the floor saturates near 1000 calls, Sotto's p99 passed 10 ms between 300 and 600 calls, the
# anchor's between 200 and 300.
LIKELY_FIRST_BAD = {"floor": 1200, "sotto": 600, "anchor": 300}


def likely_steps(side, opts):
    first_bad = LIKELY_FIRST_BAD[side]
    steps = [c for c in opts.step_list if c <= max(first_bad, opts.report_calls)]
    good = [c for c in steps if c < first_bad]
    last_good = max(good) if good else 0
    refine = []
    if opts.refine_step and first_bad in opts.step_list:
        refine = list(range(last_good + opts.refine_step, first_bad, opts.refine_step))
    return steps + refine[:2]  # the refinement stops at its first bad step: about half of the grid


def estimate(opts):
    """Seconds for the whole run: (least, likely, most). Least: every side stops at its reporting step; likely:
    each stops where it did on the development VM, with its refinement; most: every step runs."""
    least = likely = most = 0.0
    upto = [c for c in opts.step_list if c <= opts.report_calls]
    for side in opts.sides:
        least += side_seconds(side, opts, upto) * opts.repeat
        likely += side_seconds(side, opts, likely_steps(side, opts)) * opts.repeat
        most += side_seconds(side, opts, opts.step_list) * opts.repeat
    proof = 15 if "anchor" in opts.sides and not opts.skip_proof else 0
    return least + proof, likely + proof, most + proof


def print_estimate(opts, out=print):
    least, likely, most = estimate(opts)
    out("estimate: %d round(s) of %s: likely about %.0f min (between %.0f, if every side stops right after %d "
        "calls, and %.0f, if every step runs)" % (
            opts.repeat, ", ".join(SIDES[s] for s in opts.sides), likely / 60, least / 60, opts.report_calls,
            most / 60))


def plan(opts, loadgen):
    pki_dir = "<tmp>/pki"

    class FakePKI:
        ca = pki_dir + "/ca.pem"

        def path(self, name):
            return pki_dir + "/" + name
    fake = FakePKI()
    print("plan: %s, %d round(s) (the sides interleaved); relays pinned to cpu %s, sotto-loadgen to cpu %s" % (
        " then ".join(SIDES[s] for s in opts.sides), opts.repeat, opts.relay_cpu, opts.gen_cpu))
    print("  sotto-loadgen: %s (%s)" % (loadgen, "present" if os.access(loadgen, os.X_OK) else "MISSING"))
    if "sotto" in opts.sides:
        relay = anchor.SottoRelay("<tmp>/sotto", fake, opts.sotto, cpu=opts.relay_cpu)
        print("  sotto: %s" % " ".join(anchor.taskset(opts.relay_cpu, relay.argv())))
        print("      sotto binary: %s" % ("present" if os.access(opts.sotto, os.X_OK) else "MISSING"))
    if "floor" in opts.sides:
        print("  floor: %s" % " ".join(floor.build_argv("<tmp>/floor_relay")))
        print("         %s" % " ".join(anchor.taskset(opts.relay_cpu, floor.FloorRelay(
            "<tmp>/floor", "<tmp>/floor_relay").argv())))
        print("         compiler: %s" % (floor.compiler() or "MISSING (make compare-deps installs gcc)"))
    if "anchor" in opts.sides:
        stack = anchor.AnchorStack("<tmp>/anchor", fake, cpu=opts.relay_cpu)
        print("  kamailio+rtpengine: %s" % " ".join(anchor.taskset(opts.relay_cpu, stack.rtpengine_argv())))
        print("      %s" % " ".join(anchor.taskset(opts.relay_cpu, ["kamailio", "-f", "<tmp>/anchor/kamailio.cfg",
                                                                    "-DD", "-E", "-m", "256", "-M", "32"])))
        print("      kamailio.cfg from Benchmarks/compare/templates/kamailio-rtpengine.cfg; rtpengine_offer(\"%s\"),"
              " offer toward the callee cut to %s only; rtpengine_answer(\"%s\")" % (
                  anchor.OFFER_FLAGS, anchor.CALLEE_SUITE, anchor.ANSWER_FLAGS))
        if not opts.skip_proof:
            print("      first: Benchmarks/compare/prove_rekey.py (baresip -> kamailio+rtpengine -> baresip, "
                  "both legs' keys must differ)")
    example = opts.report_calls
    for side in opts.sides:
        ramp = example / opts.ramp_rate
        argv = loadgen_argv(opts, loadgen, fake, side=side, calls=example, concurrency=example,
                            hold=opts.step_seconds + ramp + 2.0, rate=opts.ramp_rate,
                            json_path="<tmp>/%s-rN-c%d.json" % (side, example), max_loss=100)
        print("  %s, step of %d calls: %s" % (SIDES[side], example, " ".join(argv)))
        if side in SIGNALLING:
            setup = loadgen_argv(opts, loadgen, fake, side=side, calls=opts.setup_calls,
                                 concurrency=opts.setup_calls, hold=opts.setup_hold, rate=opts.setup_rate,
                                 json_path="<tmp>/%s-rN-setup.json" % side, max_loss=100)
            print("  %s, setup run: %s" % (SIDES[side], " ".join(setup)))
    print("  steps (calls up at once): %s; each holds every call for --step-seconds %g + 2 s after the ramp "
          "(--ramp-rate %g calls/s), CPU measured over %g s of it" % (
              ", ".join(map(str, opts.step_list)), opts.step_seconds, opts.ramp_rate, opts.step_seconds * 0.8))
    print("  a step is good when loss < %g %%, p99 <= %g ms and no call failed; a side stops at its first bad step "
          "(after %d calls, the reporting step), then refines between the last good and the first bad step in "
          "steps of %d calls" % (opts.max_loss, opts.max_p99_ms, opts.report_calls, opts.refine_step))
    print_estimate(opts)


# -- main -------------------------------------------------------------------------------------------------

def check_tools(opts, loadgen):
    needed = ["taskset"] + (["kamailio", "rtpengine"] if "anchor" in opts.sides else [])
    for tool in needed:
        if shutil.which(tool) is None:
            print("missing %s (see docs/bench-compare.md for the Debian packages; make compare-deps)" % tool)
            return False
    if "floor" in opts.sides and floor.compiler() is None:
        print("missing a C compiler for floor_relay.c (apt-get install gcc libc6-dev; make compare-deps)")
        return False
    for path, what in ((loadgen, "sotto-loadgen"),) + (((opts.sotto, "sotto"),) if "sotto" in opts.sides else ()):
        if not os.access(path, os.X_OK):
            print("missing %s at %s (swift build -c release --product %s)" % (what, path, what))
            return False
    return True


def main():
    opts = parse_args()
    loadgen = find_binary(opts.loadgen, "sotto-loadgen")
    opts.sotto = find_binary(opts.sotto, "sotto")
    if opts.dry_run:
        plan(opts, loadgen)
        return 0
    if not check_tools(opts, loadgen):
        return 2
    print_estimate(opts, log)
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="sotto-compare-")
    procs.install_cleanup(lambda: shutil.rmtree(work, ignore_errors=True))
    runs = {}
    status = 0
    sides = list(opts.sides)
    try:
        pki = anchor.make_pki(os.path.join(work, "pki"))
        if "floor" in sides:
            opts.floor_binary = floor.build(os.path.join(work, "floor-build"))
        if "anchor" in sides and not opts.skip_proof:
            proof = subprocess.run([sys.executable, os.path.join(anchor.HERE, "prove_rekey.py"),
                                    "--cpu", str(opts.relay_cpu)], capture_output=True, text=True, timeout=180)
            print(proof.stdout, end="")
            if proof.returncode != 0:
                print("the anchor stack did not prove it re-keys; not benchmarking it\n" + proof.stderr[-2000:])
                status = 1
                sides.remove("anchor")
        # Rounds interleave the sides, so a slow drift of the machine touches every side alike.
        for round_number in range(1, opts.repeat + 1):
            for side in sides:
                log("round %d of %d: %s" % (round_number, opts.repeat, SIDES[side]))
                runs.setdefault(side, []).append(run_side(side, opts, loadgen, pki, work, round_number))
    except Exception as error:  # noqa: BLE001 - report, keep logs, exit non-zero
        print("compare run failed: %s" % error)
        status = 1
    finally:
        procs.stop_all()
        if opts.keep_logs:
            shutil.rmtree(opts.keep_logs, ignore_errors=True)
            shutil.copytree(work, opts.keep_logs, ignore=shutil.ignore_patterns("*.key", "*-combined.pem"))
    for side in ORDER:
        for run in runs.get(side, []):
            print_table(run)
    if opts.json:
        settings = {k: v for k, v in vars(opts).items()}
        with open(opts.json, "w") as f:
            json.dump({"settings": settings, "runs": runs}, f, indent=2)
    print("\nthe whole run took %.1f min" % ((time.monotonic() - started) / 60))
    missing = [SIDES[s] for s in opts.sides if len(runs.get(s, [])) < opts.repeat]
    if missing:
        status = status or 1
        print("note: incomplete: %s (the lines below use the rounds that finished)" % ", ".join(missing))
    if runs:
        lines, notes = compare_lines(runs, opts)
        for note in notes:
            print("note: " + note)
        print("\n".join(lines))
    shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
