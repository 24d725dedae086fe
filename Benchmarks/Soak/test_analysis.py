#!/usr/bin/env python3
"""Checks of the soak's arithmetic and verdict on canned samples (no processes):
`python3 Benchmarks/Soak/test_analysis.py`."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import analysis  # noqa: E402


def samples(rss, end_sessions=0, end_ports=0):
    """A start sample, one load sample a minute with these RSS values, an end sample."""
    out = [{"phase": "start", "minute": 0.0, "rss_kb": rss[0], "sessions": 0, "ports_in_use": 0}]
    for minute, value in enumerate(rss, start=1):
        out.append({"phase": "load", "minute": float(minute), "rss_kb": value, "sessions": 400,
                    "ports_in_use": 1600})
    out.append({"phase": "end", "minute": len(rss) + 0.5, "rss_kb": rss[-1], "sessions": end_sessions,
                "ports_in_use": end_ports, "transactions": 0})
    return out


REPORT = {"calls": {"completed": 48000, "failed": 0}, "media": {"lossPercent": 0.0012},
          "registrations": {"failed": 0}}


class GrowthTests(unittest.TestCase):
    def test_flat_rss_has_no_growth(self):
        self.assertAlmostEqual(analysis.rss_growth_percent_per_hour([(m, 40000) for m in range(6, 60)]), 0.0)

    def test_slope_is_a_share_of_the_mean_per_hour(self):
        # 1 kB a minute around a mean of 60,000 kB: 60 kB/h = 0.1 %/h.
        points = [(m, 60000 - 30 + m) for m in range(0, 61)]
        self.assertAlmostEqual(analysis.rss_growth_percent_per_hour(points), 0.1, places=6)

    def test_too_few_points(self):
        self.assertIsNone(analysis.rss_growth_percent_per_hour([(1, 1), (2, 2)]))

    def test_warmup_is_left_out_of_the_fit(self):
        # A steep first 6 minutes (allocator arenas filling), flat after: no growth once warmed up.
        rss = [30000 + 2000 * m for m in range(5)] + [42000] * 55  # minutes 1-5, then 6-60
        result = analysis.summarize(samples(rss), REPORT, minutes=60, warmup_fraction=0.1, fds_start=15,
                                    fds_end=15)
        self.assertAlmostEqual(result["rss_growth_percent_per_hour"], 0.0)
        self.assertEqual(result["misses"], [])


class VerdictTests(unittest.TestCase):
    def verdict(self, rss=None, fds_end=15, end_sessions=0, report=REPORT):
        return analysis.summarize(samples(rss or [40000] * 60, end_sessions=end_sessions), report, minutes=60,
                                  warmup_fraction=0.1, fds_start=15, fds_end=fds_end)

    def test_a_clean_run_meets_every_target(self):
        result = self.verdict()
        self.assertEqual(result["misses"], [])
        self.assertEqual(analysis.line(result),
                         "soak: 60 minutes, 48000 calls completed, 0 failed, loss 0.001 %, rss growth 0.00 %/h, "
                         "fds start/end 15/15, sessions leaked 0")

    def test_a_leaked_session_is_a_miss(self):
        result = self.verdict(end_sessions=1)
        self.assertEqual(result["sessions_leaked"], 1)
        self.assertIn("1 sessions still live after the load ended", result["misses"])

    def test_a_leaked_fd_is_a_miss(self):
        self.assertTrue(any("file descriptors" in m for m in self.verdict(fds_end=16)["misses"]))

    def test_growing_rss_is_a_miss(self):
        # 10 kB a minute around 40 MB: 1.5 %/h.
        result = self.verdict(rss=[40000 + 10 * m for m in range(60)])
        self.assertGreater(result["rss_growth_percent_per_hour"], 1.0)
        self.assertTrue(any(m.startswith("RSS grew") for m in result["misses"]))

    def test_a_failed_call_is_a_miss(self):
        report = {"calls": {"completed": 47999, "failed": 1, "failuresByStatus": {"timeout": 1}},
                  "media": {"lossPercent": 0.0}, "registrations": {}}
        result = self.verdict(report=report)
        self.assertTrue(any("1 calls failed" in m for m in result["misses"]))


if __name__ == "__main__":
    unittest.main()
