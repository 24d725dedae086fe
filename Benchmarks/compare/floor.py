"""The floor column of Benchmarks/compare: floor_relay.c, built with the system's C compiler and run pinned like
the other relays, driven by `sotto-loadgen --floor` (plain RTP, no SIP, TLS or SRTP).

floor_relay relays UDP between the two ports of a pair (FIRST+2k and FIRST+2k+1, call k's legs) with one thread,
one level-triggered epoll set and one recvmmsg + one sendmmsg per ready socket: what a per-port relay cannot do
with less, on this kernel. See docs/bench-compare.md.

Python 3 standard library only.
"""

import os
import re
import shutil
import subprocess

import anchor
from anchor import log, procs

FLOOR_IP = "127.0.0.1"
FLOOR_PORTS = (40000, 44999)  # 2500 pairs: the largest default step is 2000 calls
SOURCE = os.path.join(anchor.HERE, "floor_relay.c")
CFLAGS = ["-O2", "-std=c11", "-Wall"]
COUNTERS = re.compile(r"received (\d+), sent (\d+), dropped (\d+) \(no latched peer\), send errors (\d+), "
                      r"wakeups (\d+)")


def compiler():
    return shutil.which("cc") or shutil.which("gcc")


def build_argv(output):
    return [compiler() or "cc"] + CFLAGS + ["-o", output, SOURCE]


def build(directory):
    """Compiles floor_relay.c into `directory`; returns the binary's path."""
    os.makedirs(directory, exist_ok=True)
    output = os.path.join(directory, "floor_relay")
    result = subprocess.run(build_argv(output), capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError("floor_relay.c did not compile:\n%s" % result.stderr[-2000:])
    return output


def ports_text():
    return "%d-%d" % FLOOR_PORTS


def pairs():
    return (FLOOR_PORTS[1] - FLOOR_PORTS[0] + 1) // 2


def loadgen_target():
    """sotto-loadgen's --floor value."""
    return "%s:%s" % (FLOOR_IP, ports_text())


class FloorRelay:
    """floor_relay as the relay under test: start (pinned), pids for the CPU accounting, stop (its counters)."""

    def __init__(self, directory, binary, *, cpu=0):
        self.directory = directory
        self.binary = binary
        self.cpu = cpu
        self.proc = None
        self.counters = None

    def argv(self):
        return [self.binary, "--ip", FLOOR_IP, "--ports", ports_text()]

    def start(self):
        os.makedirs(self.directory, exist_ok=True)
        self.proc = procs.Proc("floor_relay", anchor.taskset(self.cpu, self.argv()),
                               os.path.join(self.directory, "floor_relay.log"))
        self.proc.wait_for(r"floor_relay: ready", 20)
        log("floor_relay pid %d %s" % (self.proc.pid, " ".join(self.argv()[1:])))
        return self

    def pids(self):
        return anchor.process_tree(self.proc.pid) if self.proc else []

    def stop(self):
        """SIGTERM; the relay prints its counters and exits 0. Returns them (a dict) or None."""
        if self.proc is None:
            return None
        status = self.proc.stop(grace=3)
        found = COUNTERS.findall(self.proc.text())
        if found:
            received, sent, dropped, errors, wakeups = (int(x) for x in found[-1])
            self.counters = {"received": received, "sent": sent, "dropped": dropped, "send_errors": errors,
                             "wakeups": wakeups, "exit": status}
            log("floor_relay: received %d, sent %d, dropped %d (no latched peer: the latch packets), send errors %d, "
                "%.2f packets per wakeup, exit %s" % (received, sent, dropped, errors,
                                                      received / wakeups if wakeups else 0.0, status))
        return self.counters
