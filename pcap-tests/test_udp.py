"""UDP on the wire (NET=dgram), RFC 768 and RFC 1122 4.1.3.1: a datagram
to a port nobody holds draws ICMP port unreachable from netd, quoting
the datagram, unless it came as a link-layer broadcast (RFC 1122 3.2.2);
one whose IP option is malformed draws a parameter problem pointing at
it (RFC 1122 3.2.2.5); one to `udpecho -l` comes back; the guest's
sockets send well-formed datagrams with correct checksums. netd's own
counters are read with `netstat -l`.
"""
import re
import struct
import time

import pytest
from scapy.layers.inet import ICMP, IP, UDP
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


def udp_to(lan, dport, payload, sport=5555):
    return (Ether(dst=lan.mac, src=HOSTMAC) / IP(src=HOSTIP, dst=GUESTIP, id=0x4242) /
            UDP(sport=sport, dport=dport) / Raw(payload))


def udp_data(p):
    """The datagram's data, without the link's padding after it."""
    return bytes(p[UDP])[8:p[UDP].len]


def test_udp_to_closed_port_gets_port_unreachable_quoting_it(echo):
    lan = echo
    lan.drain()
    req = udp_to(lan, 4444, b"is anyone there?")
    before = netstat(lan.g)
    lan.send(req)
    r = lan.expect(lambda p: ICMP in p)
    after = netstat(lan.g)
    assert r is not None, "no ICMP; guest sent %s" % [p.summary() for p in lan.seen]
    assert r[IP].src == GUESTIP and r[IP].dst == HOSTIP
    assert (r[ICMP].type, r[ICMP].code) == (3, 3)
    quoted = bytes(r[ICMP].payload)
    sent = bytes(req[IP])
    # RFC 792: the header and at least 8 bytes of data; we quote it all.
    assert quoted[:28] == sent[:28]
    assert quoted == sent[:len(quoted)] and len(quoted) >= 28
    q = IP(bytes(r[IP]))
    del q.chksum
    del q[ICMP].chksum
    q = IP(bytes(q))
    assert r[ICMP].chksum == q[ICMP].chksum
    m = moved(before, after)
    assert m.get("rx_to_default") == 1 and m.get("tx_frames") == 1, m


def netd_stats(g):
    """netd's libnet counters (LN_STATS), by name, from `netstat -l`."""
    out = g.run("netstat -l")
    d = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 2 and f[1].isdigit():
            d[f[0]] = int(f[1])
    assert "udp_drop_noport" in d, "netstat -l printed:\n" + out
    return d


def test_udp_by_link_broadcast_to_closed_port_gets_no_port_unreachable(echo):
    # RFC 1122 3.2.2: no ICMP error about "a datagram sent as a link-layer
    # broadcast", whatever its IP destination. netd drops it, counted.
    lan = echo
    lan.drain()
    before = netd_stats(lan.g)
    lan.send(Ether(dst="ff:ff:ff:ff:ff:ff", src=HOSTMAC) /
             IP(src=HOSTIP, dst=GUESTIP, id=0x4243) / UDP(sport=5556, dport=4446) /
             Raw(b"broadcast to a closed port"))
    got = lan.collect(lambda p: ICMP in p, quiet=1.5)
    after = netd_stats(lan.g)
    assert not got, "netd answered a link-layer broadcast: %s" % [p.summary() for p in got]
    m = moved(before, after)
    assert m.get("icmp_err_llbcast") == 1 and m.get("udp_drop_noport") == 1, m
    assert "icmp_err_tx" not in m, m


def with_option(pkt, opt):
    """pkt (Ether/IP/...) with the option bytes opt (a multiple of 4)
    inserted after its 20-byte IP header: IHL, total length and the
    header checksum made to match, the rest as it was."""
    raw = bytearray(bytes(pkt))
    ip = raw[14:]
    hdr = bytearray(ip[:20]) + bytearray(opt)
    hdr[0] = 0x40 | len(hdr) // 4
    struct.pack_into(">H", hdr, 2, len(hdr) + len(ip) - 20)
    struct.pack_into(">H", hdr, 10, 0)
    s = sum(struct.unpack(">%dH" % (len(hdr) // 2), bytes(hdr)))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    struct.pack_into(">H", hdr, 10, ~s & 0xffff)
    return bytes(raw[:14]) + bytes(hdr) + bytes(ip[20:])


def test_malformed_ip_option_gets_parameter_problem_pointing_at_it(echo):
    # RFC 1122 3.2.2.5 and RFC 792: record route (type 7) with length 1
    # breaks RFC 791's option format; the pointer names its length octet,
    # 21, and the error quotes the datagram, header and options first.
    lan = echo
    lan.drain()
    frame = with_option(udp_to(lan, 4447, b"bad option", sport=5557), b"\x07\x01\x00\x00")
    before = netd_stats(lan.g)
    lan.send(frame)
    r = lan.expect(lambda p: ICMP in p)
    after = netd_stats(lan.g)
    assert r is not None, "no ICMP; guest sent %s" % [p.summary() for p in lan.seen]
    assert r[IP].src == GUESTIP and r[IP].dst == HOSTIP
    icmp = bytes(r[IP])[r[IP].ihl * 4:r[IP].len]
    assert (icmp[0], icmp[1]) == (12, 0), "type %d code %d" % (icmp[0], icmp[1])
    assert icmp[4:8] == bytes([21, 0, 0, 0]), icmp[4:8].hex()
    sent = frame[14:]
    assert icmp[8:] == sent, "quoted %s, sent %s" % (icmp[8:].hex(), sent.hex())
    q = IP(bytes(r[IP]))
    del q[ICMP].chksum
    assert r[ICMP].chksum == IP(bytes(q))[ICMP].chksum
    m = moved(before, after)
    assert m.get("ip_drop_format") == 1 and m.get("icmp_err_tx") == 1, m
    assert "udp_drop_noport" not in m and "ip_drop_short" not in m, m


def test_udp_to_udpecho_is_echoed(echo):
    lan = echo
    lan.drain()
    payload = b"echo me, please " * 10
    lan.send(udp_to(lan, ECHOPORT, payload, sport=6001))
    r = lan.expect(lambda p: UDP in p and p[UDP].dport == 6001)
    assert r is not None, "no echo; guest sent %s" % [p.summary() for p in lan.seen]
    assert r.dst == HOSTMAC and r[IP].src == GUESTIP and r[IP].dst == HOSTIP
    assert r[UDP].sport == ECHOPORT and udp_data(r) == payload
    q = IP(bytes(r[IP]))
    del q[UDP].chksum
    q = IP(bytes(q))
    assert r[UDP].chksum == q[UDP].chksum


def test_buffers_refilled_soon_after_given_back_hold_the_new_frame(echo):
    """sink -k keeps all but a few RX slots, so the kernel maps each new
    frame at a buffer given back a few frames earlier, whose old page
    the program had just read: without the TLB flush before that mapping
    (the kernel unmaps given-back buffers and flushes lazily) it would
    read the old frame again. sink -v checks every payload's pattern
    and that the sequence numbers only go up."""
    lan = echo
    g = lan.g
    n, port = 600, 9100
    # keep all but 5 of the 511 slots a process can own (NC_NSLOTS 512)
    background(g, "sink -v -k 506 %d %d" % (n, port), r"sink: listening on %d" % port)
    lan.drain()
    for seq in range(1, n + 1):
        size = 40 + seq % 60
        payload = struct.pack(">I", seq) + bytes((seq * 7 + k) & 0xff for k in range(4, size))
        lan.send(udp_to(lan, port, payload, sport=6200))
        time.sleep(0.002)
    g.expect(r"sink: (\d+) frames \d+ bytes", timeout=30, what="sink's count")
    got = int(g.child.match.group(1))
    g.expect(r"sink: (\d+) frames with a wrong payload", timeout=10, what="sink's check")
    wrong = int(g.child.match.group(1))
    assert (got, wrong) == (n, 0)


def test_udp_with_bad_checksum_is_not_echoed(echo):
    lan = echo
    lan.drain()
    p = udp_to(lan, ECHOPORT, b"corrupt", sport=6002)
    p[UDP].chksum = 0x1234
    lan.send(p)
    assert lan.expect(lambda p: UDP in p and p[UDP].dport == 6002, timeout=1.5) is None


def test_udp_without_checksum_is_echoed(echo):
    lan = echo
    lan.drain()
    p = udp_to(lan, ECHOPORT, b"no sum", sport=6003)
    p[UDP].chksum = 0
    lan.send(p)
    r = lan.expect(lambda p: UDP in p and p[UDP].dport == 6003)
    assert r is not None and udp_data(r) == b"no sum"


def test_guest_udp_client_gets_the_hosts_reply(echo):
    lan = echo
    g = lan.g
    lan.drain()
    g.sendline("udpecho 10.0.2.2 9000 ping-me")
    req = lan.expect(lambda p: UDP in p and p[UDP].dport == 9000)
    assert req is not None and udp_data(req) == b"ping-me"
    lan.send(Ether(dst=lan.mac, src=HOSTMAC) / IP(src=HOSTIP, dst=GUESTIP) /
             UDP(sport=9000, dport=req[UDP].sport) / Raw(b"ping-me"))
    g.expect(r"\$ ", what="udpecho to finish")
    out = g.child.before
    assert re.search(r"udpecho: 7 bytes from 10.0.2.2:9000 in [\d.]+ ms: ping-me", out), out
