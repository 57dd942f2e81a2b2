"""Junk from the wire (NET=dgram): malformed frames are dropped and counted
as rx_drop_malformed, and ten thousand random frames (random bytes, and
valid frames with random bytes changed, from a fixed seed) leave the kernel
alive and still delivering to claimed ports.
"""
import random
import time

import pytest
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

from test_filter import GUESTIP, HOSTIP, HOSTMAC, moved, netstat, recv_udp, udp_frame

NJUNK = 10000
HOSTMAC_BYTES = bytes.fromhex(HOSTMAC.replace(":", ""))
SEED = 20240611


def ipv4(mac, tweak, payload=b"x" * 32):
    """A UDP frame to us as bytes, with tweak(bytearray) applied."""
    f = bytearray(udp_frame(mac, 7000, payload))
    tweak(f)
    return bytes(f)


def _cut(n):
    def tweak(f):
        del f[n:]
    return tweak


def _set(i, v):
    def tweak(f):
        f[i] = v
    return tweak


def _totlen(v):
    def tweak(f):
        f[16:18] = v.to_bytes(2, "big")
    return tweak


def _ihl60_in_34(f):
    f[14] = 0x4F
    del f[34:]


MALFORMED = {
    "ipv4_header_cut_at_10_bytes": _cut(14 + 10),
    "ip_version_6": _set(14, 0x65),
    "ihl_below_20": _set(14, 0x44),
    "ihl_beyond_frame": _ihl60_in_34,
    "total_length_beyond_frame": _totlen(1000),
    "total_length_below_header": _totlen(19),
    "udp_header_cut": _totlen(20 + 3),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_frame_is_dropped_and_counted(dgram_guest, wire, kind):
    g = dgram_guest
    before = netstat(g)
    frame = ipv4(before["mac"], MALFORMED[kind])
    wire.send(frame)
    deadline = time.monotonic() + 3
    while True:
        after = netstat(g)
        if after["rx_drop_malformed"] != before["rx_drop_malformed"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    # nobody took its page: wiped as far as the frame reached, and reused
    assert moved(before, after) == {"rx_drop_malformed": 1, "dev_rx_frames": 1,
                                    "dev_rx_wipe_bytes": len(frame)}, "frame %s" % frame.hex()


def test_frame_shorter_than_ethernet_header_is_dropped_and_counted(dgram_guest, wire):
    # QEMU's dgram backend and virtio-net pass a 10-byte frame on as it is
    # (the pcap shows 10 bytes), so the kernel sees a runt.
    g = dgram_guest
    before = netstat(g)
    wire.send(bytes.fromhex(before["mac"].replace(":", "")) + HOSTMAC_BYTES[:4])
    time.sleep(1)
    after = netstat(g)
    assert moved(before, after) == {"rx_drop_malformed": 1, "dev_rx_frames": 1,
                                    "dev_rx_drop_runt": 1, "dev_rx_wipe_bytes": 10}


def valid_frames(mac):
    """Frames the kernel would accept, to mutate."""
    eth = Ether(dst=mac, src=HOSTMAC)
    return [bytes(f) for f in (
        eth / IP(src=HOSTIP, dst=GUESTIP) / UDP(sport=5555, dport=7001) / Raw(b"junk" * 8),
        eth / IP(src=HOSTIP, dst=GUESTIP) / UDP(sport=5555, dport=7002) / Raw(b"z" * 600),
        eth / IP(src=HOSTIP, dst=GUESTIP, flags="MF", frag=0) / UDP(dport=7001) / Raw(b"a" * 64),
        eth / IP(src=HOSTIP, dst=GUESTIP, frag=100) / Raw(b"b" * 64),
        eth / IP(src=HOSTIP, dst=GUESTIP) / ICMP(type=0, id=7001) / Raw(b"c" * 32),
        eth / IP(src=HOSTIP, dst=GUESTIP) / ICMP(type=3, code=3) /
        IP(src=GUESTIP, dst=HOSTIP) / UDP(sport=7001, dport=53),
        eth / IP(src=HOSTIP, dst=GUESTIP, options=b"\x01" * 8) / UDP(dport=7001) / Raw(b"o" * 8),
        Ether(dst="ff:ff:ff:ff:ff:ff", src=HOSTMAC) / ARP(op=1, hwsrc=HOSTMAC, psrc=HOSTIP,
                                                        pdst=GUESTIP),
        Ether(dst="ff:ff:ff:ff:ff:ff", src=HOSTMAC) / IP(src=HOSTIP, dst="255.255.255.255") /
        UDP(dport=7001) / Raw(b"bcast"),
    )]


def junk(rng, valid):
    """One junk frame: random bytes, or a valid frame with a few bytes
    changed, cut short or grown. Never empty: QEMU's dgram backend takes
    an empty datagram for the end of the connection and stops reading."""
    r = rng.random()
    if r < 0.3:
        return rng.randbytes(rng.choice([rng.randrange(1, 64), rng.randrange(1, 1515)]))
    f = bytearray(rng.choice(valid))
    for _ in range(rng.randrange(1, 6)):
        # mostly in the headers, where the kernel looks
        i = rng.randrange(min(len(f), 64)) if rng.random() < 0.8 else rng.randrange(len(f))
        f[i] = rng.randrange(256)
    if r > 0.85:
        del f[rng.randrange(1, len(f)):]
    elif r > 0.8:
        f += rng.randbytes(rng.randrange(0, 1514 - min(len(f), 1514) + 1))
    return bytes(f)


@pytest.mark.parametrize("cpus", [2, 4])
def test_random_frames_leave_the_kernel_alive(dgram_boot, wire, cpus):
    g = dgram_boot(cpus=cpus)
    before = netstat(g)
    mac = before["mac"]
    # a claimed port, so that some junk is delivered to a process too
    g.sendline("sink 100000 7001 &")
    g.expect(r"sink: listening on 7001", what="sink to claim its port")
    rng = random.Random(SEED)
    valid = valid_frames(mac)
    t0 = time.monotonic()
    for i in range(NJUNK):
        wire.send(junk(rng, valid))
        if i % 50 == 49:
            time.sleep(0.005)   # let the guest keep up; the point is variety
    sent_s = time.monotonic() - t0
    # sink ends after 5 s of silence and reports
    g.expect(r"sink: (\d+) frames", timeout=30, what="sink to finish")
    out = g.run("echo alive", timeout=10)
    assert "alive" in out, out
    after = netstat(g)
    d = moved(before, after)
    seen = sum(d.get(k, 0) for k in ("rx_frames", "rx_drop_nofilter", "rx_drop_malformed",
                                     "rx_drop_notforus", "rx_drop_ringfull", "rx_drop_nomem"))
    assert seen >= NJUNK // 2, "only %d of %d junk frames counted in %.1f s: %s" % (
        seen, NJUNK, sent_s, d)
    # and a well-formed frame to a claimed port still arrives
    payload = b"after the junk"
    m = recv_udp(g, wire, mac, 7000, payload)
    assert bytes.fromhex(m.group(5)) == payload
