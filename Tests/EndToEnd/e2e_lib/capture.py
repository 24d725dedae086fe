"""Loopback capture with tshark, always filtered to the UDP port ranges that matter (an unfiltered
loopback capture on a shared machine can grow by tens of MB per second), and the packets read back as
(src, srcport, dst, dstport, payload bytes)."""

import os
import re
import signal
import subprocess

from . import procs

TSHARK = "tshark"


def port_filter(ranges):
    return "udp and (" + " or ".join("portrange %d-%d" % r for r in ranges) + ")"


class Capture:
    def __init__(self, directory, ranges, name="media", interface="lo", max_seconds=180, max_kilobytes=200000):
        self.pcap = os.path.join(directory, name + ".pcapng")
        self.filter = port_filter(ranges)
        # -a duration/filesize: the capture stops itself even if this runner is killed without cleanup.
        self.proc = procs.Proc(
            "tshark",
            [TSHARK, "-n", "-q", "-i", interface, "-f", self.filter, "-w", self.pcap,
             "-a", "duration:%d" % max_seconds, "-a", "filesize:%d" % max_kilobytes],
            os.path.join(directory, name + "-tshark.log"),
        )

    def wait_ready(self, timeout=20):
        # dumpcap says "Capturing on 'Loopback: lo'" once the filter is compiled and the socket open.
        self.proc.wait_for(r"Capturing on", timeout)

    def stop(self):
        # SIGINT lets tshark flush and close the file; SIGKILL only if it does not within the grace period.
        return self.proc.stop(grace=10, sig=signal.SIGINT)

    def packets(self):
        return read_packets(self.pcap)


def read_packets(pcap):
    """Every UDP packet in the file, in capture order, as dicts src/dst ('IP:PORT'), hex payload and the
    capture time (seconds since the epoch, as time.time() counts)."""
    result = procs.run(
        [TSHARK, "-n", "-r", pcap, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f",
         "-e", "ip.src", "-e", "udp.srcport", "-e", "ip.dst", "-e", "udp.dstport", "-e", "udp.payload",
         "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "frame.time_epoch",
         # Read every datagram as raw data: no RTP/RTCP heuristics, no decoding of port 5060 as SIP.
         "--disable-protocol", "rtp", "--disable-protocol", "rtcp", "--disable-protocol", "sip"],
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError("tshark -r %s failed: %s" % (pcap, result.stderr.strip()))
    packets = []
    for line in result.stdout.splitlines():
        fields = line.split("\t")
        if len(fields) < 5:
            continue
        src, sport, dst, dport, payload = fields[:5]
        if not src and len(fields) >= 7:
            src, dst = fields[5], fields[6]
        if not (src and sport and dst and dport):
            continue
        payload = re.sub(r"[^0-9a-fA-F]", "", payload)
        stamp = float(fields[7]) if len(fields) >= 8 and fields[7] else 0.0
        packets.append(
            {"src": endpoint(src, sport), "dst": endpoint(dst, dport), "hex": payload.lower(),
             "sport": int(sport), "dport": int(dport), "src_ip": src, "dst_ip": dst, "time": stamp}
        )
    return packets


def endpoint(ip, port):
    return ("[%s]:%s" % (ip, port)) if ":" in ip else ("%s:%s" % (ip, port))
