"""Sotto and sotto-loadgen inside the sandbox: the throwaway PKI, Sotto's config, starting both with
`ip netns exec`, and what the cases measure of Sotto from outside (open file descriptors from /proc, media
ports bound from `ss` in its namespace, its log lines)."""

import json
import os
import re
import time

from e2e_lib import procs
from e2e_lib.pki import PKI

from . import sandbox

SIP_PORT = 5061
PBX_PORT = 5062
MEDIA_LOW, MEDIA_HIGH = 30000, 30999


def make_pki(directory):
    """CA, Sotto's server certificate (its sandbox address) and the PBX side's (the loadgen's)."""
    pki = PKI(directory)
    pki.make_ca()
    pki.issue("sotto", "sotto.test", san="IP:%s,DNS:sotto.test" % sandbox.SOTTO_IP)
    pki.issue("pbx", "pbx.test", san="IP:%s,DNS:pbx.test" % sandbox.PBX_IP)
    return pki


def write_config(directory, pki, media_idle_s=60, sip_idle_s=600, audit_dir=None, extra="", admin_extra=""):
    path = os.path.join(directory, "sotto.toml")
    text = """# Written by Tests/Faults/run_faults.py.
[sip]
listen = "{ip}:{sip}"
cert = "{cert}"
key = "{key}"
ca = "{ca}"
idle_timeout_s = {sip_idle}

[upstream]
address = "{pbx}:{pbx_port}"
server_name = "pbx.test"
# The PBX (sotto-loadgen) starts after Sotto: keep the retry short so it is found at once.
reconnect_min_ms = 200
reconnect_max_ms = 1000
# Below sip.idle_timeout_s, or the PBX's connection would idle out too (its pong restarts the timer).
keepalive_s = {keepalive}

[media]
ip = "{ip}"
ports = "{low}-{high}"
idle_timeout_s = {media_idle}

[admin]
socket = "{dir}/admin.sock"
audit_log = "{audit_dir}/admin-audit.jsonl"
{admin_extra}

[process]
# The suite runs as root (it makes namespaces); Sotto refuses root unless told.
allow_root = true
{extra}
""".format(ip=sandbox.SOTTO_IP, sip=SIP_PORT, cert=pki.path("sotto.pem"), key=pki.path("sotto.key"),
           ca=pki.ca, sip_idle=sip_idle_s, pbx=sandbox.PBX_IP, pbx_port=PBX_PORT, low=MEDIA_LOW, high=MEDIA_HIGH,
           media_idle=media_idle_s, dir=directory, audit_dir=audit_dir or directory, extra=extra,
           admin_extra=admin_extra,
           keepalive=max(1, min(30, sip_idle_s // 3)))
    with open(path, "w") as f:
        f.write(text)
    return path


class Sotto:
    """One sotto process in Sotto's namespace (`ip netns exec` execs, so the PID is Sotto's own)."""

    def __init__(self, binary, config, directory, sottoctl=None, name="sotto"):
        self.sottoctl = sottoctl
        self.admin_socket = os.path.join(directory, "admin.sock")
        self.proc = procs.Proc(name, ["ip", "netns", "exec", sandbox.SOTTO_NS, binary, "--config", config],
                               os.path.join(directory, name + ".log"))
        self.proc.wait_for(r"kept-for-connections", timeout=20)
        time.sleep(0.5)

    @property
    def pid(self):
        return self.proc.pid

    def fd_count(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def media_ports(self):
        """UDP ports in the media range bound in Sotto's namespace."""
        out = sandbox.ns(sandbox.SOTTO_NS, "ss", "-uanH").stdout
        ports = set()
        for line in out.splitlines():
            fields = line.split()
            if len(fields) >= 4:
                port = int(fields[3].rsplit(":", 1)[1])
                if MEDIA_LOW <= port <= MEDIA_HIGH:
                    ports.add(port)
        return ports

    def established_from(self, ip):
        """Sotto's established TCP connections whose far end is `ip`."""
        out = sandbox.ns(sandbox.SOTTO_NS, "ss", "-tnH", "state", "established").stdout
        return [line for line in out.splitlines() if len(line.split()) >= 4 and line.split()[3].startswith(ip + ":")]

    def metrics(self):
        """`sottoctl metrics` over the admin socket (a filesystem path, so reachable from outside the
        namespace): {"name{labels}": value}."""
        result = procs.run([self.sottoctl, "metrics", "--socket", self.admin_socket], timeout=10)
        if result.returncode != 0:
            raise AssertionError("sottoctl metrics failed: %s" % result.stderr.strip())
        values = {}
        for line in result.stdout.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                values[name] = float(value)
        return values

    def count(self, pattern):
        return len(re.findall(pattern, self.proc.text(), re.MULTILINE))

    def ended_reasons(self):
        """The end-reason of each `call ended` line, in log order."""
        return [m.group(1) for line in self.proc.text().splitlines() if line.endswith("call ended")
                for m in [re.search(r"end-reason=(\w+)", line)] if m]

    def sockets(self):
        """What Sotto's namespace still has bound or connected: listening and established TCP, and UDP."""
        listening = sandbox.ns(sandbox.SOTTO_NS, "ss", "-tlnH").stdout.splitlines()
        established = sandbox.ns(sandbox.SOTTO_NS, "ss", "-tnH", "state", "established").stdout.splitlines()
        udp = sandbox.ns(sandbox.SOTTO_NS, "ss", "-uanH").stdout.splitlines()
        return [line for line in listening + established + udp if line.strip()]

    def ctl(self, *argv):
        """sottoctl with this Sotto's admin socket: the finished process (returncode, stdout, stderr)."""
        return procs.run([self.sottoctl, "--socket", self.admin_socket, *argv], timeout=10)

    def stop(self):
        return self.proc.stop(grace=5)


def probe(pki, method):
    """One SIP request from the phones' side over a new TLS connection (sip_probe.py in the loadgen
    namespace): the final response as {"status", "reason", "warning"}."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sip_probe.py")
    result = sandbox.ns(sandbox.LOADGEN_NS, "python3", script, "--relay", "%s:%d" % (sandbox.SOTTO_IP, SIP_PORT),
                        "--ca", pki.ca, "--server-name", "sotto.test", "--method", method)
    return json.loads(result.stdout)


def wait_until(predicate, timeout, interval=0.2):
    """Polls `predicate` until it returns something true or `timeout` passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


class Loadgen:
    """sotto-loadgen in the loadgen namespace: phones from the phones' address, PBX side on the PBX's."""

    def __init__(self, binary, pki, directory, name, calls, concurrency, hold, max_failures=0, max_loss=0.1,
                 phones=None, extra=(), codec="pcmu"):
        self.report_path = os.path.join(directory, name + "-report.json")
        argv = [
            "ip", "netns", "exec", sandbox.LOADGEN_NS, binary,
            "--relay", "%s:%d" % (sandbox.SOTTO_IP, SIP_PORT), "--listen", "%s:%d" % (sandbox.PBX_IP, PBX_PORT),
            "--phone-ip", sandbox.PHONE_IP, "--server-name", "sotto.test",
            "--cert", pki.path("pbx.pem"), "--key", pki.path("pbx.key"), "--ca", pki.ca,
            "--calls", str(calls), "--concurrency", str(concurrency), "--hold", str(hold),
            "--phones", str(phones or concurrency), "--codec", codec, "--media-sockets", "2",
            "--max-failures", str(max_failures), "--max-loss", str(max_loss), "--json", self.report_path, *extra,
        ]
        self.proc = procs.Proc(name, argv, os.path.join(directory, name + ".log"))

    def wait(self, timeout):
        try:
            self.proc.popen.wait(timeout=timeout)
        except Exception:  # noqa: BLE001 - reported as the assertion below
            self.proc.stop()
            raise AssertionError("sotto-loadgen did not finish within %ss; log: %s" % (timeout, self.proc.log_path))
        return self.proc.popen.returncode

    def report(self):
        with open(self.report_path) as f:
            return json.load(f)

    def stop(self):
        return self.proc.stop(grace=3)
