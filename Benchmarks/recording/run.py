#!/usr/bin/env python3
"""make bench-recording: what recording costs the relay (docs/recording.md, "What it costs").

The same load through one Sotto twice per round, recording off and recording every call (in alternating order),
rounds interleaved so a drift of the machine touches both alike: sotto-loadgen's calls (two streams each) held while every call is up, the
relay pinned to core 0 and the generator to core 1 (the bench-compare harness, Benchmarks/compare). Prints the
relay's CPU per relayed packet each way, the vault's overruns and bytes written, and ends with one line:

    recording: N calls recorded at S streams, relay cpu/packet R us vs U us unrecorded (Xx), overruns O,
    mallocs/packet M, disk W kB/s per call

mallocs/packet comes from the MediaBenchmarks gate `forward path with recording` (its log is passed with
--mallocs-log): the count on the media loop per batch of 32, divided by 32.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "compare"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "Tests", "EndToEnd"))

import anchor  # noqa: E402
import run as compare  # noqa: E402
from e2e_lib import procs  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, default=250, help="calls held at once (two streams each; default 250)")
    p.add_argument("--seconds", type=float, default=20.0, help="steady window per run (default 20)")
    p.add_argument("--rounds", type=int, default=5, help="rounds, each unrecorded then recorded (default 5)")
    p.add_argument("--codec", default="pcmu", choices=["pcmu", "opus"])
    p.add_argument("--mallocs-log", help="the MediaBenchmarks log with `forward path with recording`")
    return p.parse_args()


def mallocs_per_packet(path):
    """The recorded forward path's malloc count per batch (package-benchmark's table, its p100 column) / 32."""
    if not path or not os.path.exists(path):
        return None
    text = open(path).read()
    start = text.find("forward path with recording")
    if start < 0:
        return None
    match = re.search(r"Malloc \(total\)[^\n]*?│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│\s*(\d+)\s*│"
                      r"\s*(\d+)\s*│\s*(\d+)\s*│", text[start:])
    return int(match.group(7)) / 32 if match else None


def main():
    args = parse_args()
    opts = compare.parse_args(["--only", "sotto", "--steps", str(args.calls), "--repeat", "1",
                               "--step-seconds", "%g" % args.seconds, "--codec", args.codec])
    loadgen = compare.find_binary(None, "sotto-loadgen")
    opts.sotto = compare.find_binary(None, "sotto")
    sottoctl = os.path.join(os.path.dirname(opts.sotto), "sottoctl")
    work = tempfile.mkdtemp(prefix="sotto-bench-recording-")
    procs.install_cleanup(lambda: shutil.rmtree(work, ignore_errors=True))
    pki = anchor.make_pki(os.path.join(work, "pki"))
    key = os.path.join(work, "officer.key")
    subprocess.run([sottoctl, "recordings", "keygen", "--out", key], check=True, capture_output=True)
    results = {"off": [], "on": []}
    vault = []
    try:
        for round_number in range(1, args.rounds + 1):
            # The order alternates, so whatever the second run of a pair meets (a warmer machine) is shared.
            for mode in ("off", "on") if round_number % 2 else ("on", "off"):
                tag = "%s-r%d" % (mode, round_number)
                directory = os.path.join(work, tag)
                toml = ""
                if mode == "on":
                    toml = ('[recording]\nenabled = true\nmode = "all"\ndirectory = "%s"\nrecipients = "%s"\n'
                            % (os.path.join(directory, "recordings"), key + ".pub"))
                relay = anchor.SottoRelay(directory, pki, opts.sotto, cpu=opts.relay_cpu, extra_toml=toml)
                relay.start(wait_upstream=False)
                idle = anchor.rss_kb(relay.pids())
                numbers = compare.run_step("sotto", opts, loadgen, pki, work, relay, idle, tag, args.calls)
                results[mode].append(numbers)
                if mode == "on":
                    stats = (relay.admin_stats() or {}).get("recording") or {}
                    vault.append(stats)
                    compare.log("%s: vault %s" % (tag, stats))
                relay.proc.stop(grace=10)
    finally:
        procs.stop_all()
    off = [n["cpu_us_per_packet"] for n in results["off"] if n["cpu_us_per_packet"]]
    on = [n["cpu_us_per_packet"] for n in results["on"] if n["cpu_us_per_packet"]]
    if not off or not on or not vault:
        print("recording: no complete pair of runs; see the log above")
        return 1
    recorded = [int(v.get("completed", 0)) for v in vault]
    overruns = sum(int(v.get("overruns", 0)) for v in vault)
    hold = args.seconds + args.calls / opts.ramp_rate + 2.0
    # Bytes written per call and second of recording, each run's total over its calls' held time.
    disk = statistics.median(
        float(v.get("bytesWritten", 0)) / 1024 / max(1, int(v.get("completed", 0))) / hold for v in vault)
    mallocs = mallocs_per_packet(args.mallocs_log)
    for mode in ("off", "on"):
        for n in results[mode]:
            print("  %-3s %d calls: loss %.3f %%, %.2f us/packet, relay CPU %.0f %%, p99 %.2f ms" % (
                mode, n["concurrency"], n["loss_percent"], n["cpu_us_per_packet"] or -1, n["relay_cpu_percent"],
                n["p99_ms"]))
    r, u = statistics.median(on), statistics.median(off)
    # The ratio is each round's recorded run over its unrecorded one (the two ran back to back), then the median:
    # a drift of the shared machine between rounds cancels out of each pair.
    ratios = [a / b for a, b in zip(on, off)]
    print("per round, recorded/unrecorded: %s" % ", ".join("%.2fx" % x for x in ratios))
    print("recording: %d calls recorded at %d streams, relay cpu/packet %.2f us vs %.2f us unrecorded (%.2fx), "
          "overruns %d, mallocs/packet %s, disk %.1f kB/s per call" % (
              min(recorded), args.calls * 2, r, u, statistics.median(ratios), overruns,
              "?" if mallocs is None else "%g" % mallocs, disk))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
