#!/usr/bin/python3
"""Reproducer for an open bug: a TCP transfer guest to host over slirp
that stops for good (docs/performance.md, "TCP over slirp: the
profiler's view", "A stall, not fixed"). Boots ours as bench_tcp.py does
(one hart, NET=user) and runs N transfers of 32 MiB from `tcpsrc -S` to
this script. When one stalls for 5 s it prints the guest's processes,
tries `ping 10.0.2.2` from the guest, and shows which kernel counters
moved over 2 s. With QMON=path QEMU gets a monitor on that unix socket
and the script prints virtio-net's queue status too (`info
virtio-queue-status`); with PCAP=file QEMU records every frame.

usage: scripts/stall_g2h.py [N]     (exit 1 on a stall, 0 if none)
"""
import os
import re
import shutil
import socket
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "pcap-tests"))
from bench_libnet import snapshot, usable_ports  # noqa: E402
from bench_tcp import GUEST_ECHO, GUEST_SINK, GUEST_SRC, OursTcp, kernel_stats  # noqa: E402

MIB = 32


def monitor(path, cmd):
    m = socket.socket(socket.AF_UNIX)
    m.connect(path)
    m.settimeout(1)
    m.sendall(cmd.encode() + b"\n")
    time.sleep(0.5)
    out = b""
    try:
        while True:
            d = m.recv(65536)
            if not d:
                break
            out += d
    except socket.timeout:
        pass
    m.close()
    return out.decode(errors="replace")


def stalled(g, got):
    print("STALL at %d of %d bytes" % (got, MIB << 20), flush=True)
    print(g.run("ping -c 2 10.0.2.2", timeout=20))
    print(g.run("ps"))
    a = kernel_stats(g.run("netstat"))
    time.sleep(2)
    b = kernel_stats(g.run("netstat"))
    print("moved in 2 s:", {k: b[k] - a[k] for k in a if b.get(k) != a[k]})
    if os.environ.get("QMON"):
        for q in (0, 1):
            out = monitor(os.environ["QMON"],
                          "info virtio-queue-status /machine/peripheral-anon/device[1] %d" % q)
            print("\n".join(l for l in out.splitlines()
                            if re.match(r"\s+(queue_index|inuse|used_idx|last_avail|shadow_avail)", l)))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    tmp = tempfile.mkdtemp(prefix="stall-g2h-")
    snap = snapshot(tmp)
    src, sink, echo = usable_ports(3)
    mv = {"HOSTFWD": ",".join("hostfwd=tcp:127.0.0.1:%d-:%d" % pp for pp in
                              ((src, GUEST_SRC), (sink, GUEST_SINK), (echo, GUEST_ECHO)))}
    if os.environ.get("PCAP"):
        mv["PCAP"] = os.path.abspath(os.environ["PCAP"])
    ours = OursTcp(snap, tmp)
    try:
        if os.environ.get("QMON"):
            import qemu
            cmdline = qemu.qemu_cmdline
            qemu.qemu_cmdline = lambda *a, **k: cmdline(*a, **k) + [
                "-monitor", "unix:%s,server,nowait" % os.environ["QMON"]]
        ours.start("user", mv, "stall-g2h.log")
        ours.servers(MIB << 20)
        buf = bytearray(1 << 20)
        for i in range(n):
            s = socket.create_connection(("127.0.0.1", src), timeout=5)
            s.sendall(b"%d\n" % MIB)
            got, t0 = 0, time.time()
            while True:
                try:
                    k = s.recv_into(buf)
                except socket.timeout:
                    stalled(ours.g, got)
                    return 1
                if k == 0:
                    break
                got += k
            s.close()
            print("%d: %d bytes, %.0f Mbit/s" % (i, got, got * 8 / (time.time() - t0) / 1e6), flush=True)
            ours.served("transfer %d" % i)
        return 0
    finally:
        ours.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
