#!/usr/bin/python3
"""Where our guest spends its time in TCP over slirp: boot ours (one
hart, NET=user, as scripts/bench_tcp.py does), and around each of a
bulk transfer in, a bulk transfer out and a run of echoes, take the
kernel's sampling profile (`prof start` ... `prof`, kernel/prof.c).
Prints, per workload, the share of timer samples by function, named
with the build's symbols (the kernel's, and each process's .debug).

With --http the workload is instead wrk against httpd (--path, default
/1k, keep-alive, --conns connections, default 8, 5 s): a second httpd, on port 8080, with no access log
(-q), as the console would fill with nobody reading it.

usage: scripts/prof_tcp.py [--mib M] [--echo-n N] [--top K] [--lines] [--http [--path P] [--conns N]]
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "pcap-tests"))
from bench_libnet import snapshot, usable_ports  # noqa: E402
from bench_tcp import GUEST_ECHO, GUEST_SINK, GUEST_SRC, OursTcp, bulk_in, bulk_out, echo_rtt, mbit  # noqa: E402

ADDR2LINE = "riscv64-unknown-elf-addr2line"
LOCKED = 1 << 39        # kernel/prof.h PROF_LOCKED: a tick while a spinlock was held


def symbolize(elf, pcs, lines=False):
    """{pc: function} for the pcs in elf ("function file:line" if lines)."""
    pcs = sorted(pcs)
    out = subprocess.run([ADDR2LINE, "-f", "-e", elf] + ["%x" % (pc & ~LOCKED) for pc in pcs],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    if lines:
        return {pc: "%s %s" % (out[2 * i], os.path.basename(out[2 * i + 1])) for i, pc in enumerate(pcs)}
    return {pc: out[2 * i] for i, pc in enumerate(pcs)}


def profile(g, snap, run, top, lines=False):
    g.run("prof start")
    result = run()
    text = g.run("prof -n 4000", timeout=60)
    m = re.search(r"prof: (\d+) samples, (\d+) dropped", text)
    rows = re.findall(r"^(\d+) (\d+) (\S+) ([0-9a-f]+)\r?$", text, re.M)
    byprog = collections.defaultdict(dict)
    for n, pid, name, pc in rows:
        byprog[name][int(pc, 16)] = byprog[name].get(int(pc, 16), 0) + int(n)
    funcs = collections.Counter()
    for name, pcs in byprog.items():
        elf = os.path.join(snap, "kernel", "kernel") if name == "kernel" \
            else os.path.join(snap, "apps", name + ".debug")
        names = symbolize(elf, pcs, lines) if os.path.exists(elf) else {}
        for pc, n in pcs.items():
            locked = " (lock held)" if name == "kernel" and pc & LOCKED else ""
            funcs["%s:%s%s" % (name, names.get(pc, "%x" % pc), locked)] += n
    total = int(m.group(1)) if m else sum(funcs.values())
    ev = re.search(r"prof: events([^\r\n]*)", text)
    events = dict((k, int(v)) for k, v in re.findall(r" (\w+) (\d+)", ev.group(1))) if ev else {}
    return result, total, funcs.most_common(top), events


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mib", type=int, default=64)
    ap.add_argument("--echo-n", type=int, default=3000)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--http", action="store_true")
    ap.add_argument("--path", default="/1k", help="with --http: the file wrk asks for")
    ap.add_argument("--conns", type=int, default=8, help="with --http: wrk's connections")
    ap.add_argument("--lines", action="store_true", help="name samples by source line, not only function")
    args = ap.parse_args()
    if args.http:
        return http(args)
    with tempfile.TemporaryDirectory() as tmp:
        snap = snapshot(tmp, symbols=True)
        src, sink, echo = usable_ports(3)
        ours = OursTcp(snap, tmp)
        fwd = ",".join("hostfwd=tcp:127.0.0.1:%d-:%d" % pp for pp in
                       ((src, GUEST_SRC), (sink, GUEST_SINK), (echo, GUEST_ECHO)))
        try:
            ours.start("user", {"HOSTFWD": fwd}, "prof-tcp.log")
            ours.servers(args.mib << 20)
            work = (("host to guest", lambda: bulk_in(sink, args.mib, 30)),
                    ("guest to host", lambda: bulk_out(src, args.mib, 30)),
                    ("echo", lambda: echo_rtt(echo, args.echo_n, 10)))
            for what, fn in work:
                r, total, top, events = profile(ours.g, snap, fn, args.top, args.lines)
                head = ("%.0f Mbit/s" % mbit(*r)) if isinstance(r, tuple) else ("median %.0f us" % r["med"])
                per = (r[0] / 1460.0) if isinstance(r, tuple) else (r["n"] + 10)
                unit = "per 1460 bytes" if isinstance(r, tuple) else "per round trip"
                print("\n== %s: %s, %d samples" % (what, head, total))
                print("   events %s: %s" % (unit, ", ".join("%s %.2f" % (k, v / per) for k, v in events.items())))
                for f, n in top:
                    print("%6.1f%%  %s" % (100.0 * n / max(total, 1), f))
        finally:
            ours.close()


def wrk(port, path="/1k", conns=8):
    out = subprocess.run(["wrk", "-t1", "-c%d" % conns, "-d5s", "http://127.0.0.1:%d%s" % (port, path)],
                         capture_output=True, text=True, timeout=60).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(m.group(1)) if m else 0.0


def http(args):
    with tempfile.TemporaryDirectory() as tmp:
        snap = snapshot(tmp, symbols=True)
        (port,) = usable_ports(1)
        ours = OursTcp(snap, tmp)
        try:
            ours.start("user", {"HOSTFWD": "hostfwd=tcp:127.0.0.1:%d-:8080" % port}, "prof-http.log")
            ours.g.run("httpd -q -p 8080 &")
            wrk(port, args.path, args.conns)    # warm: the file in the cache
            rate, total, top, events = profile(ours.g, snap, lambda: wrk(port, args.path, args.conns), args.top, args.lines)
            print("\n== wrk -t1 -c%d -d5s %s: %.0f req/s, %d samples" % (args.conns, args.path, rate, total))
            print("   events per request: %s" % ", ".join("%s %.2f" % (k, v / (rate * 5 + 1))
                                                       for k, v in events.items()))
            for f, n in top:
                print("%6.1f%%  %s" % (100.0 * n / max(total, 1), f))
        finally:
            ours.close()


if __name__ == "__main__":
    main()
