"""srtp-leg-check (Tests/SRTPLegCheck) on a capture: its input written from the legs and packets, its report
read back, and the controls that show the check can fail."""

import json
import os

from . import procs

# baresip 1.0 sends two RTCP packets per stream in the clear: a 16-byte APP "PINGPONG" when the call
# starts and its RTCP BYE+SDES at hangup. The checker allows this many plain RTCP packets per leg direction.
MAX_UNPROTECTED_RTCP = 2


class LegChecker:
    """Runs srtp-leg-check; inputs and reports go to `directory` (inputs, which hold SRTP keys, are deleted
    unless `keep_keys`)."""

    def __init__(self, executable, directory, keep_keys, log):
        self.executable = executable
        self.dir = directory
        self.keep_keys = keep_keys
        self.log = log

    def checker(self, name, legs, packets):
        """Runs srtp-leg-check on one input; returns (exit status, report)."""
        path = os.path.join(self.dir, name + "-input.json")
        with open(path, "w") as f:
            json.dump({"legs": legs, "max_rtcp_failures": MAX_UNPROTECTED_RTCP,
                       "packets": [{"src": p["src"], "dst": p["dst"], "hex": p["hex"]} for p in packets]}, f)
        os.chmod(path, 0o600)  # it holds SRTP keys
        out = os.path.join(self.dir, name + "-report.json")
        result = procs.run([self.executable, path, "--output", out], timeout=120)
        if result.returncode not in (0, 1) or not os.path.exists(out):
            raise AssertionError("srtp-leg-check failed to run (status %d): %s" % (result.returncode, result.stderr))
        with open(out) as f:
            report = json.load(f)
        if not self.keep_keys:
            os.unlink(path)
        return result.returncode, report

    def run(self, legs, packets):
        """srtp-leg-check on the capture, then its controls: (report, problems)."""
        status, report = self.checker("checker", legs, packets)
        self.log("srtp-leg-check (libsrtp2 stock crypto): exit %d" % status)
        problems = ["srtp-leg-check: " + p for p in report.get("problems", [])]
        problems += self.controls(legs, packets)
        return report, problems

    def controls(self, legs, packets):
        """A check that cannot fail proves nothing: the same capture with a leg's keys swapped, one RTP
        packet with a flipped bit, and a repeated key must each make srtp-leg-check fail."""
        problems = []
        swapped = json.loads(json.dumps(legs))
        swapped[0]["peer_to_sotto"], swapped[0]["sotto_to_peer"] = swapped[0]["sotto_to_peer"], swapped[0]["peer_to_sotto"]
        status, report = self.checker("control-swapped-keys", swapped, packets)
        if status != 1 or report["keys"]["pairwise_distinct"] is not True or not report["problems"]:
            problems.append("control: srtp-leg-check did not fail with leg %s's keys swapped." % legs[0]["name"])

        tampered = [dict(p) for p in packets]
        leg_port = legs[0]["sotto_port"]
        victim = next((i for i, p in enumerate(tampered) if p["dport"] == leg_port and len(p["hex"]) > 60), None)
        if victim is not None:
            h = tampered[victim]["hex"]
            tampered[victim]["hex"] = h[:40] + "%02x" % (int(h[40:42], 16) ^ 0x01) + h[42:]
            status, report = self.checker("control-flipped-bit", legs, tampered)
            failed = report["legs"][0]["directions"]["peer_to_sotto"]["rtp"]["failed"]
            if status != 1 or failed != {"authFailed": 1}:
                problems.append("control: srtp-leg-check did not report exactly one authFailed for one flipped bit "
                                "(exit %d, %r)." % (status, failed))
        repeated = json.loads(json.dumps(legs))
        repeated[-1]["sotto_to_peer"] = dict(repeated[0]["peer_to_sotto"])
        status, report = self.checker("control-repeated-key", repeated, packets)
        if status != 1 or report["keys"]["pairwise_distinct"] is not False:
            problems.append("control: srtp-leg-check did not notice a key used on two legs.")
        if not problems:
            self.log("checker controls: swapped keys, one flipped bit and a repeated key each made srtp-leg-check fail")
        return problems


def print_leg_table(report):
    """The checker's report as a table on stdout: per leg and direction, RTP and RTCP authenticated."""
    print("    %-30s %-14s %-24s %15s %16s" % ("leg", "direction", "suite", "RTP ok/packets", "RTCP ok/packets"))
    for leg in report.get("legs", []):
        for direction in ("peer_to_sotto", "sotto_to_peer"):
            d = leg["directions"][direction]
            rtp, rtcp = d["rtp"], d["rtcp"]
            failed = "; ".join("%s %s" % (kind, ", ".join("%s %d" % kv for kv in sorted(d[kind]["failed"].items())))
                               for kind in ("rtp", "rtcp") if d[kind]["failed"])
            if rtcp.get("unprotected_plain"):
                failed += " (%d of them plain RTCP sent in the clear)" % rtcp["unprotected_plain"]
            print("    %-30s %-14s %-24s %15s %16s %s" % (
                leg["name"], direction, d["suite"], "%d/%d" % (rtp["authenticated"], rtp["packets"]),
                "%d/%d" % (rtcp["authenticated"], rtcp["packets"]), ("failed: " + failed) if failed else ""))
    print("    unmatched packets: %d" % report.get("unmatched", {}).get("packets", 0))


def key_entry(crypto):
    if crypto is None:
        raise AssertionError("no negotiated a=crypto line for a leg")
    return {"suite": crypto.suite, "key": crypto.key_param}
