"""Child processes with bounded lifetimes: each writes stdout+stderr to its own log file, can be
waited on for a log pattern with a timeout, and is stopped by its PID (SIGTERM, then SIGKILL to the
process group it leads). Every process started here is registered so that `stop_all()` (called on
exit, on failure and on SIGINT/SIGTERM) leaves nothing behind."""

import atexit
import os
import re
import signal
import socket
import subprocess
import time

_running = []


class TimeoutExpired(Exception):
    pass


class NotListening(AssertionError):
    """A process did not start listening in time (an AssertionError, so a test fails rather than errors)."""


def wait_tcp(ip, port, timeout, proc=None):
    """Waits until something accepts TCP connections on ip:port; fails early when `proc` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise NotListening("%s exited (status %s) before listening on %s:%d; log: %s"
                               % (proc.name, proc.popen.returncode, ip, port, proc.log_path))
        try:
            with socket.create_connection((ip, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise NotListening("nothing listens on %s:%d after %ss" % (ip, port, timeout))


class Proc:
    def __init__(self, name, argv, log_path, env=None, cwd=None, stdin=subprocess.DEVNULL):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self._log = open(log_path, "wb")
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        # start_new_session: the child leads its own process group, so a SIGKILL can also reach the
        # children it forked (Kamailio's workers) without touching anything else.
        self.popen = subprocess.Popen(
            argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=stdin, env=full_env, cwd=cwd,
            start_new_session=True,
        )
        self.pid = self.popen.pid
        self.started = time.monotonic()
        _running.append(self)

    def text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def alive(self):
        return self.popen.poll() is None

    def wait_for(self, pattern, timeout, count=1, flags=re.MULTILINE):
        """Waits until `pattern` occurs `count` times in the log; returns the last match."""
        regex = re.compile(pattern, flags)
        deadline = time.monotonic() + timeout
        while True:
            matches = list(regex.finditer(self.text()))
            if len(matches) >= count:
                return matches[count - 1]
            if not self.alive():
                # One last read: the process may have written the line and exited.
                matches = list(regex.finditer(self.text()))
                if len(matches) >= count:
                    return matches[count - 1]
                raise TimeoutExpired(
                    "%s exited (status %s) before its log showed /%s/" % (self.name, self.popen.returncode, pattern)
                )
            if time.monotonic() > deadline:
                raise TimeoutExpired("%s: no /%s/ in its log within %ss" % (self.name, pattern, timeout))
            time.sleep(0.05)

    def stop(self, grace=3.0, sig=signal.SIGTERM):
        """SIGTERM (or `sig`) to the PID, wait up to `grace` s, then SIGKILL the process group."""
        if self.alive():
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        # The group may hold forked children even after the leader exited (Kamailio).
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if not self._log.closed:
            self._log.close()
        if self in _running:
            _running.remove(self)
        return self.popen.returncode


def stop_all():
    for proc in reversed(list(_running)):
        try:
            proc.stop(grace=2.0)
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass


_cleanups = []


def _on_signal(signum, _frame):
    # Not SystemExit: unittest would report it as one test's error and go on with the next test.
    stop_all()
    for cleanup in _cleanups:
        try:
            cleanup()
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass
    os.write(2, b"\ninterrupted by signal %d: every child process stopped\n" % signum)
    os._exit(128 + signum)


def install_cleanup(*cleanups):
    """Stops every child on exit and on SIGINT/SIGTERM; `cleanups` also run on a signal."""
    _cleanups.extend(cleanups)
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)


def run(argv, timeout, **kwargs):
    """A short command, bounded by `timeout`."""
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)


def tcp_connections(process_group):
    """The established TCP connections of every process in a process group right now (from ss): (local
    address, remote address) of each."""
    result = run(["ss", "-tnpH", "state", "established"], timeout=10)
    pids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == process_group:
                    pids.add(int(entry))
            except OSError:
                pass
    connections = []
    for line in result.stdout.splitlines():
        found = [int(p) for p in re.findall(r"pid=(\d+)", line)]
        if not any(p in pids for p in found):
            continue
        fields = line.split()
        connections.append((fields[2], fields[3]))
    return connections
