"""The trust boundary (docs/architecture.md, "Trust boundary"), attacked
from the wire and from a hostile process (`spy`): no process reads
bytes of a frame not delivered to it, and no process can take every
port claim. Each test here failed on the kernel before the fix it
names.
"""
import re
import time

import pytest

from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.l2 import Ether

from lan import Lan, background
from qemu import PROMPT
from test_filter import GUESTIP, HOSTIP, HOSTMAC, netstat, udp_frame

MARKER = b"\xa7"    # spy looks for runs of this byte past a frame's end


def send_paced(wire, frames, burst=32, pause=0.02):
    """Inject frames a burst at a time, so QEMU's socket never overflows."""
    for i in range(0, len(frames), burst):
        for f in frames[i:i + burst]:
            wire.send(f)
        time.sleep(pause)


def spy_rxtail(g, wire, mac, port, payload, n=400):
    """Run `spy rxtail` on port while n UDP frames of payload arrive;
    returns (frames it got, frames with another's bytes past their end)."""
    g.sendline("spy rxtail %d %d 30000" % (port, n))
    g.expect(r"spy: listening on %d" % port, what="spy to claim %d" % port)
    send_paced(wire, [udp_frame(mac, port, payload) for _ in range(n)], burst=16)
    g.expect(r"spy: (\d+) frames, (\d+) with another's bytes past their end",
             timeout=40, what="spy's count")
    got, leaked = int(g.child.match.group(1)), int(g.child.match.group(2))
    g.expect(PROMPT, what="the prompt after spy")
    return got, leaked


@pytest.mark.parametrize("cpus", [2, 4])
def test_received_pages_carry_no_other_frames_bytes(dgram_boot, wire, cpus):
    # A frame nobody takes (its owner's queue full, or not for our IP)
    # left its page to the device as it was: the next, shorter frame in
    # it carried the old one's bytes to another process. Now the page is
    # wiped as far as the dropped frame reached.
    g = dgram_boot(cpus=cpus)
    mac = netstat(g)["mac"]
    background(g, "spy hold 7300", r"spy: holding 7300")
    marked = udp_frame(mac, 7300, MARKER * 1350)
    before = netstat(g)
    send_paced(wire, [marked] * 600)                            # 512 queued, the rest dropped
    send_paced(wire, [udp_frame(mac, 7300, MARKER * 1350, dip="10.0.2.99")] * 200)
    time.sleep(1)
    mid = netstat(g)
    assert mid["rx_drop_ringfull"] - before["rx_drop_ringfull"] >= 80, (before, mid)
    assert mid["rx_drop_notforus"] - before["rx_drop_notforus"] >= 190, (before, mid)

    got, leaked = spy_rxtail(g, wire, mac, 7301, b"small")
    assert got == 400, "spy received %d of 400 frames" % got
    assert leaked == 0, "%d of %d frames showed another process's bytes" % (leaked, got)
    after = netstat(g)
    dropped = (after["rx_drop_ringfull"] - before["rx_drop_ringfull"] +
               after["rx_drop_notforus"] - before["rx_drop_notforus"])
    # every dropped frame's page was wiped, as far as the frame reached
    assert after["dev_rx_wipe_bytes"] - before["dev_rx_wipe_bytes"] >= dropped * len(marked)


def test_recycled_receive_pages_carry_no_other_process_bytes(dgram_guest, wire):
    # Pages a process gives back go round to the device again without a
    # 4 KiB fill (kalloc_rx); only a page that reaches another process
    # is wiped past its frame. One process takes 300 frames full of the
    # marker and gives every page back; the next takes 400 small frames
    # in those pages and must find none of the marker past their ends.
    g = dgram_guest
    mac = netstat(g)["mac"]
    assert spy_rxtail(g, wire, mac, 7302, MARKER * 1350, n=300)[0] == 300
    before = netstat(g)
    got, leaked = spy_rxtail(g, wire, mac, 7301, b"small")
    assert got == 400, "spy received %d of 400 frames" % got
    assert leaked == 0, "%d of %d frames showed another process's bytes" % (leaked, got)
    # many of the pages had been the first spy's: each was wiped past its frame
    wiped = netstat(g)["wipe_bytes"] - before["wipe_bytes"]
    assert wiped >= 100 * (4096 - len(udp_frame(mac, 7301, b"small"))), wiped


def test_one_process_cannot_take_every_port_claim(dgram_guest, wire):
    # A process claiming port 0 in a loop took the whole claim table:
    # udpecho could not start and ping failed with "no buffer space".
    # Now it stops at its quota, with a clear error, and others still claim.
    g = dgram_guest
    g.sendline("spy hog &")
    # up to the line's end: pexpect matches as soon as it can, and the
    # console may have given only part of the line yet
    g.expect(r"spy: holding (\d+) claims; the next was refused: ([^\r\n]*)\r?\n", what="spy hog")
    n, why = int(g.child.match.group(1)), g.child.match.group(2)
    g.sendline("echo synced")
    g.expect(r"\nsynced\r?\n", what="the shell after spy hog")
    g.expect(PROMPT, what="the prompt after spy hog")
    assert (n, why) == (1024, "quota exceeded"), (n, why)
    st = netstat(g)
    assert st["claim_reject_quota"] >= 1, st

    background(g, "udpecho -l 7", r"udpecho: listening on 7")
    lan = Lan(g, wire)
    lan.learn()
    lan.send(Ether(dst=lan.mac, src=HOSTMAC) / IP(src=HOSTIP, dst=GUESTIP) /
             UDP(sport=5555, dport=7) / b"still here")
    echo = lan.expect(lambda p: UDP in p and p[UDP].sport == 7 and p[UDP].dport == 5555)
    assert echo is not None and bytes(echo[UDP].payload)[:10] == b"still here", \
        "udpecho did not answer while spy held its claims"

    g.sendline("ping -c 1 -W 3 10.0.2.2")
    req = lan.expect(lambda p: ICMP in p and p[ICMP].type == 8, timeout=5)
    assert req is not None, "ping sent no echo request:\n" + g.tail()
    lan.send(Ether(dst=lan.mac, src=HOSTMAC) / IP(src=HOSTIP, dst=GUESTIP) /
             ICMP(type=0, id=req[ICMP].id, seq=req[ICMP].seq) / bytes(req[ICMP].payload))
    g.expect(PROMPT, what="ping to finish")
    out = g.child.before
    assert "1 packets transmitted, 1 received" in out, out
    assert re.search(r"no buffer space|quota", out) is None, out


TXHOLD = ",tx=timer,x-txtimer=1500000000"   # the device holds each TX burst 1.5 s


def ps(g):
    """pid -> (state, cpu ms, name), from the guest's ps."""
    out = g.run("ps")
    procs = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 6 and f[0].isdigit():
            procs[int(f[0])] = (f[2], int(f[4]), f[5])
    assert procs, "ps printed:\n" + out
    return procs


def test_killed_process_waits_for_frames_in_flight_without_spinning(request, fsimg, wire):
    # A killed process that exits with frames in flight waits up to a
    # second for the device in netchan_release. That wait used an
    # interruptible sleep, which returns at once for a killed process:
    # it spun, a whole hart's worth of CPU. Now it sleeps.
    from conftest import _logpath
    from qemu import Guest
    g = Guest(fsimg, cpus=2, log=_logpath(request, 0), net="dgram",
              makevars=dict(wire.makevars(), NETDEVOPTS=TXHOLD))
    try:
        g.boot()
        g.sendline("blast 2000 1000 10.0.2.2 9 &")
        g.expect(r"\[(\d+)\]", what="the shell to start blast")
        pid = int(g.child.match.group(1))
        g.expect(PROMPT, what="the prompt after starting blast")
        time.sleep(0.3)          # its ring is full: the device holds 256 frames
        g.run("kill %d" % pid)
        t0 = time.monotonic()
        first = ps(g)
        assert pid in first and first[pid][2] == "blast", first
        time.sleep(0.4)
        second = ps(g)
        dt = time.monotonic() - t0
        assert dt < 0.9, "too slow to look inside the 1 s wait (%.2f s)" % dt
        assert pid in second, "blast was gone before the device was done: %s" % second
        used = second[pid][1] - first[pid][1]
        assert used <= 20, "blast used %d ms of CPU in %.0f ms of waiting (%s, then %s)" % (
            used, dt * 1000, first[pid], second[pid])
        assert second[pid][0] == "sleep", second[pid]
    finally:
        g.close()
