"""The guest against real Linux peers, over NET=tap in network namespaces
(needs root and iproute2). Nothing outside the namespaces is touched:

  ns lan:    QEMU, its tap and a bridge br0 joining the tap to veth vl0
  ns router: vr0 10.0.2.2/24 (peer of vl0; the guest's gateway),
             vr1 10.9.0.1/24, forwarding on
  ns far:    vf0 10.9.0.2/24 (peer of vr1), default route via 10.9.0.1

The namespaces' names derive from our pid. One guest serves the module;
QEMU is stopped by its PID and the namespaces deleted in the fixture's
finalizer, also when a test fails. The host has no ping(8): Linux's side
pings with a raw socket from Python run inside the namespace.
"""
import json
import os
import re
import shutil
import subprocess

import pytest

from lan import background
from qemu import LOGDIR, Guest, copy_image

GUESTIP = "10.0.2.15"

# Run inside a namespace: `ping DST COUNT TIMEOUT` or `udp DST PORT MSG`;
# prints one JSON line.
PEER = r'''
import json, os, socket, struct, sys, time

def cksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff

def ping(dst, count, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xffff
    got = []
    for seq in range(1, count + 1):
        data = b"linux-peer" * 4
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        msg = struct.pack("!BBHHH", 8, 0, cksum(hdr + data), ident, seq) + data
        s.sendto(msg, (dst, 0))
        deadline = time.time() + timeout
        while time.time() < deadline:
            s.settimeout(max(deadline - time.time(), 0.01))
            try:
                pkt, addr = s.recvfrom(2048)
            except socket.timeout:
                break
            hl = (pkt[0] & 15) * 4
            t, c, _, i, q = struct.unpack("!BBHHH", pkt[hl:hl + 8])
            if t == 0 and i == ident and q == seq and addr[0] == dst:
                got.append({"seq": q, "ttl": pkt[8], "ok": pkt[hl + 8:] == data})
                break
    print(json.dumps(got))

def udp(dst, port, msg):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    out = None
    for _ in range(3):
        s.sendto(msg.encode(), (dst, int(port)))
        try:
            data, addr = s.recvfrom(2048)
            out = {"data": data.decode(), "from": list(addr)}
            break
        except socket.timeout:
            pass
    print(json.dumps(out))

if sys.argv[1] == "ping":
    ping(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
else:
    udp(sys.argv[2], sys.argv[3], sys.argv[4])
'''


def sh(*argv, ns=None, check=True):
    if ns:
        argv = ("ip", "netns", "exec", ns) + argv
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(argv), r.returncode, r.stderr.strip()))
    return r.stdout


def peer(ns, *args):
    out = sh("/usr/bin/python3", "-c", PEER, *[str(a) for a in args], ns=ns)
    return json.loads(out.strip().splitlines()[-1])


class Net:
    def __init__(self):
        tag = "pt%d" % os.getpid()
        self.lan, self.router, self.far = tag + "lan", tag + "rtr", tag + "far"
        self.made = []

    def up(self):
        for ns in (self.lan, self.router, self.far):
            sh("ip", "netns", "add", ns)
            self.made.append(ns)
            sh("ip", "link", "set", "lo", "up", ns=ns)
        lan, rtr, far = self.lan, self.router, self.far
        sh("ip", "link", "add", "br0", "type", "bridge", ns=lan)
        sh("ip", "tuntap", "add", "dev", "tap0", "mode", "tap", ns=lan)
        sh("ip", "link", "add", "vl0", "type", "veth", "peer", "name", "vr0", "netns", rtr, ns=lan)
        for dev in ("tap0", "vl0"):
            sh("ip", "link", "set", dev, "master", "br0", ns=lan)
            sh("ip", "link", "set", dev, "up", ns=lan)
        sh("ip", "link", "set", "br0", "up", ns=lan)
        sh("ip", "link", "add", "vr1", "type", "veth", "peer", "name", "vf0", "netns", far, ns=rtr)
        sh("ip", "addr", "add", "10.0.2.2/24", "dev", "vr0", ns=rtr)
        sh("ip", "addr", "add", "10.9.0.1/24", "dev", "vr1", ns=rtr)
        sh("ip", "link", "set", "vr0", "up", ns=rtr)
        sh("ip", "link", "set", "vr1", "up", ns=rtr)
        sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=rtr)
        sh("ip", "addr", "add", "10.9.0.2/24", "dev", "vf0", ns=far)
        sh("ip", "link", "set", "vf0", "up", ns=far)
        sh("ip", "route", "add", "default", "via", "10.9.0.1", ns=far)

    def down(self):
        for ns in reversed(self.made):
            sh("ip", "netns", "del", ns, check=False)
        self.made = []


@pytest.fixture(scope="module")
def netns(request, tmp_path_factory):
    """(guest, Net): the guest booted on the tap inside the lan namespace."""
    # CI runs as root: a missing privilege or tool is a failure to see,
    # not a reason to pass quietly.
    assert os.geteuid() == 0, ("test_netns needs root (ip netns, tap devices); "
                               "run the tests as root, e.g. sudo make test")
    assert shutil.which("ip") is not None, ("test_netns needs iproute2's ip: "
                                            "apt-get install iproute2 (scripts/setup.sh)")
    assert os.path.exists("/dev/net/tun"), ("test_netns needs /dev/net/tun: "
                                            "modprobe tun, or give the container the device")
    net = Net()
    g = None
    try:
        net.up()
        img = copy_image(tmp_path_factory.mktemp("netns"))
        os.makedirs(LOGDIR, exist_ok=True)
        g = Guest(img, log=os.path.join(LOGDIR, "test_netns.log"), net="tap",
                  makevars={"TAP": "tap0"})
        g.argv = ["ip", "netns", "exec", net.lan] + g.argv
        g.boot()
        yield g, net
    finally:
        if g is not None:
            g.close()
        net.down()


def run(g, cmd, timeout=60):
    return g.run(cmd, timeout=timeout)


def test_linux_router_pings_the_guest(netns):
    g, net = netns
    got = peer(net.router, "ping", GUESTIP, 3, 2)
    assert [r["seq"] for r in got] == [1, 2, 3], "replies: %s" % got
    assert all(r["ok"] and r["ttl"] == 64 for r in got), got


def test_linux_exchanges_udp_with_the_guest(netns):
    g, net = netns
    background(g, "udpecho -l 7", r"udpecho: listening on 7")
    got = peer(net.router, "udp", GUESTIP, 7, "hello from linux")
    assert got is not None, "no echo from the guest"
    assert got["data"] == "hello from linux" and got["from"] == [GUESTIP, 7]


def test_linux_far_host_pings_the_guest_through_the_router(netns):
    g, net = netns
    got = peer(net.far, "ping", GUESTIP, 2, 2)
    assert [r["seq"] for r in got] == [1, 2], "replies: %s" % got
    assert all(r["ttl"] == 63 for r in got), got


def test_guest_pings_linux_router(netns):
    g, net = netns
    out = run(g, "ping -c 3 -i 0.3 10.0.2.2")
    assert len(re.findall(r"64 bytes from 10.0.2.2: icmp_seq=\d ttl=64 time=", out)) == 3, out
    assert "3 packets transmitted, 3 received, 0% packet loss" in out, out


def test_guest_pings_far_host_through_the_router(netns):
    g, net = netns
    out = run(g, "ping -c 3 -i 0.3 10.9.0.2")
    assert len(re.findall(r"64 bytes from 10.9.0.2: icmp_seq=\d ttl=63 time=", out)) == 3, out
    assert "3 packets transmitted, 3 received, 0% packet loss" in out, out


def test_guest_ping_to_unused_lan_address_reports_host_unreachable(netns):
    g, net = netns
    out = run(g, "ping -c 2 -i 0.5 10.0.2.99")
    assert "From 10.0.2.15 icmp_seq=1 Destination Host Unreachable" in out, out
    assert "From 10.0.2.15 icmp_seq=2 Destination Host Unreachable" in out, out
    assert "2 packets transmitted, 0 received, +2 errors, 100% packet loss" in out, out
