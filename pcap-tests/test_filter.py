"""The kernel's frame filter (kernel/netfilt.c, netguard.c), seen from the
wire over NET=dgram: frames the host injects reach the process that
claimed their port, or are dropped and counted by cause; frames a process
sends leave well formed. Counters are read back with the guest's netstat.
init starts netd, the default responder, so IPv4 and ARP frames no
process claimed are netd's, not dropped.
The in-guest channel tests (nettests) run here too, on the same link.
"""
import random
import re
import time

import pytest

from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from qemu import PROMPT

HOSTMAC = "52:55:0a:00:02:02"   # what slirp would use for the gateway
GUESTIP = "10.0.2.15"
HOSTIP = "10.0.2.2"


def netstat(g):
    """The guest's interface counters and addresses, by name."""
    out = g.run("netstat")
    d = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 2:
            d[f[0]] = int(f[1]) if f[1].isdigit() else f[1]
    assert "rx_frames" in d and "mac" in d, "netstat printed:\n" + out
    return d


def udp_frame(dmac, dport, payload, dip=GUESTIP, sport=5555):
    return bytes(Ether(dst=dmac, src=HOSTMAC) / IP(src=HOSTIP, dst=dip) /
                 UDP(sport=sport, dport=dport) / Raw(payload))


def inject_counted(g, wire, frame, counter, timeout=3.0):
    """Inject frame and return the counters (before, after), after waiting
    for counter to move (or timeout seconds)."""
    before = netstat(g)
    wire.send(frame)
    deadline = time.monotonic() + timeout
    while True:
        after = netstat(g)
        if after[counter] != before[counter] or time.monotonic() > deadline:
            return before, after
        time.sleep(0.2)


# Counters of how the kernel waited, not of what happened to frames: an
# interrupt or a poll may or may not come with a frame, as timing has it;
# and whether the page that replaced a taken frame's was recycled or
# fresh depends on what earlier frames left in the pool.
WAITING = ("dev_intrs", "dev_spins", "dev_spin_hits", "dev_rx_rescued", "dev_rx_fresh")


def moved(before, after):
    """The counters that changed, by how much (those in WAITING left out)."""
    return {k: after[k] - before[k] for k in before
            if isinstance(before[k], int) and after[k] != before[k] and k not in WAITING}


def recv_udp(g, wire, mac, port, payload):
    """Run `rawudp recv port` in the guest, inject payload to it and
    return the match of the line rawudp printed."""
    g.sendline("rawudp -x -t 10000 recv %d 1" % port)
    g.expect(r"rawudp: listening on %d" % port, what="rawudp to claim its port")
    wire.send(udp_frame(mac, port, payload))
    g.expect(r"rawudp: (got (\d+) bytes from ([\d.]+):(\d+) payload ([0-9a-f]*)|timeout[^\n]*)\r?\n",
             timeout=15, what="rawudp to receive the frame")
    m = g.child.match
    g.expect(PROMPT, what="the prompt after rawudp")
    assert m.group(2) is not None, "rawudp: %s\n%s" % (m.group(1), g.tail())
    return m


def test_udp_to_claimed_port_arrives_with_exact_payload(dgram_guest, wire):
    g = dgram_guest
    mac = netstat(g)["mac"]
    payload = random.Random(7000).randbytes(200)
    m = recv_udp(g, wire, mac, 7000, payload)
    assert int(m.group(2)) == len(payload)
    assert (m.group(3), int(m.group(4))) == (HOSTIP, 5555)
    assert bytes.fromhex(m.group(5)) == payload


def test_udp_to_unclaimed_port_goes_to_the_default_responder(dgram_guest, wire):
    # init starts netd, which holds the default claim: a datagram no
    # process claimed is netd's to answer (netd's answer is test_udp's).
    g = dgram_guest
    mac = netstat(g)["mac"]
    before, after = inject_counted(g, wire, udp_frame(mac, 7999, b"nobody"), "rx_to_default")
    d = moved(before, after)
    assert d.get("rx_to_default") == 1 and d.get("rx_frames") == 1, d
    assert "rx_drop_nofilter" not in d, d


def test_frame_no_filter_takes_is_dropped_and_counted(dgram_guest, wire):
    # Not even the default responder takes an EtherType other than IPv4
    # and ARP: an IPv6 frame to our MAC has no owner.
    g = dgram_guest
    mac = netstat(g)["mac"]
    frame = bytes(Ether(dst=mac, src=HOSTMAC, type=0x86DD) / Raw(b"\x60" + b"\0" * 39))
    before, after = inject_counted(g, wire, frame, "rx_drop_nofilter")
    # nobody took its page: wiped as far as the frame reached, and reused
    assert moved(before, after) == {"rx_drop_nofilter": 1, "dev_rx_frames": 1,
                                    "dev_rx_wipe_bytes": len(frame)}


def test_frame_for_another_mac_is_dropped_and_counted(dgram_guest, wire):
    g = dgram_guest
    frame = udp_frame("52:54:00:99:99:99", 7000, b"not ours")
    before, after = inject_counted(g, wire, frame, "rx_drop_notforus")
    assert moved(before, after) == {"rx_drop_notforus": 1, "dev_rx_frames": 1,
                                    "dev_rx_wipe_bytes": len(frame)}


def test_frame_for_another_ip_is_dropped_and_counted(dgram_guest, wire):
    g = dgram_guest
    mac = netstat(g)["mac"]
    frame = udp_frame(mac, 7000, b"not ours", dip="10.0.2.99")
    before, after = inject_counted(g, wire, frame, "rx_drop_notforus")
    assert moved(before, after) == {"rx_drop_notforus": 1, "dev_rx_frames": 1,
                                    "dev_rx_wipe_bytes": len(frame)}


def guest_frames(wire, timeout=5.0):
    """Frames the guest sent, until none came for timeout seconds."""
    frames = []
    while True:
        f = wire.recv(timeout if not frames else 0.5)
        if f is None:
            return frames
        frames.append(f)


def test_frame_sent_by_guest_arrives_well_formed(dgram_guest, wire):
    g = dgram_guest
    mac = netstat(g)["mac"]
    wire.drain()
    out = g.run("rawudp send 10.0.2.2 9999 hello")
    assert "rawudp: sent 1 of 1" in out and "rejected" not in out, out
    frames = [Ether(f) for f in guest_frames(wire)]
    udp = [p for p in frames if UDP in p and p[UDP].dport == 9999]
    assert len(udp) == 1, "guest sent %s" % [p.summary() for p in frames]
    p = udp[0]
    assert p.src == mac and p.dst == HOSTMAC
    assert p[IP].src == GUESTIP and p[IP].dst == HOSTIP
    assert p[IP].version == 4 and p[IP].ihl == 5 and p[IP].len == 20 + 8 + 5
    assert bytes(p[UDP].payload) == b"hello" and p[UDP].len == 8 + 5
    # rebuild with the checksums left for scapy to compute
    q = p[IP].copy()
    del q.chksum
    del q[UDP].chksum
    q = IP(bytes(q))
    assert p[IP].chksum == q.chksum, "IPv4 header checksum 0x%04x, wanted 0x%04x" % (
        p[IP].chksum, q.chksum)
    assert p[UDP].chksum == q[UDP].chksum, "UDP checksum 0x%04x, wanted 0x%04x" % (
        p[UDP].chksum, q[UDP].chksum)


def test_each_frame_sent_is_counted_and_on_the_wire_once(dgram_guest, wire):
    g = dgram_guest
    wire.drain()
    before = netstat(g)
    out = g.run("rawudp send 10.0.2.2 9999 hello 3")
    after = netstat(g)
    assert moved(before, after).get("tx_frames") == 3, out
    assert len([f for f in guest_frames(wire) if UDP in Ether(f)]) == 3


NETTESTS_TIMEOUT = 300


# Under four harts too: the channel's SMP races show there first.
@pytest.mark.parametrize("cpus", [2, 4])
def test_nettests_pass(dgram_boot, cpus):
    g = dgram_boot(cpus=cpus)
    g.sendline("nettests")
    i = g.expect([r"ALL TESTS PASSED", r"SOME TESTS FAILED", r"panic[^\n]*"],
                 timeout=NETTESTS_TIMEOUT, what="nettests to finish")
    out = g.child.before.replace("\r", "")
    g.expect(PROMPT, what="the prompt after nettests")
    failed = re.findall(r"test (\w+): FAILED", out)
    assert i == 0, "nettests: %s failed\n%s" % (", ".join(failed) or g.child.match.group(0), out)


TXHOLD_MS = 1500
TXHOLD = ",tx=timer,x-txtimer=%d" % (TXHOLD_MS * 1000000)   # the device holds each TX burst


def test_full_tx_ring_wait_returns_when_device_gives_slots_back(request, fsimg, wire):
    # nettests txwake fills the TX ring while the device holds every
    # frame TXHOLD_MS, then waits in netsync and in poll(POLLOUT) with a
    # 10 s timeout: each must return once the device is done, not at the
    # timeout (libnet waits there instead of blocking in a send).
    from conftest import _logpath
    from qemu import Guest
    g = Guest(fsimg, cpus=2, log=_logpath(request, 0), net="dgram",
              makevars=dict(wire.makevars(), NETDEVOPTS=TXHOLD))
    try:
        g.boot()
        out = g.run("nettests txwake %d" % TXHOLD_MS, timeout=60)
        assert "test txwake: OK" in out, out
    finally:
        g.close()
