#!/usr/bin/python3
"""libnet round trips: our stack against the Linux peer on the same
emulated machine (one hart each, 128 MiB, TCG), measured in one run with
the two systems alternating boot by boot (ours, peer, ours, peer, ...).

  icmp  ICMP echo round trip TO the guest over the dgram netdev: this
        script is the host end (a UDP socket on 127.0.0.1; every guest
        frame is one datagram). It sends an echo request to 10.0.2.15
        (MAC 52:54:00:12:34:56, both guests use it), one at a time, and
        times each reply with time.perf_counter_ns(); it answers the
        guest's ARP requests for 10.0.2.2. Ours: netd answers; the peer:
        its kernel. Median per boot.
  udp   UDP echo over slirp (NET=user): host 127.0.0.1:P -> guest udp/7.
        Ours runs `udpecho -l 7` at its console; the peer's init serves
        udp/7 (run.sh user, ECHO_PORT=P). N round trips of 32 bytes one at
        a time (median RTT, round trips per second), then a burst run
        with WINDOW datagrams in flight (echoes per second).
  ping  `ping -c N -i 0.2 10.0.2.2` at our console on NET=user (slirp
        answers ICMP for its own address itself), and the same to our own
        address 10.0.2.15 (netd, over the kernel's loopback). Ours only:
        the peer's control port has no ping command.

Each round boots: ours on dgram, the peer on dgram, ours on user (ping,
then udpecho), the peer on user. Medians over the per-boot medians. The
kernel and fs.img are copied once at the start, so a rebuild by someone
else during the run changes nothing. Everything is bounded (a timeout on
every wait, --budget for the whole run); every QEMU is stopped by the PID
this script spawned, in a finally. Traffic stays on 127.0.0.1 and the
guests' own emulated networks. Whatever cannot be measured becomes
"not measured: <reason>" in the section "## libnet round trips" of
docs/performance.md (other sections are kept).

usage: scripts/bench_libnet.py [--rounds N] [--quick] [--no-peer] [--no-write]
"""
import argparse
import os
import re
import shlex
import shutil
import socket
import statistics
import struct
import sys
import tempfile
import time

import pexpect

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "pcap-tests"))
from benchlib import (PEER, PEER_BUILD, free_ports, host_line, peer_built,  # noqa: E402
                      shown, stop, write_section)
from qemu import BUILD, Guest, copy_image  # noqa: E402

HEADING = "libnet round trips"
GUEST_IP = "10.0.2.15"
HOST_IP = "10.0.2.2"
GUEST_MAC = bytes.fromhex("525400123456")    # ours (QEMU's default) and run.sh's
HOST_MAC = bytes.fromhex("52550a000202")     # what slirp calls itself; any unicast MAC does
ICMP_PAYLOAD = 56                            # ping's default
UDP_PAYLOAD = 32
ECHO_ID = 0x4c4e                             # "LN"
WINDOW = 8                                   # datagrams in flight in the burst run
PING_RE = r"rtt min/avg/max/mdev = ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms"
PING_TARGETS = (HOST_IP, GUEST_IP)


class Skip(Exception):
    """One system or metric cannot be measured; the message says why."""


def why(e):
    """A harness failure in one line, with the console's last two lines."""
    lines = [l.strip() for l in str(e).splitlines() if l.strip()]
    if not lines:
        return "?"
    first = re.sub(r";? *console ends:$", "", lines[0])
    tail = [l for l in lines[1:] if not l.startswith("# qemu")][-2:]
    return first + (" (console ends: %s)" % " | ".join(tail) if tail else "")


# --- frames, built by hand (no scapy: faster to start, nothing to import) ---

def cksum(b):
    if len(b) & 1:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(proto, src, dst, payload, ident=0):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    h = h[:10] + struct.pack("!H", cksum(h)) + h[12:]
    return h + payload


def echo_request(seq):
    data = bytes((i + seq) & 0xff for i in range(ICMP_PAYLOAD))
    ic = struct.pack("!BBHHH", 8, 0, 0, ECHO_ID, seq) + data
    ic = ic[:2] + struct.pack("!H", cksum(ic)) + ic[4:]
    return GUEST_MAC + HOST_MAC + b"\x08\x00" + ipv4(1, HOST_IP, GUEST_IP, ic, seq)


def arp_reply_to(req):
    """The reply to an ARP request (bytes of a frame) for HOST_IP, or None."""
    if len(req) < 42 or req[12:14] != b"\x08\x06" or req[20:22] != b"\x00\x01":
        return None
    if req[38:42] != socket.inet_aton(HOST_IP):
        return None
    smac, sip = req[22:28], req[28:32]
    arp = (struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + HOST_MAC + socket.inet_aton(HOST_IP)
           + smac + sip)
    return smac + HOST_MAC + b"\x08\x06" + arp + bytes(18)


def is_echo_reply(f, seq):
    if len(f) < 42 or f[12:14] != b"\x08\x00" or f[23] != 1:
        return False
    ihl = (f[14] & 15) * 4
    o = 14 + ihl
    if f[26:30] != socket.inet_aton(GUEST_IP) or len(f) < o + 8:
        return False
    t, _, _, ident, sq = struct.unpack("!BBHHH", f[o:o + 8])
    return t == 0 and ident == ECHO_ID and sq == seq


class Wire:
    """The host end of a dgram netdev: our socket on 127.0.0.1:hport,
    QEMU's on 127.0.0.1:qport (set per boot). Single-threaded: the ping
    loop reads every frame and answers ARP requests for 10.0.2.2 itself."""

    def __init__(self, hport):
        self.hport = hport
        self.qport = None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind(("127.0.0.1", hport))
        self.arps = 0

    def send(self, frame):
        self.sock.sendto(frame, ("127.0.0.1", self.qport))

    def recv(self, timeout):
        self.sock.settimeout(max(timeout, 0.0001))
        try:
            return self.sock.recv(4096)
        except socket.timeout:
            return None

    def drain(self):
        while True:
            f = self.recv(0.001)
            if f is None:
                return
            self._arp(f)

    def _arp(self, f):
        r = arp_reply_to(f)
        if r is not None:
            self.send(r)
            self.arps += 1
            return True
        return False

    def ping(self, seq, timeout=1.0):
        """One echo request; its round trip in ns, or None if lost."""
        frame = echo_request(seq)
        t0 = time.perf_counter_ns()
        self.send(frame)
        end = t0 + int(timeout * 1e9)
        while True:
            left = (end - time.perf_counter_ns()) / 1e9
            if left <= 0:
                return None
            f = self.recv(left)
            if f is None:
                return None
            if is_echo_reply(f, seq):
                return time.perf_counter_ns() - t0
            self._arp(f)

    def close(self):
        self.sock.close()


def icmp_run(wire, n, warm):
    """warm untimed pings (ARP, caches), then n timed; the per-boot result."""
    wire.drain()
    ok = False
    for i in range(warm):
        if wire.ping(60000 + i, timeout=2.0 if not ok else 1.0) is not None:
            ok = True
    if not ok:
        raise Skip("no echo reply to %d warm-up requests" % warm)
    rtts, lost = [], 0
    for seq in range(1, n + 1):
        r = wire.ping(seq)
        if r is None:
            lost += 1
        else:
            rtts.append(r / 1000.0)
    if not rtts:
        raise Skip("all %d echo requests lost" % n)
    return {"med": statistics.median(rtts), "min": min(rtts), "max": max(rtts),
            "lost": lost, "n": n}


# --- UDP echo over slirp ----------------------------------------------------

def udp_run(port, n, bursts, warm):
    """n one-at-a-time round trips to 127.0.0.1:port, then a burst run of
    `bursts` datagrams with WINDOW in flight."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("127.0.0.1", port))
        pad = bytes(UDP_PAYLOAD - 8)
        ok = False
        for i in range(warm):      # slirp makes its socket on the first datagram
            s.settimeout(2.0 if not ok else 0.5)
            s.send(struct.pack("!Q", 1 << 62 | i) + pad)
            try:
                while True:
                    d = s.recv(2048)
                    if d[:8] == struct.pack("!Q", 1 << 62 | i):
                        ok = True
                        break
            except socket.timeout:
                pass
        if not ok:
            raise Skip("no echo from 127.0.0.1:%d in %d tries" % (port, warm))
        rtts, lost = [], 0
        s.settimeout(1.0)
        t_all = time.perf_counter_ns()
        for seq in range(n):
            tag = struct.pack("!Q", seq)
            t0 = time.perf_counter_ns()
            s.send(tag + pad)
            try:
                while True:
                    d = s.recv(2048)
                    if d[:8] == tag:
                        rtts.append((time.perf_counter_ns() - t0) / 1000.0)
                        break
            except socket.timeout:
                lost += 1
        dt = (time.perf_counter_ns() - t_all) / 1e9
        if not rtts:
            raise Skip("all %d datagrams lost" % n)
        r = {"med": statistics.median(rtts), "min": min(rtts), "lost": lost, "n": n,
             "rps": len(rtts) / dt}
        r.update(burst(s, bursts, pad))
        return r
    finally:
        s.close()


def burst(s, total, pad):
    """WINDOW datagrams in flight: send one more for every echo back.
    Echoes per second, and how many never came back (0.5 s quiet ends it)."""
    sent = got = 0
    s.settimeout(0.5)
    t0 = time.perf_counter_ns()
    last = t0
    while sent < min(WINDOW, total):
        s.send(struct.pack("!Q", 1 << 61 | sent) + pad)
        sent += 1
    while got < total:
        try:
            s.recv(2048)
        except socket.timeout:
            if sent >= total:
                break
            # Lost ones: refill the window rather than stall.
            for _ in range(min(WINDOW, total - sent)):
                s.send(struct.pack("!Q", 1 << 61 | sent) + pad)
                sent += 1
            continue
        got += 1
        last = time.perf_counter_ns()
        if sent < total:
            s.send(struct.pack("!Q", 1 << 61 | sent) + pad)
            sent += 1
    dt = (last - t0) / 1e9
    return {"burst_rps": got / dt if dt > 0 and got else 0.0, "burst_lost": total - got,
            "burst_n": total}


# --- the two systems ----------------------------------------------------------

def snapshot(tmp, symbols=False):
    """A copy of what a run boots, in tmp/snap, so that a rebuild during
    the run changes nothing: the kernel and the disk image (sparse); with
    symbols, also the kernel's and programs' .debug files, by which
    scripts/prof_tcp.py names addresses. Raises OSError without a build."""
    snap = os.path.join(tmp, "snap")
    os.makedirs(os.path.join(snap, "kernel"), exist_ok=True)
    shutil.copyfile(os.path.join(BUILD, "kernel", "kernel"), os.path.join(snap, "kernel", "kernel"))
    copy_image(snap)
    if symbols:
        shutil.copytree(os.path.join(BUILD, "apps"), os.path.join(snap, "apps"),
                        ignore=shutil.ignore_patterns("*.o", "*.d", "_*"))
    return snap


def snapshot_or_exit(script):
    """A temporary directory holding a snapshot() of the build, and the
    snapshot's path; without a build, say so as script and exit 1."""
    tmp = tempfile.TemporaryDirectory(prefix=script.replace("_", "-") + "-")
    try:
        return tmp, snapshot(tmp.name)
    except OSError as e:
        print("%s: no build to measure (%s); run make first" % (script, e), file=sys.stderr)
        tmp.cleanup()
        sys.exit(1)


def want_peer(no_peer, notes):
    """Whether to boot the Linux peer; if not, why, in notes."""
    if no_peer:
        notes["Linux peer"] = "skipped (--no-peer)"
        return False
    if not peer_built():
        notes["Linux peer"] = "not built in %s (run %s/build.sh)" % (shown(PEER_BUILD), shown(PEER))
        return False
    return True


class Ours:
    """Our kernel from a snapshot of build/, one hart, console on a pty."""
    name = "ours"

    def __init__(self, snap, tmp):
        self.snap = snap
        self.tmp = tmp
        self.g = None
        self.argv = None

    def start(self, net, makevars, logname):
        img = os.path.join(self.tmp, "boot.img")
        copy_image(self.tmp, "boot.img", src=os.path.join(self.snap, "fs.img"))
        mv = dict(makevars, B=self.snap)
        self.g = Guest(img, cpus=1, net=net, makevars=mv,
                       log=os.path.join(BUILD, "test-logs", logname))
        self.argv = self.g.argv
        try:
            self.g.boot(timeout=60)
        except AssertionError as e:
            raise Skip("our kernel did not boot: %s" % why(e))

    def ping(self, target, count):
        cmd = "ping -c %d -i 0.2 %s" % (count, target)
        try:
            out = self.g.run(cmd, timeout=30 + count)
        except AssertionError as e:
            raise Skip("`%s` did not return to the prompt: %s" % (cmd, why(e)))
        m = re.search(PING_RE, out)
        if not m:
            raise Skip("`%s` printed %r" % (cmd, out.strip()[-160:]))
        times = [float(t) for t in re.findall(r"time=([\d.]+) ms", out)]
        tr = re.search(r"(\d+) packets transmitted, (\d+) received", out)
        return {"min": float(m.group(1)), "avg": float(m.group(2)), "max": float(m.group(3)),
                "mdev": float(m.group(4)), "med": statistics.median(times) if times else None,
                "sent": int(tr.group(1)) if tr else count,
                "recv": int(tr.group(2)) if tr else len(times)}

    def udpecho(self):
        self.g.sendline("udpecho -l 7")
        try:
            self.g.expect(r"udpecho: listening on 7\r?\n|udpecho: [^\r\n]*\r?\n|\$ ", timeout=20,
                          what="udpecho to listen")
        except AssertionError as e:
            raise Skip("`udpecho -l 7` did not start: %s" % why(e))
        if "listening" not in self.g.child.after:
            raise Skip("`udpecho -l 7` printed %r" % self.g.child.after.strip())

    def close(self):
        if self.g is not None:
            self.g.close()      # by the PID it spawned
            self.g = None


class Peer:
    """The Linux peer (run.sh, which execs QEMU: its PID is QEMU's)."""
    name = "peer"

    def __init__(self):
        self.child = None
        self.logf = None
        self.cmd = None

    def start(self, mode, env_extra, logname):
        env = dict(os.environ, **{k: str(v) for k, v in env_extra.items()})
        log = os.path.join(BUILD, "test-logs", logname)
        os.makedirs(os.path.dirname(log), exist_ok=True)
        self.logf = open(log, "w")
        self.cmd = " ".join("%s=%s" % kv for kv in sorted(env_extra.items())) + \
            " %s/run.sh %s" % (shown(PEER), mode)
        self.child = pexpect.spawn(os.path.join(PEER, "run.sh"), [mode], env=env,
                                   encoding="utf-8", codec_errors="replace", echo=False,
                                   timeout=60)
        self.child.logfile_read = self.logf
        try:
            self.child.expect(r"READY", timeout=90)
        except (pexpect.TIMEOUT, pexpect.EOF):
            raise Skip("the peer printed no READY: %r" % (self.child.before or "")[-200:])

    def close(self):
        if self.child is not None:
            stop(self.child)   # run.sh execs QEMU: this PID is QEMU's
            self.child = None
        if self.logf:
            self.logf.close()
            self.logf = None


def usable_ports(n):
    """n host ports free for both UDP and TCP on 127.0.0.1, from benchlib's
    uid/pid-derived list."""
    out = []
    for p in free_ports(8 * n):
        ok = True
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, kind)
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            out.append(p)
            if len(out) == n:
                return out
    raise RuntimeError("no %d free host ports" % n)


# --- the section --------------------------------------------------------------

def med(rs, key="med"):
    vals = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def runs(rs, key="med", fmt="%.0f"):
    return " ".join(fmt % r[key] for r in rs if r.get(key) is not None) or "-"


def ratio(o, p):
    return "**%.2f**" % (o / p) if o and p else "-"


def cell(v, fmt="%.0f", unit=""):
    return (fmt % v) + unit if v is not None else "not measured"


def section(res, notes, args, cmds, load, elapsed):
    L = ["## " + HEADING, ""]
    L.append("Round trips through our libnet stack against the Linux peer's kernel on the same "
             "emulated machine (`-machine virt`, one hart, 128 MiB, TCG, virtio-net on "
             "`virtio-mmio-bus.1`, the same netdev backends). The runs **alternated**: each of "
             "%d rounds boots ours on dgram, the peer on dgram, ours on user (slirp), the peer "
             "on user, each stopped before the next starts, so the two systems see the same "
             "host load and never run beside each other. Each cell is the median of the "
             "per-boot medians; the per-boot figures follow it." % args.rounds)
    L.append("")

    o, p = res["ours"]["icmp"], res["peer"]["icmp"]
    L.append("### ICMP echo to the guest (dgram netdev)")
    L.append("")
    L.append("The host (this script) sends an echo request (%d data bytes) to 10.0.2.15 as one "
             "datagram to QEMU's socket, waits for the reply, then sends the next: %d timed per "
             "boot after %d untimed. The round trip is `time.perf_counter_ns()` around it, so it "
             "includes the host's Python and QEMU's socket handling on both ends. Ours: `netd` "
             "answers (libnet over the kernel's network channel); the peer: Linux's ICMP."
             % (ICMP_PAYLOAD, args.icmp_n, args.warm))
    L.append("")
    L.append("| | ours | Linux peer | ours / peer |")
    L.append("|---|---|---|---|")
    L.append("| median RTT (µs) | %s | %s | %s |"
             % (cell(med(o)), cell(med(p)), ratio(med(o), med(p))))
    L.append("| per-boot medians (µs) | %s | %s | |" % (runs(o), runs(p)))
    L.append("| per-boot minimum (µs) | %s | %s | |" % (runs(o, "min"), runs(p, "min")))
    L.append("| lost (each boot) | %s | %s | |" % (runs(o, "lost", "%d"), runs(p, "lost", "%d")))
    L.append("")
    L.append("The two paths differ in kind: Linux answers an echo request in its softirq, with no "
             "process woken; ours wakes `netd`, a user process, whose one `netsync` per echo both "
             "sends the reply and waits for the next request. The UDP echo below, where both "
             "systems wake a user process, is the like-for-like comparison. Per-boot medians of "
             "either system can differ twofold from one boot to the next on this shared host; "
             "only the ratio of the medians, over boots that alternate, means much.")
    L.append("")

    o, p = res["ours"]["udp"], res["peer"]["udp"]
    L.append("### UDP echo over slirp (user netdev)")
    L.append("")
    L.append("A connected host UDP socket to 127.0.0.1:P, forwarded by slirp to the guest's "
             "udp/7: %d round trips of %d bytes, one at a time, after %d untimed; then a burst "
             "run: %d datagrams with %d in flight (one more sent for each echo back). Ours: "
             "`udpecho -l 7` started at the console; the peer: its init's udp/7 echo."
             % (args.udp_n, UDP_PAYLOAD, args.warm, args.burst_n, WINDOW))
    L.append("")
    L.append("| | ours | Linux peer | ours / peer | ours per boot | peer per boot |")
    L.append("|---|---|---|---|---|---|")
    L.append("| median RTT (µs) | %s | %s | %s | %s | %s |"
             % (cell(med(o)), cell(med(p)), ratio(med(o), med(p)), runs(o), runs(p)))
    L.append("| round trips/s, one at a time | %s | %s | %s | %s | %s |"
             % (cell(med(o, "rps")), cell(med(p, "rps")), ratio(med(o, "rps"), med(p, "rps")),
                runs(o, "rps"), runs(p, "rps")))
    L.append("| echoes/s, %d in flight | %s | %s | %s | %s | %s |"
             % (WINDOW, cell(med(o, "burst_rps")), cell(med(p, "burst_rps")),
                ratio(med(o, "burst_rps"), med(p, "burst_rps")),
                runs(o, "burst_rps"), runs(p, "burst_rps")))
    L.append("| lost one-at-a-time / burst (each boot) | | | | %s / %s | %s / %s |"
             % (runs(o, "lost", "%d"), runs(o, "burst_lost", "%d"),
                runs(p, "lost", "%d"), runs(p, "burst_lost", "%d")))
    L.append("")
    L.append("For RTT a ratio above 1 means we are slower; for the rates, below 1. Round trips/s "
             "is the count over the run's wall time, so it follows the mean RTT, tail included, "
             "where the median does not.")
    L.append("")

    L.append("### ping from the guest (ours only)")
    L.append("")
    L.append("`ping -c %d -i 0.2 HOST` at our console on the user netdev (apps/ping.c, times "
             "from the guest's clock). 10.0.2.2 is slirp itself: it answers echo requests to its "
             "own address inside QEMU, so no packet leaves the host (as root here, and "
             "`net.ipv4.ping_group_range` is `%s`, which would matter only for other "
             "addresses). 10.0.2.15 is our own address: the request goes through the kernel's "
             "loopback to `netd` and back. Not measured for the Linux peer: its init has no ping "
             "(its control port knows `stat`, `blast`, `poweroff`)."
             % (args.ping_n, ping_group_range()))
    L.append("")
    L.append("| target | median of per-boot avg (ms) | per-boot min/avg/max (ms) | "
             "per-boot median of replies (ms) | received / sent |")
    L.append("|---|---|---|---|---|")
    for t in PING_TARGETS:
        rs = res["ours"]["ping " + t]
        if not rs:
            L.append("| %s | not measured | - | - | - |" % t)
            continue
        L.append("| %s | %.3f | %s | %s | %d / %d |"
                 % (t, med(rs, "avg"),
                    " ".join("%.3f/%.3f/%.3f" % (r["min"], r["avg"], r["max"]) for r in rs),
                    runs(rs, "med", "%.3f"), sum(r["recv"] for r in rs),
                    sum(r["sent"] for r in rs)))
    L.append("")

    if notes:
        for k in sorted(notes):
            L.append("- %s: not measured: %s" % (k, shown(notes[k])))
        L.append("")
    L.append("Commands: `make bench` runs `/usr/bin/python3 scripts/bench_libnet.py%s` after the "
             "other benchmarks (`--quick` for one short round). Whole run %.0f s. `$TMP` is "
             "the run's temporary directory, with its copy of `build/kernel/kernel` and "
             "`build/fs.img`."
             % (" " + " ".join(args.argv) if args.argv else "", elapsed))
    for k in ("ours dgram", "peer dgram", "ours user", "peer user"):
        if k in cmds:
            L.append("- %s: `%s`" % (k, cmds[k]))
    L.append("- ours at its console (user boot): `%s`, `%s`, then `udpecho -l 7`"
             % tuple("ping -c %d -i 0.2 %s" % (args.ping_n, t) for t in PING_TARGETS))
    L.append("")
    L.append(host_line(load) + " Other work on the host (other sessions' builds and tests) may "
             "have run beside it; the alternation is what makes the ratio fair.")
    return "\n".join(L) + "\n"


def ping_group_range():
    try:
        with open("/proc/sys/net/ipv4/ping_group_range") as f:
            return " ".join(f.read().split())
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser(description="libnet round trips, ours vs the Linux peer")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--icmp-n", type=int, default=100)
    ap.add_argument("--udp-n", type=int, default=1000)
    ap.add_argument("--burst-n", type=int, default=2000)
    ap.add_argument("--ping-n", type=int, default=20)
    ap.add_argument("--warm", type=int, default=10)
    ap.add_argument("--budget", type=float, default=900, help="seconds for the whole run")
    ap.add_argument("--quick", action="store_true", help="1 round, fewer round trips")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--no-write", action="store_true",
                    help="print the section instead of updating docs/performance.md")
    args = ap.parse_args()
    args.argv = sys.argv[1:]
    if args.quick:
        args.rounds, args.icmp_n, args.udp_n, args.burst_n, args.ping_n = 1, 30, 200, 400, 5

    load0 = os.getloadavg()[0]
    t_start = time.monotonic()
    deadline = t_start + args.budget
    res = {s: {"icmp": [], "udp": []} for s in ("ours", "peer")}
    for t in PING_TARGETS:
        res["ours"]["ping " + t] = []
    notes, cmds = {}, {}

    use_peer = want_peer(args.no_peer, notes)

    tmp, snap = snapshot_or_exit("bench_libnet")

    hport, q_ours, q_peer, u_ours, u_echo, u_http, u_src, u_sink, u_ctl = usable_ports(9)
    wire = Wire(hport)
    ours, peer = Ours(snap, tmp.name), Peer()
    skip = set()        # metric keys given up on

    def note(key, e):
        notes[key] = str(e)
        skip.add(key)
        print("bench_libnet: %s: not measured: %s" % (key, e), flush=True)

    def ours_dgram(rnd):
        if "ours icmp" in skip:
            return
        try:
            ours.start("dgram", {"NET_LPORT": q_ours, "NET_RPORT": hport}, "bench-libnet-ours.log")
            cmds["ours dgram"] = shown(" ".join(shlex.quote(a) for a in ours.argv))
            wire.qport = q_ours
            r = icmp_run(wire, args.icmp_n, args.warm)
            res["ours"]["icmp"].append(r)
            print("bench_libnet: round %d ours ICMP median %.0f us (min %.0f, lost %d)"
                  % (rnd, r["med"], r["min"], r["lost"]), flush=True)
        except Skip as e:
            note("ours icmp", e)
        finally:
            ours.close()

    def peer_dgram(rnd):
        if "peer icmp" in skip:
            return
        try:
            peer.start("dgram", {"DGRAM_QEMU_PORT": q_peer, "DGRAM_HOST_PORT": hport},
                       "bench-libnet-peer.log")
            cmds["peer dgram"] = peer.cmd
            wire.qport = q_peer
            r = icmp_run(wire, args.icmp_n, args.warm)
            res["peer"]["icmp"].append(r)
            print("bench_libnet: round %d peer ICMP median %.0f us (min %.0f, lost %d)"
                  % (rnd, r["med"], r["min"], r["lost"]), flush=True)
        except Skip as e:
            note("peer icmp", e)
        finally:
            peer.close()

    def ours_user(rnd):
        if "ours udp" in skip and all("ours ping " + t in skip for t in PING_TARGETS):
            return
        try:
            ours.start("user", {"HOSTFWD": "hostfwd=udp:127.0.0.1:%d-:7" % u_ours},
                       "bench-libnet-ours.log")
            cmds["ours user"] = shown(" ".join(shlex.quote(a) for a in ours.argv))
            for t in PING_TARGETS:
                if "ours ping " + t in skip:
                    continue
                try:
                    r = ours.ping(t, args.ping_n)
                    res["ours"]["ping " + t].append(r)
                    print("bench_libnet: round %d ours ping %s avg %.3f ms (min %.3f max %.3f, "
                          "%d/%d)" % (rnd, t, r["avg"], r["min"], r["max"], r["recv"], r["sent"]),
                          flush=True)
                except Skip as e:
                    note("ours ping " + t, e)
                    # The console may be out of step: a fresh boot for udpecho.
                    ours.close()
                    ours.start("user", {"HOSTFWD": "hostfwd=udp:127.0.0.1:%d-:7" % u_ours},
                               "bench-libnet-ours.log")
            if "ours udp" not in skip:
                try:
                    ours.udpecho()
                    r = udp_run(u_ours, args.udp_n, args.burst_n, args.warm)
                    res["ours"]["udp"].append(r)
                    print("bench_libnet: round %d ours UDP median %.0f us, %.0f rt/s, burst "
                          "%.0f/s (lost %d/%d)" % (rnd, r["med"], r["rps"], r["burst_rps"],
                                                   r["lost"], r["burst_lost"]), flush=True)
                except Skip as e:
                    note("ours udp", e)
        except Skip as e:
            note("ours udp", e)
            for t in PING_TARGETS:
                skip.add("ours ping " + t)
        finally:
            ours.close()

    def peer_user(rnd):
        if "peer udp" in skip:
            return
        try:
            peer.start("user", {"ECHO_PORT": u_echo, "HTTP_PORT": u_http, "SRC_PORT": u_src,
                                "SINK_PORT": u_sink, "CTL_PORT": u_ctl}, "bench-libnet-peer.log")
            cmds["peer user"] = peer.cmd
            r = udp_run(u_echo, args.udp_n, args.burst_n, args.warm)
            res["peer"]["udp"].append(r)
            print("bench_libnet: round %d peer UDP median %.0f us, %.0f rt/s, burst %.0f/s "
                  "(lost %d/%d)" % (rnd, r["med"], r["rps"], r["burst_rps"], r["lost"],
                                    r["burst_lost"]), flush=True)
        except Skip as e:
            note("peer udp", e)
        finally:
            peer.close()

    try:
        for rnd in range(1, args.rounds + 1):
            if time.monotonic() > deadline:
                notes["rounds"] = "budget of %.0f s spent after %d rounds" % (args.budget, rnd - 1)
                break
            ours_dgram(rnd)
            if use_peer:
                peer_dgram(rnd)
            ours_user(rnd)
            if use_peer:
                peer_user(rnd)
    finally:
        ours.close()
        peer.close()
        wire.close()
        tmp.cleanup()

    load = (load0, os.getloadavg()[0])
    text = section(res, notes, args, cmds, load, time.monotonic() - t_start)
    print(text)
    if not args.no_write:
        write_section(HEADING, text)
        print("bench_libnet: updated docs/performance.md")


if __name__ == "__main__":
    main()
