"""The host's side of a NET=dgram link, for the protocol tests
(test_arp.py, test_ipv4.py, test_icmp.py, test_udp.py): one guest booted
per module, and a Lan that plays 10.0.2.2 on the wire with scapy,
answering the guest's ARP requests for it as a neighbour would.

Built on qemu.Guest and qemu.Wire, as conftest.py's per-test fixtures
are; the module's pcap is kept only if one of its tests failed.
"""
import os
import time

import pytest
from scapy.layers.inet import ICMP, IP
from scapy.layers.l2 import ARP, Ether

from qemu import LOGDIR, PROMPT, Guest, Wire, copy_image
from test_filter import GUESTIP, HOSTIP, HOSTMAC, netstat

BCAST = "ff:ff:ff:ff:ff:ff"


class Lan:
    """The wire as 10.0.2.2 sees it. Every frame the guest sends is kept
    in `seen` (scapy Ether) in order; ARP requests for an address in
    `answer` are answered at once, with HOSTMAC."""

    def __init__(self, guest, wire):
        self.g = guest
        self.wire = wire
        self.answer = {HOSTIP}
        self.seen = []
        self.mac = netstat(guest)["mac"]

    def send(self, pkt):
        self.wire.send(bytes(pkt))

    def _take(self, raw):
        p = Ether(raw)
        self.seen.append(p)
        if (ARP in p and p[ARP].op == 1 and p[ARP].pdst in self.answer
                and p[ARP].psrc == GUESTIP):
            self.send(Ether(dst=p.src, src=HOSTMAC) /
                      ARP(op=2, hwsrc=HOSTMAC, psrc=p[ARP].pdst,
                          hwdst=p[ARP].hwsrc, pdst=p[ARP].psrc))
        return p

    def expect(self, match, timeout=5.0):
        """The first frame the guest sends for which match(p) is true, or
        None after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            raw = self.wire.recv(left)
            if raw is None:
                return None
            p = self._take(raw)
            if match(p):
                return p

    def collect(self, match, quiet=1.0, timeout=10.0):
        """Every frame matching match(p), until none at all came for quiet
        seconds (or timeout seconds passed)."""
        got = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            raw = self.wire.recv(quiet)
            if raw is None:
                break
            p = self._take(raw)
            if match(p):
                got.append(p)
        return got

    def drain(self):
        """Take (and answer) whatever the guest already sent."""
        self.collect(lambda p: False, quiet=0.2)
        self.seen = []

    def learn(self):
        """Make netd know our MAC, so its replies are not queued behind
        an ARP request of its own."""
        self.send(Ether(dst=BCAST, src=HOSTMAC) /
                  ARP(op=1, hwsrc=HOSTMAC, psrc=HOSTIP, pdst=GUESTIP))
        self.collect(lambda p: False, quiet=0.3)

    def alive(self, ident=0x7777):
        """Does the guest still answer a ping? (After junk: it did not crash.)"""
        self.send(Ether(dst=self.mac, src=HOSTMAC) / IP(src=HOSTIP, dst=GUESTIP) /
                  ICMP(type=8, id=ident, seq=1) / b"alive?")
        return self.expect(lambda p: ICMP in p and p[ICMP].type == 0 and
                           p[ICMP].id == ident, timeout=5) is not None


def background(g, cmd, ready):
    """Start cmd in the background (sh's &), wait for it to print ready
    (a regex), then resynchronize with the shell: the prompt sh printed
    after forking may come before or after the program's output."""
    g.sendline(cmd + " &")
    g.expect(ready, what="%r to print %r" % (cmd, ready))
    background.n += 1
    g.sendline("echo mark%d" % background.n)
    g.expect(r"\nmark%d\r?\n" % background.n, what="the shell after %r" % cmd)
    g.expect(PROMPT, what="the prompt after %r" % cmd)


background.n = 0


def _failures(session):
    return session.testsfailed


def lan_fixture():
    """A module-scoped fixture: boot one guest on NET=dgram for the whole
    module and give its tests a Lan on it."""

    @pytest.fixture(scope="module")
    def lan(request, tmp_path_factory):
        name = request.module.__name__
        os.makedirs(LOGDIR, exist_ok=True)
        log = os.path.join(LOGDIR, name + ".log")
        pcap = os.path.join(LOGDIR, name + ".pcap")
        wire = Wire()
        failed0 = _failures(request.session)
        g = None
        try:
            img = copy_image(tmp_path_factory.mktemp(name))
            g = Guest(img, log=log, net="dgram", makevars=dict(wire.makevars(), PCAP=pcap))
            g.boot()
            yield Lan(g, wire)
        finally:
            if g is not None:
                g.close()
            wire.close()
            if _failures(request.session) == failed0 and os.path.exists(pcap):
                os.unlink(pcap)

    return lan
