"""The soak's arithmetic and outputs: the RSS growth fit, the targets, the one-line result, the samples as CSV
and JSON, and the gnuplot plot. Kept apart from soak.py (which runs the processes) so that it can be checked on
canned samples: `python3 Benchmarks/Soak/test_analysis.py`."""

import csv
import json
import os
import shutil
import subprocess

FIELDS = ["phase", "minute", "t_s", "rss_kb", "fds", "sessions", "calls", "ports_in_use", "timers", "transactions",
          "tls_open", "cpu_percent", "calls_started", "calls_ended"]

# The targets (docs/soak.md): no failed call, RSS growth below this after the warm-up, descriptors and sessions
# back to where they were before the first call.
MAX_RSS_GROWTH_PERCENT_PER_HOUR = 1.0


def rss_growth_percent_per_hour(points):
    """Least-squares slope of RSS over time, as a percentage of the mean RSS per hour. `points` are
    (minute, rss_kb) pairs; None with fewer than three points or no time span."""
    if len(points) < 3:
        return None
    xs = [p[0] / 60.0 for p in points]  # hours
    ys = [float(p[1]) for p in points]
    n = len(points)
    mean_x = sum(xs) / n
    mean_y = sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0 or mean_y == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sxx  # kB per hour
    return 100.0 * slope / mean_y


def summarize(samples, report, minutes, warmup_fraction, fds_start, fds_end):
    """The figures of the line and the targets missed. `samples` carry `minute` (since the load started) and
    `phase` (start, load, end); `report` is sotto-loadgen's JSON report."""
    warmup_minutes = minutes * warmup_fraction
    fitted = [(s["minute"], s["rss_kb"]) for s in samples if s["phase"] == "load" and s["minute"] >= warmup_minutes]
    growth = rss_growth_percent_per_hour(fitted)
    calls = report.get("calls", {})
    media = report.get("media", {})
    end = samples[-1]
    result = {
        "minutes": minutes,
        "calls_completed": calls.get("completed", 0),
        "calls_failed": calls.get("failed", 0),
        "failures_by_cause": calls.get("failuresByStatus", {}),
        "loss_percent": media.get("lossPercent", 0.0),
        "auth_failures": media.get("authFailures", 0),
        "generator_skipped": media.get("generatorSkipped", 0),
        "registrations": report.get("registrations", {}),
        "rss_growth_percent_per_hour": growth,
        "rss_fit_points": len(fitted),
        "warmup_minutes": warmup_minutes,
        "rss_start_kb": samples[0]["rss_kb"],
        "rss_end_kb": end["rss_kb"],
        "rss_peak_kb": max(s["rss_kb"] for s in samples),
        "fds_start": fds_start,
        "fds_end": fds_end,
        "sessions_leaked": end.get("sessions") or 0,
        "ports_leaked": end.get("ports_in_use") or 0,
        "transactions_end": end.get("transactions"),
        "misses": [],
    }
    misses = result["misses"]
    if result["calls_completed"] == 0:
        misses.append("no call completed")
    if result["calls_failed"] > 0:
        misses.append("%d calls failed: %s" % (result["calls_failed"], result["failures_by_cause"]))
    registrations = result["registrations"]
    if registrations.get("failed", 0) > 0:
        misses.append("%d REGISTERs failed: %s" % (registrations["failed"], registrations.get("failuresByStatus")))
    if growth is None:
        misses.append("too few samples after the warm-up to fit RSS growth")
    elif growth >= MAX_RSS_GROWTH_PERCENT_PER_HOUR:
        misses.append("RSS grew %.2f %%/h after the warm-up (target below %g)" % (growth,
                                                                                 MAX_RSS_GROWTH_PERCENT_PER_HOUR))
    if fds_end > fds_start:
        misses.append("file descriptors %d at the end, %d before the first call" % (fds_end, fds_start))
    if result["sessions_leaked"] > 0:
        misses.append("%d sessions still live after the load ended" % result["sessions_leaked"])
    if result["ports_leaked"] > 0:
        misses.append("%d media ports still in use after the load ended" % result["ports_leaked"])
    return result


def line(result):
    growth = result["rss_growth_percent_per_hour"]
    return ("soak: %g minutes, %d calls completed, %d failed, loss %.3f %%, rss growth %s %%/h, fds start/end %d/%d, "
            "sessions leaked %d" % (result["minutes"], result["calls_completed"], result["calls_failed"],
                                   result["loss_percent"], "n/a" if growth is None else "%.2f" % growth,
                                   result["fds_start"], result["fds_end"], result["sessions_leaked"]))


def write_samples(directory, samples):
    with open(os.path.join(directory, "samples.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        for sample in samples:
            writer.writerow({k: ("" if sample.get(k) is None else sample.get(k)) for k in FIELDS})
    with open(os.path.join(directory, "samples.json"), "w") as f:
        json.dump(samples, f, indent=1)


PANELS = [  # column in samples.dat, label
    (3, "RSS (MB)", "$3/1024"),
    (4, "open fds", "$4"),
    (5, "live sessions", "$5"),
    (7, "media ports in use", "$7"),
    (8, "signalling timers", "$8"),
    (9, "SIP transactions", "$9"),
    (11, "CPU (% of one core)", "$11"),
]


def plot(directory, samples, png, title):
    """Seven panels over the minutes of the run (gnuplot, PNG). False when gnuplot is missing or fails."""
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        return False
    data = os.path.join(directory, "samples.dat")
    columns = ["minute", "t_s", "rss_kb", "fds", "sessions", "calls", "ports_in_use", "timers", "transactions",
               "tls_open", "cpu_percent"]
    with open(data, "w") as f:
        f.write("# " + " ".join(columns) + "\n")
        for s in samples:
            f.write(" ".join("?" if s.get(c) is None else str(s.get(c)) for c in columns) + "\n")
    lines = [
        'set terminal pngcairo size 1000,1400 font ",10"' if _has_cairo(gnuplot) else "set terminal png size 1000,1400",
        "set output '%s'" % png.replace("'", ""),
        "set datafile missing '?'",
        "set multiplot layout %d,1 title '%s'" % (len(PANELS), title.replace("'", "")),
        "set grid",
        "set key off",
        "set lmargin 12",
        "set yrange [0:*]",
        "set offsets 0, 0, graph 0.1, 0",
    ]
    for index, (_, label, expression) in enumerate(PANELS):
        lines.append("set ylabel '%s'" % label)
        lines.append("set xlabel '%s'" % ("minutes since the load started" if index == len(PANELS) - 1 else ""))
        lines.append("plot '%s' using 1:(%s) with linespoints pt 7 ps 0.5" % (data, expression))
    lines.append("unset multiplot")
    script = os.path.join(directory, "plot.gp")
    with open(script, "w") as f:
        f.write("\n".join(lines) + "\n")
    result = subprocess.run([gnuplot, script], capture_output=True, text=True, timeout=60)
    if result.returncode != 0 or not os.path.exists(png):
        with open(os.path.join(directory, "plot.err"), "w") as f:
            f.write(result.stderr)
        return False
    return True


def _has_cairo(gnuplot):
    result = subprocess.run([gnuplot, "-e", "set terminal"], capture_output=True, text=True, timeout=30)
    return "pngcairo" in (result.stdout + result.stderr)
