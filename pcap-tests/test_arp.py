"""ARP on the wire (NET=dgram), RFC 826: netd, the default responder,
answers requests for our address once, however many programs hold a
channel (each gets a copy of every ARP frame, and only netd may answer);
nobody answers for another address.
"""
from scapy.layers.l2 import ARP, Ether

from lan import BCAST, background, lan_fixture
from test_filter import GUESTIP, HOSTIP, HOSTMAC, moved, netstat

lan = lan_fixture()


def who_has(ip):
    return Ether(dst=BCAST, src=HOSTMAC) / ARP(op=1, hwsrc=HOSTMAC, psrc=HOSTIP, pdst=ip)


def is_arp(p):
    return ARP in p


def test_arp_request_for_our_address_gets_one_reply(lan):
    lan.drain()
    before = netstat(lan.g)
    lan.send(who_has(GUESTIP))
    arps = lan.collect(is_arp, quiet=1.5)
    after = netstat(lan.g)
    assert len(arps) == 1, "guest sent %s" % [p.summary() for p in arps]
    r = arps[0][ARP]
    assert r.op == 2 and r.hwsrc == lan.mac and r.psrc == GUESTIP
    assert r.hwdst == HOSTMAC and r.pdst == HOSTIP
    assert arps[0].dst == HOSTMAC and arps[0].src == lan.mac
    assert moved(before, after).get("tx_frames") == 1


def test_arp_reply_is_not_duplicated_by_other_programs_with_channels(lan):
    g = lan.g
    background(g, "udpecho -l 7", r"udpecho: listening on 7")
    lan.drain()
    before = netstat(g)
    lan.send(who_has(GUESTIP))
    arps = lan.collect(is_arp, quiet=1.5)
    after = netstat(g)
    assert len(arps) == 1, "guest sent %s" % [p.summary() for p in arps]
    assert arps[0][ARP].op == 2 and arps[0][ARP].psrc == GUESTIP
    # every channel got the request: netd's and udpecho's (a copy)
    assert moved(before, after).get("copy_bytes", 0) > 0
    assert moved(before, after).get("tx_frames") == 1


def test_arp_request_for_another_address_gets_no_reply(lan):
    lan.drain()
    before = netstat(lan.g)
    lan.send(who_has("10.0.2.99"))
    arps = lan.collect(is_arp, quiet=1.5)
    after = netstat(lan.g)
    assert arps == [], "guest sent %s" % [p.summary() for p in arps]
    assert moved(before, after).get("tx_frames", 0) == 0
    assert moved(before, after).get("rx_frames", 0) >= 1


def test_gratuitous_arp_from_ifconfig_announces_the_address(lan):
    lan.drain()
    out = lan.g.run("ifconfig 10.0.2.15 netmask 255.255.255.0 gw 10.0.2.2")
    assert "inet 10.0.2.15 netmask 255.255.255.0 gateway 10.0.2.2" in out, out
    arps = lan.collect(is_arp, quiet=1.0)
    assert len(arps) == 1, "guest sent %s" % [p.summary() for p in arps]
    a = arps[0]
    assert a.dst == BCAST and a[ARP].op == 1
    assert a[ARP].psrc == GUESTIP and a[ARP].pdst == GUESTIP and a[ARP].hwsrc == lan.mac


def test_ifconfig_rejects_bad_input(lan):
    for cmd in ["ifconfig 10.0.2", "ifconfig 10.0.2.15 netmask 255.0.255.0",
                "ifconfig 10.0.2.15 gw 11.0.0.1", "ifconfig 10.0.2.15 frob 1"]:
        out = lan.g.run(cmd)
        assert "ifconfig:" in out, "%r printed %r" % (cmd, out)
    out = lan.g.run("ifconfig")
    assert "inet 10.0.2.15 netmask 255.255.255.0 gateway 10.0.2.2 mtu 1500" in out, out
