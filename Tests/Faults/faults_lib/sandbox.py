"""The fault suite's sandbox: three network namespaces joined by veth pairs, made by the test and torn
down on every exit path.

```
 namespace sflt-lg (sotto-loadgen)                                          namespace sflt-sotto (sotto)
   phones 10.231.1.2  sflt-ph1 ══ sflt-pw1 [sflt-wire: bridge] sflt-pw0 ══ sflt-ph0  10.231.1.1
   PBX    10.231.2.2  sflt-px1 ═══════════════ PBX link ════════════════ sflt-px0  10.231.2.1
                                                                          lo        10.231.0.1 (SIP, media)
```

The phones' link passes through a third namespace, sflt-wire, an L2 hop: a kernel bridge normally, or
`wire.py` (loss, jitter, duplicates in user space) when a case impairs the link, since the kernels this
runs on may have no sch_netem.

sotto-loadgen plays the phones and the PBX in one process, so it cannot sit in two namespaces: its
namespace holds both addresses, and source routing sends whatever leaves from the phones' address over
the phones' link and whatever leaves from the PBX's address over the PBX link. So the two links are two
separate wires: a fault on one (link down, loss) leaves the other untouched, which is what the cases
need. Sotto's own address is on its loopback, reached over either link.

Every name starts with PREFIX; `clean_leftovers()` removes anything with that prefix that an earlier
run killed by SIGKILL left behind (deleting a namespace deletes the veth ends inside it, and deleting
one end of a veth pair deletes the other)."""

import os
import subprocess

PREFIX = "sflt"
SOTTO_NS = PREFIX + "-sotto"
LOADGEN_NS = PREFIX + "-lg"
WIRE_NS = PREFIX + "-wire"
WIRE_IFS = (PREFIX + "-pw0", PREFIX + "-pw1")  # toward Sotto, toward the phones
WIRE_BRIDGE = PREFIX + "-pbr"

SOTTO_IP = "10.231.0.1"
PHONE_LINK = {"sotto_if": PREFIX + "-ph0", "peer_if": PREFIX + "-ph1", "sotto_ip": "10.231.1.1", "peer_ip": "10.231.1.2"}
PBX_LINK = {"sotto_if": PREFIX + "-px0", "peer_if": PREFIX + "-px1", "sotto_ip": "10.231.2.1", "peer_ip": "10.231.2.2"}
PHONE_IP = PHONE_LINK["peer_ip"]
PBX_IP = PBX_LINK["peer_ip"]
# Routing table in the loadgen namespace for traffic from the PBX address.
PBX_TABLE = "102"


class SandboxError(RuntimeError):
    pass


def run(argv, check=True, timeout=20):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise SandboxError("%s failed (%d): %s" % (" ".join(argv), result.returncode, result.stderr.strip()))
    return result


def ns(namespace, *argv, check=True, timeout=20):
    """A command inside a namespace."""
    return run(["ip", "netns", "exec", namespace, *argv], check=check, timeout=timeout)


def clean_leftovers():
    """Removes namespaces and links named with PREFIX (a run killed by SIGKILL leaves them)."""
    listing = run(["ip", "-o", "netns", "list"], check=False).stdout
    for line in listing.splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith(PREFIX + "-"):
            run(["ip", "netns", "delete", name], check=False)
    links = run(["ip", "-o", "link", "show"], check=False).stdout
    for line in links.splitlines():
        parts = line.split(":")
        if len(parts) > 1:
            name = parts[1].strip().split("@")[0]
            if name.startswith(PREFIX + "-"):
                run(["ip", "link", "delete", name], check=False)


class Sandbox:
    """The two namespaces and two links. `up()` builds them, `down()` removes them (idempotent)."""

    def __init__(self):
        self.built = False

    def up(self):
        if os.geteuid() != 0:
            raise SandboxError("the fault suite needs root (ip netns, tc)")
        clean_leftovers()
        self.built = True
        for namespace in (SOTTO_NS, LOADGEN_NS, WIRE_NS):
            run(["ip", "netns", "add", namespace])
            ns(namespace, "ip", "link", "set", "lo", "up")
            # Packets from Sotto's address arrive over either link: no reverse-path filtering.
            for key in ("all", "default"):
                ns(namespace, "sysctl", "-qw", "net.ipv4.conf.%s.rp_filter=0" % key)
        ns(SOTTO_NS, "ip", "addr", "add", SOTTO_IP + "/32", "dev", "lo")
        # The PBX link: one veth pair. The phones' link: two, with the wire namespace between them.
        run(["ip", "link", "add", PBX_LINK["sotto_if"], "type", "veth", "peer", "name", PBX_LINK["peer_if"]])
        run(["ip", "link", "add", PHONE_LINK["sotto_if"], "type", "veth", "peer", "name", WIRE_IFS[0]])
        run(["ip", "link", "add", PHONE_LINK["peer_if"], "type", "veth", "peer", "name", WIRE_IFS[1]])
        for link in (PHONE_LINK, PBX_LINK):
            run(["ip", "link", "set", link["sotto_if"], "netns", SOTTO_NS])
            run(["ip", "link", "set", link["peer_if"], "netns", LOADGEN_NS])
            ns(SOTTO_NS, "ip", "addr", "add", link["sotto_ip"] + "/24", "dev", link["sotto_if"])
            ns(LOADGEN_NS, "ip", "addr", "add", link["peer_ip"] + "/24", "dev", link["peer_if"])
            ns(SOTTO_NS, "ip", "link", "set", link["sotto_if"], "up")
            ns(LOADGEN_NS, "ip", "link", "set", link["peer_if"], "up")
            for namespace, interface in ((SOTTO_NS, link["sotto_if"]), (LOADGEN_NS, link["peer_if"])):
                ns(namespace, "sysctl", "-qw", "net.ipv4.conf.%s.rp_filter=0" % interface)
        ns(WIRE_NS, "ip", "link", "add", WIRE_BRIDGE, "type", "bridge")
        for interface in WIRE_IFS:
            run(["ip", "link", "set", interface, "netns", WIRE_NS])
            ns(WIRE_NS, "ip", "link", "set", interface, "master", WIRE_BRIDGE)
            ns(WIRE_NS, "ip", "link", "set", interface, "promisc", "on")
            ns(WIRE_NS, "ip", "link", "set", interface, "up")
        ns(WIRE_NS, "ip", "link", "set", WIRE_BRIDGE, "up")
        # wire.py forwards frames as AF_PACKET sees them: the endpoints must put real checksums in them and
        # send no segmentation-offload super-frames (veth defaults to both offloads).
        for namespace, interface in ((SOTTO_NS, PHONE_LINK["sotto_if"]), (LOADGEN_NS, PHONE_LINK["peer_if"])):
            ns(namespace, "ethtool", "-K", interface, "tx", "off", "tso", "off", "gso", "off", "gro", "off")
        self._routes()
        ns(LOADGEN_NS, "ip", "rule", "add", "from", PBX_IP, "table", PBX_TABLE, "pref", "100")
        self.check()

    def wire_bridged(self, bridged):
        """The kernel bridge joins the phones' link (True), or nothing does and wire.py must (False)."""
        for interface in WIRE_IFS:
            if bridged:
                ns(WIRE_NS, "ip", "link", "set", interface, "master", WIRE_BRIDGE)
            else:
                ns(WIRE_NS, "ip", "link", "set", interface, "nomaster")

    def _routes(self):
        """The loadgen namespace's routes to Sotto (the kernel deletes a route when its link goes down)."""
        # The phones reach Sotto over the phones' link (the main table: also the source the kernel picks
        # for the phones' TLS connections)...
        ns(LOADGEN_NS, "ip", "route", "replace", SOTTO_IP + "/32", "via", PHONE_LINK["sotto_ip"],
           "dev", PHONE_LINK["peer_if"], "src", PHONE_IP)
        # ...and whatever leaves from the PBX's address goes over the PBX link.
        ns(LOADGEN_NS, "ip", "route", "replace", "10.231.2.0/24", "dev", PBX_LINK["peer_if"], "table", PBX_TABLE)
        ns(LOADGEN_NS, "ip", "route", "replace", SOTTO_IP + "/32", "via", PBX_LINK["sotto_ip"],
           "dev", PBX_LINK["peer_if"], "table", PBX_TABLE)

    def check(self):
        """Traffic to Sotto from the PBX address takes the PBX link, from the phones' address the phones'
        link (the cases then check reachability with real connections)."""
        route = ns(LOADGEN_NS, "ip", "route", "get", SOTTO_IP, "from", PBX_IP).stdout
        if PBX_LINK["peer_if"] not in route:
            raise SandboxError("traffic from the PBX address does not take the PBX link: " + route)
        route = ns(LOADGEN_NS, "ip", "route", "get", SOTTO_IP, "from", PHONE_IP).stdout
        if PHONE_LINK["peer_if"] not in route:
            raise SandboxError("traffic from the phones' address does not take the phones' link: " + route)

    def down(self):
        if not self.built:
            return
        for namespace in (SOTTO_NS, LOADGEN_NS, WIRE_NS):
            run(["ip", "netns", "delete", namespace], check=False)
        clean_leftovers()
        self.built = False

    # Faults.

    def link_down(self, link):
        """The peer's end of a link goes down: no FIN, no RST, nothing more from or to that side."""
        ns(LOADGEN_NS, "ip", "link", "set", link["peer_if"], "down")

    def link_up(self, link):
        ns(LOADGEN_NS, "ip", "link", "set", link["peer_if"], "up")
        self._routes()

    def impair_phones(self, directory, loss=0, duplicate=0, delay_ms=0, jitter_ms=0, seed=1, nat_shift=0):
        """Replaces the kernel bridge on the phones' link with wire.py (both directions impaired alike; with
        `nat_shift`, also a NAT in front of the phones that rebinds on SIGUSR1). Returns its process; stop it
        (SIGTERM) to get its counters in wire-stats.json."""
        from e2e_lib import procs  # the runner puts Tests/EndToEnd on the path

        self.wire_bridged(False)
        stats = os.path.join(directory, "wire-stats.json")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wire.py")
        proc = procs.Proc("wire", [
            "ip", "netns", "exec", WIRE_NS, "python3", script, "--a", WIRE_IFS[0], "--b", WIRE_IFS[1],
            "--loss", str(loss), "--duplicate", str(duplicate), "--delay-ms", str(delay_ms),
            "--jitter-ms", str(jitter_ms), "--seed", str(seed), "--stats", stats, "--nat-shift", str(nat_shift),
        ], os.path.join(directory, "wire.log"))
        proc.wait_for(r"wire up", timeout=10)
        proc.stats_path = stats
        return proc

    def kill_tcp(self, namespace, filter_expr):
        """`ss -K` in a namespace: destroys matching TCP sockets (the kernel sends RST to the far end)."""
        return ns(namespace, "ss", "-K", "-tn", *filter_expr).stdout
