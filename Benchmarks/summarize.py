#!/usr/bin/env python3
"""Summarise a `swift package benchmark` text report of CryptoBenchmarks.

Prints every row's p50 wall clock and malloc count, then ends with one line per suite for the
160-byte relay, in the form the foundation issue fixed:

  relay AES_CM_128_HMAC_SHA1_80 160B: sotto 540 ns, stock 11200 ns, limit 420 ns, speedup 20.7x, to-limit 1.29x, mallocs 0

"limit" there is twice the limit row (a relay is one unprotect and one protect). Exits non-zero
when any of Sotto's rows allocated, or when the control benchmark's allocations were not counted
(the counter must be seen to be live). Times are only reported, never asserted: the machines are noisy.
"""
import re
import sys

SCALE = {"": 1, "K": 1_000, "M": 1_000_000, "G": 1_000_000_000}
SUITES = [
    "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AES_256_CM_HMAC_SHA1_80",
    "AES_256_CM_HMAC_SHA1_32", "AEAD_AES_128_GCM", "AEAD_AES_256_GCM",
]


def parse(text):
    """Benchmark name -> metric -> {percentile: value}. A name is the line just before a table."""
    rows, name, columns, previous = {}, None, [], ""
    for line in text.splitlines():
        line = line.rstrip()
        if line.startswith("╒"):
            name = previous.strip()
            rows[name] = {}
            continue
        if line.strip():
            previous = line
        if name is None or not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[0] == "Metric":
            columns = cells[1:]
            continue
        label = cells[0].rstrip(" *")
        scale = re.search(r"\((K|M|G)\)$", label)
        factor = SCALE[scale.group(1)] if scale else 1
        metric = "time" if label.startswith("Time (wall clock)") else "mallocs" if label.startswith("Malloc") else None
        if metric is None:
            continue
        values = {}
        for column, cell in zip(columns, cells[1:]):
            try:
                values[column] = float(cell.replace(",", "")) * factor
            except ValueError:
                pass
        rows[name][metric] = values
        if metric == "time":
            unit = re.search(r"\((ns|μs|us|ms|s)\)", label)
            rows[name]["unit"] = unit.group(1) if unit else "?"
    return rows


def zero_mallocs(path):
    """Every row must have allocated nothing (the forward-path gate)."""
    rows = parse(open(path, encoding="utf-8").read())
    if not rows:
        sys.exit(f"summarize: no benchmark results in {path}")
    failed = False
    for name, metrics in sorted(rows.items()):
        mallocs = metrics.get("mallocs", {}).get("p100")
        time = metrics.get("time", {}).get("p50")
        print(f"{name}: p50 {time:.0f} {metrics.get('unit', '?')}, mallocs {mallocs:.0f}")
        if mallocs != 0:
            failed = True
            print(f"bench: {name} allocated ({mallocs}); the gate is 0", file=sys.stderr)
    sys.exit(1 if failed else 0)


def main(path):
    rows = parse(open(path, encoding="utf-8").read())
    if not rows:
        sys.exit(f"summarize: no benchmark results in {path}")
    failures = []
    print(f"{'benchmark':<52} {'p50 ns':>10} {'mallocs':>8}")
    for name in sorted(rows):
        time = rows[name].get("time", {}).get("p50")
        mallocs = rows[name].get("mallocs", {}).get("p100")
        print(f"{name:<52} {time if time is not None else '-':>10} {mallocs if mallocs is not None else '-':>8}")
        if name.endswith(" sotto") and mallocs != 0:
            failures.append(f"{name} allocated ({mallocs} per packet); it must not")
    control = rows.get("control one malloc per packet", {}).get("mallocs", {}).get("p50")
    if not control or control < 1:
        failures.append("the control benchmark counted no allocation: the malloc counter is not live")

    print()
    for suite in SUITES:
        sotto = rows.get(f"{suite} 160B relay sotto", {})
        stock = rows.get(f"{suite} 160B relay stock", {})
        limit = rows.get(f"{suite} 160B limit", {})
        try:
            s, k, l2 = sotto["time"]["p50"], stock["time"]["p50"], 2 * limit["time"]["p50"]
            m = int(sotto["mallocs"]["p100"])
        except KeyError:
            failures.append(f"missing results for {suite} 160B")
            continue
        print(f"relay {suite} 160B: sotto {s:.0f} ns, stock {k:.0f} ns, limit {l2:.0f} ns, "
              f"speedup {k / s:.1f}x, to-limit {s / l2:.2f}x, mallocs {m}")
    if failures:
        for failure in failures:
            print(f"bench-crypto: {failure}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--zero-mallocs":
        zero_mallocs(sys.argv[2])
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else "Benchmarks/.build-bench-crypto.log")
