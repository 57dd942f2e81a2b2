"""IPv4 on the wire (NET=dgram), RFC 791 and RFC 1122 3.2.1: malformed
headers draw no reply and crash nothing; fragments are reassembled, in
any order, and a reply too big for a frame leaves fragmented; overlapping
fragments kill their datagram (RFC 5722's rule) and nothing else; TCP to
a closed port draws a reset (RFC 9293 3.10.7.1).
"""
import random

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP, defragment, fragment
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from lan import background, lan_fixture
from test_filter import GUESTIP, HOSTIP, HOSTMAC, moved, netstat

lan = lan_fixture()
ECHOPORT = 7


@pytest.fixture(scope="module")
def echo(lan):
    """The guest runs `udpecho -l 7` for the rest of the module."""
    background(lan.g, "udpecho -l %d" % ECHOPORT, r"udpecho: listening on %d" % ECHOPORT)
    lan.learn()
    return lan


def ping_frame(lan, ident, payload=b"x" * 32):
    """An echo request to the guest, as bytes to tweak."""
    return bytearray(bytes(Ether(dst=lan.mac, src=HOSTMAC) / IP(src=HOSTIP, dst=GUESTIP) /
                           ICMP(type=8, id=ident, seq=1) / Raw(payload)))


def _bad_cksum(f):
    f[24] ^= 0xff


def _version6(f):
    f[14] = 0x65


def _truncated(f):
    del f[14 + 30:]


def _ihl_below_20(f):
    f[14] = 0x44


def _ihl_beyond_packet(f):
    f[14] = 0x4f


MALFORMED = {
    "bad_header_checksum": (_bad_cksum, "rx_to_default"),
    "version_6": (_version6, "rx_drop_malformed"),
    "truncated": (_truncated, "rx_drop_malformed"),
    "ihl_below_20": (_ihl_below_20, "rx_drop_malformed"),
    "ihl_beyond_packet": (_ihl_beyond_packet, "rx_drop_malformed"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_ipv4_gets_no_reply_and_no_crash(lan, kind):
    tweak, counter = MALFORMED[kind]
    lan.learn()
    lan.drain()
    f = ping_frame(lan, 0x5150)
    tweak(f)
    before = netstat(lan.g)
    lan.wire.send(bytes(f))
    r = lan.expect(lambda p: IP in p, timeout=1.5)
    after = netstat(lan.g)
    assert r is None, "guest answered: %s" % r.summary()
    m = moved(before, after)
    assert m.get(counter) == 1 and "tx_frames" not in m, m
    assert lan.alive(), "guest stopped answering pings"


def frames(lan, pkts):
    return [bytes(Ether(dst=lan.mac, src=HOSTMAC) / p) for p in pkts]


def udp_fragments(payload, sport, ident, size=680):
    p = IP(src=HOSTIP, dst=GUESTIP, id=ident) / UDP(sport=sport, dport=ECHOPORT) / Raw(payload)
    return fragment(p, fragsize=size)


def echoed(lan, sport, timeout=5.0):
    """The guest's fragments of its echo to sport, reassembled, or None."""
    frags = lan.collect(lambda p: IP in p and p[IP].src == GUESTIP and
                        p[IP].proto == 17, quiet=1.0, timeout=timeout)
    if not frags:
        return None, []
    whole = defragment([p[IP] for p in frags])
    for p in whole:
        if UDP in p and p[UDP].dport == sport:
            return p, frags
    return None, frags


ORDERS = {
    "in_order": [0, 1, 2],
    "first_then_reversed": [0, 2, 1],
    "first_last": [2, 1, 0],
}


# kernel/netfilt.c sends a later fragment to the owner of its datagram's
# first fragment; one that comes before the first is held until the first
# names the owner ("first_last" failed before that).
@pytest.mark.parametrize("order", sorted(ORDERS))
def test_fragmented_udp_is_reassembled_and_echo_fragmented(echo, order):
    lan = echo
    lan.drain()
    sport = 6100 + sorted(ORDERS).index(order)
    # udpecho echoes up to 2048 bytes: three fragments in, two out.
    payload = random.Random(sport).randbytes(2000)
    frags = udp_fragments(payload, sport, ident=0x1000 + sport)
    assert len(frags) == 3
    before = netstat(lan.g)
    for i in ORDERS[order]:
        lan.wire.send(frames(lan, [frags[i]])[0])
    p, got = echoed(lan, sport)
    after = netstat(lan.g)
    assert p is not None, "no echo; guest sent %s; counters moved %s" % (
        [q.summary() for q in got], moved(before, after))
    assert len(got) == 2 and all(q[IP].flags.MF or q[IP].frag for q in got), \
        "echo not fragmented: %s" % [q.summary() for q in got]
    assert all(len(q[IP]) <= 1500 for q in got)
    assert bytes(p[UDP].payload)[:len(payload)] == payload and p[UDP].len == 8 + len(payload)


def test_overlapping_fragments_are_dropped_without_crash(echo):
    lan = echo
    lan.drain()
    sport = 6200
    payload = random.Random(sport).randbytes(2000)
    whole = IP(bytes(IP(src=HOSTIP, dst=GUESTIP, id=0x2222) /
                     UDP(sport=sport, dport=ECHOPORT) / Raw(payload)))
    raw = bytes(whole[IP].payload)   # UDP header + data, 2008 bytes

    def frag(off, end, more):
        return (IP(src=HOSTIP, dst=GUESTIP, id=0x2222, proto=17, frag=off // 8,
                   flags="MF" if more else 0) / Raw(raw[off:end]))

    # the second overlaps the first by 200 bytes; then the rest.
    pkts = [frag(0, 800, True), frag(600, 1600, True), frag(1600, len(raw), False)]
    for f in frames(lan, pkts):
        lan.wire.send(f)
    p, got = echoed(lan, sport, timeout=3)
    assert p is None, "an overlapped datagram was echoed"
    assert lan.alive()
    # and the next datagram still gets through.
    for f in frames(lan, udp_fragments(payload, sport + 1, ident=0x2223)):
        lan.wire.send(f)
    p, got = echoed(lan, sport + 1)
    assert p is not None and bytes(p[UDP].payload)[:len(payload)] == payload


def test_fragmented_echo_request_gets_fragmented_reply(lan):
    lan.learn()
    lan.drain()
    payload = random.Random(5).randbytes(4000)
    req = IP(src=HOSTIP, dst=GUESTIP, id=0x3333) / ICMP(type=8, id=0x99, seq=3) / Raw(payload)
    for f in frames(lan, fragment(req, fragsize=1400)):
        lan.wire.send(f)
    got = lan.collect(lambda p: IP in p and p[IP].src == GUESTIP and p[IP].proto == 1, quiet=1.0)
    whole = [p for p in defragment([q[IP] for q in got]) if ICMP in p]
    assert whole, "no reply; guest sent %s" % [p.summary() for p in lan.seen]
    r = whole[0]
    assert len(got) >= 3
    assert (r[ICMP].type, r[ICMP].id, r[ICMP].seq) == (0, 0x99, 3)
    assert bytes(r[ICMP].payload)[:len(payload)] == payload


def test_tcp_syn_to_closed_port_gets_rst_ack(lan):
    lan.learn()
    lan.drain()
    syn = (Ether(dst=lan.mac, src=HOSTMAC) / IP(src=HOSTIP, dst=GUESTIP) /
           TCP(sport=40000, dport=81, flags="S", seq=123456))
    lan.send(syn)
    r = lan.expect(lambda p: TCP in p)
    assert r is not None, "no reset; guest sent %s" % [p.summary() for p in lan.seen]
    assert r[IP].src == GUESTIP and r[IP].dst == HOSTIP
    assert (r[TCP].sport, r[TCP].dport) == (81, 40000)
    assert r[TCP].flags == "RA", "flags %s" % r[TCP].flags
    assert r[TCP].seq == 0 and r[TCP].ack == 123457
    q = IP(bytes(r[IP])[:r[IP].len])
    del q.chksum
    del q[TCP].chksum
    q = IP(bytes(q))
    assert r[TCP].chksum == q[TCP].chksum
