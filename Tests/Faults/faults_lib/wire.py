#!/usr/bin/env python3
"""A user-space impairing wire: an Ethernet bridge between two interfaces (AF_PACKET sockets) that loses,
delays with jitter (which reorders) and duplicates IPv4 packets, as `tc netem` would. The suite uses it
because the kernels it runs on may lack sch_netem. Run inside the wire namespace:

    wire.py --a IF --b IF --loss 5 --duplicate 1 --delay-ms 40 --jitter-ms 20 --stats FILE

Each IPv4 frame is dropped with probability loss %, else sent after delay ± jitter (uniform), and with
probability duplicate % a second copy follows with its own delay. ARP passes with no impairment. On SIGTERM
it writes what it did to the UDP packets (what sotto-loadgen measures) as JSON to FILE, per direction."""

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
    args = parser.parse_args()
    rng = random.Random(args.seed)
    sockets = {args.a: open_interface(args.a), args.b: open_interface(args.b)}
    other = {args.a: args.b, args.b: args.a}
    by_fd = {sock.fileno(): name for name, sock in sockets.items()}
    stats = {name: {"udpIn": 0, "udpLost": 0, "udpDuplicated": 0, "udpOut": 0} for name in sockets}
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
