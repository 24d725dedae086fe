#!/usr/bin/env python3
"""A user-space impairing wire: an Ethernet bridge between two interfaces (AF_PACKET sockets) that loses,
delays with jitter (which reorders) and duplicates IPv4 packets, as `tc netem` would. The suite uses it
because the kernels it runs on may lack sch_netem. Run inside the wire namespace:

    wire.py --a IF --b IF --loss 5 --duplicate 1 --delay-ms 40 --jitter-ms 20 --stats FILE

Each IPv4 frame is dropped with probability loss %, else sent after delay ± jitter (uniform), and with
probability duplicate % a second copy follows with its own delay. ARP passes with no impairment. On SIGTERM
it writes what it did to the UDP packets (what sotto-loadgen measures) as JSON to FILE, per direction.

With --nat-shift N it is also a NAT that rebinds on SIGUSR1, as a home router does when its mapping times
out or it restarts: from then on every UDP packet arriving from --b leaves with its source port moved by N,
replies to the moved port are sent on to the original one, and packets still addressed to the original
port (the forgotten mapping) are dropped. The UDP checksum of a rewritten packet is set to 0 ("none",
allowed over IPv4 by RFC 768), since the suite runs its links with checksum offload off."""

import argparse
import heapq
import json
import random
import select
import signal
import socket
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def open_interface(name):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind((name, 0))
    sock.setblocking(False)
    return sock


def is_udp(frame):
    return len(frame) > 23 and frame[12:14] == b"\x08\x00" and frame[23] == 17


def is_ipv4(frame):
    return len(frame) > 14 and frame[12:14] == b"\x08\x00"


def udp_ports(frame):
    """(offset of the UDP header, source port, destination port) of an IPv4 UDP frame."""
    offset = 14 + (frame[14] & 0x0F) * 4
    return offset, int.from_bytes(frame[offset:offset + 2], "big"), int.from_bytes(frame[offset + 2:offset + 4], "big")


def rewrite_port(frame, offset, source, port):
    """The frame with its UDP source (or destination) port set to `port` and its checksum cleared."""
    out = bytearray(frame)
    at = offset if source else offset + 2
    out[at:at + 2] = port.to_bytes(2, "big")
    out[offset + 6:offset + 8] = b"\x00\x00"
    return bytes(out)


class Rebinder:
    """The NAT: identity until rebind(), then source ports from the inside moved by `shift`."""

    def __init__(self, shift, stats):
        self.shift = shift
        self.active = False
        self.stats = stats
        self.inside = set()  # original source ports seen from the inside since the rebind

    def rebind(self):
        self.active = True

    def outbound(self, frame):
        """A frame from the inside (the phones), on its way out."""
        offset, source, _ = udp_ports(frame)
        self.inside.add(source)
        self.stats["udpRebound"] += 1
        return rewrite_port(frame, offset, True, (source + self.shift) % 65536)

    def inbound(self, frame):
        """A frame toward the inside: to a moved port it goes on to the original; to an original port, the
        mapping that was forgotten, it is dropped (None)."""
        offset, _, target = udp_ports(frame)
        original = (target - self.shift) % 65536
        if original in self.inside:
            self.stats["udpRebound"] += 1
            return rewrite_port(frame, offset, False, original)
        if target in self.inside:
            self.stats["udpToOldMapping"] += 1
            return None
        return frame


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--a", required=True)
    parser.add_argument("--b", required=True)
    parser.add_argument("--loss", type=float, default=0.0, help="percent")
    parser.add_argument("--duplicate", type=float, default=0.0, help="percent")
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--stats", required=True)
    parser.add_argument("--nat-shift", type=int, default=0, help="rebind on SIGUSR1, moving --b's source ports")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    sockets = {args.a: open_interface(args.a), args.b: open_interface(args.b)}
    other = {args.a: args.b, args.b: args.a}
    by_fd = {sock.fileno(): name for name, sock in sockets.items()}
    stats = {name: {"udpIn": 0, "udpLost": 0, "udpDuplicated": 0, "udpOut": 0} for name in sockets}
    nat = Rebinder(args.nat_shift, {"udpRebound": 0, "udpToOldMapping": 0})
    stats["nat"] = nat.stats
    if args.nat_shift:
        signal.signal(signal.SIGUSR1, lambda *_: nat.rebind())
    queue = []
    sequence = 0
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    signal.signal(signal.SIGINT, lambda *_: stop.append(True))
    print("wire up: %s <-> %s" % (args.a, args.b), flush=True)

    def schedule(frame, towards, now, udp):
        nonlocal sequence
        delay = args.delay_ms + rng.uniform(-args.jitter_ms, args.jitter_ms)
        sequence += 1
        heapq.heappush(queue, (now + max(0.0, delay) / 1000.0, sequence, towards, frame, udp))

    while not stop:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, towards, frame, udp = heapq.heappop(queue)
            try:
                sockets[towards].send(frame)
                if udp:
                    stats[other[towards]]["udpOut"] += 1
            except OSError:
                pass
        timeout = min(0.05, max(0.0, queue[0][0] - now)) if queue else 0.05
        try:
            readable, _, _ = select.select(list(sockets.values()), [], [], timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        for sock in readable:
            came_from = by_fd[sock.fileno()]
            for _ in range(256):
                try:
                    frame, address = sock.recvfrom(65535)
                except (BlockingIOError, InterruptedError):
                    break
                if address[2] == PACKET_OUTGOING:
                    continue  # our own sends, looped back to the tap
                towards = other[came_from]
                udp = is_udp(frame)
                if udp:
                    stats[came_from]["udpIn"] += 1
                if not is_ipv4(frame):
                    schedule(frame, towards, now, udp)
                    continue
                if udp and nat.active:
                    frame = nat.outbound(frame) if came_from == args.b else nat.inbound(frame)
                    if frame is None:
                        continue
                if rng.random() * 100 < args.loss:
                    if udp:
                        stats[came_from]["udpLost"] += 1
                    continue
                schedule(frame, towards, now, udp)
                if rng.random() * 100 < args.duplicate:
                    if udp:
                        stats[came_from]["udpDuplicated"] += 1
                    schedule(frame, towards, now, udp)
    with open(args.stats, "w") as f:
        json.dump(stats, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
