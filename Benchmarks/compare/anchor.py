"""The two relays Benchmarks/compare runs the same load through, and the check that the anchor re-keys.

(a) Sotto: `sotto --listen RELAY --upstream UAS ...`, one process.
(b) Kamailio 5.6 (TLS only, rtpengine module) + rtpengine 10.5 in userspace with one worker thread,
    the offer toward the callee restricted to a different SRTP suite so rtpengine must decrypt and
    re-encrypt every packet with keys of its own (see docs/bench-compare.md).

Both listen for SIP over TLS on the same address (RELAY_IP:RELAY_PORT) and send every call to the same
PBX-side UAS (UAS_IP:UAS_PORT). Processes are started through Tests/EndToEnd/e2e_lib/procs.py (log files,
bounded waits, stop by PID/process group, cleanup on exit and on signals).

Python 3 standard library only.
"""

import base64
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "Tests", "EndToEnd"))

from e2e_lib import configs, pki as pki_mod, procs, sip  # noqa: E402  (after the path insert)

RELAY_IP, RELAY_PORT = "127.0.0.1", 5061
UAS_IP, UAS_PORT = "127.0.0.2", 5061
DOMAIN = "pbx.test"
NG_IP, NG_PORT = "127.0.0.1", 22223
CLI_PORT = 22224
RTPENGINE_PORTS = (30000, 39999)
SOTTO_MEDIA_PORTS = (40000, 49999)

CALLER_SUITE = "AES_CM_128_HMAC_SHA1_80"   # what baresip and sotto-loadgen offer
CALLEE_SUITE = "AES_CM_128_HMAC_SHA1_32"   # the only suite rtpengine may offer toward the callee

# Every SDES suite rtpengine 10.5 offers on its own (seen in the offer it sends a callee).
RTPENGINE_SUITES = [
    "AES_CM_128_HMAC_SHA1_80", "AEAD_AES_256_GCM", "AEAD_AES_128_GCM", "AES_256_CM_HMAC_SHA1_80",
    "AES_256_CM_HMAC_SHA1_32", "AES_192_CM_HMAC_SHA1_80", "AES_192_CM_HMAC_SHA1_32", "AES_CM_128_HMAC_SHA1_32",
    "F8_128_HMAC_SHA1_80", "F8_128_HMAC_SHA1_32", "NULL_HMAC_SHA1_80", "NULL_HMAC_SHA1_32",
]

# The flags given to rtpengine. Re-keying itself is forced in kamailio-rtpengine.cfg: rtpengine 10.5 has
# no `recrypt` and no `SDES-only-<suite>` (it logs "Unknown 'SDES' flag encountered: 'only-...'"), and its
# `SDES-no-<suite>` also strips that suite from what it accepts from the caller (tried: the caller then
# gets an answer without a=crypto). So Kamailio takes rtpengine's offer (write_sdp_pv) and deletes every
# a=crypto line except CALLEE_SUITE's -- which rtpengine keyed itself -- before relaying it.
OFFER_FLAGS = "replace-origin replace-session-connection ICE=remove RTP/SAVP"
# POSIX ERE for Kamailio's {re.subst}: one a=crypto line (CRLF included) of any suite but CALLEE_SUITE.
STRIP_RE = ("a=crypto:[0-9]+ (%s) [^[:cntrl:]]*[[:cntrl:]]+"
            % "|".join(s for s in RTPENGINE_SUITES if s != CALLEE_SUITE))
ANSWER_FLAGS = "replace-origin replace-session-connection ICE=remove RTP/SAVP"


def log(message):
    sys.stderr.write("[compare %s] %s\n" % (time.strftime("%H:%M:%S"), message))
    sys.stderr.flush()


def make_pki(directory, phones=()):
    """CA; `relay` (IP:127.0.0.1, serves both Sotto and Kamailio), `uas` (IP:127.0.0.2, the PBX side),
    one client certificate per phone (also IP:127.0.0.1)."""
    pki = pki_mod.PKI(directory)
    pki.make_ca()
    pki.issue("relay", "relay.test", san="IP:%s,DNS:relay.test" % RELAY_IP)
    pki.issue("uas", DOMAIN, san="IP:%s,DNS:%s" % (UAS_IP, DOMAIN))
    for phone in phones:
        pki.issue(phone, phone + ".phone.test", san="IP:127.0.0.1,DNS:%s.phone.test" % phone)
    return pki


def taskset(cpu, argv):
    return ["taskset", "-c", str(cpu)] + argv if cpu is not None else argv


# -- (b) rtpengine + Kamailio ---------------------------------------------------------------------------

class AnchorStack:
    def __init__(self, directory, pki, *, cpu=0, uas=(UAS_IP, UAS_PORT), sdp_log=False, children=4, debug=1):
        self.directory = directory
        self.pki = pki
        self.cpu = cpu
        self.uas = uas
        self.sdp_log = sdp_log
        self.children = children
        self.debug = debug
        self.rtpengine = None
        self.kamailio = None

    def rtpengine_argv(self):
        return [
            "rtpengine", "--config-file=none", "--foreground", "--log-stderr", "--log-level=%d" % (
                6 if self.sdp_log else 4),
            "--table=-1",                       # userspace only: no kernel forwarding module
            "--num-threads=1",                  # one worker thread (pinned with the rest to one core)
            "--interface=%s" % RELAY_IP,
            "--listen-ng=%s:%d" % (NG_IP, NG_PORT),
            "--listen-cli=%s:%d" % (NG_IP, CLI_PORT),
            "--port-min=%d" % RTPENGINE_PORTS[0], "--port-max=%d" % RTPENGINE_PORTS[1],
            "--timeout=600", "--silent-timeout=600", "--final-timeout=0",
            "--delete-delay=0",                 # free a session at once on delete (default: 30 s later)
            "--max-sessions=-1",
            "--pidfile=%s" % os.path.join(self.directory, "rtpengine.pid"),
        ]

    def kamailio_cfg(self):
        tls_cfg = configs.write(
            os.path.join(self.directory, "tls.cfg"),
            configs.render("tls.cfg", {"KAM_CERT": self.pki.path("relay.pem"), "KAM_KEY": self.pki.path("relay.key"),
                                       "CA": self.pki.ca}))
        with open(os.path.join(HERE, "templates", "kamailio-rtpengine.cfg")) as f:
            text = f.read()
        values = {
            "DEBUG": self.debug, "CHILDREN": self.children, "DOMAIN": DOMAIN, "KAM_IP": RELAY_IP,
            "KAM_PORT": RELAY_PORT, "MODULE_PATH": configs.KAMAILIO_MODULES, "TLS_CFG": tls_cfg,
            "NG_IP": NG_IP, "NG_PORT": NG_PORT, "UAS_IP": self.uas[0], "UAS_PORT": self.uas[1],
            "OFFER_FLAGS": OFFER_FLAGS, "STRIP_RE": STRIP_RE, "ANSWER_FLAGS": ANSWER_FLAGS, "CALLEE_SUITE": CALLEE_SUITE,
        }
        text = re.sub(r"\{\{([A-Z_]+)\}\}", lambda m: str(values[m.group(1)]), text)
        return configs.write(os.path.join(self.directory, "kamailio.cfg"), text)

    def start(self):
        os.makedirs(self.directory, exist_ok=True)
        self.rtpengine = procs.Proc("rtpengine", taskset(self.cpu, self.rtpengine_argv()),
                                    os.path.join(self.directory, "rtpengine.log"))
        ng_ping(timeout=10, proc=self.rtpengine)
        cfg = self.kamailio_cfg()
        check = procs.run(["kamailio", "-c", "-f", cfg], timeout=30)
        if check.returncode != 0:
            raise RuntimeError("kamailio -c refused %s:\n%s" % (cfg, check.stdout + check.stderr))
        rundir = os.path.join(self.directory, "run")
        os.makedirs(rundir, exist_ok=True)
        self.kamailio = procs.Proc(
            "kamailio", taskset(self.cpu, ["kamailio", "-f", cfg, "-DD", "-E", "-m", "256", "-M", "32", "-Y", rundir]),
            os.path.join(self.directory, "kamailio.log"))
        procs.wait_tcp(RELAY_IP, RELAY_PORT, 20, self.kamailio)
        log("anchor: rtpengine pid %d (userspace, 1 thread, ng %s:%d), kamailio pid %d (TLS %s:%d -> %s:%d)%s" % (
            self.rtpengine.pid, NG_IP, NG_PORT, self.kamailio.pid, RELAY_IP, RELAY_PORT, self.uas[0], self.uas[1],
            " pinned to cpu %s" % self.cpu if self.cpu is not None else ""))
        return self

    def pids(self):
        """Every process of the stack: rtpengine and all Kamailio processes (it forks workers)."""
        found = []
        for proc in (self.rtpengine, self.kamailio):
            if proc is not None:
                found += process_tree(proc.pid)
        return found

    def stop(self):
        for proc in (self.kamailio, self.rtpengine):
            if proc is not None:
                proc.stop(grace=3)


def rtpengine_cli(command, timeout=5):
    """rtpengine's CLI (what rtpengine-ctl speaks): one line of text over TCP, the answer until close."""
    with socket.create_connection((NG_IP, CLI_PORT), timeout=timeout) as conn:
        conn.sendall(command.encode() + b"\n")
        data = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode("utf-8", "replace")


def rtpengine_totals():
    """A few counters from `list totals` (names as rtpengine prints them, numbers only)."""
    text = rtpengine_cli("list totals")
    found = {}
    for line in text.splitlines():
        m = re.match(r"\s*([A-Za-z][^:]+?)\s*:\s*([0-9.]+)\s*$", line)
        if m:
            found[m.group(1)] = float(m.group(2))
    return found, text


def ng_ping(timeout=10, proc=None):
    """rtpengine's ng protocol: a bencoded {"command": "ping"} over UDP must get "pong"."""
    deadline = time.monotonic() + timeout
    cookie = b"c%d" % os.getpid()
    message = cookie + b" d7:command4:pinge"
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise RuntimeError("rtpengine exited (status %s); log: %s" % (proc.popen.returncode, proc.log_path))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.5)
            try:
                s.sendto(message, (NG_IP, NG_PORT))
                data = s.recv(4096)
                if data.startswith(cookie) and b"pong" in data:
                    return
            except OSError:
                pass
        time.sleep(0.2)
    raise RuntimeError("rtpengine does not answer ng ping on %s:%d" % (NG_IP, NG_PORT))


# -- (a) Sotto -----------------------------------------------------------------------------------------

class SottoRelay:
    def __init__(self, directory, pki, sotto_bin, *, cpu=0, uas=(UAS_IP, UAS_PORT), log_level="warning",
                 extra=(), extra_toml=""):
        self.directory = directory
        self.extra_toml = extra_toml
        self.pki = pki
        self.sotto_bin = sotto_bin
        self.cpu = cpu
        self.uas = uas
        self.log_level = log_level
        self.extra = list(extra)
        self.proc = None

    # sotto-loadgen's phones are 50 TLS connections from one address, each with about 20 calls, set up at up
    # to 1000 calls/s: far beyond what Sotto lets one phone or one address do by default (docs/security.md).
    # The comparison measures the relay, not those limits (Kamailio runs none), so they are lifted here.
    LOADGEN_LIMITS = (
        "[sip]\nrequests_per_second_per_connection = 0\nrequests_per_second_per_address = 0\n"
        "max_transactions_per_connection = 0\n"
        "[calls]\nmax_calls_per_connection = 0\nmax_calls_per_address = 0\nmax_calls_per_aor = 0\n")

    def config_path(self):
        return os.path.join(self.directory, "loadgen-limits.toml")

    def argv(self):
        return [self.sotto_bin, "--config", self.config_path(), "--listen", "%s:%d" % (RELAY_IP, RELAY_PORT),
                "--upstream", "%s:%d" % self.uas,
                "--cert", self.pki.path("relay.pem"), "--key", self.pki.path("relay.key"), "--ca", self.pki.ca,
                "--media-ip", RELAY_IP, "--media-ports", "%d-%d" % SOTTO_MEDIA_PORTS,
                "--admin-socket", os.path.join(self.directory, "admin.sock"),
                "--log-level", self.log_level] + (["--allow-root"] if os.geteuid() == 0 else []) + self.extra

    def start(self, wait_upstream=True):
        os.makedirs(self.directory, exist_ok=True)
        with open(self.config_path(), "w") as out:
            out.write(self.LOADGEN_LIMITS)
            if self.extra_toml:
                out.write(self.extra_toml.rstrip("\n") + "\n")
        self.proc = procs.Proc("sotto", taskset(self.cpu, self.argv()), os.path.join(self.directory, "sotto.log"))
        procs.wait_tcp(RELAY_IP, RELAY_PORT, 30, self.proc)
        if wait_upstream:
            # Sotto connects to the PBX (the loadgen UAS) at start; it logs this line when it is up.
            self.proc.wait_for(r"connected to the PBX", 20)
        log("sotto pid %d %s" % (self.proc.pid, " ".join(self.argv()[1:])))
        return self

    def pids(self):
        return process_tree(self.proc.pid) if self.proc else []

    def admin_stats(self):
        """`sottoctl stats --json` from the sottoctl beside the sotto binary, or None (not built, no answer)."""
        sottoctl = os.path.join(os.path.dirname(self.sotto_bin), "sottoctl")
        if not os.access(sottoctl, os.X_OK):
            return None
        try:
            out = subprocess.run([sottoctl, "stats", "--json", "--socket", os.path.join(self.directory, "admin.sock")],
                                 capture_output=True, text=True, timeout=5)
            return json.loads(out.stdout) if out.returncode == 0 else None
        except (OSError, ValueError, subprocess.TimeoutExpired):
            return None

    def stop(self):
        if self.proc is not None:
            self.proc.stop(grace=3)


# -- /proc accounting ----------------------------------------------------------------------------------

def process_tree(pid):
    """pid and all its descendants (Kamailio forks its workers; taskset execs in place)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    result, todo = [], [pid]
    while todo:
        current = todo.pop()
        result.append(current)
        todo.extend(children.get(current, []))
    return result


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    """utime+stime of every thread of `pids` (plus reaped children's cutime+cstime), in seconds."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[0] is state (field 3); utime is field 14, stime 15, cutime 16, cstime 17.
        total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
    return total / CLK_TCK


def rss_kb(pids):
    """Sum of VmRSS (kB). Kamailio's workers share its shm segment; RssShmem is counted once."""
    total = 0
    shm_max = 0
    for pid in pids:
        try:
            with open("/proc/%d/status" % pid) as f:
                status = f.read()
        except OSError:
            continue
        rss = re.search(r"^VmRSS:\s+(\d+)", status, re.M)
        shm = re.search(r"^RssShmem:\s+(\d+)", status, re.M)
        rss_v = int(rss.group(1)) if rss else 0
        shm_v = int(shm.group(1)) if shm else 0
        total += rss_v - shm_v
        shm_max = max(shm_max, shm_v)
    return total + shm_max


# -- SDP key check -------------------------------------------------------------------------------------

def key_hash(crypto):
    """A short fingerprint of an a=crypto key: the first 12 hex digits of SHA-256 of the key material.
    Enough to tell keys apart, reveals nothing of the key."""
    material = crypto.key_param.split("|", 1)[0]
    if material.startswith("inline:"):
        material = material[len("inline:"):]
    try:
        raw = base64.b64decode(material)
    except ValueError:
        raw = material.encode()
    return hashlib.sha256(raw).hexdigest()[:12]


def describe(stream):
    return ", ".join("%s %s key#%s" % (c.tag, c.suite, key_hash(c)) for c in stream.cryptos) or "no a=crypto"


def rekey_verdict(caller_offer, callee_offer, callee_answer, caller_answer):
    """Given the four SDP bodies of one call through the anchor, returns (ok, lines): the negotiated
    crypto of each direction on each leg, and whether the caller's and callee's keys stayed on their leg."""
    streams = {name: sip.AudioStream(body) for name, body in (
        ("caller->anchor offer", caller_offer), ("anchor->callee offer", callee_offer),
        ("callee->anchor answer", callee_answer), ("anchor->caller answer", caller_answer))}
    lines = []
    for name, stream in streams.items():
        lines.append("  %-22s %s %s: %s" % (name, stream.proto, "%s:%s" % (stream.address, stream.port),
                                             describe(stream)))
    a_off, a_ans = sip.negotiated(streams["caller->anchor offer"], streams["anchor->caller answer"])
    b_off, b_ans = sip.negotiated(streams["anchor->callee offer"], streams["callee->anchor answer"])
    used = {"caller (leg A, caller->anchor)": a_off, "anchor (leg A, anchor->caller)": a_ans,
            "anchor (leg B, anchor->callee)": b_off, "callee (leg B, callee->anchor)": b_ans}
    lines.append("  negotiated:")
    for name, crypto in used.items():
        lines.append("    %-32s %s" % (name, "%s key#%s" % (crypto.suite, key_hash(crypto)) if crypto else "NONE"))
    ok = all(used.values())
    problems = []
    if not ok:
        problems.append("a direction has no negotiated a=crypto")
    else:
        hashes = [key_hash(c) for c in used.values()]
        if len(set(hashes)) != 4:
            problems.append("keys repeat across directions/legs (%s)" % ", ".join(hashes))
        caller_key = key_hash(a_off)
        callee_key = key_hash(b_ans)
        if caller_key in {key_hash(c) for c in streams["anchor->callee offer"].cryptos}:
            problems.append("the callee was offered the caller's key")
        if callee_key in {key_hash(c) for c in streams["anchor->caller answer"].cryptos}:
            problems.append("the caller got the callee's key")
    lines.append("  verdict: %s" % ("RE-KEYED: all four keys differ, no key crosses the anchor" if not problems
                                    else "NOT RE-KEYED: " + "; ".join(problems)))
    return not problems, lines


def kamailio_sdp_log(text):
    """CMP-SDP lines (check mode): {(callid, leg, kind): body}."""
    found = {}
    for line in text.splitlines():
        index = line.find("CMP-SDP ")
        if index < 0:
            continue
        fields = dict(re.findall(r"(\w+)=(\S+)", line[index:]))
        try:
            body = base64.b64decode(fields.get("body", "")).decode("utf-8", "replace")
        except ValueError:
            body = ""
        found[(fields.get("callid"), fields.get("leg"), fields.get("kind"))] = body
    return found
