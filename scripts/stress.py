#!/usr/bin/python3
"""Stress: one million hostile frames against our kernel under four harts.

Boots the guest with CPUS=4 and NET=dgram (the command line from
`make print-qemu`, plus a filter-dump that keeps the first bytes of every
frame) and, from the host end of the link:

  storm   sends --frames hostile frames (default 1,000,000), built once as
          bytes from a seeded RNG (--seed), so a run repeats: random bytes,
          every header cut at every length, fragment storms that never
          complete, frames for other MACs and addresses, bad checksums,
          and an ARP storm. Sent in bursts, each only when QEMU's socket
          has room (its rx_queue in /proc/net/udp), so that the socket
          seldom overflows; what it drops anyway is read from the same
          line's drops column and accounted for.
  hostile meanwhile runs `nettests hostile ROUNDS &` in the guest, again
          each time the last one ends: a process that writes garbage all
          over its own rings (apps/nettests.c).
  ping    meanwhile sends an ICMP echo request to 10.0.2.15 every 50 ms
          and counts netd's replies; answers the guest's ARP requests for
          10.0.2.2 as 52:55:0a:00:02:02.

The storm has two phases. ARP for us fans out to every open channel
(kernel/netfilt.c, arpfanout()), so one such frame moves the counters once
per channel, and the hostile processes open and close channels all the
time. So those frames (the ARP storm, and any other frame that is ARP for
our MAC or broadcast) go in the second phase, when the hostile runs have
ended and netd's channel is the only one; everything else goes in the
first, beside them. Then each frame should have exactly one fate in the
counters.

Afterwards it checks: no panic on the console; in each phase, the
interface's frame-fate counters (rx_frames and every rx_drop_*, read by
name from `netstat`) moved by the frames QEMU delivered plus the frames
looped back in the guest (tx_loopback), or by more only as far as the
kernel's known double counts explain (span()); QEMU delivered what the
host sent less what its socket dropped, and the pcap agrees; `free` is
back where it was at boot, but for what netd's heap grew; every `test
hostile` passed. It prints a report and writes it to the section
"## Stress: one million hostile frames under four harts" of
docs/performance.md (other sections kept), unless --no-write. Exit
status 1 if a check failed.

Bounded: --budget seconds for the storm (the rest is then not sent, and
the report says so), a timeout on every wait; QEMU is stopped by the PID
spawned, in a finally.

usage: scripts/stress.py [--frames N] [--seed S] [--rounds R] [--budget S]
                         [--no-write] [--keep-pcap]
"""
import argparse
import os
import random
import re
import shlex
import socket
import struct
import sys
import tempfile
import threading
import time

import pexpect

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "pcap-tests"))
from benchlib import host_line, shown, write_section  # noqa: E402
from qemu import LOGDIR, PROMPT, Guest, Wire, copy_image  # noqa: E402

HEADING = "Stress: one million hostile frames under four harts"
CPUS = 4
GUEST_MAC = bytes.fromhex("525400123456")
HOST_MAC = bytes.fromhex("52550a000202")
BCAST = b"\xff" * 6
GUEST_IP = bytes([10, 0, 2, 15])
HOST_IP = bytes([10, 0, 2, 2])
SUBNET_BCAST = bytes([10, 0, 2, 255])
ETH_IP, ETH_ARP, ETH_VLAN, ETH_IP6 = 0x0800, 0x0806, 0x8100, 0x86dd
PING_ID = 0x5354
PING_EVERY = 0.05           # seconds between the host's echo requests
DUMP_LEN = 64               # bytes of each frame the pcap keeps
CLAIMED = range(7000, 7100)  # nettests' ports: the storm leaves them alone

# What the storm is made of, in shares of --frames, and its phase.
CLASSES = [
    ("random", 1, 0.20, "random bytes: 40% wholly random, 30% our MAC then random, 30% our "
                        "MAC and EtherType IPv4 then random; two in three 1-128 bytes long, "
                        "the rest up to 1514, and 1% 1515-4096"),
    ("truncated", 1, 0.20, "valid frames to us (ICMP echo, UDP, TCP SYN with options, IPv4 "
                           "with options, ICMP errors quoting UDP and echo, a first "
                           "fragment, 802.1Q, ARP) cut at every length from 1 byte, and "
                           "again with the IPv4 total length cut to match"),
    ("fragments", 1, 0.20, "first fragments, later fragments, overlapping series and "
                           "offsets past 65535, from many sources and IDs, never completed"),
    ("elsewhere", 1, 0.10, "frames for other MACs (unicast, multicast, ARP), for other "
                           "IPv4 addresses behind our MAC, broadcasts, IPv6, 802.1Q and "
                           "unknown EtherTypes"),
    ("badsum", 1, 0.10, "IPv4, UDP, TCP and ICMP checksums wrong, otherwise valid"),
    ("arp", 2, 0.20, "ARP requests and replies for random addresses, requests for "
                     "10.0.2.15 from random senders, claims of 10.0.2.15, malformed ARP"),
]


# --- frames as bytes ----------------------------------------------------------

def csum(b):
    """The Internet checksum (RFC 1071) of b."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def eth(dst, src, etype, payload):
    return dst + src + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, ident=0, frag=0, ttl=64, opts=b"", good=True):
    """An IPv4 header (RFC 791) and payload; good=False spoils the checksum."""
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | (5 + len(opts) // 4), 0, 20 + len(opts) + len(payload),
                    ident, frag, ttl, proto, 0, src, dst) + opts
    s = csum(h) ^ (0 if good else 0x5a5a)
    return h[:10] + struct.pack("!H", s) + h[12:] + payload


def l4sum(src, dst, proto, seg):
    return csum(src + dst + struct.pack("!BBH", 0, proto, len(seg)) + seg)


def udp(src, dst, sport, dport, data, good=True):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    s = (l4sum(src, dst, 17, seg) or 0xffff) ^ (0 if good else 0x5a5a)
    return seg[:6] + struct.pack("!H", s) + seg[8:]


def tcp(src, dst, sport, dport, seq, flags, opts=b"", data=b"", good=True):
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, (5 + len(opts) // 4) << 4, flags,
                      65535, 0, 0) + opts + data
    s = l4sum(src, dst, 6, seg) ^ (0 if good else 0x5a5a)
    return seg[:16] + struct.pack("!H", s) + seg[18:]


def icmp(typ, code, rest, data, good=True):
    m = struct.pack("!BBH", typ, code, 0) + rest + data
    s = csum(m) ^ (0 if good else 0x5a5a)
    return m[:2] + struct.pack("!H", s) + m[4:]


def arp(op, sha, spa, tha, tpa, htype=1, ptype=ETH_IP, hlen=6, plen=4):
    return struct.pack("!HHBBH", htype, ptype, hlen, plen, op) + sha + spa + tha + tpa


def fans_out(f):
    """Would netfilt give this frame to every channel? (ARP for our MAC or
    broadcast, netfilt.c arpfanout())"""
    return len(f) >= 14 and f[12:14] == b"\x08\x06" and f[:6] in (GUEST_MAC, BCAST)


# --- the storm ----------------------------------------------------------------

class Storm:
    """Hostile frames of each class, as bytes, from one seeded RNG."""

    def __init__(self, seed):
        self.r = random.Random(seed)

    def n(self, a, b):
        return self.r.randint(a, b)

    def bytes(self, n):
        return self.r.randbytes(n)

    def port(self):
        p = self.n(1, 65535)
        return p if p not in CLAIMED else p + 100

    def mac(self):
        """A unicast MAC that is neither ours nor the host's."""
        m = bytes([self.n(0, 255) & 0xfe | 0x02]) + self.bytes(5)
        return m if m not in (GUEST_MAC, HOST_MAC) else b"\x02" + m[1:]

    def src_ip(self):
        """Mostly the host or addresses behind the gateway; some on the
        subnet, which make netd ask ARP for them."""
        k = self.n(0, 9)
        if k < 4:
            return HOST_IP
        if k < 8:
            return bytes([self.n(11, 223)]) + self.bytes(3)
        return bytes([10, 0, 2, self.n(3, 254)])

    def to_us(self, proto, payload, **kw):
        return eth(GUEST_MAC, HOST_MAC, ETH_IP, ipv4(self.src_ip(), GUEST_IP, proto, payload,
                                                     ident=self.n(0, 65535), **kw))

    # random bytes
    def random(self):
        k = self.n(0, 9)
        big = self.n(0, 99) == 0
        size = self.n(1515, 4096) if big else (self.n(1, 128) if self.n(0, 2) else self.n(1, 1514))
        if k < 4:
            return self.bytes(size)
        if k < 7:
            return (GUEST_MAC + HOST_MAC + self.bytes(max(size, 14)))[:max(size, 12)]
        return GUEST_MAC + HOST_MAC + b"\x08\x00" + self.bytes(max(size - 14, 1))

    # valid frames to us, for cutting
    def templates(self):
        s, sp, dp = self.src_ip(), self.port(), self.port()
        q = ipv4(GUEST_IP, s, 17, udp(GUEST_IP, s, self.port(), dp, self.bytes(8)))
        qe = ipv4(GUEST_IP, s, 1, icmp(8, 0, struct.pack("!HH", self.n(0, 65535), 1), b""))
        opts = b"\x01" * 4 * self.n(1, 9) + b"\x07\x07\x04" + self.bytes(4) + b"\x00"
        opts += b"\x00" * (-len(opts) % 4)
        tcpopts = b"\x02\x04\x05\xb4\x04\x02\x08\x0a" + self.bytes(8) + b"\x01\x03\x03\x07"
        return [
            self.to_us(1, icmp(8, 0, struct.pack("!HH", self.n(0, 65535), 1), self.bytes(8))),
            self.to_us(17, udp(s, GUEST_IP, sp, dp, self.bytes(self.n(0, 16)))),
            self.to_us(6, tcp(s, GUEST_IP, sp, dp, self.n(0, 2**32 - 1), 0x02, tcpopts)),
            eth(GUEST_MAC, HOST_MAC, ETH_IP, ipv4(s, GUEST_IP, 17, udp(s, GUEST_IP, sp, dp, b"op"),
                                                  ident=self.n(0, 65535), opts=opts[:40])),
            self.to_us(1, icmp(3, 3, b"\0" * 4, q[:28])),
            self.to_us(1, icmp(11, 0, b"\0" * 4, qe[:28])),
            self.to_us(17, udp(s, GUEST_IP, sp, dp, self.bytes(24)), frag=0x2000),
            eth(GUEST_MAC, HOST_MAC, ETH_VLAN, struct.pack("!HH", self.n(1, 4094), ETH_IP) +
                ipv4(s, GUEST_IP, 17, udp(s, GUEST_IP, sp, dp, b"vlan"))),
            eth(BCAST, HOST_MAC, ETH_ARP, arp(1, HOST_MAC, s, b"\0" * 6, GUEST_IP)),
        ]

    def truncated(self):
        """Every template cut at every length; then each IPv4 one with its
        total length (and checksum) cut to match, so that the IPv4 header
        is whole and what follows it short."""
        out = []
        for f in self.templates():
            out += [f[:n] for n in range(1, len(f))]
            if f[12:14] != b"\x08\x00":
                continue
            hl = (f[14] & 0xf) * 4
            for n in range(14 + hl, len(f)):
                h = bytearray(f[14:14 + hl])
                h[2:4] = struct.pack("!H", n - 14)
                h[10:12] = b"\0\0"
                h[10:12] = struct.pack("!H", csum(bytes(h)))
                out.append(f[:14] + bytes(h) + f[14 + hl:n])
        return out

    def fragments(self):
        """A burst of fragments of one kind."""
        k, ident, s = self.n(0, 9), self.n(0, 65535), self.src_ip()
        proto = self.r.choice((17, 17, 1, 6, self.n(0, 255)))
        if k < 3:       # first fragments, more to follow
            body = (udp(s, GUEST_IP, self.port(), self.port(), self.bytes(self.n(8, 1400)))
                    if proto == 17 else self.bytes(self.n(8, 1400)))
            return [self.to_us(proto, body, frag=0x2000)]
        if k < 7:       # later fragments, first never sent
            return [eth(GUEST_MAC, HOST_MAC, ETH_IP,
                        ipv4(s, GUEST_IP, proto, self.bytes(8 * self.n(1, 175)), ident=ident,
                             frag=self.r.choice((0x2000, 0)) | self.n(1, 8191)))]
        if k < 9:       # an overlapping series that never ends
            out = [eth(GUEST_MAC, HOST_MAC, ETH_IP,
                       ipv4(s, GUEST_IP, 17, udp(s, GUEST_IP, self.port(), self.port(),
                                                 self.bytes(56)), ident=ident, frag=0x2000))]
            for _ in range(self.n(2, 12)):
                out.append(eth(GUEST_MAC, HOST_MAC, ETH_IP,
                               ipv4(s, GUEST_IP, 17, self.bytes(8 * self.n(1, 16)), ident=ident,
                                    frag=0x2000 | self.n(1, 12))))
            return out
        # past the end of any datagram (offset * 8 + length > 65535)
        return [eth(GUEST_MAC, HOST_MAC, ETH_IP,
                    ipv4(s, GUEST_IP, proto, self.bytes(8 * self.n(1, 180)), ident=ident,
                         frag=self.r.choice((0x2000, 0)) | self.n(8000, 8191)))]

    def elsewhere(self):
        s, sp, dp = self.src_ip(), self.port(), self.port()
        k = self.n(0, 9)
        if k == 0:
            return eth(self.mac(), HOST_MAC, ETH_IP, ipv4(s, GUEST_IP, 17,
                                                          udp(s, GUEST_IP, sp, dp, b"x")))
        if k == 1:
            g = bytes([224, 0, 0, self.n(1, 255)])
            return eth(b"\x01\x00\x5e\x00\x00" + g[3:], HOST_MAC, ETH_IP,
                       ipv4(s, g, 17, udp(s, g, sp, dp, b"mcast")))
        if k == 2:
            return eth(self.mac(), HOST_MAC, ETH_ARP,
                       arp(self.n(1, 2), HOST_MAC, s, b"\0" * 6, GUEST_IP))
        if k in (3, 4):
            d = self.r.choice((bytes([10, 0, 2, self.n(16, 254)]), bytes([10, 0, 2, self.n(1, 14)]),
                               self.bytes(4), bytes([127, 0, 0, 1]), bytes(4),
                               bytes([224, 0, 0, 1])))
            return eth(GUEST_MAC, HOST_MAC, ETH_IP, ipv4(s, d, 17, udp(s, d, sp, dp, b"other")))
        if k in (5, 6):
            d = self.r.choice((SUBNET_BCAST, BCAST[:4]))
            return eth(BCAST, HOST_MAC, ETH_IP, ipv4(HOST_IP, d, 17, udp(HOST_IP, d, sp, dp,
                                                                         b"bcast")))
        if k == 7:
            return eth(GUEST_MAC, HOST_MAC, ETH_IP6, self.bytes(self.n(40, 120)))
        if k == 8:
            return eth(GUEST_MAC, HOST_MAC, ETH_VLAN, struct.pack("!HH", self.n(0, 4095), ETH_IP) +
                       ipv4(s, GUEST_IP, 17, udp(s, GUEST_IP, sp, dp, b"tagged")))
        t = self.n(0x0600, 0xffff)
        return eth(GUEST_MAC, HOST_MAC, t if t not in (ETH_IP, ETH_ARP) else 0x88b5,
                   self.bytes(self.n(1, 200)))

    def badsum(self):
        s, sp, dp = self.src_ip(), self.port(), self.port()
        k = self.n(0, 3)
        if k == 0:
            body = self.r.choice((udp(s, GUEST_IP, sp, dp, b"ipsum"),
                                  icmp(8, 0, struct.pack("!HH", sp, 1), b"ipsum")))
            return eth(GUEST_MAC, HOST_MAC, ETH_IP,
                       ipv4(s, GUEST_IP, 17 if len(body) == 13 else 1, body,
                            ident=self.n(0, 65535), good=False))
        if k == 1:
            return self.to_us(17, udp(s, GUEST_IP, sp, dp, self.bytes(self.n(0, 64)), good=False))
        if k == 2:
            return self.to_us(6, tcp(s, GUEST_IP, sp, dp, self.n(0, 2**32 - 1), 0x02, good=False))
        return self.to_us(1, icmp(8, 0, struct.pack("!HH", sp, 1), self.bytes(self.n(0, 64)),
                                  good=False))

    def arp(self):
        s, m = bytes([10, 0, 2, self.n(3, 254)]) if self.n(0, 1) else self.bytes(4), self.mac()
        k = self.n(0, 9)
        if k < 3:       # who has a random address?
            return eth(BCAST, m, ETH_ARP, arp(1, m, s, b"\0" * 6, self.bytes(4)))
        if k < 5:       # who has 10.0.2.15, from a random sender (netd answers)
            return eth(self.r.choice((BCAST, GUEST_MAC)), m, ETH_ARP,
                       arp(1, m, s, b"\0" * 6, GUEST_IP))
        if k < 7:       # a reply nobody asked for
            return eth(GUEST_MAC, m, ETH_ARP, arp(2, m, s, GUEST_MAC, GUEST_IP))
        if k == 7:      # someone else claims our address
            return eth(BCAST, m, ETH_ARP, arp(self.n(1, 2), m, GUEST_IP, b"\0" * 6, GUEST_IP))
        f = eth(self.r.choice((BCAST, GUEST_MAC)), m, ETH_ARP,
                arp(self.n(0, 65535), m, s, self.bytes(6), GUEST_IP, htype=self.n(0, 3),
                    ptype=self.r.choice((ETH_IP, ETH_IP6, 0)), hlen=self.n(0, 8),
                    plen=self.n(0, 6)))
        return f[:self.n(14, len(f))] if k == 8 else f + self.bytes(self.n(0, 64))

    def build(self, total):
        """(phase 1 frames, phase 2 frames, frames per class), total in all,
        each phase shuffled so the classes interleave."""
        phases, count = {1: [], 2: []}, {}
        for name, phase, share, _ in CLASSES:
            want = int(total * share) if name != CLASSES[-1][0] else total - sum(count.values())
            gen, got = getattr(self, name), []
            while len(got) < want:
                f = gen()
                got += f if isinstance(f, list) else [f]
            del got[want:]
            for f in got:
                if f[6:12] == GUEST_MAC:        # never pass for the guest in the pcap
                    f = f[:6] + HOST_MAC + f[12:]
                assert 0 < len(f) <= 4096, (name, len(f))
                phases[2 if phase == 2 or fans_out(f) else 1].append(f)
            count[name] = want
        for p in phases.values():
            self.r.shuffle(p)
        return phases[1], phases[2], count


# --- the host's end of the link -----------------------------------------------

def udp_line(port):
    """(rx_queue bytes, drops) of the socket bound to 127.0.0.1:port, from
    /proc/net/udp, or None if there is none."""
    key = "0100007F:%04X" % port
    with open("/proc/net/udp") as f:
        for line in f:
            fld = line.split()
            if len(fld) > 12 and fld[1] == key:
                return int(fld[4].split(":")[1], 16), int(fld[-1])
    return None


class Link:
    """The host end: sends the storm paced by QEMU's socket, pings netd,
    answers ARP for 10.0.2.2 and counts what the guest sends."""

    def __init__(self, wire):
        self.w = wire
        self.dst = ("127.0.0.1", wire.lport)
        try:
            self.w.sock.setsockopt(socket.SOL_SOCKET, 33, 32 << 20)    # SO_RCVBUFFORCE
        except OSError:
            pass
        with open("/proc/sys/net/core/rmem_default") as f:
            self.room = int(f.read()) // 4    # what one burst may put in QEMU's socket
        self.sent = {"storm": 0, "ping": 0, "arp": 0}
        self.arp_by_phase = {0: 0, 1: 0, 2: 0, 3: 0}
        self.phase = 0              # 0 boot, 1 beside the hostile runs, 2 ARP storm, 3 after
        self.pings = {}             # seq -> send time
        self.pong = {}              # seq -> round trip (s)
        self.pinged = []            # the pinger's sequence numbers
        self.guest_frames = 0
        self.waits = 0              # bursts put off for a full socket
        self.stop = threading.Event()       # the receiver's
        self.stop_ping = threading.Event()
        self.paused = threading.Event()     # send nothing: the counters are being read
        self.deferred = []                  # ARP answers held while paused
        self.lock = threading.Lock()

    def send(self, f, what):
        assert f, "never a zero-length datagram: QEMU would stop reading"
        self.w.sock.sendto(f, self.dst)
        with self.lock:
            self.sent[what] += 1

    def storm(self, frames, deadline):
        """Send frames in bursts of at most 32 and about self.room bytes of
        socket memory, each when QEMU's socket holds less than that.
        Returns how many were sent before the deadline."""
        i, n, waits = 0, len(frames), 0
        while i < n and time.monotonic() < deadline:
            q = udp_line(self.w.lport)
            if q is not None and q[0] > self.room:
                waits += 1
                time.sleep(0.0002)
                continue
            used, j = 0, i
            while j < n and j - i < 32 and used < self.room:
                used += len(frames[j]) + 1024       # roughly the skb's truesize
                j += 1
            for f in frames[i:j]:
                self.w.sock.sendto(f, self.dst)
            with self.lock:
                self.sent["storm"] += j - i
            i = j
        self.waits += waits
        return i

    def pinger(self):
        seq = 0
        while not self.stop_ping.wait(PING_EVERY):
            if self.paused.is_set():
                continue
            self.ping(seq)
            self.pinged.append(seq)
            seq += 1

    def ping(self, seq):
        f = eth(GUEST_MAC, HOST_MAC, ETH_IP,
                ipv4(HOST_IP, GUEST_IP, 1, icmp(8, 0, struct.pack("!HH", PING_ID, seq & 0xffff),
                                                b"stress ping %08d" % seq), ident=seq & 0xffff))
        self.pings[seq & 0xffff] = time.monotonic()
        self.send(f, "ping")

    def receiver(self):
        s = self.w.sock
        s.settimeout(0.2)
        while not self.stop.is_set():
            try:
                f = s.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            self.guest_frames += 1
            self.take(f)

    def take(self, f):
        if len(f) >= 42 and f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x01" \
                and f[38:42] == HOST_IP and f[28:32] == GUEST_IP:
            a = eth(f[6:12], HOST_MAC, ETH_ARP, arp(2, HOST_MAC, HOST_IP, f[22:28], GUEST_IP))
            with self.lock:
                if self.paused.is_set() and not self.flushing:
                    self.deferred.append(a)
                    return
            self.send(a, "arp")
            self.arp_by_phase[self.phase] += 1
        elif len(f) >= 42 and f[12:14] == b"\x08\x00" and f[23] == 1:
            l4 = 14 + (f[14] & 0xf) * 4
            if len(f) >= l4 + 8 and f[l4] == 0 and f[l4 + 4:l4 + 6] == struct.pack("!H", PING_ID):
                seq = struct.unpack("!H", f[l4 + 6:l4 + 8])[0]
                t = self.pings.get(seq)
                if t is not None and seq not in self.pong:
                    self.pong[seq] = time.monotonic() - t

    def pause(self):
        self.paused.set()

    # While quiesce() waits for its ping's answer, netd's ARP requests for
    # 10.0.2.2 are answered at once: an ARP storm can push 10.0.2.2 out of
    # netd's cache, and a deferred answer would hold the echo reply back.
    flushing = False

    def resume(self):
        with self.lock:
            self.paused.clear()
            held, self.deferred = self.deferred, []
        for a in held:
            self.send(a, "arp")
            self.arp_by_phase[self.phase] += 1

    def ping_figures(self):
        """(answered, sent, median round trip in ms) of the pinger's echoes."""
        rtt = sorted(self.pong[s] for s in self.pinged if s in self.pong)
        return len(rtt), len(self.pinged), ("%.1f" % (rtt[len(rtt) // 2] * 1000) if rtt else "-")


def pcap_count(path):
    """(frames the host sent, frames the guest sent) in a filter-dump pcap:
    the guest's frames carry its MAC as source, and the storm's never do."""
    host = guest = 0
    with open(path, "rb") as f:
        data = f.read()
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        body = data[off + 16:off + 16 + incl]
        if len(body) >= 12 and body[6:12] == GUEST_MAC:
            guest += 1
        else:
            host += 1
        off += 16 + incl
    return host, guest


# --- the guest's console ------------------------------------------------------

def counters(g):
    """netstat's `name value` lines, as a dict of the numeric ones."""
    out = g.run("netstat", timeout=60)
    d = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 2 and f[1].isdigit():
            d[f[0]] = int(f[1])
    if "rx_frames" not in d:
        raise AssertionError("netstat printed:\n" + out)
    return d


def fates(st):
    """The frame-fate counters, by name: delivered, and each drop cause."""
    return {k: v for k, v in st.items() if k == "rx_frames" or k.startswith("rx_drop_")}


def freepages(g):
    m = re.search(r"free: (\d+) pages", g.run("free"))
    if not m:
        raise AssertionError("free printed nothing to read")
    return int(m.group(1))


def netd_size(g):
    # ps: PID PPID STATE SIZE TIME NAME
    m = re.search(r"^\s*\d+\s+\d+\s+\w+\s+(\d+)\s+\d+\s+netd\s*$", g.run("ps"), re.M)
    return int(m.group(1)) if m else None


def resync(g, tag):
    """Wait for the shell's prompt after output from background jobs."""
    g.sendline("echo %s" % tag)
    g.expect(r"\n%s\r?\n" % tag, timeout=60, what="the shell to echo %s" % tag)
    g.expect(PROMPT, timeout=30, what="the prompt after echo %s" % tag)


class Hostile:
    """`nettests hostile ROUNDS &`, started again by storm() each time one
    ends. poll() reads the console, which must be read all along (or the
    guest's console output stalls), for each run's lines and for panics."""

    LINES = [r"ALL TESTS PASSED\r?\n", r"SOME TESTS FAILED\r?\n", r"panic: [^\r\n]*\r?\n",
             r"test hostile: (OK|FAILED) \((\d+) ms\)", r"nettests: (\d+) pages lost\r?\n",
             r"hostile: ([^\r\n]+)\r?\n", r"pid \d+ [^\r\n]*killed[^\r\n]*\r?\n",
             r"nettests: [^\r\n]+\r?\n"]

    def __init__(self, g, rounds):
        self.g, self.rounds = g, rounds
        self.running = False
        self.runs = 0
        self.results = []       # (OK or FAILED, ms) per test hostile line
        self.lost = []          # nettests' "N pages lost", per run that printed it
        self.echoes = []
        self.notes = []         # other lines: a failure's reason, a killed process
        self.starts = []        # time.monotonic() of each start
        self.panic = None

    def start(self):
        self.g.sendline("nettests hostile %d &" % self.rounds)
        self.running = True
        self.runs += 1
        self.starts.append(time.monotonic())

    def poll(self, timeout):
        """Read the console for up to timeout seconds, one line of interest."""
        try:
            i = self.g.child.expect(self.LINES + [pexpect.TIMEOUT], timeout=timeout)
        except pexpect.EOF:
            self.panic = self.panic or "QEMU exited"
            self.running = False
            return
        if i == len(self.LINES):
            return
        m, text = self.g.child.match, self.g.child.after.strip()
        if i in (0, 1):
            self.running = False
        elif i == 2:
            self.panic = text
        elif i == 3:
            self.results.append((m.group(1), int(m.group(2)), len(self.starts) - 1))
        elif i == 4:
            self.lost.append(int(m.group(1)))
        elif i == 5 and "echoes while" in text:
            self.echoes.append(int(m.group(1).split()[0]))
        else:
            self.notes.append(text)


# --- the run ------------------------------------------------------------------

def run(args):
    """Boot, storm, settle; returns the figures (res). QEMU is stopped by
    its PID whatever happens."""
    t_start = time.monotonic()
    res = {"load0": os.getloadavg()[0], "panic": None}
    print("stress: building %d frames (seed %d)" % (args.frames, args.seed), flush=True)
    p1, p2, res["per_class"] = Storm(args.seed).build(args.frames)
    print("stress: %d frames beside the hostile runs, %d after them (ARP for us); built in %.0f s"
          % (len(p1), len(p2), time.monotonic() - t_start), flush=True)
    tmp = tempfile.TemporaryDirectory(prefix="stress-")
    wire = Wire()
    link = Link(wire)
    pcap = os.path.join(tmp.name, "stress.pcap")
    log = os.path.join(LOGDIR, "stress.log")
    g = None
    try:
        g = Guest(copy_image(tmp.name, "stress.img"), cpus=CPUS, net="dgram",
                  makevars=wire.makevars(), log=log)
        g.argv += ["-object", "filter-dump,id=stressdump,netdev=net0,file=%s,maxlen=%d"
                   % (pcap, DUMP_LEN)]
        res["cmd"] = shown(" ".join(shlex.quote(a) for a in g.argv))
        g.boot(timeout=60)
        threading.Thread(target=link.receiver, daemon=True).start()
        res.update(boot(g, link))
        res["zero"]["drops"] = udp_line(wire.lport)[1]
        threading.Thread(target=link.pinger, daemon=True).start()
        storm(g, link, p1, p2, args, res, t_start)
        if not res["panic"]:
            res.update(settle(g, link, res))
        res["ping"] = link.ping_figures()
        res["waits"] = link.waits
    finally:
        link.stop_ping.set()
        link.stop.set()
        if g is not None:
            g.close()
        wire.close()
        res["sent_all"] = sum(link.sent.values())
        if os.path.exists(pcap):
            res["pcap_host"], res["pcap_guest"] = pcap_count(pcap)
            if args.keep_pcap or res["panic"]:
                os.makedirs(LOGDIR, exist_ok=True)
                os.replace(pcap, os.path.join(LOGDIR, "stress.pcap"))
        tmp.cleanup()
    with open(log, errors="replace") as f:
        m = re.search(r"panic: [^\n]*", f.read())
    if m:
        res["panic"] = m.group(0).strip()
    res["elapsed"] = time.monotonic() - t_start
    res["load1"] = os.getloadavg()[0]
    return res


def boot(g, link):
    """Teach netd our MAC, wait until it answers ping, and take the
    figures the run is compared with."""
    link.send(eth(BCAST, HOST_MAC, ETH_ARP, arp(1, HOST_MAC, HOST_IP, b"\0" * 6, GUEST_IP)), "arp")
    for seq in range(0xff00, 0xff00 + 100):
        link.ping(seq)
        time.sleep(0.1)
        if link.pong:
            break
    if not link.pong:
        raise AssertionError("netd answered no ping in 10 s")
    time.sleep(0.5)
    return {"free0": freepages(g), "netd0": netd_size(g),
            "zero": {"st": counters(g), "sent": dict(link.sent), "arp": dict(link.arp_by_phase),
                     "pong": len(link.pong), "pings": len(link.pings), "flushed": True}}


def storm(g, link, p1, p2, args, res, t_start):
    """Phase 1 beside the hostile runs, then the counters, then phase 2
    (ARP for us) with netd's channel alone. Phase 2 keeps a quarter of
    the budget."""
    reserve = args.budget / 4
    h = Hostile(g, args.rounds)
    res["hostile"] = h
    out = {}

    def send(frames, key, deadline):
        out[key] = link.storm(frames, deadline)

    link.phase = 1
    t1 = time.monotonic()
    h.start()
    th = threading.Thread(target=send, args=(p1, 1, t_start + args.budget - reserve), daemon=True)
    th.start()
    while th.is_alive() and not h.panic:
        h.poll(0.5)
        if not h.running and th.is_alive() and not h.panic:
            h.start()
    res["t1send"] = time.monotonic() - t1
    res["t1start"] = t1
    until = time.monotonic() + 130     # nettests kills a test after 120 s
    while h.running and not h.panic and time.monotonic() < until:
        h.poll(1.0)
    th.join(5)
    res["t1"] = time.monotonic() - t1
    res["sent1"] = out.get(1, 0)
    res["panic"] = h.panic
    if h.panic:
        return
    resync(g, "phase2")
    res["mid"] = quiesce(g, link, 0xfe00)
    link.phase = 2
    link.resume()
    t2 = time.monotonic()
    send(p2, 2, t2 + reserve)
    res["t2"] = time.monotonic() - t2
    res["sent2"] = out.get(2, 0)


def quiesce(g, link, seq):
    """Stop sending, let what was sent arrive and be counted, and read the
    figures. Later fragments whose first never came are held (netfilt.c,
    orphans) until an IPv4 frame arrives a second after them, so a ping
    (seq) goes 1.2 s after the rest, and must be answered."""
    link.pause()
    for _ in range(100):
        q = udp_line(link.w.lport)
        if q is None or q[0] == 0:
            break
        time.sleep(0.1)
    time.sleep(1.2)
    link.flushing = True
    link.ping(seq)
    for _ in range(50):
        if seq in link.pong:
            break
        time.sleep(0.1)
    link.flushing = False
    time.sleep(0.3)
    st = counters(g)
    for _ in range(20):
        time.sleep(0.5)
        again = counters(g)
        if fates(again) == fates(st):
            break
        st = again
    return {"st": st, "sent": dict(link.sent), "drops": udp_line(link.w.lport)[1],
            "arp": dict(link.arp_by_phase), "flushed": seq in link.pong,
            "pong": len(link.pong), "pings": len(link.pings)}


def settle(g, link, res):
    """The figures after the storm, and free memory once the hostile
    runs have long exited."""
    link.stop_ping.set()
    link.phase = 3
    end = quiesce(g, link, 0xfe01)
    free1 = freepages(g)
    for _ in range(20):           # as nettests does: pages a channel frees late
        if free1 >= res["free0"]:
            break
        time.sleep(0.25)
        free1 = freepages(g)
    return {"end": end, "free1": free1, "netd1": netd_size(g),
            "guest_frames": link.guest_frames}


# --- what it means ------------------------------------------------------------

def span(a, b, name):
    """What moved between two quiesce() figures: the fates, what QEMU
    delivered, the gap between them and what may explain it."""
    d = {k: b["st"][k] - a["st"].get(k, 0) for k in b["st"]}
    fate = {k: v - a["st"].get(k, 0) for k, v in fates(b["st"]).items()}
    sent = sum(b["sent"].values()) - sum(a["sent"].values())
    drops = b["drops"] - a["drops"]
    v = {"name": name, "delta": d, "fate": fate, "fate_sum": sum(fate.values()), "sent": sent,
         "drops": drops, "delivered": sent - drops, "loopback": d.get("tx_loopback", 0),
         "ringfull": d.get("rx_drop_ringfull", 0),
         "arp": b["arp"][1] - a["arp"][1],
         "pings_lost": (b["pings"] - a["pings"]) - (b["pong"] - a["pong"])}
    v["gap"] = v["fate_sum"] - v["delivered"] - v["loopback"]
    # The device's own count of frames it gave the kernel must be what QEMU
    # delivered, exactly.
    v["device"] = d.get("dev_rx_frames", 0)
    v["device_ok"] = v["device"] == v["delivered"]
    # What can count a frame more than once (kernel/netfilt.c): an ARP
    # frame is counted once per open channel it reaches, and beside the
    # hostile runs there are up to 4. (A frame that met only full queues
    # was counted twice, as ringfull and nofilter, until that was fixed.)
    v["explained"] = v["device_ok"] and 0 <= v["gap"] <= 3 * v["arp"]
    return v


def verdict(res):
    """The checks and the figures behind them."""
    zero, mid, end = res["zero"], res["mid"], res["end"]
    phases = [span(zero, mid, "beside"), span(mid, end, "after")]
    whole = span(zero, end, "whole")
    whole["explained"] = all(p["explained"] for p in phases)
    v = {"phases": phases, "whole": whole}
    # QEMU's socket was new at boot, so the pcap holds every frame the
    # host ever sent less every drop.
    v["pcap_ok"] = res.get("pcap_host") == res["sent_all"] - end["drops"]
    v["netd_pages"] = ((res["netd1"] or 0) - (res["netd0"] or 0)) // 4096
    v["free_ok"] = res["free1"] + max(v["netd_pages"], 0) >= res["free0"]
    v["hostile_ok"] = all(r[0] == "OK" for r in res["hostile"].results)
    v["ok"] = (whole["explained"] and v["pcap_ok"] and v["free_ok"] and mid["flushed"]
               and end["flushed"] and v["hostile_ok"] and not res["panic"])
    return v


def panic_report(res, args):
    h = res.get("hostile")
    return "\n".join([
        "## " + HEADING, "",
        "`make stress` (`/usr/bin/python3 scripts/stress.py%s`): the kernel panicked: `%s`, "
        "after %d of %d hostile frames and %d runs of `nettests hostile %d`; the console is "
        "in build/test-logs/stress.log and the pcap in build/test-logs/stress.pcap. QEMU: `%s`."
        % ((" " + " ".join(args.argv)) if args.argv else "", res["panic"],
           res.get("sent1", 0) + res.get("sent2", 0), args.frames, h.runs if h else 0,
           args.rounds, res.get("cmd", "")), "",
        host_line((res["load0"], res["load1"]))]) + "\n"


def gap_text(p):
    """A sentence or two on a span's fates against its frames."""
    what = {"beside": "Beside the hostile runs", "after": "After them"}[p["name"]]
    if p["gap"] == 0 and p["device_ok"]:
        return "%s every frame had exactly one fate." % what
    if not p["device_ok"]:
        return ("%s **the device's count disagrees**: `dev_rx_frames` moved by %d, QEMU "
                "delivered %d." % (what, p["device"], p["delivered"]))
    if not p["explained"]:
        return ("%s **the counters do not add up**: the fates exceed the frames by %d, more "
                "than the %d ARP answers there could explain." % (what, p["gap"], p["arp"]))
    return ("%s the fates exceed the frames by %d: the host answered %d ARP requests of "
            "netd's, and an ARP frame is counted once per open channel it reaches."
            % (what, p["gap"], p["arp"]))


def report(res, v, args):
    """The section for docs/performance.md, its first line the heading."""
    h, zero, end = res["hostile"], res["zero"], res["end"]
    P = v["phases"] + [v["whole"]]
    L = ["## " + HEADING, ""]
    L.append("`make stress` boots our kernel with CPUS=4 on the dgram netdev and sends it %s "
             "hostile frames from the host (seed %d), while `nettests hostile %d` scribbles over "
             "its own rings in the guest (started again each time it ends; one at a time, as "
             "it claims fixed ports) and `netd` answers the host's pings. Then it reads the "
             "interface counters back by name and compares them with what the host sent. The "
             "frames, built once as bytes:" % (format(args.frames, ","), args.seed, args.rounds))
    L.append("")
    L.append("| class | frames | what |")
    L.append("|---|---|---|")
    for name, phase, _, what in CLASSES:
        L.append("| %s | %d | %s |" % (name, res["per_class"][name], what))
    L.append("")
    L.append("Sent %d of the %d: %d beside the hostile runs in %.0f s (%.0f frames/s), then, "
             "once the last run had ended, %d ARP-for-us frames in %.0f s (%.0f frames/s); ARP "
             "for us is "
             "counted once per open channel (`arpfanout()`), so it waits until netd's is the "
             "only one. Besides them %d pings and %d ARP answers. Bursts were held back %d times "
             "for a full socket; QEMU's socket dropped %d frames all the same. The filter-dump "
             "pcap holds %d frames from the host: %s; and %d from the guest, of which the "
             "host's end read %d."
             % (res["sent1"] + res["sent2"], args.frames, res["sent1"], res["t1send"],
                res["sent1"] / max(res["t1send"], 1e-9), res["sent2"], res["t2"],
                res["sent2"] / max(res["t2"], 1e-9), end["sent"]["ping"] - zero["sent"]["ping"],
                end["sent"]["arp"] - zero["sent"]["arp"], res["waits"], v["whole"]["drops"],
                res.get("pcap_host", 0),
                "every frame the host sent less those dropped" if v["pcap_ok"] else
                "**not** the %d the host sent less the %d dropped"
                % (res["sent_all"], end["drops"]), res.get("pcap_guest", 0),
                res["guest_frames"]))
    L.append("")
    L.append("The counters were read at boot, when the last hostile run had ended, and at the "
             "end, each time after a pause and a ping 1.2 s later (which releases the fragments "
             "netfilt holds for a first fragment that never comes).")
    L.append("")
    L.append("| interface counter, by name | beside the hostile runs | after them | whole run |")
    L.append("|---|---|---|---|")
    for k in sorted(v["whole"]["fate"], key=lambda k: (k != "rx_frames", k)):
        L.append("| `%s` | %s |" % (k, " | ".join(str(p["fate"].get(k, 0)) for p in P)))
    L.append("| **the frame fates, summed** | %s |"
             % " | ".join("**%d**" % p["fate_sum"] for p in P))
    L.append("| frames QEMU delivered: host sent less socket drops | %s |"
             % " | ".join("%d - %d = %d" % (p["sent"], p["drops"], p["delivered"]) for p in P))
    L.append("| frames the device gave the kernel (`dev_rx_frames`) | %s |"
             % " | ".join(str(p["device"]) for p in P))
    L.append("| frames looped back in the guest (`tx_loopback`) | %s |"
             % " | ".join(str(p["loopback"]) for p in P))
    L.append("| fates less delivered less looped back | %s |"
             % " | ".join(str(p["gap"]) for p in P))
    L.append("| `rx_to_default` (netd's share of `rx_frames`) | %s |"
             % " | ".join(str(p["delta"].get("rx_to_default", 0)) for p in P))
    L.append("")
    L.append(" ".join(gap_text(p) for p in v["phases"]))
    L.append("")
    rej = ["`%s` %d" % (k, n) for k, n in sorted(v["whole"]["delta"].items())
           if n and (k.startswith("tx_reject") or k.startswith("rx_reject"))]
    L.append("The hostile runs' ring writes were refused as: %s." % ", ".join(rej))
    L.append("")
    oks = sum(1 for r in h.results if r[0] == "OK")
    bad = ["run %d, started %.0f s into the storm (which ended at %.0f s)"
           % (r[2] + 1, h.starts[r[2]] - res["t1start"], res["t1send"])
           for r in h.results if r[0] != "OK"]
    L.append("Hostile runs: %d started, `test hostile` OK in %d, %s in %d%s (ms each: %s); "
             "the ping and pong processes beside the garbage exchanged %s echoes per run.%s%s"
             % (h.runs, oks, "FAILED" if oks == len(h.results) else "**FAILED**",
                len(h.results) - oks, (": " + "; ".join(bad)) if bad else "",
                " ".join(str(r[1]) for r in h.results) or "-",
                " ".join(str(x) for x in h.echoes) or "-",
                (" nettests' own free-page check (it waits 2 s after its tests) came up short "
                 "after %d of them, by %s pages: storm frames still queued for netd and "
                 "fragments netfilt holds are pages in use." % (len(h.lost), ", ".join(
                     str(x) for x in h.lost))) if h.lost else "",
                (" Other lines: %s." % "; ".join("`%s`" % n for n in h.notes)) if h.notes else ""))
    L.append("")
    pf = res["ping"]
    L.append("Ping: netd answered %d of the %d echo requests sent every %d ms from the storm's "
             "start to its end (median round trip %s ms), and the ping after each pause%s."
             % (pf[0], pf[1], PING_EVERY * 1000, pf[2],
                "" if res["mid"]["flushed"] and end["flushed"] else
                " **not** %s" % " and ".join(w for w, q in (("after the first pause", res["mid"]),
                                                            ("at the end", end))
                                             if not q["flushed"])))
    L.append("")
    L.append("Free memory (`free`): %d pages at boot, %d at the end; netd's size %s bytes at boot, "
             "%s at the end (%+d pages). %s Panic: %s."
             % (res["free0"], res["free1"], res["netd0"], res["netd1"], v["netd_pages"],
                "Back where it started." if res["free1"] >= res["free0"] else
                ("%d pages short, all of them netd's heap: the user malloc grows it 64 KiB at a "
                 "time (`MINGROW`, apps/umalloc.c) for what libnet holds (fragments being "
                 "reassembled, packets waiting for ARP) and never gives memory back. The "
                 "kernel's own pages all came back." % (res["free0"] - res["free1"]))
                if v["free_ok"] else
                "**%d pages short**, %d more than netd's heap grew."
                % (res["free0"] - res["free1"], res["free0"] - res["free1"] - v["netd_pages"]),
                res["panic"] or "none"))
    L.append("")
    L.append("Command: `make stress` runs `/usr/bin/python3 scripts/stress.py%s`. QEMU: `%s` "
             "(`$TMP` is the run's temporary directory); the console goes to "
             "build/test-logs/stress.log. Whole run %.0f s."
             % ((" " + " ".join(args.argv)) if args.argv else "", res["cmd"], res["elapsed"]))
    L.append("")
    L.append(host_line((res["load0"], res["load1"])) + " Other sessions' work may have run "
             "beside it.")
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser(description="one million hostile frames under four harts")
    ap.add_argument("--frames", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--rounds", type=int, default=200000, help="garbage rounds per hostile run")
    ap.add_argument("--budget", type=float, default=360, help="seconds for sending the storm")
    ap.add_argument("--no-write", action="store_true",
                    help="print the section instead of updating docs/performance.md")
    ap.add_argument("--keep-pcap", action="store_true",
                    help="keep the pcap as build/test-logs/stress.pcap")
    args = ap.parse_args()
    args.argv = sys.argv[1:]
    res = run(args)
    if res["panic"]:
        text, ok = panic_report(res, args), False
    else:
        v = verdict(res)
        text, ok = report(res, v, args), v["ok"]
    print(text)
    if not args.no_write:
        write_section(HEADING, text)
        print("stress: updated docs/performance.md")
    print("stress: %s" % ("every check held" if ok else "A CHECK FAILED (see above)"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
