"""Probes from outside: SIP OPTIONS over UDP and plain TCP, and openssl s_client handshakes. Each returns
a sentence saying what came back."""

import re
import socket
import subprocess
import time


def options_request(transport, via_host, port, target="127.0.0.1"):
    branch = "z9hG4bK-e2e-%d" % int(time.monotonic() * 1e6)
    return ("OPTIONS sip:probe@%s:%d SIP/2.0\r\n"
            "Via: SIP/2.0/%s %s;branch=%s;rport\r\n"
            "Max-Forwards: 70\r\nTo: <sip:probe@%s:%d>\r\nFrom: <sip:e2e@%s>;tag=e2e\r\n"
            "Call-ID: e2e-%s@probe\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
            % (target, port, transport.upper(), via_host, branch, target, port, target, branch)).encode()


def udp_options(ip, port, timeout=1.0):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.connect((ip, port))  # connected: an ICMP port-unreachable shows up as ECONNREFUSED
        local = "%s:%d" % sock.getsockname()
        try:
            sock.send(options_request("udp", local, port, ip))
            data = sock.recv(65536)
            return "ANSWER %r" % data[:80]
        except socket.timeout:
            return "no reply within %.0f s" % timeout
        except ConnectionRefusedError:
            return "no reply (ICMP port unreachable: nothing bound)"


def tcp_plain_options(ip, port, timeout=2.0):
    try:
        sock = socket.create_connection((ip, port), timeout=timeout)
    except ConnectionRefusedError:
        return "connection refused (nothing listens)"
    with sock:
        local = "%s:%d" % sock.getsockname()
        try:
            sock.sendall(options_request("tcp", local, port, ip))
            data = b""
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            pass
        except (ConnectionResetError, BrokenPipeError):
            return "connection reset by the server, no SIP response"
    if data.startswith(b"SIP/2.0"):
        return "SIP RESPONSE %r" % data[:80]
    if not data:
        return "closed with no data, no SIP response"
    if data[0] == 0x15:
        return "TLS alert (%d bytes), no SIP response" % len(data)
    return "%d non-SIP bytes (%r...), no SIP response" % (len(data), data[:8])


def s_client(address, flag, ca, timeout=10):
    argv = ["openssl", "s_client", "-connect", address, flag, "-cipher", "DEFAULT@SECLEVEL=0", "-CAfile", ca,
            "-brief"]
    try:
        result = subprocess.run(argv, input=b"", capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, "timed out"
    out = (result.stdout + result.stderr).decode("utf-8", "replace")
    protocol = re.search(r"Protocol version: (\S+)", out)
    if result.returncode == 0 and protocol:
        return True, "handshake OK (%s)" % protocol.group(1)
    reason = re.findall(r"error:[0-9A-F]+:[^\n]*", out) or [line for line in out.splitlines() if line.strip()][-1:]
    return False, "handshake failed (exit %d): %s" % (result.returncode, (reason[0] if reason else "").strip())
