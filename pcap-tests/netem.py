#!/usr/bin/python3
"""A bad link between the guest and Linux, in user space: what
`tc qdisc ... netem loss L duplicate D reorder R delay MS` would do, for
hosts whose kernel has no sch_netem (ours: "Specified qdisc kind is
unknown"). Seeded, so a run repeats.

Run inside a network namespace. It opens a tap device NAME holding
10.0.2.2/24 (Linux's side), and relays Ethernet frames between it and
QEMU's NET=dgram socket pair on 127.0.0.1 (it receives on RPORT, QEMU's
remote port, and sends to LPORT, QEMU's local one). Each frame, either
way, is lost with probability L; otherwise sent twice with probability
D; each copy leaves at once with probability R, else after MS
milliseconds, so those sent at once overtake those delayed (netem's
reordering). Prints "ready" once the tap is up, and at SIGTERM one JSON
line of counts per direction.

usage: netem.py NAME LPORT RPORT LOSS DUP REORDER DELAY_MS SEED
"""
import fcntl
import heapq
import json
import os
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import time

TUNSETIFF = 0x400454ca
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000


def opentap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode(), IFF_TAP | IFF_NO_PI))
    subprocess.run(["ip", "addr", "add", "10.0.2.2/24", "dev", name], check=True)
    subprocess.run(["ip", "link", "set", name, "up"], check=True)
    return fd


def main(argv):
    name, lport, rport = argv[0], int(argv[1]), int(argv[2])
    loss, dup, reorder, delay = float(argv[3]), float(argv[4]), float(argv[5]), float(argv[6]) / 1000
    rng = random.Random(int(argv[7]))
    tap = opentap(name)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    udp.bind(("127.0.0.1", rport))
    count = {d: dict(frames=0, lost=0, duplicated=0, early=0)
             for d in ("to_guest", "to_linux")}
    pending = []          # (when, n, direction, frame)
    n = 0

    def report(*_):
        print(json.dumps(count), flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, report)
    print("ready", flush=True)
    while True:
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, d, f = heapq.heappop(pending)
            try:
                if d == "to_guest":
                    udp.sendto(f, ("127.0.0.1", lport))
                else:
                    os.write(tap, f)
            except OSError:
                pass          # a full queue on the way: lost, as on a wire
        wait = max(pending[0][0] - now, 0) if pending else 1.0
        ready, _, _ = select.select([tap, udp], [], [], wait)
        for src in ready:
            if src is udp:
                f, d = udp.recv(65536), "to_linux"
            else:
                f, d = os.read(tap, 65536), "to_guest"
            c = count[d]
            c["frames"] += 1
            if rng.random() < loss:
                c["lost"] += 1
                continue
            copies = 1
            if rng.random() < dup:
                c["duplicated"] += 1
                copies = 2
            for _ in range(copies):
                when = time.monotonic()
                if rng.random() < reorder:
                    c["early"] += 1
                else:
                    when += delay
                n += 1
                heapq.heappush(pending, (when, n, d, f))


if __name__ == "__main__":
    main(sys.argv[1:])
