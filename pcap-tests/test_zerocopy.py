"""The zero-copy send path (kernel/netchan.h, "The payload cache";
docs/architecture.md, "Sending from the payload cache"): split frames
whose headers the kernel copies and checks and whose payload the device
reads from the channel's cache. `zcsend` fills a cache with a known
pattern and sends UDP datagrams from it; here we check the bytes and
checksums on the wire, the refusals and their counters, and that a
process killed with split frames in flight frees no page early.
"""
import re
import struct
import time

import pytest
from scapy.layers.inet import IP, UDP

from conftest import _logpath
from lan import lan_fixture
from qemu import PROMPT, Guest
from test_filter import GUESTIP, HOSTIP, netstat

lan = lan_fixture()

PAGE = 4096


def pattern(off, n, seed=0):
    """zcsend's cache bytes off .. off+n for seed."""
    return bytes((i + 7 * (i >> 8) + 29 * (i >> 12) + seed) & 0xff for i in range(off, off + n))


def cksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def checksums_ok(p):
    """Do the IPv4 header and UDP checksums of p verify (RFC 791, 768)?"""
    ip = bytes(p[IP])
    hl = (ip[0] & 0xf) * 4
    if cksum(ip[:hl]) != 0xffff:
        return False
    u = ip[hl:]
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, len(u))
    return cksum(pseudo + u) == 0xffff


def zcsend(g, args, timeout=30):
    """Run zcsend in the guest; return its output."""
    g.sendline("zcsend " + args)
    g.expect(PROMPT, timeout=timeout, what="zcsend %s to finish" % args)
    return g.child.before


def copies(out):
    m = re.search(r"split (\d+) copy_bytes (\d+) copy_payload_bytes (\d+)", out)
    assert m, "zcsend printed:\n" + out
    return tuple(int(x) for x in m.groups())


def sent(lan, dport, n, timeout=20):
    """The UDP frames to dport the guest sent, until n or quiet."""
    got = lan.collect(lambda p: UDP in p and p[UDP].dport == dport, quiet=1.5, timeout=timeout)
    return got


def send_and_check(lan, dport, off, length, n):
    g = lan.g
    lan.drain()
    out = zcsend(g, "-k 4 -o %d -l %d -n %d %s %d" % (off, length, n, HOSTIP, dport))
    assert "sent %d of %d" % (n, n) in out, out
    got = sent(lan, dport, n)
    want = pattern(off, length)
    assert len(got) == n, "saw %d of %d datagrams\n%s" % (len(got), n, out)
    for p in got:
        assert p[IP].src == GUESTIP and p[IP].len == 28 + length
        assert bytes(p[UDP].payload) == want, "payload differs from the cache's bytes"
        assert checksums_ok(p), "bad checksum: %r" % p
    split, copy, copypay = copies(out)
    assert (split, copy, copypay) == (n, n * 42, 0), out
    return got


def test_split_frames_carry_the_cache_bytes_with_valid_checksums(lan):
    before = netstat(lan.g)
    send_and_check(lan, 9001, 100, 1000, 20)
    after = netstat(lan.g)
    assert after["copy_payload_bytes"] == before["copy_payload_bytes"] == 0
    assert after["tx_split_frames"] - before["tx_split_frames"] == 20


def test_same_cache_range_sent_500_times_back_to_back(lan):
    # more than a ring's worth at once: each range is in up to 511 frames
    # in flight together, every one with its own headers
    got = send_and_check(lan, 9002, 0, 1458, 500)
    assert len({p[IP].id for p in got}) == 500
    assert netstat(lan.g)["copy_payload_bytes"] == 0


def test_payload_spanning_two_cache_pages(lan):
    send_and_check(lan, 9003, 2 * PAGE - 300, 1000, 3)
    send_and_check(lan, 9003, 4 * PAGE - 1458, 1458, 2)   # up to the cache's last byte


@pytest.mark.parametrize("kind,counter", [
    ("past", "tx_reject_badpay"),
    ("wrap", "tx_reject_badpay"),
    ("zero", "tx_reject_badpay"),
    ("reserved", "tx_reject_badpay"),
    ("iplen", "tx_reject_splitlen"),
    ("big", "tx_reject_splitlen"),
    ("hdrlong", "tx_reject_splitlen"),
    ("nocache", "tx_reject_nocache"),
    ("icmp", "tx_reject_splithdr"),
    ("frag", "tx_reject_splithdr"),
    ("srcport", "tx_reject_srcport"),
])
def test_bad_split_frame_is_refused_and_counted(lan, kind, counter):
    g = lan.g
    lan.drain()
    before = netstat(g)
    out = zcsend(g, "-b %s -n 3 %s 9004" % (kind, HOSTIP))
    assert "sent 0 of 3" in out and "rejected 3 (%s)" % counter in out, out
    assert len(re.findall(r"rejected", out)) == 1, out
    after = netstat(g)
    assert after[counter] - before[counter] == 3
    assert after["tx_split_frames"] == before["tx_split_frames"]
    assert after["copy_payload_bytes"] == 0
    assert sent(lan, 9004, 1, timeout=2) == [], "a refused frame reached the wire"
    assert lan.alive(), "the guest stopped answering after -b %s" % kind


def test_cache_size_is_bounded(lan):
    g = lan.g
    out = zcsend(g, "-k 2049 %s 9005" % HOSTIP)
    assert "zcsend: netopen: invalid argument" in out, out
    # the largest cache, 8 MiB: filled, sent from its last page, and given back
    free0 = free_pages(g)
    lan.drain()
    out = zcsend(g, "-k 2048 -o %d -l 1000 %s 9005" % (2048 * PAGE - 1000, HOSTIP), timeout=60)
    assert "sent 1 of 1" in out, out
    [p] = sent(lan, 9005, 1)
    assert bytes(p[UDP].payload) == pattern(2048 * PAGE - 1000, 1000)
    assert free_pages(g) >= free0 - 64, "the cache's pages did not all come back"


def test_split_frame_to_ourselves_is_copied_and_counted(lan):
    # the cache page cannot move to the receiver: the one copy of payload
    # there is, and counted as one
    g = lan.g
    g.sendline("rawudp -x -t 10000 recv 9006 1 &")
    g.expect(r"rawudp: listening on 9006", what="rawudp to claim 9006")
    # zcsend's output to a file, so rawudp's line is not broken by it
    g.sendline("zcsend -o 5000 -l 300 %s 9006 > zc.out" % GUESTIP)
    g.expect(r"rawudp: got 300 bytes from [\d.]+:\d+ payload ([0-9a-f]+)\r?\n",
             what="rawudp's datagram")
    assert bytes.fromhex(g.child.match.group(1)) == pattern(5000, 300)
    g.sendline("echo synced")
    g.expect(r"\nsynced\r?\n", what="the shell")
    g.expect(PROMPT, what="the prompt")
    out = g.run("cat zc.out")
    assert "sent 1 of 1" in out, out
    split, copy, copypay = copies(out)
    assert (split, copypay) == (0, 300), out


def test_cache_beyond_memory_is_refused_and_leaves_nothing(lan):
    # Caches until memory runs out: the open that finds none says out of
    # memory and keeps no page; the others' all come back. Memory is
    # filled to a few hundred pages short of one more 8 MiB cache (the
    # last filler sized to fit), so that it is netopen that fails and not
    # the shell's fork (init's own programs, httpd among them, leave
    # free memory anywhere in a cache's stride).
    g = lan.g
    free0 = free_pages(g)
    pids, full = [], 0
    for i in range(24):
        k = min(CACHE, free_pages(g) - LEAVE - CHAN)
        if k < 16:
            break
        pids.append(start_zcsend(g, k, "zcsend %d (%d pages) to open" % (i, k), "1 handed over, pausing"))
        full += k == CACHE
    assert full >= 8, "only %d 8 MiB caches fit in %d free pages" % (full, free0)
    start_zcsend(g, CACHE, "the last zcsend to be refused", "netopen: out of memory")
    g.sendline("echo synced")
    g.expect(r"\nsynced\r?\n", what="the shell")
    g.expect(PROMPT, what="the prompt")
    for pid in pids:
        g.run("kill %d" % pid)
    deadline = time.monotonic() + 20
    while free_pages(g) < free0 - 32 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert free_pages(g) >= free0 - 32, "pages lost: %d free before" % free0
    assert lan.alive()


CACHE = 2048    # pages: the largest cache, 8 MiB
CHAN = 720      # pages a channel and a small process take besides, about
LEAVE = 600     # pages left free at the end: enough for a fork, not for a cache


def start_zcsend(g, k, what, want):
    """Start `zcsend -p -k k` in the background; its pid, once it says want."""
    g.sendline("zcsend -p -k %d -l 100 %s 9020 &" % (k, HOSTIP))
    g.expect(r"\[(\d+)\]", what="the shell to start " + what)
    pid = int(g.child.match.group(1))
    g.expect(r"zcsend: (1 handed over, pausing|netopen: out of memory)", timeout=30, what=what)
    assert g.child.match.group(1) == want, "%s: zcsend said %r" % (what, g.child.match.group(1))
    return pid


def free_pages(g):
    out = g.run("free")
    m = re.search(r"free: (\d+) pages", out)
    assert m, "free printed: %r" % out
    return int(m.group(1))


TXHOLD = ",tx=timer,x-txtimer=4200000000"   # the device holds each TX burst 4.2 s (at most: uint32 ns)


def hold_kill_and_fill(request, fsimg, wire, start, ready, fill):
    """Boot with the device holding TX 4.2 s, start the sender (start, a
    command run with &, printing the regex ready once its frames are
    handed over), kill it, wait out its close (1 s), then run fill,
    which takes and fills pages. Returns (guest, lan, free pages
    before, frames seen)."""
    from lan import Lan
    g = Guest(fsimg, cpus=2, log=_logpath(request, 0), net="dgram",
              makevars=dict(wire.makevars(), NETDEVOPTS=TXHOLD))
    request.addfinalizer(g.close)
    g.boot()
    lan = Lan(g, wire)
    lan.drain()
    time.sleep(1)
    free0 = free_pages(g)
    g.sendline(start + " &")
    g.expect(r"\[(\d+)\]", what="the shell to start the sender")
    pid = int(g.child.match.group(1))
    g.expect(ready, what="the sender to hand its frames over")
    time.sleep(0.3)          # a ring's worth handed over, the device's queue full
    t0 = time.monotonic()
    g.run("kill %d" % pid)
    time.sleep(max(0, 1.5 - (time.monotonic() - t0)))   # the close is over
    # take and fill pages: were the sender's freed early, these are they
    g.sendline(fill)
    g.expect(PROMPT, timeout=30, what="%s to finish" % fill)
    out = g.child.before
    assert re.search(r"sent 1 of 1|test sbrkfull: OK", out), out
    got = lan.collect(lambda p: IP in p, quiet=3, timeout=15)
    return g, lan, free0, got


def pages_back(g, free0):
    deadline = time.monotonic() + 10
    while free_pages(g) < free0 - 16 and time.monotonic() < deadline:
        time.sleep(0.5)
    free1 = free_pages(g)
    assert free1 >= free0 - 16, "pages lost: %d free before, %d after" % (free0, free1)


def test_killed_with_split_frames_in_flight_frees_no_page_early(request, fsimg, wire):
    # The device holds the frames 4 s; the killed sender's close waits
    # 1 s and goes. Its cache and header-copy pages must stay out of the
    # free list until the device is done: a process that takes and fills
    # pages meanwhile must not change a byte on the wire. Then every
    # page comes back.
    g, lan, free0, got = hold_kill_and_fill(
        request, fsimg, wire, "zcsend -p -k 4 -o 3000 -l 1400 -n 200 %s 9010" % HOSTIP,
        r"zcsend: 200 handed over, pausing", "zcsend -k 600 -f 77 -l 10 %s 9011" % HOSTIP)
    mine = [p for p in got if UDP in p and p[UDP].dport == 9010]
    want = pattern(3000, 1400)
    assert len(mine) == 200, "saw %d of 200 frames (%d IPv4 in all)" % (len(mine), len(got))
    bad = [p for p in mine if bytes(p[UDP].payload) != want or not checksums_ok(p)
           or p[IP].src != GUESTIP]
    assert not bad, "%d of 200 frames changed in flight, e.g. %r" % (len(bad), bad[0])
    pages_back(g, free0)
    st = netstat(g)
    assert st["copy_payload_bytes"] == 0 and st["tx_split_frames"] == 201, st


def test_killed_with_frames_in_flight_keeps_their_header_copies(request, fsimg, wire):
    # Ordinary frames: the device reads their headers from the kernel's
    # copy. The close freed the copy pages after its 1 s wait, frames in
    # flight or not: filled by the next owner, the frames left with junk
    # for headers. Now the copies stay until the device is done. And the
    # buffers of frames done after the close were kept by nobody unless
    # another channel took the slot first: here none does (sbrkfull, the
    # filler, opens none), and every page must come back.
    g, lan, free0, got = hold_kill_and_fill(
        request, fsimg, wire, "blast 2000 1000 %s 9012" % HOSTIP, r"\$ ",
        "usertests sbrkfull")
    mine = [p for p in got if UDP in p and p[UDP].dport == 9012]
    others = [p for p in got if not (UDP in p and p[UDP].dport == 9012)]
    assert len(mine) >= 200, "saw %d frames of blast's (%d IPv4 in all)" % (len(mine), len(got))
    assert not others, "%d frames with headers nobody sent, e.g. %r" % (len(others), others[0])
    assert all(p[IP].src == GUESTIP and len(p) == 1000 for p in mine)
    pages_back(g, free0)
