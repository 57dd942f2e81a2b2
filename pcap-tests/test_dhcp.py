"""netd's DHCP client (apps/dhcp.c) and the kernel's checks for it
(kernel/netguard.c, dhcpclient): against slirp's server (NET=user),
against Debian's dnsmasq on a tap device in a network namespace, and
against a scapy server over NET=dgram booted with DHCP=1, whose leases
of a few seconds make renewal (T1), rebinding (T2), NAK and expiry
quick to see. Nothing is ever sent to 10.0.2.3 (slirp's DNS).
"""
import os
import re
import shutil
import subprocess
import time

import pytest
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.l2 import ARP, Ether

from qemu import LOGDIR, Guest, Wire, copy_image
from test_filter import netstat

BCAST = "ff:ff:ff:ff:ff:ff"
SRVMAC = "52:55:ac:10:05:01"
SRV, YOU, DNS1, DNS2 = "172.16.5.1", "172.16.5.20", "172.16.5.53", "172.16.5.54"


def ifconfig(g):
    """(inet, netmask, gateway, source line) as ifconfig prints them."""
    out = g.run("ifconfig")
    m = re.search(r"inet (\S+) netmask (\S+) gateway (\S+)", out)
    assert m, "ifconfig printed:\n" + out
    src = out.splitlines()[1].strip()
    return m.group(1), m.group(2), m.group(3), src


def opts(p):
    """A DHCP message's options as a dict."""
    return {o[0]: o[1:] for o in p[DHCP].options if isinstance(o, tuple)}


class Server:
    """A DHCP server on the wire, played by the test: it answers ARP for
    SRV and keeps every frame the guest sends."""

    def __init__(self, g, wire):
        self.g, self.wire = g, wire
        self.mac = netstat(g)["mac"]

    def send(self, pkt):
        self.wire.send(bytes(pkt))

    def expect(self, match, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            raw = self.wire.recv(max(deadline - time.monotonic(), 0.01))
            if raw is None:
                break
            p = Ether(raw)
            if ARP in p and p[ARP].op == 1 and p[ARP].pdst == SRV:
                self.send(Ether(dst=p.src, src=SRVMAC) /
                          ARP(op=2, hwsrc=SRVMAC, psrc=SRV, hwdst=p[ARP].hwsrc, pdst=p[ARP].psrc))
            if match(p):
                return p
        return None

    def dhcp(self, mtype, timeout):
        """The next DHCP message of type mtype from the guest, or None."""
        num = {"discover": 1, "request": 3}[mtype]
        return self.expect(lambda p: DHCP in p and p[UDP].sport == 68 and p[UDP].dport == 67
                           and opts(p).get("message-type") in ((mtype,), (num,)), timeout)

    def reply(self, req, mtype, lease=6, ip=YOU):
        o = [("message-type", mtype), ("server_id", SRV)]
        if mtype != "nak":
            o += [("lease_time", lease), ("subnet_mask", "255.255.255.0"),
                  ("router", SRV), ("name_server", DNS1, DNS2)]
        self.send(Ether(dst=BCAST, src=SRVMAC) / IP(src=SRV, dst="255.255.255.255") /
                  UDP(sport=67, dport=68) /
                  BOOTP(op=2, xid=req[BOOTP].xid, yiaddr=ip if mtype != "nak" else "0.0.0.0",
                        chaddr=req[BOOTP].chaddr, flags=req[BOOTP].flags) /
                  DHCP(options=o + ["end"]))

    def lease(self, discover, lease=6):
        """Offer, take the REQUEST, acknowledge: the guest holds YOU."""
        self.reply(discover, "offer", lease)
        req = self.dhcp("request", 5)
        assert req is not None, "no REQUEST after the OFFER"
        self.reply(req, "ack", lease)
        return req


@pytest.fixture(scope="module")
def srv(request, tmp_path_factory):
    wire = Wire()
    pcap = os.path.join(LOGDIR, "test_dhcp_scapy.pcap")
    g = Guest(copy_image(tmp_path_factory.mktemp("dhcp")), net="dgram",
              log=os.path.join(LOGDIR, "test_dhcp_scapy.log"),
              makevars=dict(wire.makevars(), DHCP="1", PCAP=pcap))
    try:
        t0 = time.monotonic()
        g.boot()
        s = Server(g, wire)
        s.t0 = t0
        yield s
    finally:
        g.close()
        wire.close()


def test_no_answer_leaves_the_static_address_and_discovers_again(srv):
    d1 = srv.dhcp("discover", 10)
    assert d1 is not None, "no DISCOVER after boot"
    t1 = time.monotonic()
    assert d1[Ether].dst == BCAST and d1[IP].src == "0.0.0.0" and d1[IP].dst == "255.255.255.255"
    assert d1[BOOTP].flags == 0x8000, "BROADCAST flag not set: %#x" % d1[BOOTP].flags
    assert d1[BOOTP].chaddr[:6] == bytes.fromhex(srv.mac.replace(":", ""))
    d2 = srv.dhcp("discover", 7)
    assert d2 is not None, "no DISCOVER again after the first went unanswered"
    dt = time.monotonic() - t1
    assert 2.8 <= dt <= 5.5, "retransmitted after %.1f s, wanted 4 +- 1 (RFC 2131 4.1)" % dt
    assert d2[BOOTP].xid == d1[BOOTP].xid
    assert ifconfig(srv.g) == ("10.0.2.15", "255.255.255.0", "10.0.2.2", "static")
    srv.discover = d2


def test_ack_sets_address_mask_router_and_dns(srv):
    req = srv.lease(srv.discover)
    srv.acked = time.monotonic()
    o = opts(req)
    assert req[IP].src == "0.0.0.0" and req[Ether].dst == BCAST
    assert o.get("requested_addr") == (YOU,) and o.get("server_id") == (SRV,), o
    time.sleep(0.3)
    ip, mask, gw, src = ifconfig(srv.g)
    assert (ip, mask, gw) == (YOU, "255.255.255.0", SRV)
    m = re.match(r"dhcp from 172\.16\.5\.1, lease (\d+) s left", src)
    assert m and 1 <= int(m.group(1)) <= 6, src
    out = srv.g.run("cat /etc/resolv.conf")
    assert out.split("\n")[:2] == ["nameserver " + DNS1, "nameserver " + DNS2], out
    # the new address answers on the wire
    srv.send(Ether(dst=srv.mac, src=SRVMAC) / IP(src=SRV, dst=YOU) / ICMP(id=0x4242) / b"dhcp")
    rep = srv.expect(lambda p: ICMP in p and p[ICMP].type == 0 and p[ICMP].id == 0x4242, 5)
    assert rep is not None and rep[IP].src == YOU


def test_renewal_at_t1_is_a_unicast_request_to_the_server(srv):
    req = srv.dhcp("request", 6)
    assert req is not None, "no REQUEST at T1"
    dt = time.monotonic() - srv.acked
    assert 2.0 <= dt <= 4.5, "renewed %.1f s after the ACK, wanted T1 = 3 s" % dt
    assert (req[IP].src, req[IP].dst, req[Ether].dst) == (YOU, SRV, SRVMAC)
    assert req[BOOTP].ciaddr == YOU and req[BOOTP].flags == 0
    assert "requested_addr" not in opts(req) and "server_id" not in opts(req)
    srv.reply(req, "ack", 6)
    srv.acked = time.monotonic()
    time.sleep(0.3)
    src = ifconfig(srv.g)[3]
    m = re.match(r"dhcp from 172\.16\.5\.1, lease (\d+) s left", src)
    assert m and int(m.group(1)) >= 5, "lease not renewed: " + src


def test_silent_server_at_t2_gets_a_broadcast_request(srv):
    uni = srv.dhcp("request", 6)
    assert uni is not None and uni[IP].dst == SRV, "no unicast REQUEST at the second T1"
    req = srv.dhcp("request", 5)
    assert req is not None, "no REQUEST at T2"
    dt = time.monotonic() - srv.acked
    assert 4.3 <= dt <= 6.3, "rebinding %.1f s after the ACK, wanted T2 = 5.25 s" % dt
    assert (req[IP].src, req[IP].dst, req[Ether].dst) == (YOU, "255.255.255.255", BCAST)
    assert req[BOOTP].ciaddr == YOU
    srv.rebind = req


def test_nak_drops_the_lease_and_starts_over(srv):
    srv.reply(srv.rebind, "nak")
    d = srv.dhcp("discover", 3)
    assert d is not None and d[IP].src == "0.0.0.0", "no DISCOVER after the NAK"
    assert ifconfig(srv.g)[::3] == ("10.0.2.15", "static")
    srv.discover = d


def test_expired_lease_falls_back_to_static(srv):
    srv.lease(srv.discover, lease=4)
    acked = time.monotonic()
    assert srv.dhcp("request", 4) is not None      # T1, unanswered
    assert srv.dhcp("request", 3) is not None      # T2, unanswered
    d = srv.dhcp("discover", 3)
    assert d is not None, "no DISCOVER when the lease ended"
    dt = time.monotonic() - acked
    assert 3.5 <= dt <= 5.5, "gave the address up %.1f s after a 4 s lease" % dt
    assert ifconfig(srv.g)[::3] == ("10.0.2.15", "static")


def _sendraw(g, args):
    out = g.run("rawudp -m ff:ff:ff:ff:ff:ff " + args)
    return out


def test_no_other_process_sends_from_port_68_or_0_0_0_0(srv):
    g = srv.g
    before = netstat(g)
    out = _sendraw(g, "-s 0.0.0.0 -p 68 send 255.255.255.255 67 spoof")
    assert "claim 68: address already in use" in out.lower() or "claim 68:" in out, out
    assert "rejected 1 (tx_reject_srcip)" in out, out
    out = _sendraw(g, "-s 0.0.0.0 send 255.255.255.255 67 spoof")
    assert "rejected 1 (tx_reject_srcip)" in out, out
    out = _sendraw(g, "-p 68 send 255.255.255.255 67 spoof")
    assert "rejected 1 (tx_reject_srcport)" in out, out
    after = netstat(g)
    assert after["tx_reject_srcip"] - before["tx_reject_srcip"] == 2
    assert after["tx_reject_srcport"] - before["tx_reject_srcport"] == 1
    assert srv.expect(lambda p: UDP in p and bytes(p[UDP].payload)[:5] == b"spoof", 1) is None


def test_the_port_68_holder_sends_only_dhcp_requests_from_0_0_0_0(dgram_guest, wire):
    # booted with DHCP=0 (NET=dgram's default): netd holds no port 68.
    g = dgram_guest
    assert ifconfig(g)[3] == "static (booted with DHCP off)"
    out = _sendraw(g, "-s 0.0.0.0 -p 68 send 255.255.255.255 67 hello")
    assert "sent 1 of 1" in out, out
    out = _sendraw(g, "-s 0.0.0.0 -p 68 send 10.0.2.2 67 unicast")
    assert "rejected 1 (tx_reject_srcip)" in out, out
    out = _sendraw(g, "-s 0.0.0.0 -p 68 send 255.255.255.255 53 notdhcp")
    assert "rejected 1 (tx_reject_srcip)" in out, out
    seen = []
    while True:
        raw = wire.recv(0.5)
        if raw is None:
            break
        p = Ether(raw)
        if UDP in p:
            seen.append((p[IP].src, p[IP].dst, p[UDP].sport, p[UDP].dport, bytes(p[UDP].payload)))
    assert seen == [("0.0.0.0", "255.255.255.255", 68, 67, b"hello")], seen


def test_slirp_leases_10_0_2_15_with_its_dns(request, fsimg):
    # (qemu.py boots tests with DHCP=0 unless asked: this one asks)
    g = Guest(fsimg, log=os.path.join(LOGDIR, "test_slirp_dhcp.log"), makevars={"DHCP": "1"})
    request.addfinalizer(g.close)
    g.boot()
    for _ in range(20):
        ip, mask, gw, src = ifconfig(g)
        if src.startswith("dhcp"):
            break
        time.sleep(0.2)
    assert (ip, mask, gw) == ("10.0.2.15", "255.255.255.0", "10.0.2.2")
    m = re.match(r"dhcp from 10\.0\.2\.2, lease (\d+) s left", src)
    assert m and 86000 < int(m.group(1)) <= 86400, src
    assert g.run("cat /etc/resolv.conf").strip() == "nameserver 10.0.2.3"


# ---- dnsmasq on a tap device in a network namespace --------------------

PING = r'''
import os, socket, struct, sys
def ck(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(3)
h = struct.pack("!BBHHH", 8, 0, 0, 77, 1) + b"dhcp-peer!"
s.sendto(h[:2] + struct.pack("!H", ck(h)) + h[4:], (sys.argv[1], 0))
try:
    while True:
        p, a = s.recvfrom(2048)
        hl = (p[0] & 15) * 4
        if p[hl] == 0 and a[0] == sys.argv[1]:
            print("reply"); break
except socket.timeout:
    print("timeout")
'''


def sh(*argv, ns=None):
    if ns:
        argv = ("ip", "netns", "exec", ns) + argv
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, "%s: exit %d: %s" % (" ".join(argv), r.returncode, r.stderr)
    return r.stdout


def test_dnsmasq_lease_in_a_namespace(tmp_path):
    assert os.geteuid() == 0, "test_dnsmasq needs root (ip netns, tap devices)"
    assert shutil.which("dnsmasq"), "needs dnsmasq: apt-get install dnsmasq-base (scripts/setup.sh)"
    ns = "dh%d" % os.getpid()
    dm = g = None
    sh("ip", "netns", "add", ns)
    try:
        sh("ip", "link", "set", "lo", "up", ns=ns)
        sh("ip", "tuntap", "add", "dev", "tap0", "mode", "tap", ns=ns)
        sh("ip", "addr", "add", "192.168.77.1/24", "dev", "tap0", ns=ns)
        sh("ip", "link", "set", "tap0", "up", ns=ns)
        dm = subprocess.Popen(
            ["ip", "netns", "exec", ns, "dnsmasq", "--no-daemon", "--conf-file=/dev/null",
             "--interface=tap0", "--bind-interfaces", "--no-resolv", "--no-hosts", "--port=0",
             "--no-ping", "--leasefile-ro", "--pid-file=" + str(tmp_path / "dnsmasq.pid"),
             "--dhcp-range=192.168.77.50,192.168.77.50,255.255.255.0,2m",
             "--dhcp-option=option:router,192.168.77.1",
             "--dhcp-option=option:dns-server,192.168.77.53"],
            stdout=subprocess.DEVNULL, stderr=open(str(tmp_path / "dnsmasq.log"), "w"))
        g = Guest(copy_image(tmp_path), net="tap", makevars={"TAP": "tap0", "DHCP": "1"},
                  log=os.path.join(LOGDIR, "test_dhcp_dnsmasq.log"))
        g.argv = ["ip", "netns", "exec", ns] + g.argv
        g.boot()
        for _ in range(40):
            ip, mask, gw, src = ifconfig(g)
            if ip == "192.168.77.50":
                break
            time.sleep(0.25)
        assert (ip, mask, gw) == ("192.168.77.50", "255.255.255.0", "192.168.77.1"), \
            (ip, mask, gw, src, open(str(tmp_path / "dnsmasq.log")).read())
        m = re.match(r"dhcp from 192\.168\.77\.1, lease (\d+) s left", src)
        assert m and 100 < int(m.group(1)) <= 120, src
        assert g.run("cat /etc/resolv.conf").strip() == "nameserver 192.168.77.53"
        assert sh("/usr/bin/python3", "-c", PING, "192.168.77.50", ns=ns).strip() == "reply"
        out = g.run("ping -c 1 192.168.77.1")
        assert "1 packets transmitted, 1 received" in out, out
    finally:
        if g is not None:
            g.close()
        if dm is not None:
            dm.terminate()
            dm.wait(5)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
