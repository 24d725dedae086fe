"""Checks before any test runs: the tools, root, no stray Kamailio or baresip, the listening ports free."""

import os
import shutil
import socket
import sys

from . import procs
from .topology import KAM_IP, KAM_PORT, SOTTO_IP, SOTTO_PORT


def check_tools(sotto, checker, *, need_sotto, log):
    """Exits with the remedy when a tool, the permission or a port the tests need is missing."""
    missing = [tool for tool in ("baresip", "kamailio", "tshark", "sox", "openssl", "ss") if shutil.which(tool) is None]
    if missing:
        sys.exit("missing tools: %s (see Tests/EndToEnd/README.md for the packages)" % ", ".join(missing))
    if not os.access(checker, os.X_OK):
        sys.exit("--checker %s is not an executable (swift build --product srtp-leg-check)" % checker)
    if need_sotto:
        if not os.access(sotto, os.X_OK):
            sys.exit("--sotto %s is not an executable" % sotto)
        result = procs.run([sotto, "--version"], timeout=20)
        if result.returncode != 0:
            sys.exit("%s --version failed (status %d): %s" % (sotto, result.returncode,
                                                              (result.stdout + result.stderr).strip()[:300]))
        log("sotto --version: %s" % (result.stdout + result.stderr).strip().splitlines()[0])
    if os.geteuid() != 0:
        sys.exit("run as root: tshark captures on lo, and Kamailio and the phones bind fixed ports")
    # Installing the kamailio package on a machine with systemd starts the stock kamailio.service, which
    # listens on UDP/TCP 5060 on every address: it would answer the UDP probes and hold ports. Not ours
    # to stop: refuse with the remedy.
    others = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/comm" % entry) as f:
                    if f.read().strip() in ("kamailio", "baresip"):
                        others.append(entry)
            except OSError:
                pass
    if others:
        sys.exit("kamailio/baresip already running (pids %s); stop them first (for the packaged service: "
                 "systemctl disable --now kamailio)" % ", ".join(others))
    busy = []
    for ip, port in ((SOTTO_IP, SOTTO_PORT), (KAM_IP, KAM_PORT)):
        try:
            with socket.create_connection((ip, port), timeout=0.5):
                busy.append("%s:%d" % (ip, port))
        except OSError:
            pass
    if busy:
        sys.exit("something already listens on %s; stop it first" % ", ".join(busy))
