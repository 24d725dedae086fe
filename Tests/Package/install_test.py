#!/usr/bin/env python3
"""The package installed as an operator installs it (make deb-test; root; docs/install.md).

dpkg -i the .deb (its Depends installed with apt-get when missing), check the user, groups, modes and conffile,
start the installed /usr/bin/sotto as the unit would (its ExecStart, User=, LimitNOFILE= and NoNewPrivileges= read
from the installed unit; this machine has no running systemd, so the test plays systemd's part, including the
notification socket the unit's Type=notify needs), make one call through it with the installed sotto-loadgen,
stop it with SIGTERM, then dpkg -r and dpkg -P and check what is left. Every exit path removes the package, the
test's files and, when the test made them, the user and groups.

usage: install_test.py DEB
"""

import grp
import json
import os
import pwd
import re
import resource
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

UNIT = "/lib/systemd/system/sotto.service"
CONFIG = "/etc/sotto/sotto.toml"
BINARIES = ["/usr/bin/sotto", "/usr/bin/sottoctl", "/usr/bin/sotto-loadgen"]
LOG = []
# Directories the package or the relay makes outside dpkg's own file list.
LEFTOVERS = ["/etc/sotto", "/var/lib/sotto", "/var/log/sotto", "/run/sotto"]
SET_ASIDE = ".set-aside-by-install-test"


class Failure(Exception):
    """A check that did not hold."""


def check(condition, what):
    if not condition:
        raise Failure(what)
    print(f"  ok: {what}")


def run(command, **kwargs):
    """Runs command (a list), returning its CompletedProcess; output captured as text."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    return subprocess.run(command, **kwargs)


def mode_owner(path):
    info = os.stat(path)
    return (
        stat.S_IMODE(info.st_mode),
        pwd.getpwuid(info.st_uid).pw_name,
        grp.getgrgid(info.st_gid).gr_name,
    )


def unit_settings():
    """The installed unit's [Service] keys (the last value of each)."""
    settings = {}
    section = None
    with open(UNIT) as unit:
        for line in unit:
            line = line.strip()
            if line.startswith("["):
                section = line
            elif section == "[Service]" and "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                settings[key] = value
    return settings


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_config(installed, work, sip_port, pbx_port):
    """The installed config with the test's addresses and throwaway PKI in place of the placeholders."""
    replacements = {
        ("sip", "listen"): f'"127.0.0.1:{sip_port}"',
        ("sip", "cert"): f'"{work}/pki/server.crt"',
        ("sip", "key"): f'"{work}/pki/server.key"',
        ("sip", "ca"): f'"{work}/pki/ca.crt"',
        ("upstream", "address"): f'"127.0.0.2:{pbx_port}"',
        ("media", "ports"): '"31000-31099"',
    }
    added = {"upstream": 'server_name = "localhost"', "media": 'ip = "127.0.0.1"'}
    lines, section, seen = [], None, set()
    for line in installed.splitlines():
        header = re.match(r"^\[(\w+)\]", line)
        if header:
            section = header.group(1)
            lines.append(line)
            if section in added:
                lines.append(added[section])
            continue
        key = re.match(r"^(\w+)\s*=", line)
        if key and (section, key.group(1)) in replacements:
            lines.append(f"{key.group(1)} = {replacements[(section, key.group(1))]}")
            seen.add((section, key.group(1)))
        else:
            lines.append(line)
    missing = set(replacements) - seen
    if missing:
        raise Failure(f"the installed config lacks {sorted(missing)}")
    return "\n".join(lines) + "\n"


class Install:
    """What the test changed on the machine, undone by cleanup()."""

    def __init__(self, deb):
        self.deb = deb
        self.work = tempfile.mkdtemp(prefix="sotto-install-")
        os.chmod(self.work, 0o755)
        self.relay = None
        self.had = {
            "user": self.exists(pwd.getpwnam, "sotto"),
            "group": self.exists(grp.getgrnam, "sotto"),
            "operators": self.exists(grp.getgrnam, "sotto-operators"),
        }
        # What an earlier Sotto left (an audit log kept by a purge, say) is set aside and put back afterwards, so the
        # test starts from a machine that never had the package and leaves it as it found it.
        self.set_aside = []
        for path in LEFTOVERS:
            if os.path.lexists(path):
                os.rename(path, path + SET_ASIDE)
                self.set_aside.append(path)

    @staticmethod
    def exists(lookup, name):
        try:
            lookup(name)
            return True
        except KeyError:
            return False

    def cleanup(self):
        if self.relay and self.relay.poll() is None:
            self.relay.kill()
            self.relay.wait()
        if run(["dpkg-query", "-W", "-f=${Status}", "sotto"]).stdout.strip():
            run(["dpkg", "-P", "sotto"])
        for path in LEFTOVERS:
            shutil.rmtree(path, ignore_errors=True)
        for path in self.set_aside:
            os.rename(path + SET_ASIDE, path)
        if not self.had["user"] and self.exists(pwd.getpwnam, "sotto"):
            run(["deluser", "--system", "--quiet", "sotto"])
        for name, key in (("sotto-operators", "operators"), ("sotto", "group")):
            if not self.had[key] and self.exists(grp.getgrnam, name):
                run(["delgroup", "--system", "--quiet", name])
        shutil.rmtree(self.work, ignore_errors=True)


def install(state):
    print("== install")
    if run(["dpkg-query", "-W", "-f=${Status}", "sotto"]).stdout.strip():
        raise Failure("a sotto package is installed already; this test installs and purges its own")
    depends = run(["dpkg-deb", "-f", state.deb, "Depends"]).stdout.strip()
    names = [re.split(r"[\s(]", alternative.strip())[0] for alternative in depends.split(",")]
    missing = [name for name in names if run(["dpkg", "-s", name]).returncode != 0]
    if missing:
        print(f"  installing Depends: {' '.join(missing)}")
        run(["apt-get", "update", "-qq"])
        installed = run(["apt-get", "install", "-y", "-qq", *missing], env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        check(installed.returncode == 0, f"apt-get installs {missing}: {installed.stderr.strip()[-300:]}")
    result = run(["dpkg", "-i", state.deb])
    check(result.returncode == 0, f"dpkg -i {os.path.basename(state.deb)}" + ("" if result.returncode == 0 else f": {result.stderr}"))


def check_installed():
    print("== what the package put in place")
    for binary in BINARIES:
        check(os.access(binary, os.X_OK), f"{binary} is installed")
        libraries = run(["ldd", binary]).stdout
        check(not re.search(r"libswift|libFoundation|libdispatch", libraries), f"{binary} loads no Swift runtime library")
    for page in ("sotto", "sottoctl", "sotto-loadgen"):
        check(os.path.exists(f"/usr/share/man/man1/{page}.1.gz"), f"man page {page}(1)")
    user = pwd.getpwnam("sotto")
    check(user.pw_uid < 1000 and user.pw_shell == "/usr/sbin/nologin", f"system user sotto (uid {user.pw_uid}, no login shell)")
    check(user.pw_dir == "/var/lib/sotto", "its home is /var/lib/sotto")
    check(grp.getgrgid(user.pw_gid).gr_name == "sotto", "its primary group is sotto")
    check("sotto" in grp.getgrnam("sotto-operators").gr_mem, "group sotto-operators exists, sotto is a member")
    expected = {
        "/var/lib/sotto": (0o750, "sotto", "sotto"),
        "/var/log/sotto": (0o750, "sotto", "sotto"),
        "/etc/sotto/tls": (0o750, "root", "sotto"),
        CONFIG: (0o640, "root", "sotto"),
        UNIT: (0o644, "root", "root"),
    }
    for path, want in expected.items():
        got = mode_owner(path)
        check(got == want, f"{path} is {oct(want[0])} {want[1]}:{want[2]} (found {oct(got[0])} {got[1]}:{got[2]})")
    conffiles = run(["dpkg-query", "-W", "-f=${Conffiles}", "sotto"]).stdout
    check(CONFIG in conffiles, f"{CONFIG} is a conffile")
    # The packaged config is refused until it is filled in: no certificates, a placeholder PBX.
    refused = run(["/usr/bin/sotto", "--check-config", "--config", CONFIG])
    check(refused.returncode == 78, f"the packaged config is refused until configured (exit 78: {refused.stderr.strip()})")
    if shutil.which("systemd-analyze"):
        verify = run(["systemd-analyze", "verify", UNIT])
        problems = [line for line in (verify.stdout + verify.stderr).splitlines() if "sotto.service" in line]
        check(verify.returncode == 0 and not problems, "systemd-analyze verify: no finding" + "".join(f"\n    {p}" for p in problems))
        security = run(["systemd-analyze", "security", "--offline=true", UNIT])
        overall = [line for line in security.stdout.splitlines() if "Overall exposure" in line]
        if overall:
            LOG.append(f"systemd-analyze security: {overall[-1].strip()}")
    else:
        print("  (systemd-analyze not found: the unit is not verified)")


def upgrade_keeps_config(state):
    print("== installed again over itself (the upgrade path): a changed conffile is kept")
    with open(CONFIG, "a") as config:
        config.write("# changed by the operator\n")
    again = run(["dpkg", "-i", state.deb], stdin=subprocess.DEVNULL)
    check(again.returncode == 0, "dpkg -i over the installed package")
    with open(CONFIG) as config:
        check(config.read().endswith("# changed by the operator\n"), "the operator's change to sotto.toml is kept")
    check(mode_owner(CONFIG) == (0o640, "root", "sotto"), "its mode and owner are kept")


def start_relay(state):
    print("== sotto started as the unit starts it")
    settings = unit_settings()
    check(settings.get("Type") == "notify", "the unit is Type=notify")
    user = settings.get("User")
    check(user == "sotto", "the unit runs as User=sotto")
    sip_port, pbx_port = free_port(), free_port()
    state.sip_port, state.pbx_port = sip_port, pbx_port
    pki = os.path.join(state.work, "pki")
    made = run(["bash", os.path.join(ROOT, "scripts/dev-certs.sh"), pki])
    check(made.returncode == 0, "a throwaway PKI (scripts/dev-certs.sh)")
    # As an operator would put certificates in /etc/sotto/tls: readable by group sotto, the key by nobody else.
    os.chmod(pki, 0o750)
    for name in os.listdir(pki):
        os.chown(os.path.join(pki, name), 0, grp.getgrnam("sotto").gr_gid)
        os.chmod(os.path.join(pki, name), 0o640)
    os.chown(pki, 0, grp.getgrnam("sotto").gr_gid)
    with open(CONFIG) as installed:
        config = test_config(installed.read(), state.work, sip_port, pbx_port)
    config_path = os.path.join(state.work, "sotto.toml")
    with open(config_path, "w") as out:
        out.write(config)
    os.chmod(config_path, 0o644)
    # RuntimeDirectory=sotto, RuntimeDirectoryMode: what systemd makes before ExecStart.
    os.makedirs("/run/sotto", exist_ok=True)
    os.chown("/run/sotto", pwd.getpwnam("sotto").pw_uid, grp.getgrnam("sotto").gr_gid)
    os.chmod("/run/sotto", int(settings.get("RuntimeDirectoryMode", "0755"), 8))
    # systemd's notification socket: a datagram socket the relay (user sotto) may write to.
    notify_path = os.path.join(state.work, "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    os.chmod(notify_path, 0o777)
    notify.settimeout(30)
    state.notify = notify
    argv = shlex.split(settings["ExecStart"])
    argv[argv.index("--config") + 1] = config_path
    # LimitNOFILE=, as far as this machine allows: a container without CAP_SYS_RESOURCE cannot raise its hard limit.
    nofile = int(settings["LimitNOFILE"])
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < nofile:
        print(f"  (LimitNOFILE={nofile} is above this machine's hard limit {hard}: started with {hard})")
        nofile = hard
    launcher = ["prlimit", f"--nofile={nofile}", "setpriv", f"--reuid={user}",
                f"--regid={settings.get('Group', user)}", "--init-groups"]
    if settings.get("NoNewPrivileges") == "yes":
        launcher.append("--no-new-privs")
    environment = ["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", f"NOTIFY_SOCKET={notify_path}",
                   f"WATCHDOG_USEC={int(settings.get('WatchdogSec', '30')) * 1_000_000}"]
    log_path = os.path.join(state.work, "sotto.log")
    state.log_path = log_path
    state.relay = subprocess.Popen(launcher + environment + argv, stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
                                   start_new_session=True)
    ready = None
    deadline = time.monotonic() + 30
    while ready is None and time.monotonic() < deadline:
        try:
            message = notify.recv(4096).decode()
        except socket.timeout:
            break
        if "READY=1" in message:
            ready = message
    if ready is None:
        # What the relay found where it writes (another root process on a shared machine can leave a file there).
        print(run(["ls", "-la", "--time-style=full-iso", "/var/log/sotto", "/run/sotto"]).stdout)
    check(ready is not None, "READY=1 came on NOTIFY_SOCKET" + ("" if ready else f"; log:\n{open(log_path).read()}"))
    LOG.append("notify: " + ready.replace("\n", " | "))
    ps = run(["ps", "-o", "user,pid,cmd", "-p", str(state.relay.pid)]).stdout.strip().splitlines()
    check(len(ps) == 2 and ps[1].split()[0] == "sotto", f"ps shows sotto running as user sotto: {ps[-1]}")
    LOG.append("ps:     " + ps[0])
    LOG.append("ps:     " + ps[1])
    admin = mode_owner("/run/sotto/admin.sock")
    check(admin == (0o660, "sotto", "sotto-operators"), f"/run/sotto/admin.sock is 0660 sotto:sotto-operators ({oct(admin[0])} {admin[1]}:{admin[2]})")


def check_admin_roles():
    print("== the admin socket's roles")
    version = run(["/usr/bin/sottoctl", "version"])
    check(version.returncode == 0, "root is an admin (sottoctl version)")
    # A member of sotto-operators is an operator: log-level is an operator's command. setpriv with that group as the
    # primary group stands in for a user added to it (roles count the peer's gid as well as its groups).
    as_operator = ["setpriv", "--reuid=nobody", "--regid=sotto-operators", "--clear-groups"]
    operator = run(as_operator + ["/usr/bin/sottoctl", "log-level", "info"])
    check(operator.returncode == 0, f"a member of sotto-operators may set the log level ({operator.stdout.strip() or operator.stderr.strip()})")
    config = run(as_operator + ["/usr/bin/sottoctl", "config"])
    check(config.returncode != 0 and "admin" in config.stderr, f"but not read the config ({config.stderr.strip()})")
    outsider = run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/sottoctl", "stats"])
    check(outsider.returncode != 0 and "permission denied" in outsider.stderr, f"anyone else cannot connect ({outsider.stderr.strip()})")


def one_call(state):
    print("== one call through the installed relay")
    pki = os.path.join(state.work, "pki")
    report_path = os.path.join(state.work, "report.json")
    call = run(["/usr/bin/sotto-loadgen", "--relay", f"127.0.0.1:{state.sip_port}", "--listen", f"127.0.0.2:{state.pbx_port}",
                "--server-name", "localhost", "--cert", f"{pki}/server.crt", "--key", f"{pki}/server.key", "--ca", f"{pki}/ca.crt",
                "--calls", "1", "--concurrency", "1", "--hold", "3", "--codec", "opus", "--json", report_path], timeout=120)
    report = json.load(open(report_path)) if os.path.exists(report_path) else {}
    calls, media = report.get("calls", {}), report.get("media", {})
    summary = (f"sotto-loadgen: calls attempted {calls.get('attempted')}, completed {calls.get('completed')}, "
               f"failed {calls.get('failed')}; packets sent {media.get('packetsSent')}, received "
               f"{media.get('packetsReceived')}, loss {media.get('lossPercent')} %, auth failures {media.get('authFailures')}")
    LOG.append(summary)
    check(call.returncode == 0, f"sotto-loadgen exits 0 ({call.stdout.strip()[-400:]})")
    check(calls.get("completed") == 1 and calls.get("failed") == 0, "1 call completed, none failed")
    check(media.get("packetsSent", 0) > 0 and media.get("lossPercent") == 0, "media flowed with loss 0")


def served_fingerprint(port):
    """The SHA-256 fingerprint of the certificate the listener on port serves now."""
    served = run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost"],
                 input="", timeout=20).stdout
    return run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=served).stdout.strip()


def rotate_certificate(state):
    print("== certificate rotation as docs/install.md says: new files in place, then the unit's ExecReload")
    pki = os.path.join(state.work, "pki")
    fresh = os.path.join(state.work, "pki-new")
    check(run(["bash", os.path.join(ROOT, "scripts/dev-certs.sh"), fresh]).returncode == 0, "a new certificate")
    before = served_fingerprint(state.sip_port)
    wanted = run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", f"{fresh}/server.crt"]).stdout.strip()
    check(before and before != wanted, "the listener serves the old certificate")
    for name in ("server.crt", "server.key"):
        run(["install", "-m", "0640", "-g", "sotto", f"{fresh}/{name}", f"{pki}/{name}"])
    reload = unit_settings()["ExecReload"].replace("$MAINPID", str(state.relay.pid))
    check(run(shlex.split(reload)).returncode == 0, f"ExecReload ({reload})")
    deadline = time.monotonic() + 20
    while "certificates reloaded" not in open(state.log_path).read() and time.monotonic() < deadline:
        time.sleep(0.2)
    check("certificates reloaded" in open(state.log_path).read(), "sotto logged: certificates reloaded")
    check(served_fingerprint(state.sip_port) == wanted, "a new connection gets the new certificate")
    rotated = [name for name in os.listdir("/var/log/sotto") if name.startswith("admin-audit.jsonl.")]
    check(rotated, f"the reload rotated the audit log ({rotated})")


def stop_relay(state):
    print("== SIGTERM, as systemctl stop sends it")
    state.relay.send_signal(signal.SIGTERM)
    stopping = None
    try:
        while stopping is None:
            message = state.notify.recv(4096).decode()
            if "STOPPING=1" in message:
                stopping = message
    except socket.timeout:
        pass
    check(stopping is not None, "STOPPING=1 came on NOTIFY_SOCKET")
    status = state.relay.wait(timeout=60)
    check(status == 0, f"sotto exited 0 (exit {status})")
    check(not os.path.exists("/run/sotto/admin.sock"), "the admin socket is gone")
    audit = "/var/log/sotto/admin-audit.jsonl"
    check(os.path.exists(audit) and mode_owner(audit)[1] == "sotto", f"the audit log is {audit}, owned by sotto")


def remove_and_purge(state):
    print("== dpkg -r, then dpkg -P")
    removed = run(["dpkg", "-r", "sotto"])
    check(removed.returncode == 0, "dpkg -r sotto")
    for binary in BINARIES:
        check(not os.path.exists(binary), f"{binary} is gone")
    check(not os.path.exists(UNIT), "the unit is gone")
    check(os.path.exists(CONFIG), "the conffile stays until purge")
    if shutil.which("deb-systemd-helper"):
        masked = os.path.realpath("/etc/systemd/system/sotto.service") == "/dev/null"
        check(masked, "sotto.service is masked until purge (no enabled link to a unit that is gone)")
    purged = run(["dpkg", "-P", "sotto"])
    check(purged.returncode == 0, "dpkg -P sotto")
    check(not run(["dpkg-query", "-W", "-f=${Status}", "sotto"]).stdout.strip(), "dpkg knows no sotto package")
    for path in ("/etc/sotto", "/var/lib/sotto", "/run/sotto", "/usr/share/doc/sotto", "/usr/share/man/man1/sotto.1.gz"):
        check(not os.path.exists(path), f"{path} is gone")
    systemd_state = run(["bash", "-c", "ls /etc/systemd/system /etc/systemd/system/*.wants "
                         "/var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked "
                         "2>/dev/null | grep sotto"]).stdout.strip()
    check(not systemd_state, f"no link, mask or state of sotto.service is left in systemd's directories {systemd_state}")
    kept = sorted(os.listdir("/var/log/sotto")) if os.path.isdir("/var/log/sotto") else []
    check(kept and all(name.startswith("admin-audit") for name in kept), f"only the audit log is kept: /var/log/sotto {kept}")
    check(Install.exists(pwd.getpwnam, "sotto"), "the user sotto is kept (as Debian daemons' users are)")


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("install_test.py: needs root (dpkg -i, a system user)", file=sys.stderr)
        return 2
    state = Install(os.path.abspath(sys.argv[1]))
    # A test stopped from outside cleans up too (SIGINT already arrives as KeyboardInterrupt).
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(f"install test stopped by signal {number}"))
    signal.signal(signal.SIGHUP, lambda number, frame: sys.exit(f"install test stopped by signal {number}"))
    started = time.monotonic()
    try:
        install(state)
        check_installed()
        upgrade_keeps_config(state)
        start_relay(state)
        check_admin_roles()
        one_call(state)
        rotate_certificate(state)
        stop_relay(state)
        remove_and_purge(state)
    except (Failure, subprocess.TimeoutExpired) as failure:
        print(f"\ninstall test FAILED: {failure}", file=sys.stderr)
        if getattr(state, "log_path", None) and os.path.exists(state.log_path):
            print("sotto's log:\n" + open(state.log_path).read()[-3000:], file=sys.stderr)
        return 1
    finally:
        state.cleanup()
    print(f"\n== install test passed in {time.monotonic() - started:.0f} s")
    for line in LOG:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
