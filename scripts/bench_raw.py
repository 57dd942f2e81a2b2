#!/usr/bin/python3
"""Raw-frame benchmark: frames per second through our exokernel network
channel against the Linux peer's AF_PACKET TX ring, on the same emulated
machine (one hart, the dgram netdev: every guest frame is one UDP
datagram on 127.0.0.1).

  TX   ours: `blast N LEN 10.0.2.2 9` at our shell (UDP frames through
       our TX ring); the peer: the control command `blast N LEN ring`
       sent to its udp/9999 (raw 0x88b5 frames through PACKET_TX_RING).
       Each guest times itself; this script also counts the frames that
       reach the host socket and the rate it saw them at (QEMU or the
       host may drop, and the host counter may be the bottleneck).
  RX   ours only (the peer has no raw-frame sink): the host sends N UDP
       frames to 10.0.2.15:9000 as fast as it can while `sink N 9000`
       counts them; reports sink's rate and the host's send rate.

For each round: boot ours, run TX (60 and 1514 bytes) then RX, stop it;
boot the peer, run TX, stop it. So the systems alternate run by run and
never run beside each other. Medians over the rounds; the first round
starts with an unrecorded calibration run per size that picks N for
about --seconds seconds. Per-frame copy counters come from our `netstat`
before and after each run (and blast's own `copied` figure).

Everything is bounded (--budget seconds overall, a timeout on every
wait), every QEMU is stopped by its PID in a finally, and anything that
cannot be measured becomes "not measured: <reason>" in the section
"## Raw frames" of docs/performance.md instead of a crash.

usage: scripts/bench_raw.py [--rounds N] [--seconds S] [--quick] [--no-write]
"""
import argparse
import os
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import pexpect

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "pcap-tests"))
from benchlib import (PEER, PEER_BUILD, free_ports, host_line, peer_built,  # noqa: E402
                      shown, stop, write_section)
from qemu import BUILD, Guest, copy_image  # noqa: E402

HEADING = "Raw frames"
SIZES = (60, 1514)
QUIET_LEN = 60                      # the size also run with a counter that cannot preempt
GUEST_IP = "10.0.2.15"
HOST_IP = "10.0.2.2"
GUEST_MAC = "52:54:00:12:34:56"     # QEMU's default, and run.sh's for the peer
HOST_MAC = "52:55:0a:00:02:02"      # what slirp calls itself; any unicast MAC does
CTL_PORT = 9999                     # the peer's control port
CTL_SPORT = 40999                   # our source port for it; replies come back here
SINK_PORT = 9000
DISCARD_PORT = 9
MAXN = 3000000

BLAST_RE = (r"blast: (\d+) frames (\d+) bytes in (\d+) us: (\d+) frames/s ([\d.]+) Mbit/s"
            r"(?: copied (\d+) bytes)?(?:[^\n]*\n[^\n]*?copy_bytes (\d+))?")
SINK_RE = r"sink: (\d+) frames (\d+) bytes in (\d+) us: (\d+) frames/s ([\d.]+) Mbit/s"
PEER_RE = (r"blast mode=(\w+) sent=(\d+) len=(\d+) enobufs=(\d+) errors=(\d+) syscalls=(\d+) "
           r"seconds=([\d.]+) fps=(\d+) mbps=([\d.]+)")


class Skip(Exception):
    """One system or direction cannot be measured; the message says why."""


def why(e):
    """A harness failure in one line: its first line and the console's
    last two non-empty lines."""
    lines = [l.strip() for l in str(e).splitlines() if l.strip()]
    if lines:
        lines[0] = re.sub(r";? *console ends:$", "", lines[0])
    tail = [l for l in lines[1:] if not l.startswith("# qemu")][-2:]
    return lines[0] + (" (console ends: %s)" % " | ".join(tail) if tail else "") if lines else "?"


def rcvbuf_errors():
    """The host's UDP RcvbufErrors (/proc/net/snmp): datagrams dropped
    because a socket's receive buffer was full. Host-wide, so a delta
    over one run says how many frames a full socket ate: ours on TX,
    QEMU's on RX."""
    try:
        with open("/proc/net/snmp") as f:
            rows = [l.split() for l in f if l.startswith("Udp:")]
        return int(rows[1][rows[0].index("RcvbufErrors")])
    except (OSError, ValueError, IndexError):
        return None


def delta(a, b):
    return b - a if a is not None and b is not None else None


def thread_ticks(pid):
    """{tid: CPU clock ticks (user + system)} of every thread of pid."""
    out = {}
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for t in tids:
        try:
            with open("/proc/%d/task/%s/stat" % (pid, t)) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        out[int(t)] = int(fields[11]) + int(fields[12])
    return out


class CpuWindow:
    """Host CPU used over one run, as a share of one core: QEMU's main
    loop (its first thread, which runs virtio-net's TX and the dgram
    backend's sendto()), the busiest other QEMU thread (the vCPU) and
    the host counter's thread."""

    def __init__(self, qemu_pid, counter_tid):
        self.pid, self.ctid = qemu_pid, counter_tid
        self.q0 = thread_ticks(qemu_pid)
        self.c0 = thread_ticks(os.getpid()).get(counter_tid, 0)
        self.t0 = time.monotonic()

    def done(self):
        dt = time.monotonic() - self.t0
        q1 = thread_ticks(self.pid)
        c1 = thread_ticks(os.getpid()).get(self.ctid, 0)
        hz = os.sysconf("SC_CLK_TCK")
        if dt <= 0 or not q1:
            return None
        d = {t: (q1[t] - self.q0.get(t, 0)) * 100.0 / hz / dt for t in q1}
        others = [v for t, v in d.items() if t != self.pid]
        return {"main": d.get(self.pid, 0.0), "vcpu": max(others) if others else 0.0,
                "counter": (c1 - self.c0) * 100.0 / hz / dt}


def other_qemus(mine):
    """PIDs of qemu-system processes this script did not start (read from
    /proc, only to say what ran beside the benchmark)."""
    found = set()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) in mine:
            continue
        try:
            with open("/proc/%s/comm" % d) as f:
                if f.read().startswith("qemu-system"):
                    found.add(int(d))
        except OSError:
            pass
    return found


def wait_for(n, fps_floor=5000):
    """Timeout for a run of n frames: generous, but bounded."""
    return min(180, 30 + n // fps_floor)


def scapy():
    """scapy's layers, imported once (slow to import, only needed here)."""
    from scapy.all import ARP, IP, UDP, Ether, Raw  # noqa: F401
    return Ether, ARP, IP, UDP, Raw


def udp_frame(dst_mac, src_ip, dst_ip, sport, dport, payload=b"", length=None):
    """Ethernet/IPv4/UDP frame bytes, padded with zeros to length."""
    Ether, _, IP, UDP, Raw = scapy()
    if length is not None:
        payload = payload + bytes(max(0, length - 42 - len(payload)))
    f = bytes(Ether(dst=dst_mac, src=HOST_MAC) / IP(src=src_ip, dst=dst_ip)
              / UDP(sport=sport, dport=dport) / Raw(payload))
    if length is not None and len(f) != length:
        raise ValueError("built a %d-byte frame, wanted %d" % (len(f), length))
    return f


class Wire:
    """The host end of a dgram netdev: a UDP socket on 127.0.0.1:hport
    that receives every frame the guest sends and sends frames to QEMU's
    socket at 127.0.0.1:qport. A thread counts blast frames (EtherType
    0x88b5, or IPv4/UDP to port 9), answers ARP requests for 10.0.2.2
    and keeps the UDP payloads sent to CTL_SPORT (the peer's replies)."""

    def __init__(self, hport):
        self.hport = hport
        self.qport = None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", hport))
        self.sock.settimeout(0.2)
        self.arp_reply = None
        self.tid = None
        self.replies = []
        self.arps = 0
        self.reset()
        self.stopping = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def reset(self):
        self.count = 0
        self.bytes = 0
        self.first = self.last = 0.0
        self.other = 0

    def send(self, frame):
        self.sock.sendto(frame, ("127.0.0.1", self.qport))

    def _arp(self, b):
        # Request (op 1) for 10.0.2.2: answer from HOST_MAC.
        if b[20:22] != b"\x00\x01" or b[38:42] != socket.inet_aton(HOST_IP):
            return
        Ether, ARP, _, _, _ = scapy()
        smac = ":".join("%02x" % x for x in b[22:28])
        sip = socket.inet_ntoa(bytes(b[28:32]))
        r = Ether(dst=smac, src=HOST_MAC) / ARP(op=2, hwsrc=HOST_MAC, psrc=HOST_IP,
                                                hwdst=smac, pdst=sip)
        self.send(bytes(r))
        self.arps += 1

    def quiet(self, on):
        """SCHED_BATCH for the counter thread (on) or back to SCHED_OTHER:
        a batch thread never preempts the thread whose datagram woke it,
        so it stops taking QEMU's core at every frame; it drains its
        socket when a core is free (the drops are counted anyway)."""
        os.sched_setscheduler(self.tid, os.SCHED_BATCH if on else os.SCHED_OTHER,
                              os.sched_param(0))

    def _loop(self):
        self.tid = threading.get_native_id()
        buf = bytearray(2048)
        recv = self.sock.recv_into
        clock = time.monotonic
        while not self.stopping:
            try:
                n = recv(buf)
            except socket.timeout:
                continue
            except OSError:
                break
            if n < 14:
                continue
            t0, t1 = buf[12], buf[13]
            if (t0 == 0x88 and t1 == 0xb5) or (t0 == 0x08 and t1 == 0x00 and n >= 38
                                               and buf[23] == 17 and buf[36] == 0
                                               and buf[37] == DISCARD_PORT):
                now = clock()
                if self.count == 0:
                    self.first = now
                self.last = now
                self.count += 1
                self.bytes += n
            elif t0 == 0x08 and t1 == 0x06 and n >= 42:
                self._arp(buf)
            elif (t0 == 0x08 and t1 == 0x00 and n >= 42 and buf[23] == 17
                  and (buf[36] << 8 | buf[37]) == CTL_SPORT):
                ihl = (buf[14] & 15) * 4
                self.replies.append(bytes(buf[14 + ihl + 8:n]).decode("ascii", "replace"))
            else:
                self.other += 1

    def settle(self, quiet=0.3, limit=10.0):
        """Wait until no blast frame arrived for quiet seconds."""
        end = time.monotonic() + limit
        last = -1
        while time.monotonic() < end:
            c = self.count
            if c == last:
                break
            last = c
            time.sleep(quiet)

    def host_rate(self):
        if self.count < 2 or self.last <= self.first:
            return 0.0
        return (self.count - 1) / (self.last - self.first)

    def close(self):
        self.stopping = True
        self.thread.join(2)
        self.sock.close()


def stats_of(text):
    """`name value` lines of our netstat, as a dict."""
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^\s*([a-z_]+)\s*[:=]?\s+(\d+)\s*$", text, re.M)}


class Ours:
    """Our kernel on the dgram netdev, one hart, driven at its console."""
    name = "ours"

    def __init__(self, tmp, wire, qport):
        self.wire = wire
        self.qport = qport
        self.img = copy_image(tmp, "bench-raw.img")
        # A private copy of the kernel too: a rebuild during the run must
        # not change what later rounds boot.
        self.snap = os.path.join(tmp, "snap")
        os.makedirs(os.path.join(self.snap, "kernel"), exist_ok=True)
        shutil.copyfile(os.path.join(BUILD, "kernel", "kernel"),
                        os.path.join(self.snap, "kernel", "kernel"))
        self.argv = self.cmdline()
        self.g = None
        self.hung = False
        self.mac = GUEST_MAC

    def cmdline(self):
        env = {k: v for k, v in os.environ.items()
               if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
        out = subprocess.run(
            ["make", "-s", "--no-print-directory", "print-qemu", "FSIMG=" + self.img,
             "NET=dgram", "NET_LPORT=%d" % self.qport, "NET_RPORT=%d" % self.wire.hport,
             "CPUS=1", "B=" + self.snap],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=60).stdout
        lines = [l for l in out.splitlines() if l.startswith("qemu-system")]
        if not lines:
            raise Skip("make print-qemu printed no qemu command")
        return shlex.split(lines[-1])

    def start(self):
        self.wire.qport = self.qport
        # Guest() asks make for a user-net command line; use the dgram one instead.
        self.g = Guest(self.img, cpus=1, log=os.path.join(BUILD, "test-logs", "bench-raw-ours.log"))
        self.g.argv = self.argv
        self.hung = False
        try:
            self.g.boot(timeout=60)
        except AssertionError as e:
            raise Skip("our kernel did not boot: %s" % why(e))

    def netstat(self):
        try:
            out = self.g.run("netstat", timeout=20)
        except AssertionError:
            return {}
        m = re.search(r"([0-9a-f]{2}(?::[0-9a-f]{2}){5})", out)
        if m and m.group(1) != "ff:ff:ff:ff:ff:ff":
            self.mac = m.group(1)
        return stats_of(out)

    def tx(self, n, length):
        self.wire.reset()
        s0 = self.netstat()
        e0 = rcvbuf_errors()
        cmd = "blast %d %d %s %d" % (n, length, HOST_IP, DISCARD_PORT)
        cpu = CpuWindow(self.g.child.pid, self.wire.tid)
        try:
            out = self.g.run(cmd, timeout=wait_for(n))
        except AssertionError as e:
            self.hung = True
            raise Skip("`%s` did not return to the prompt: %s" % (cmd, why(e)))
        m = re.search(BLAST_RE, out)
        if not m:
            raise Skip("`%s` printed %r" % (cmd, out.strip()[-200:]))
        used = cpu.done()
        self.wire.settle()
        e1 = rcvbuf_errors()
        s1 = self.netstat()
        frames = int(m.group(1))
        r = {"n": n, "frames": frames, "fps": float(m.group(4)), "mbps": float(m.group(5)),
             "host": self.wire.count, "host_fps": self.wire.host_rate(),
             "sockdrop": delta(e0, e1),
             "copied": int(m.group(6)) if m.group(6) is not None else None,
             "blast_copy_bytes": int(m.group(7)) if m.group(7) is not None else None,
             "cpu": used}
        r.update(copies(s0, s1, "tx_frames", frames))
        return r

    def rx(self, n, length, sink_wait=0.2):
        frame = udp_frame(self.mac, HOST_IP, GUEST_IP, 40000, SINK_PORT, b"BENCHRAW", length)
        s0 = self.netstat()
        cmd = "sink %d %d" % (n, SINK_PORT)
        self.g.sendline(cmd)
        try:
            self.g.expect(r"sink: listening on \d+\r?\n|sink: [^\r\n]*\r?\n|\$ ", timeout=20,
                          what="sink to start")
        except AssertionError as e:
            self.hung = True
            raise Skip("`%s` did not start: %s" % (cmd, why(e)))
        if "listening" not in self.g.child.after:
            self.hung = True
            out = self.g.child.before + self.g.child.after
            raise Skip("`%s` printed %r" % (cmd, out.strip()[-200:]))
        time.sleep(sink_wait)           # its first netsync
        e0 = rcvbuf_errors()
        dst = ("127.0.0.1", self.qport)
        send = self.wire.sock.sendto
        t0 = time.monotonic()
        for _ in range(n):
            send(frame, dst)
        dt = time.monotonic() - t0
        try:
            self.g.expect(SINK_RE, timeout=wait_for(n), what="sink's result line")
        except AssertionError as e:
            self.hung = True
            raise Skip("`%s` printed no result: %s" % (cmd, why(e)))
        m = self.g.child.match
        e1 = rcvbuf_errors()
        try:
            self.g.expect(r"\$ ", timeout=10, what="the prompt after sink")
        except AssertionError:
            pass
        s1 = self.netstat()
        got = int(m.group(1))
        r = {"n": n, "frames": got, "fps": float(m.group(4)), "mbps": float(m.group(5)),
             "send_fps": n / dt if dt > 0 else 0.0, "us": int(m.group(3)),
             "sockdrop": delta(e0, e1),
             "drop_ringfull": s1.get("rx_drop_ringfull", 0) - s0.get("rx_drop_ringfull", 0)
             if s0 and s1 else None}
        r.update(copies(s0, s1, "rx_frames", got))
        return r

    def close(self):
        if self.g is not None:
            self.g.close()      # by the PID it spawned
            self.g = None


def copies(s0, s1, counter, frames):
    """copy_bytes and copy_payload_bytes per frame between two netstats."""
    if not s0 or not s1 or "copy_bytes" not in s1 or frames <= 0:
        return {"copy_per_frame": None, "payload_per_frame": None, "dev_frames": None}
    d = {k: s1.get(k, 0) - s0.get(k, 0) for k in s1}
    return {"copy_per_frame": d.get("copy_bytes", 0) / frames,
            "payload_per_frame": d.get("copy_payload_bytes", 0) / frames,
            "dev_frames": d.get(counter)}


class Peer:
    """The Linux peer (run.sh dgram), driven by its udp/9999 control port."""
    name = "peer"

    def __init__(self, wire, qport):
        self.wire = wire
        self.qport = qport
        self.child = None
        self.log = os.path.join(BUILD, "test-logs", "bench-raw-peer.log")

    def start(self):
        self.wire.qport = self.qport
        env = dict(os.environ, DGRAM_QEMU_PORT=str(self.qport),
                   DGRAM_HOST_PORT=str(self.wire.hport))
        os.makedirs(os.path.dirname(self.log), exist_ok=True)
        self.logf = open(self.log, "w")
        self.child = pexpect.spawn(os.path.join(PEER, "run.sh"), ["dgram"], env=env,
                                   encoding="utf-8", codec_errors="replace", echo=False,
                                   timeout=60)
        self.child.logfile_read = self.logf
        try:
            self.child.expect(r"READY", timeout=90)
        except (pexpect.TIMEOUT, pexpect.EOF):
            raise Skip("the peer printed no READY: %r" % (self.child.before or "")[-200:])

    def tx(self, n, length):
        self.wire.reset()
        self.wire.replies.clear()
        e0 = rcvbuf_errors()
        msg = ("blast %d %d ring" % (n, length)).encode()
        cpu = CpuWindow(self.child.pid, self.wire.tid)
        self.wire.send(udp_frame(GUEST_MAC, HOST_IP, GUEST_IP, CTL_SPORT, CTL_PORT, msg))
        i = self.child.expect([PEER_RE, r"blast error[^\r\n]*", pexpect.TIMEOUT, pexpect.EOF],
                              timeout=wait_for(n))
        if i != 0:
            raise Skip("the peer's blast: %r" % (self.child.after if i == 1 else
                                                 (self.child.before or "")[-200:]))
        m = self.child.match
        used = cpu.done()
        self.wire.settle()
        e1 = rcvbuf_errors()
        frames = int(m.group(2))
        return {"n": n, "frames": frames, "fps": float(m.group(8)), "mbps": float(m.group(9)),
                "host": self.wire.count, "host_fps": self.wire.host_rate(),
                "sockdrop": delta(e0, e1), "cpu": used,
                "reply": len(self.wire.replies) > 0}

    def close(self):
        if self.child is not None:
            stop(self.child)   # run.sh execs QEMU: this PID is QEMU's
            self.child = None
            self.logf.close()


def pick_n(fps, seconds, floor=5000):
    n = int(fps * seconds) // 1000 * 1000
    return max(floor, min(MAXN, n))


def fmt_runs(rs, key="fps"):
    return " ".join("%.0f" % r[key] for r in rs) if rs else "-"


def med(rs, key="fps"):
    vals = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def section(res, notes, args, ncfg, load, elapsed, others):
    L = ["## " + HEADING, ""]
    L.append("Frames per second through each system's batched raw-frame TX path on the same "
             "emulated machine (`-machine virt`, one hart, 128 MiB, TCG, virtio-net on the "
             "`dgram` netdev: each frame is one UDP datagram to a host socket on 127.0.0.1). "
             "Ours: `blast N LEN 10.0.2.2 9` at our shell (UDP frames built in our TX ring, "
             "handed to the kernel in batches). Linux peer: its control command "
             "`blast N LEN ring` (AF_PACKET `PACKET_TX_RING`, TPACKET_V2, 0x88b5 frames). "
             "LEN is the Ethernet frame without FCS. Each guest times itself; the host column "
             "is what a Python counter on the host socket saw (it can lose frames under load; "
             "QEMU may also drop).")
    L.append("")
    L.append("Median of %d runs each; every round boots ours (TX, then RX), stops it, then boots "
             "the peer (TX), stops it, so the two systems alternate and never run beside each "
             "other. N (frames per run) was chosen by an unrecorded calibration run for about "
             "%.0f s per run." % (args.rounds, args.seconds))
    L.append("")
    L.append("### TX (guest to host)")
    L.append("")
    L.append("| LEN | ours frames/s (Mbit/s) | peer frames/s (Mbit/s) | ours / peer | "
             "host saw ours / peer (frames/s) | N ours / peer | ours runs | peer runs |")
    L.append("|---|---|---|---|---|---|---|---|")
    for ln in SIZES:
        o, p = res[("ours", "tx", ln)], res[("peer", "tx", ln)]
        mo, mp = med(o), med(p)
        ratio = "**%.2f**" % (mo / mp) if mo and mp else "-"
        cell = lambda rs, m: ("%.0f (%.1f)" % (m, med(rs, "mbps")) if m else "not measured")
        hs = "%s / %s" % ("%.0f" % med(o, "host_fps") if o else "-",
                          "%.0f" % med(p, "host_fps") if p else "-")
        L.append("| %d | %s | %s | %s | %s | %s / %s | %s | %s |"
                 % (ln, cell(o, mo), cell(p, mp), ratio, hs,
                    ncfg.get(("ours", "tx", ln), "-"), ncfg.get(("peer", "tx", ln), "-"),
                    fmt_runs(o), fmt_runs(p)))
    L.append("")
    pr = []
    for ln in SIZES:
        o, p = res[("ours", "tx", ln)], res[("peer", "tx", ln)]
        rr = [a["fps"] / b["fps"] for a, b in zip(o, p) if b["fps"] > 0]
        if rr:
            pr.append("%d B: %s (median **%.2f**)" % (ln, " ".join("%.2f" % x for x in rr),
                                                     statistics.median(rr)))
    if pr:
        L.append("Ratio within each round (ours / the peer run right after it): "
                 + "; ".join(pr) + ".")
        L.append("")
    L.append("### TX again, with a counter that cannot preempt")
    L.append("")
    L.append("Each round also runs both systems at %d B with the host counter's thread switched "
             "to `SCHED_BATCH`. The counter is normally an ordinary thread woken by each datagram "
             "QEMU sends, and Linux lets a woken thread preempt the one that woke it: QEMU's "
             "main loop, or a vCPU sharing its core. As `SCHED_BATCH` it waits for a free core "
             "instead. Nothing else changes, and the host still counts every frame." % QUIET_LEN)
    L.append("")
    L.append("| LEN | ours frames/s | peer frames/s | ours / peer | host saw ours / peer | "
             "ours runs | peer runs | ratio within each round |")
    L.append("|---|---|---|---|---|---|---|---|")
    o, p = res[("ours", "txq", QUIET_LEN)], res[("peer", "txq", QUIET_LEN)]
    mo, mp = med(o), med(p)
    rr = [a["fps"] / b["fps"] for a, b in zip(o, p) if b["fps"] > 0]
    L.append("| %d | %s | %s | %s | %s / %s | %s | %s | %s |"
             % (QUIET_LEN, "%.0f" % mo if mo else "not measured",
                "%.0f" % mp if mp else "not measured",
                "**%.2f**" % (mo / mp) if mo and mp else "-",
                "%.0f" % med(o, "host_fps") if o else "-",
                "%.0f" % med(p, "host_fps") if p else "-", fmt_runs(o), fmt_runs(p),
                " ".join("%.2f" % x for x in rr) + (" (median %.2f)" % statistics.median(rr))
                if rr else "-"))
    L.append("")
    L.append("Host CPU while each guest blasted, in percent of one core (median over the runs; "
             "the window is the blast command from send to result): QEMU's main loop (virtio-net "
             "TX and the backend's `sendto()`), its vCPU thread, and the host counter.")
    L.append("")
    L.append("| run | ours: main loop / vCPU / counter | peer: main loop / vCPU / counter |")
    L.append("|---|---|---|")

    def cpus(rs):
        cs = [r["cpu"] for r in rs if r.get("cpu")]
        if not cs:
            return "-"
        return " / ".join("%.0f" % statistics.median(c[k] for c in cs)
                          for k in ("main", "vcpu", "counter"))
    for d, ln, what in [("tx", l, "%d B" % l) for l in SIZES] + [
            ("txq", QUIET_LEN, "%d B, counter SCHED_BATCH" % QUIET_LEN)]:
        L.append("| %s | %s | %s |" % (what, cpus(res[("ours", d, ln)]),
                                       cpus(res[("peer", d, ln)])))
    L.append("")
    lost = []
    for ln in SIZES:
        for sysn in ("ours", "peer"):
            for r in res[(sysn, "tx", ln)] + res[(sysn, "txq", ln)]:
                if r["host"] != r["frames"]:
                    lost.append("%s %d B: sent %d, host counted %d%s"
                                % (sysn, ln, r["frames"], r["host"],
                                   " (host UDP RcvbufErrors +%d)" % r["sockdrop"]
                                   if r.get("sockdrop") is not None else ""))
    if lost:
        L.append("Frames the host counter did not see (QEMU's or the host socket's drops, or "
                 "the Python counter falling behind): " + "; ".join(lost[:8])
                 + ("; ..." if len(lost) > 8 else "") + ".")
    else:
        L.append("The host counted every frame each guest said it sent.")
    L.append("")
    L.append("Copies on our TX path (netstat deltas over the run divided by frames sent; "
             "blast's own `copied` figure is copy_payload_bytes):")
    L.append("")
    L.append("| LEN | copy_payload_bytes / frame | copy_bytes / frame | blast `copied` (bytes, each run) |")
    L.append("|---|---|---|---|")
    for ln in SIZES:
        o = res[("ours", "tx", ln)]
        pp, cb = med(o, "payload_per_frame"), med(o, "copy_per_frame")
        L.append("| %d | %s | %s | %s |"
                 % (ln, "%.2f" % pp if pp is not None else "-",
                    "%.2f" % cb if cb is not None else "-",
                    " ".join(str(r["copied"]) for r in o if r["copied"] is not None) or "-"))
    L.append("")
    L.append("### RX (host to guest)")
    L.append("")
    L.append("The host sends N Ethernet/IPv4/UDP frames to 10.0.2.15:9000 (our MAC) from one "
             "Python loop, one `sendto` per frame, as fast as it can, while our `sink N 9000` "
             "counts them; sink stops at N frames or after 5 s without one. The Linux peer has "
             "no raw-frame sink, so this direction is ours alone; the host's send rate is the "
             "ceiling of this set-up.")
    L.append("")
    L.append("| LEN | sink frames/s (Mbit/s) | host send frames/s | received / sent | "
             "dropped at QEMU's socket | copy_payload_bytes / frame | copy_bytes / frame | N | "
             "sink runs | host runs |")
    L.append("|---|---|---|---|---|---|---|---|---|---|")
    for ln in SIZES:
        o = res[("ours", "rx", ln)]
        if not o:
            L.append("| %d | not measured | - | - | - | - | - | - | - | - |" % ln)
            continue
        sd = [r["sockdrop"] for r in o if r.get("sockdrop") is not None]
        got = sum(r["frames"] for r in o)
        sent = sum(r["n"] for r in o)
        pp, cb = med(o, "payload_per_frame"), med(o, "copy_per_frame")
        L.append("| %d | %.0f (%.1f) | %.0f | %.1f %% | %s | %s | %s | %s | %s | %s |"
                 % (ln, med(o), med(o, "mbps"), med(o, "send_fps"), 100.0 * got / sent,
                    "%.1f %%" % (100.0 * sum(sd) / sent) if sd else "-",
                    "%.2f" % pp if pp is not None else "-",
                    "%.2f" % cb if cb is not None else "-",
                    ncfg.get(("ours", "rx", ln), "-"), fmt_runs(o), fmt_runs(o, "send_fps")))
    L.append("")
    rf = ["%d B: %s" % (ln, " ".join(str(r["drop_ringfull"]) for r in res[("ours", "rx", ln)]))
          for ln in SIZES if any(r.get("drop_ringfull") is not None for r in res[("ours", "rx", ln)])]
    if rf:
        L.append("Frames our kernel dropped because sink's RX queue was full (rx_drop_ringfull, "
                 "each run): %s. The rest of the difference was dropped before the guest: "
                 "the host outruns what QEMU takes off its socket, so that socket's buffer "
                 "overflows (the column above counts the host's UDP RcvbufErrors)." % "; ".join(rf))
        L.append("")
    if notes:
        for k in sorted(notes):
            L.append("- %s: not measured: %s" % (k, shown(notes[k])))
        L.append("")
    L.append("Commands: `make bench` runs `/usr/bin/python3 scripts/bench_raw.py%s` after the "
             "boot benchmark. Ours: `make -s print-qemu NET=dgram NET_LPORT=.. NET_RPORT=.. "
             "CPUS=1`, then at its shell `netstat`, `blast N LEN 10.0.2.2 9`, `netstat`, "
             "`sink N 9000`. Peer: `DGRAM_QEMU_PORT=.. DGRAM_HOST_PORT=.. %s/run.sh dgram`, then "
             "the UDP datagram `blast N LEN ring` to 10.0.2.15:9999 (built with scapy, sent as "
             "one frame to QEMU's socket; the host answers the peer's ARP for 10.0.2.2). "
             "Whole run %.0f s."
             % (" " + " ".join(args.argv) if args.argv else "", shown(PEER), elapsed))
    L.append("")
    L.append(host_line(load) + " The two guests never ran together; the host's counter "
             "and sender ran in this script. Beside it: %s."
             % ("no other QEMU (sampled before each run)" if not others else
                "%d other QEMU process%s (other benchmarks or tests, sampled before each run), "
                "so the spread between runs is partly theirs; the alternation keeps the ratio "
                "fair" % (others, "" if others == 1 else "es")))
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser(description="raw-frame benchmark, ours vs the Linux peer")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=3.0, help="target length of one run")
    ap.add_argument("--frames", type=int, help="fixed N for every run (no calibration)")
    ap.add_argument("--budget", type=float, default=1200, help="seconds for the whole benchmark")
    ap.add_argument("--quick", action="store_true", help="1 round of about 1 s runs")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--no-ours", action="store_true")
    ap.add_argument("--no-write", action="store_true",
                    help="print the section instead of updating docs/performance.md")
    args = ap.parse_args()
    args.argv = sys.argv[1:]
    if args.quick:
        args.rounds, args.seconds = 1, 1.0

    load0 = os.getloadavg()[0]
    t_start = time.monotonic()
    deadline = t_start + args.budget
    res = {(s, d, ln): [] for s in ("ours", "peer") for d in ("tx", "rx", "txq") for ln in SIZES}
    ncfg = {}
    notes = {}
    if args.frames:
        for k in res:
            ncfg[k] = args.frames
    scapy()

    use_peer = not args.no_peer
    if use_peer and not peer_built():
        notes["Linux peer"] = "not built in %s (run %s/build.sh)" % (shown(PEER_BUILD), shown(PEER))
        use_peer = False
    use_ours = not args.no_ours
    if args.no_peer:
        notes["Linux peer"] = "skipped (--no-peer)"
    if args.no_ours:
        notes["ours"] = "skipped (--no-ours)"

    hport, qours, qpeer = free_ports(3)
    wire = Wire(hport)
    tmp = tempfile.TemporaryDirectory(prefix="bench-raw-")
    ours = None
    if use_ours:
        try:
            ours = Ours(tmp.name, wire, qours)
        except (Skip, FileNotFoundError, subprocess.SubprocessError) as e:
            notes["ours"] = str(e)
            use_ours = False
    peer = Peer(wire, qpeer) if use_peer else None

    beside = set()

    def sample():
        mine = {o.pid for o in (ours and ours.g, peer and peer.child) if o}
        beside.update(other_qemus(mine))

    def tx_runs(sysobj, rnd):
        for ln in SIZES:
            key = (sysobj.name, "tx", ln)
            if key not in ncfg:
                # Two short runs, the faster one counts: the first run after
                # a boot is often slow, and a low guess makes short runs.
                fps = max(sysobj.tx(20000, ln)["fps"] for _ in range(2))
                ncfg[key] = pick_n(fps, args.seconds)
                print("bench_raw: %s TX %d B calibration %.0f frames/s -> N=%d"
                      % (sysobj.name, ln, fps, ncfg[key]), flush=True)
            sample()
            r = sysobj.tx(ncfg[key], ln)
            res[key].append(r)
            print("bench_raw: round %d %s TX %d B: %.0f frames/s %.1f Mbit/s, host saw %d at "
                  "%.0f frames/s%s" % (rnd, sysobj.name, ln, r["fps"], r["mbps"], r["host"],
                                       r["host_fps"],
                                       ", copy/frame %s payload/frame %s" % (
                                           r.get("copy_per_frame"), r.get("payload_per_frame"))
                                       if sysobj.name == "ours" else ""), flush=True)
        # The same run once more with the counter unable to preempt QEMU.
        key = (sysobj.name, "txq", QUIET_LEN)
        sample()
        wire.quiet(True)
        try:
            r = sysobj.tx(ncfg[(sysobj.name, "tx", QUIET_LEN)], QUIET_LEN)
        finally:
            wire.quiet(False)
        res[key].append(r)
        print("bench_raw: round %d %s TX %d B, quiet counter: %.0f frames/s, host saw %d"
              % (rnd, sysobj.name, QUIET_LEN, r["fps"], r["host"]), flush=True)

    def rx_runs(rnd):
        for ln in SIZES:
            key = ("ours", "rx", ln)
            if key in notes_rx:
                continue
            try:
                if ours.hung:   # a failed run left the console out of step
                    ours.close()
                    ours.start()
                if key not in ncfg:
                    cal = ours.rx(20000, ln)
                    ncfg[key] = pick_n(cal["send_fps"], args.seconds)
                    print("bench_raw: ours RX %d B calibration: host %.0f frames/s, sink %.0f"
                          " -> N=%d" % (ln, cal["send_fps"], cal["fps"], ncfg[key]), flush=True)
                sample()
                r = ours.rx(ncfg[key], ln)
            except Skip as e:
                notes_rx[key] = str(e)
                notes["ours RX %d B" % ln] = str(e)
                continue
            res[key].append(r)
            print("bench_raw: round %d ours RX %d B: sink %d/%d frames, %.0f frames/s, host sent "
                  "%.0f frames/s" % (rnd, ln, r["frames"], r["n"], r["fps"], r["send_fps"]),
                  flush=True)

    notes_rx = {}
    try:
        for rnd in range(1, args.rounds + 1):
            if time.monotonic() > deadline:
                notes["rounds"] = "budget of %.0f s spent after %d rounds" % (args.budget, rnd - 1)
                break
            if use_ours:
                try:
                    ours.start()
                    if "ours TX" not in notes:
                        try:
                            tx_runs(ours, rnd)
                        except Skip as e:
                            notes["ours TX"] = str(e)
                        if ours.hung:   # a fresh boot for RX
                            ours.close()
                            ours.start()
                    rx_runs(rnd)
                except Skip as e:
                    notes["ours"] = str(e)
                finally:
                    ours.close()
                if "ours" in notes or ("ours TX" in notes and len(notes_rx) == len(SIZES)):
                    use_ours = False
            if use_peer and time.monotonic() < deadline:
                try:
                    peer.start()
                    tx_runs(peer, rnd)
                except Skip as e:
                    notes["Linux peer"] = str(e)
                    use_peer = False
                finally:
                    peer.close()
    finally:
        if ours is not None:
            ours.close()
        if peer is not None:
            peer.close()
        wire.close()
        tmp.cleanup()

    load = (load0, os.getloadavg()[0])
    text = section(res, notes, args, ncfg, load, time.monotonic() - t_start, len(beside))
    print(text)
    if not args.no_write:
        write_section(HEADING, text)
        print("bench_raw: updated docs/performance.md")


if __name__ == "__main__":
    main()
