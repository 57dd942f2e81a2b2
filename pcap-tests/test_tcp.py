"""TCP on the wire (NET=dgram): scapy plays the peer of a TCP endpoint
in the guest, `echoserver` on port 7 for a passive open and `echoclient`
for an active one, and each test checks one rule of RFC 9293 or of the
RFCs it builds on (7323, 2018, 6298, 5961) in the bytes the guest sends.
The server's own libnet counters are read with `netstat -l -p STATPORT`
(echoserver -s); netd's, for ports nobody holds, with `netstat -l`.

Every test opens its own connection from its own source port, so none
meets another's leftovers (TIME-WAIT included). Timing is asserted as
ratios between gaps, never as absolute times, and measured by the
guest's own timestamps: the machine is shared.
"""
import struct
import time

import pytest
from scapy.layers.inet import IP, TCP, in4_chksum
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from lan import background, lan_fixture
from qemu import PROMPT
from test_filter import GUESTIP, HOSTIP, HOSTMAC, moved

lan = lan_fixture()
ECHOPORT = 7
STATPORT = 2997          # not 2998: netd takes TCP handoffs there
OURMSS = 1460             # the guest's MSS: a 1500-byte MTU less 40
ISS = 0x10000000          # our initial sequence numbers start here


@pytest.fixture(scope="module")
def srv(lan):
    """The guest runs `echoserver -s STATPORT` for the rest of the module."""
    background(lan.g, "echoserver -s %d" % STATPORT,
               r"echoserver: listening on port %d" % ECHOPORT)
    lan.learn()
    return lan


def counters(g, port=None):
    """libnet counters by name: netd's, or those of the program serving port."""
    cmd = "netstat -l" + (" -p %d" % port if port else "")
    out = g.run(cmd)
    d = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 2 and f[1].isdigit():
            d[f[0]] = int(f[1])
    assert "tcp_rx" in d, "%s printed:\n%s" % (cmd, out)
    return d


def server_counters(lan):
    return counters(lan.g, STATPORT)


def tcp_to(lan, sport, dport, **kw):
    """Ether/IP/TCP from us to the guest; scapy fills in the checksum."""
    payload = kw.pop("payload", b"")
    p = (Ether(dst=lan.mac, src=HOSTMAC) / IP(src=HOSTIP, dst=GUESTIP) /
         TCP(sport=sport, dport=dport, **kw))
    return p / Raw(payload) if payload else p


def raw_syn(lan, sport, dport, seq, opts):
    """A SYN carrying the option bytes opts exactly as given (padded to a
    word with zeros): scapy would rewrite a malformed option. Its checksum
    is scapy's, over the pseudo-header."""
    opts = bytes(opts) + b"\0" * (-len(opts) % 4)
    hdr = struct.pack(">HHIIBBHHH", sport, dport, seq, 0, (5 + len(opts) // 4) << 4,
                      0x02, 65535, 0, 0) + opts
    ip = IP(src=HOSTIP, dst=GUESTIP, proto=6)
    s = in4_chksum(6, ip / Raw(hdr), hdr)
    hdr = hdr[:16] + struct.pack(">H", s) + hdr[18:]
    return Ether(dst=lan.mac, src=HOSTMAC) / ip / Raw(hdr)


def data(p):
    """A segment's payload, without the link's padding after it."""
    ip = p[IP]
    return bytes(ip)[ip.ihl * 4 + p[TCP].dataofs * 4:ip.len]


def opts(p):
    """A segment's options as a dict of scapy's names."""
    return {k: v for k, v in p[TCP].options}


def flags(p):
    return str(p[TCP].flags)


class Conn:
    """One connection as scapy sees it: from sport on us to dport on the
    guest. seq is the next byte we send, ack the next we expect."""

    def __init__(self, lan, sport, dport=ECHOPORT):
        self.lan, self.sport, self.dport = lan, sport, dport
        self.seq = ISS + sport * 1000
        self.ack = None
        self.tsval = 1000

    def mine(self, p):
        return (TCP in p and p[IP].src == GUESTIP and p[TCP].sport == self.dport and
                p[TCP].dport == self.sport)

    def send(self, fl, payload=b"", seq=None, ack=None, win=65535, options=None):
        if options is None:
            self.tsval += 1
            options = [("Timestamp", (self.tsval, 0))]
        self.lan.send(tcp_to(self.lan, self.sport, self.dport, flags=fl,
                             seq=self.seq if seq is None else seq,
                             ack=(self.ack or 0) if ack is None else ack,
                             window=win, options=options, payload=payload))

    def expect(self, match=lambda p: True, timeout=5.0):
        return self.lan.expect(lambda p: self.mine(p) and match(p), timeout=timeout)

    def collect(self, match=lambda p: True, quiet=1.0, timeout=10.0):
        return self.lan.collect(lambda p: self.mine(p) and match(p), quiet=quiet,
                                timeout=timeout)

    def open(self, options=None, synopts=None):
        """The three-way handshake; returns the guest's SYN-ACK."""
        if synopts is None:
            synopts = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (self.tsval, 0)),
                       ("WScale", 7)]
        self.send("S", options=synopts, ack=0)
        sa = self.expect(lambda p: flags(p) == "SA")
        assert sa is not None, "no SYN-ACK; guest sent %s" % [p.summary() for p in self.lan.seen]
        self.seq += 1
        self.ack = sa[TCP].seq + 1
        self.send("A", options=options)
        self.logged("connected")
        return sa

    def logged(self, what):
        """Wait for echoserver's line about this connection (connected,
        closed), so it cannot land in the middle of netstat's output."""
        if self.dport == ECHOPORT:
            self.lan.g.expect(r"echoserver: 10\.0\.2\.2:%d %s[^\r\n]*\r?\n" % (self.sport, what),
                              what="echoserver to log %s %s" % (self.sport, what))

    def take(self, n, options=None):
        """The guest's next n bytes, in order, each segment ACKed as it
        comes (a copy sent again is taken once). Returns (bytes, segments),
        segments the ones that brought new bytes."""
        got, segs = b"", []
        while len(got) < n:
            p = self.expect(lambda p: len(data(p)) > 0)
            assert p is not None, "took %d of %d bytes: %r" % (len(got), n, got)
            off = (self.ack - p[TCP].seq) & 0xffffffff
            if off < len(data(p)):
                got += data(p)[off:]
                segs.append(p)
                self.ack = p[TCP].seq + len(data(p))
            self.send("A", options=options)
        return got, segs

    def echo(self, payload):
        """Send payload and take the guest's echo of it, ACKing it; returns it."""
        self.send("PA", payload)
        self.seq += len(payload)
        return self.take(len(payload))[0]

    def reset(self):
        """End the connection with a reset at the guest's rcv_nxt."""
        self.send("R", options=[])
        self.logged("closed")


# ---- the handshake and its options (RFC 9293 3.7.1, RFC 7323, RFC 2018) --------


def test_syn_with_mss_gets_synack_with_our_mss_wscale_sackok_and_echoed_timestamp(srv):
    lan = srv
    lan.drain()
    c = Conn(lan, 40001)
    c.tsval = 0x01020304
    sa = c.open()
    o = opts(sa)
    assert sa[TCP].ack == ISS + 40001 * 1000 + 1
    assert o.get("MSS") == OURMSS, o
    assert "WScale" in o and 0 <= o["WScale"] <= 14, o
    assert "SAckOK" in o, o
    # RFC 7323 3.2: TSecr echoes the SYN's TSval
    assert "Timestamp" in o and o["Timestamp"][1] == 0x01020304, o
    # RFC 7323 2.2: the window in a SYN is never scaled
    assert sa[TCP].window <= 65535
    assert c.echo(b"after the handshake") == b"after the handshake"
    c.reset()


def test_syn_without_mss_limits_our_segments_to_536_bytes(srv):
    # RFC 9293 3.7.1 (MUST-15): no MSS option means 536.
    lan = srv
    lan.drain()
    c = Conn(lan, 40002)
    c.open(options=[], synopts=[])
    payload = bytes(range(256)) * 6          # 1536 bytes: three segments at most 536
    c.send("PA", payload, options=[])
    c.seq += len(payload)
    got, segs = c.take(len(payload), options=[])
    sizes = [len(data(p)) for p in segs]
    assert got == payload
    assert max(sizes) == 536, sizes
    c.reset()


def test_syn_with_unknown_options_is_answered_and_options_after_them_are_read(srv):
    # RFC 9293 3.1 (MUST-6): an option we do not know is skipped by its
    # length. Kind 253 length 4, then kind 254 length 3 (so what follows
    # is not word-aligned), then SACK-permitted and MSS 1000.
    lan = srv
    lan.drain()
    sport = 40003
    seq = ISS + 7
    lan.send(raw_syn(lan, sport, ECHOPORT, seq,
                     b"\xfd\x04\xab\xcd" + b"\xfe\x03\x99" + b"\x04\x02" + b"\x02\x04\x03\xe8"))
    c = Conn(lan, sport)
    sa = c.expect(lambda p: flags(p) == "SA")
    assert sa is not None, "no SYN-ACK; guest sent %s" % [p.summary() for p in lan.seen]
    o = opts(sa)
    assert sa[TCP].ack == seq + 1
    assert o.get("MSS") == OURMSS and "SAckOK" in o, o
    assert "Timestamp" not in o and "WScale" not in o, o
    c.seq, c.ack = seq + 1, sa[TCP].seq + 1
    c.send("A", options=[])
    c.logged("connected")
    # the MSS of 1000 behind the unknown options was taken
    payload = b"m" * 2500
    c.send("PA", payload, options=[])
    c.seq += len(payload)
    got, segs = c.take(len(payload), options=[])
    sizes = [len(data(p)) for p in segs]
    assert got == payload
    assert max(sizes) == 1000, sizes
    c.reset()


@pytest.mark.parametrize("name,opt", [
    ("length1", b"\x02\x01\x05\xb4"),                 # MSS with length 1
    ("pastheader", b"\x01\x01\xfd\x08\x00\x00"),     # kind 253 says 8 bytes, 4 are left
])
def test_syn_with_malformed_option_is_dropped_and_counted(srv, name, opt):
    # RFC 9293 3.1 (MUST-7): a malformed option is grounds to drop the segment.
    lan = srv
    lan.drain()
    sport = 40010 + len(name)
    before = server_counters(lan)
    lan.send(raw_syn(lan, sport, ECHOPORT, ISS, opt))
    got = Conn(lan, sport).collect(quiet=1.5)
    after = server_counters(lan)
    assert not got, "answered a malformed SYN: %s" % [p.summary() for p in got]
    m = moved(before, after)
    assert m.get("tcp_drop_badopt") == 1 and "tcp_accepts" not in m, m


def test_syn_to_port_nobody_holds_gets_rst_ack_of_seq_plus_one(srv):
    # RFC 9293 3.10.7.1: no connection, no ACK in the SYN: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
    lan = srv
    lan.drain()
    c = Conn(lan, 40020, dport=4444)
    before = counters(lan.g)
    c.send("S", seq=0xfffffff0, ack=0, options=[("MSS", 1460)])
    r = c.expect()
    after = counters(lan.g)
    assert r is not None, "no reset; guest sent %s" % [p.summary() for p in lan.seen]
    assert flags(r) == "RA", flags(r)
    assert r[TCP].seq == 0 and r[TCP].ack == 0xfffffff1
    assert data(r) == b""
    m = moved(before, after)
    assert m.get("tcp_rst_tx") == 1, m


# ---- resets and SYNs on a synchronized connection (RFC 5961 3, 4) ------------


def still_echoes(c):
    return c.echo(b"still there?") == b"still there?"


def test_rst_in_window_but_not_at_rcv_nxt_draws_challenge_ack(srv):
    # RFC 5961 3.2: a reset in the window but not exactly at RCV.NXT is
    # answered with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, the connection kept.
    lan = srv
    lan.drain()
    c = Conn(lan, 40030)
    sa = c.open()
    before = server_counters(lan)
    c.send("R", seq=c.seq + 1000, options=[])
    ch = c.expect()
    after = server_counters(lan)
    assert ch is not None, "no challenge ACK"
    assert flags(ch) == "A" and ch[TCP].ack == c.seq and ch[TCP].seq == sa[TCP].seq + 1
    m = moved(before, after)
    assert m.get("tcp_drop_rstinwin") == 1 and m.get("tcp_challenge_tx") == 1, m
    assert "tcp_rst_rx" not in m, m
    assert still_echoes(c)
    c.reset()


def test_rst_at_rcv_nxt_ends_the_connection(srv):
    # RFC 5961 3.2, RFC 9293 3.10.7.4: exactly at RCV.NXT, the reset is taken.
    lan = srv
    lan.drain()
    c = Conn(lan, 40031)
    c.open()
    assert still_echoes(c)
    before = server_counters(lan)
    c.send("R", options=[])
    lan.g.expect(r"echoserver: 10\.0\.2\.2:40031 closed, 12 bytes: ([^\r\n]*)\r?\n",
                 what="echoserver to see the reset")
    why = lan.g.child.match.group(1)
    quiet = c.collect(quiet=1.0)
    after = server_counters(lan)
    assert "reset" in why.lower(), why
    assert not quiet, "answered a reset: %s" % [p.summary() for p in quiet]
    m = moved(before, after)
    assert m.get("tcp_rst_rx") == 1, m
    # the connection is gone: data for it now draws a reset (RFC 9293 3.10.7.1)
    c.send("PA", b"anyone?", options=[])
    r = c.expect()
    assert r is not None and "R" in flags(r) and r[TCP].seq == c.ack, r and r.summary()


def test_rst_outside_the_window_is_dropped_silently(srv):
    # RFC 5961 3.2 / RFC 9293 3.10.7.4: a reset out of the window is
    # dropped, with no ACK (an ACK would answer a blind attacker).
    lan = srv
    lan.drain()
    c = Conn(lan, 40032)
    c.open()
    before = server_counters(lan)
    c.send("R", seq=c.seq + 0x40000000, options=[])
    c.send("R", seq=c.seq - 5000, options=[])
    got = c.collect(quiet=1.0)
    after = server_counters(lan)
    assert not got, "answered: %s" % [p.summary() for p in got]
    m = moved(before, after)
    assert m.get("tcp_drop_rstoutwin") == 2 and "tcp_rst_rx" not in m, m
    assert still_echoes(c)
    c.reset()


def test_syn_on_established_connection_draws_challenge_ack(srv):
    # RFC 5961 4.2: any SYN on a synchronized connection, in the window
    # or not, draws a challenge ACK; the connection goes on.
    lan = srv
    lan.drain()
    c = Conn(lan, 40033)
    sa = c.open()
    before = server_counters(lan)
    c.send("S", seq=c.seq + 100, ack=0, options=[("MSS", 1460)])
    ch = c.expect()
    after = server_counters(lan)
    assert ch is not None, "no challenge ACK"
    assert flags(ch) == "A" and ch[TCP].ack == c.seq and ch[TCP].seq == sa[TCP].seq + 1
    m = moved(before, after)
    assert m.get("tcp_drop_syninwin") == 1 and m.get("tcp_challenge_tx") == 1, m
    assert still_echoes(c)
    c.reset()


def test_ack_of_data_older_than_the_window_draws_challenge_ack(srv):
    # RFC 5961 5.2: an ACK below SND.UNA - MAX.SND.WND is dropped and
    # answered with an ACK; the connection goes on.
    lan = srv
    lan.drain()
    c = Conn(lan, 40034)
    sa = c.open(options=[])
    assert still_echoes(c)
    before = server_counters(lan)
    c.send("A", ack=(sa[TCP].seq - 0x20000000) & 0xffffffff)
    ch = c.expect()
    after = server_counters(lan)
    assert ch is not None and flags(ch) == "A" and ch[TCP].ack == c.seq, ch and ch.summary()
    m = moved(before, after)
    assert m.get("tcp_drop_ackold") == 1 and m.get("tcp_challenge_tx") == 1, m
    assert still_echoes(c)
    c.reset()


def test_syn_again_in_syn_received_draws_the_same_synack(srv):
    # RFC 9293 3.10.7.4 / 3.8.1: our SYN-ACK was lost, the peer's SYN
    # comes again: the SYN-ACK goes again, with the same ISS.
    lan = srv
    lan.drain()
    c = Conn(lan, 40035)
    syn = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (77, 0)), ("WScale", 7)]
    before = server_counters(lan)
    c.send("S", options=syn, ack=0)
    first = c.expect(lambda p: flags(p) == "SA")
    c.send("S", options=syn, ack=0)
    again = c.expect()
    after = server_counters(lan)
    assert first is not None and again is not None, "SYN-ACKs: %s" % [first, again]
    assert flags(again) == "SA", "answered the SYN again with %s seq %+d ack %+d" % (
        flags(again), again[TCP].seq - first[TCP].seq, again[TCP].ack - c.seq)
    assert again[TCP].seq == first[TCP].seq and again[TCP].ack == c.seq + 1
    m = moved(before, after)
    assert m.get("tcp_accepts") == 1 and m.get("tcp_rx_dupsyn") == 1, m
    c.seq += 1
    c.ack = first[TCP].seq + 1
    c.send("A")
    c.logged("connected")
    assert still_echoes(c)
    c.reset()


# ---- retransmission and the persist timer (RFC 6298, RFC 9293 3.8.6.1) ------------


def gaps(segs):
    """Seconds between segments by the guest's own clock, their TSval
    (RFC 7323 counts it in our milliseconds): how late the host read
    them does not show."""
    t = [opts(p)["Timestamp"][0] for p in segs]
    return [((b - a) & 0xffffffff) / 1000 for a, b in zip(t, t[1:])]


def assert_backoff(g, what):
    # each wait at least 1.5 times the one before: doubling, with room for a busy host
    assert all(b >= 1.5 * a for a, b in zip(g, g[1:])), "%s gaps %s" % (
        what, ["%.3f" % x for x in g])


def test_syn_is_retransmitted_after_1s_then_with_doubling_backoff(srv):
    # RFC 6298 2.1: the initial RTO is 1 s; 5.5: it doubles on each expiry.
    lan = srv
    g = lan.g
    lan.drain()
    port = 9300
    g.sendline("echoclient -n 1 10.0.2.2 %d &" % port)
    syn = lambda p: (TCP in p and p[TCP].dport == port and flags(p) == "S")
    first = lan.expect(syn, timeout=10)
    assert first is not None, "no SYN:\n" + g.tail()
    syns = [first]
    while len(syns) < 4:
        p = lan.expect(lambda p: syn(p) and p[TCP].seq == first[TCP].seq, timeout=10)
        assert p is not None, "%d SYNs, then none" % len(syns)
        syns.append(p)
    gp = gaps(syns)
    assert gp[0] >= 0.9, "first retransmission after %.3f s" % gp[0]
    assert_backoff(gp, "SYN")
    # refuse it, so echoclient ends (RFC 9293 3.10.7.3: the reset acknowledges the SYN)
    lan.send(tcp_to(lan, port, first[TCP].sport, flags="RA", seq=0, ack=first[TCP].seq + 1))
    g.expect(r"echoclient: connect 10\.0\.2\.2:%d: ([^\r\n]*)\r?\n" % port,
             what="echoclient to be refused")
    assert "refused" in g.child.match.group(1).lower(), g.child.match.group(1)


def test_unacked_data_is_retransmitted_with_doubling_backoff(srv):
    # RFC 6298 5.4, 5.5: the earliest unacknowledged segment goes again
    # at each expiry, the timer doubled each time.
    lan = srv
    lan.drain()
    c = Conn(lan, 40040)
    c.open()
    payload = b"never acknowledged"
    before = server_counters(lan)
    c.send("PA", payload)
    c.seq += len(payload)
    segs = []
    while len(segs) < 5:
        p = c.expect(lambda p: len(data(p)) > 0, timeout=10)
        assert p is not None, "%d copies, then none" % len(segs)
        segs.append(p)
    after = server_counters(lan)
    assert all(data(p) == payload and p[TCP].seq == segs[0][TCP].seq for p in segs), \
        [p.summary() for p in segs]
    assert_backoff(gaps(segs), "retransmission")
    m = moved(before, after)
    assert m.get("tcp_rexmt_timeout") == 4 and m.get("tcp_tx_rexmt") == 4, m
    c.ack = segs[0][TCP].seq + len(payload)
    c.send("A")
    assert still_echoes(c)
    c.reset()


def test_zero_window_is_probed_with_backoff_and_sending_resumes_when_it_opens(srv):
    # RFC 9293 3.8.6.1 (MUST-35): with the window shut and data to send,
    # probe, backing off; when the window opens, send.
    lan = srv
    lan.drain()
    c = Conn(lan, 40041)
    c.open()
    payload = b"wait for the window " * 20
    before = server_counters(lan)
    c.send("PA", payload, win=0)
    c.seq += len(payload)
    ack = c.expect(timeout=5)
    assert ack is not None and ack[TCP].ack == c.seq, ack and ack.summary()
    una = ack[TCP].seq
    probes = []
    while len(probes) < 4:
        p = c.expect(timeout=10)
        assert p is not None, "%d probes, then none" % len(probes)
        probes.append(p)
        # what a receiver with a shut window says to a probe: still shut
        c.send("A", ack=una, win=0)
    after = server_counters(lan)
    assert all(p[TCP].seq == una and len(data(p)) <= 1 for p in probes), \
        ["seq %+d len %d" % (p[TCP].seq - una, len(data(p))) for p in probes]
    assert_backoff(gaps(probes), "probe")
    m = moved(before, after)
    assert m.get("tcp_persist_probe") == 4, m
    # open the window: everything comes
    c.send("A", ack=una, win=65535)
    got = b""
    while len(got) < len(payload):
        p = c.expect(lambda p: len(data(p)) > 0 and p[TCP].seq == una + len(got))
        assert p is not None, "after the window opened, %d of %d bytes" % (len(got), len(payload))
        got += data(p)
        c.ack = p[TCP].seq + len(data(p))
        c.send("A")
    assert got == payload
    c.reset()


# ---- closing (RFC 9293 3.6, 3.10.7.4 eighth) ------------------------------------


def guest_fin(c, timeout=5.0):
    return c.expect(lambda p: "F" in flags(p), timeout=timeout)


def test_fin_in_established_is_acked_then_server_closes_from_last_ack(srv):
    # ESTABLISHED -> CLOSE-WAIT on our FIN (ACKed at once); echoserver
    # reads end of file and closes -> LAST-ACK, its FIN retransmitted
    # until we ACK it.
    lan = srv
    lan.drain()
    c = Conn(lan, 40050)
    c.open()
    assert still_echoes(c)
    before = server_counters(lan)
    c.send("FA")
    c.seq += 1
    a = c.expect()
    assert a is not None and a[TCP].ack == c.seq, a and a.summary()
    fin = a if "F" in flags(a) else guest_fin(c)
    assert fin is not None, "no FIN from the guest"
    c.logged("closed")
    assert fin[TCP].ack == c.seq and data(fin) == b""
    again = guest_fin(c)            # LAST-ACK: the FIN goes again until acknowledged
    assert again is not None and again[TCP].seq == fin[TCP].seq, "FIN not retransmitted"
    c.ack = fin[TCP].seq + 1
    c.send("A")
    after_ack = c.collect(quiet=1.0)
    after = server_counters(lan)
    assert not after_ack, "sent after its FIN was acknowledged: %s" % [
        p.summary() for p in after_ack]
    m = moved(before, after)
    assert m.get("tcp_fin_rx") == 1 and m.get("tcp_fin_tx") == 1, m


def test_fin_with_data_delivers_the_data_then_the_fin(srv):
    # RFC 9293 3.10.7.4: the text is processed (seventh), then the FIN
    # (eighth), which counts one past it.
    lan = srv
    lan.drain()
    c = Conn(lan, 40051)
    c.open()
    c.send("FPA", b"last words")
    c.seq += len(b"last words") + 1
    got, segs = c.take(len(b"last words"))
    fin = segs[-1] if "F" in flags(segs[-1]) else guest_fin(c)
    assert got == b"last words", got
    assert fin is not None and fin[TCP].ack == c.seq, fin and fin.summary()
    c.logged("closed")
    assert fin[TCP].seq == segs[-1][TCP].seq + len(data(segs[-1]))
    c.ack = fin[TCP].seq + 1
    c.send("A")


def test_segment_for_a_closed_connection_gets_a_reset(srv):
    # RFC 9293 3.10.7.1: after the close the 4-tuple has no connection;
    # a segment with ACK gets <SEQ=SEG.ACK><CTL=RST>.
    lan = srv
    lan.drain()
    c = Conn(lan, 40052)
    c.open()
    c.send("FA")
    c.seq += 1
    fin = guest_fin(c)
    assert fin is not None, "no FIN from the guest"
    c.logged("closed")
    c.ack = fin[TCP].seq + 1
    c.send("A")
    assert not c.collect(quiet=0.5)
    before = server_counters(lan)
    c.send("PA", b"too late", options=[])
    r = c.expect()
    after = server_counters(lan)
    assert r is not None, "no reset"
    assert flags(r) == "R" and r[TCP].seq == c.ack, r.summary()
    m = moved(before, after)
    assert m.get("tcp_rst_tx") == 1, m


def test_simultaneous_close_goes_through_closing(srv):
    # RFC 9293 3.6 figure 13: our FIN crosses the guest's, not ACKing it:
    # FIN-WAIT-1 -> CLOSING; the guest ACKs our FIN; our ACK ends it.
    lan = srv
    g = lan.g
    lan.drain()
    port, S = 9301, 0x70000000
    g.sendline("echoclient -n 1 -s 32 10.0.2.2 %d &" % port)
    syn = lan.expect(lambda p: TCP in p and p[TCP].dport == port and flags(p) == "S", timeout=10)
    assert syn is not None, "no SYN:\n" + g.tail()
    c = Conn(lan, port, dport=syn[TCP].sport)
    c.seq, c.ack = S, syn[TCP].seq + 1
    c.send("SA", options=[("MSS", 1460)])
    c.seq += 1
    msg = c.expect(lambda p: len(data(p)) == 32)
    assert msg is not None, "no message"
    c.ack += 32
    c.send("PA", data(msg), options=[])      # echo it
    c.seq += 32
    fin = guest_fin(c)
    assert fin is not None, "echoclient sent no FIN"
    assert fin[TCP].seq == c.ack and fin[TCP].ack == c.seq
    c.send("FA", options=[])                 # ours, not acknowledging theirs
    c.seq += 1
    a = c.expect(lambda p: p[TCP].ack == c.seq)
    assert a is not None, "our FIN was not acknowledged"
    assert a[TCP].seq == fin[TCP].seq + 1, a.summary()
    c.ack = fin[TCP].seq + 1
    c.send("A", options=[])
    g.expect(r"1 messages, 32 bytes, 0 errors", what="echoclient to finish")


# ---- SACK (RFC 2018) -----------------------------------------------------------


def test_out_of_order_segments_draw_acks_with_sack_blocks_newest_first(srv):
    # RFC 2018 4: each duplicate ACK carries the blocks received, the one
    # holding the newest segment first.
    lan = srv
    lan.drain()
    c = Conn(lan, 40060)
    sa = c.open()
    assert "SAckOK" in opts(sa)
    base = c.seq
    chunk = [bytes([0x41 + i]) * 100 for i in range(4)]
    before = server_counters(lan)
    c.send("PA", chunk[1], seq=base + 100)
    d1 = c.expect()
    c.send("PA", chunk[3], seq=base + 300)
    d2 = c.expect()
    assert d1 is not None and d2 is not None, "no duplicate ACKs"
    assert d1[TCP].ack == base and d2[TCP].ack == base
    assert opts(d1).get("SAck") == (base + 100, base + 200), opts(d1)
    assert opts(d2).get("SAck") == (base + 300, base + 400, base + 100, base + 200), opts(d2)
    c.send("PA", chunk[0], seq=base)
    d3 = c.expect(lambda p: p[TCP].ack == base + 200)
    assert d3 is not None and opts(d3).get("SAck") == (base + 300, base + 400), \
        d3 and opts(d3)
    c.send("PA", chunk[2], seq=base + 200)
    c.seq = base + 400
    got = c.take(400)[0]
    after = server_counters(lan)
    assert got == b"".join(chunk), got
    m = moved(before, after)
    assert m.get("tcp_rx_ooo") == 2, m
    c.reset()


# ---- after the process: netd keeps its closing connections (tcp_orphan.c) ------


def test_fin_wait_2_and_time_wait_outlive_the_process_in_netd(srv):
    # RFC 9293 3.10.7.4: a FIN in FIN-WAIT-2 is ACKed and leads to
    # TIME-WAIT; a FIN again in TIME-WAIT is ACKed again. The guest's
    # echoclient closes first and exits while we hold our FIN back, so
    # both answers must come from netd, which took the connection over.
    lan = srv
    g = lan.g
    lan.drain()
    port, S = 9401, 0x71000000
    before = counters(g)
    g.sendline("echoclient -n 1 -s 16 10.0.2.2 %d" % port)
    syn = lan.expect(lambda p: TCP in p and p[TCP].dport == port and flags(p) == "S", timeout=10)
    assert syn is not None, "no SYN:\n" + g.tail()
    c = Conn(lan, port, dport=syn[TCP].sport)
    c.seq, c.ack = S, syn[TCP].seq + 1
    c.send("SA", options=[("MSS", 1460)])
    c.seq += 1
    msg = c.expect(lambda p: len(data(p)) == 16)
    assert msg is not None, "no message"
    c.ack += 16
    c.send("PA", data(msg), options=[])
    c.seq += 16
    fin = guest_fin(c)
    assert fin is not None, "echoclient sent no FIN"
    c.ack = fin[TCP].seq + 1
    c.send("A", options=[])                  # FIN-WAIT-2 on the guest's side
    g.expect(r"1 messages, 16 bytes, 0 errors[^\r\n]*\r?\n", what="echoclient to finish")
    g.expect(PROMPT, what="the prompt after echoclient")
    time.sleep(0.5)                          # the handoff crosses the loopback
    lan.drain()
    c.send("FA", options=[])
    c.seq += 1
    a = c.expect(lambda p: True)
    assert a is not None, "nobody answered our FIN after the process ended; netd's counters moved: %s" % (
        moved(before, counters(g)))
    assert flags(a) == "A" and a[TCP].ack == c.seq and a[TCP].seq == c.ack, a.summary()
    c.send("FA", seq=c.seq - 1, options=[])  # the same FIN again, as if our ACK were lost
    a2 = c.expect(lambda p: True)
    assert a2 is not None, "TIME-WAIT did not answer a repeated FIN"
    assert flags(a2) == "A" and a2[TCP].ack == c.seq, a2.summary()
    m = moved(before, counters(g))
    assert m.get("tcp_adopted") == 1, m
    assert m.get("tcp_rst_tx", 0) == 0, m
