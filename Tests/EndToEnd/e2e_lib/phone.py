"""One baresip 1.0 softphone under test: its config directory, its process, and control over ctrl_tcp
(netstring-framed JSON commands)."""

import json
import os
import re
import socket
import time

from . import configs, procs, sip


class Phone:
    def __init__(self, name, directory, *, sip_port, rtp_ports, ctrl_port, tone_hz, ca, cert_combined, outbound,
                 domain, mediaenc="srtp-mand", regint=600, auth_pass=None):
        self.name = name
        self.domain = domain
        self.rtp_ports = rtp_ports
        self.ctrl_port = ctrl_port
        self.directory = os.path.join(directory, name)
        os.makedirs(self.directory, exist_ok=True)
        tone = configs.make_tone(os.path.join(self.directory, "tone.wav"), tone_hz)
        configs.baresip_dir(
            self.directory, sip_listen="127.0.0.1:%d" % sip_port, ca=ca, cert=cert_combined, tone=tone,
            rtp_ports=rtp_ports, ctrl_port=ctrl_port,
            account=configs.account_line(name, domain, outbound, mediaenc=mediaenc, regint=regint,
                                         auth_pass=auth_pass),
        )
        self.proc = None

    def start(self):
        # -s prints every SIP message: the only place the phone-side SDP (and its keys) can be read.
        self.proc = procs.Proc(self.name, ["baresip", "-f", self.directory, "-s"],
                               os.path.normpath(os.path.join(self.directory, "..", self.name + ".log")))
        return self

    @property
    def log_path(self):
        return self.proc.log_path

    def text(self):
        return self.proc.text() if self.proc else ""

    def wait_registered(self, timeout=15):
        """Waits for "alice@pbx.test: {0/TLS/v4} 200 OK (...) [1 binding]"; fails at once on a
        "reg: sip:alice@pbx.test: 4xx/5xx ..." line instead of waiting out the timeout."""
        deadline = time.monotonic() + timeout
        failure = re.compile(r"reg: sip:%s@%s: (\d{3} [^\n\x1b]*)" % (re.escape(self.name), re.escape(self.domain)))
        while True:
            if self.registered():
                return
            text = self.text()
            found = failure.search(text)
            if found:
                raise procs.TimeoutExpired("%s could not register: %s (log: %s)" % (self.name, found.group(1).strip(),
                                                                                   self.log_path))
            if not self.proc.alive():
                raise procs.TimeoutExpired("%s exited before registering (log: %s)" % (self.name, self.log_path))
            if time.monotonic() > deadline:
                answers = [m.start_line for m in self.messages() if m.status is not None]
                raise procs.TimeoutExpired("%s did not register within %ss; responses seen: %s (log: %s)" % (
                    self.name, timeout, answers or "none", self.log_path))
            time.sleep(0.05)

    def registered(self):
        return re.search(r"^%s@%s: \{\d+/TLS/v[46]\} 200 " % (re.escape(self.name), re.escape(self.domain)),
                         self.text(), re.MULTILINE) is not None

    def command(self, command, params=None, timeout=5):
        """Sends one ctrl_tcp command; returns the response object (events before it are skipped)."""
        message = {"command": command, "token": "e2e-%d" % int(time.monotonic() * 1000)}
        if params is not None:
            message["params"] = params
        payload = json.dumps(message).encode()
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=timeout) as conn:
                    conn.sendall(b"%d:%s," % (len(payload), payload))
                    buffer = b""
                    while time.monotonic() < deadline:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        buffer += chunk
                        for item in _netstrings(buffer):
                            if item.get("response"):
                                return item
                    raise procs.TimeoutExpired("%s: no ctrl_tcp response to %s" % (self.name, command))
            except ConnectionRefusedError as error:  # ctrl_tcp not listening yet
                last_error = error
                time.sleep(0.1)
        raise procs.TimeoutExpired("%s: ctrl_tcp %s failed: %s" % (self.name, command, last_error))

    def dial(self, uri):
        return self.command("dial", uri)

    def hangup(self):
        return self.command("hangup")

    def messages(self):
        return sip.baresip_messages(self.text())


def _netstrings(buffer):
    items = []
    while True:
        colon = buffer.find(b":")
        if colon <= 0 or not buffer[:colon].isdigit():
            return items
        length = int(buffer[:colon])
        end = colon + 1 + length
        if len(buffer) < end + 1:
            return items
        try:
            items.append(json.loads(buffer[colon + 1:end]))
        except ValueError:
            pass
        buffer = buffer[end + 1:]
