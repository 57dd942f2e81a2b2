"""The resolver (libnet/resolv.c), host(1) and ping by name, against DNS
servers the tests run themselves:

- a server written here, on the host's 127.0.0.1:53 (UDP and TCP), which
  the guest reaches as 10.0.2.2:53 over NET=user. Its behaviour is chosen
  by the name asked (NAMES below): plain answers, CNAME chains sent out
  of order with compression pointers, NXDOMAIN, the first query
  dropped, a truncated answer (then TCP), silence, a wrong id first.
- Debian's dnsmasq in a network namespace on a tap device
  (test_netns.Net's topology), serving only the names given on its
  command line: --no-resolv --no-hosts, so it forwards nothing.

The image's /etc/resolv.conf names no server (docs/libnet.md "Names"), so
every test here writes the guest's own first. QEMU records the user
network's frames (the PCAP knob), and the last test checks that none
went to or came from 10.0.2.3, slirp's resolver, which forwards to the
host's real one. Answers only ever hold 10.0.2.0/24 addresses, and the
guest pings none but 10.0.2.2 (slirp answers that itself).
"""
import os
import re
import shutil
import socket
import struct
import subprocess
import threading
import time

import pytest

from qemu import LOGDIR, Guest, copy_image

SERVER = "10.0.2.2"     # the host's 127.0.0.1, as the guest sees it
SLIRP_DNS = "10.0.2.3"

# name -> (kind, data). Addresses are all in slirp's 10.0.2.0/24.
NAMES = {
    "a.test": ("a", ["10.0.2.101"]),
    "multi.test": ("a", ["10.0.2.102", "10.0.2.103"]),
    "gw.test": ("a", ["10.0.2.2"]),
    "hosted.test": ("a", ["10.0.2.109"]),     # /etc/hosts says otherwise
    "www.chain.test": ("chain", ["mid.chain.test", "end.chain.test", "10.0.2.105"]),
    "loop.test": ("loop", None),
    "nx.test": ("nx", None),
    "servfail.test": ("servfail", None),
    "tc.test": ("tc", ["10.0.2.107"]),
    "silent.test": ("silent", None),
    "wrongid.test": ("wrongid", ["10.0.2.108"]),
}


def qname(msg):
    """(name, end offset) of the question in a query (no compression)."""
    labels, off = [], 12
    while msg[off]:
        n = msg[off]
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    return ".".join(labels), off + 1


def encname(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"


def rr(owner, rtype, rdata):
    """A record: owner is raw name bytes (a label sequence or a pointer)."""
    return owner + struct.pack("!HHIH", rtype, 1, 60, len(rdata)) + rdata


def ptr(off):
    return struct.pack("!H", 0xc000 | off)


def aaddr(ip):
    return socket.inet_aton(ip)


class DnsServer:
    """The test's DNS server on 127.0.0.1:53, UDP and TCP, one thread
    each. queries records (proto, name, id) of everything asked."""

    def __init__(self):
        self.queries = []
        self.seen = set()
        self.lock = threading.Lock()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.udp.bind(("127.0.0.1", 53))
            self.tcp.bind(("127.0.0.1", 53))
        except OSError as e:
            self.close()
            raise AssertionError("test_dns needs the host's 127.0.0.1:53 (UDP and TCP) free, "
                                 "and root to bind it: %s" % e)
        self.tcp.listen(4)
        self.udp.settimeout(0.2)
        self.tcp.settimeout(0.2)
        self.stop = False
        self.threads = [threading.Thread(target=f, daemon=True)
                        for f in (self.serve_udp, self.serve_tcp)]
        for t in self.threads:
            t.start()

    def asked(self, name):
        with self.lock:
            return [q for q in self.queries if q[1] == name]

    def answer(self, q, tcp):
        """The messages to send for query q, in order (may be none)."""
        qid, flags = struct.unpack("!HH", q[:4])
        name, qend = qname(q)
        name = name.lower()
        with self.lock:
            self.queries.append(("tcp" if tcp else "udp", name, qid))
            first = name not in self.seen
            self.seen.add(name)
        question = q[12:qend + 4]
        kind, data = NAMES.get(name, ("nx", None))
        if name.startswith("retry"):
            if first:
                return []
            kind, data = "a", ["10.0.2.106"]
        rcode, tc, ans = 0, 0, []
        if kind == "a":
            ans = [rr(ptr(12), 1, aaddr(ip)) for ip in data]
        elif kind == "chain":
            # the A record first, then the links backwards, each owner and
            # target a pointer into earlier names: the parser must follow
            # the chain whatever the order, through compression.
            mid, end, ip = data
            off_end = 12 + len(question)
            r1 = rr(encname(end), 1, aaddr(ip))
            off_mid = off_end + len(r1)
            r2 = rr(encname(mid), 5, ptr(off_end))     # mid -> end
            r3 = rr(ptr(12), 5, ptr(off_mid))          # www -> mid
            ans = [r1, r2, r3]
        elif kind == "loop":
            ans = [rr(ptr(12), 5, ptr(12))]            # a CNAME to itself
        elif kind == "nx":
            rcode = 3
        elif kind == "servfail":
            rcode = 2
        elif kind == "tc":
            if tcp:
                ans = [rr(ptr(12), 1, aaddr(ip)) for ip in data]
            else:
                tc = 1
        elif kind == "silent":
            return []
        hdr = lambda i, n: struct.pack("!HHHHHH", i, 0x8180 | (tc << 9) | rcode, 1, n, 0, 0)
        msg = hdr(qid, len(ans)) + question + b"".join(ans)
        if kind == "wrongid":
            ans = [rr(ptr(12), 1, aaddr(ip)) for ip in data]
            bad = [rr(ptr(12), 1, aaddr("10.0.2.66"))]
            return [hdr(qid ^ 0x5555, 1) + question + b"".join(bad),
                    hdr(qid, 1) + question + b"".join(ans)]
        return [msg]

    def serve_udp(self):
        while not self.stop:
            try:
                q, peer = self.udp.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                for m in self.answer(q, False):
                    self.udp.sendto(m, peer)
                    time.sleep(0.1)
            except (IndexError, struct.error, OSError):
                pass

    def serve_tcp(self):
        while not self.stop:
            try:
                c, _ = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                c.settimeout(5)
                n = struct.unpack("!H", c.recv(2, socket.MSG_WAITALL))[0]
                q = c.recv(n, socket.MSG_WAITALL)
                for m in self.answer(q, True):
                    c.sendall(struct.pack("!H", len(m)) + m)
            except (OSError, struct.error, IndexError):
                pass
            finally:
                c.close()

    def close(self):
        self.stop = True
        for t in getattr(self, "threads", []):
            t.join(2)
        self.udp.close()
        self.tcp.close()


@pytest.fixture(scope="module")
def dns(tmp_path_factory):
    """(guest, server, pcap path): a NET=user guest recording its frames,
    and the test's DNS server."""
    assert os.geteuid() == 0, "test_dns needs root: its DNS server listens on port 53"
    server = DnsServer()
    d = tmp_path_factory.mktemp("dns")
    pcap = os.path.join(str(d), "dns.pcap")
    os.makedirs(LOGDIR, exist_ok=True)
    g = Guest(copy_image(d), log=os.path.join(LOGDIR, "test_dns.log"), net="user",
              makevars={"PCAP": pcap})
    try:
        g.boot()
        yield g, server, pcap
    finally:
        g.close()
        server.close()


def configure(g, *lines):
    g.run("echo %s > /etc/resolv.conf" % lines[0])
    for l in lines[1:]:
        g.run("echo %s >> /etc/resolv.conf" % l)


def test_default_resolv_conf_names_no_server_and_sends_nothing(dns):
    g, server, _ = dns
    out = g.run("cat /etc/resolv.conf")
    assert not re.search(r"^nameserver", out, re.M), out
    out = g.run("host a.test")
    assert "host: no nameserver in /etc/resolv.conf" in out, out
    out = g.run("ping -c 1 a.test")
    assert "ping: a.test: Temporary failure in name resolution" in out, out
    assert server.queries == []
    # Every later test asks our server, one second a try, two rounds.
    configure(g, "nameserver " + SERVER, "options timeout:1 attempts:2")


def test_localhost_and_own_name_come_from_etc_hosts(dns):
    g, server, _ = dns
    out = g.run("ping -c 1 -W 1 localhost")
    assert out.startswith("PING localhost (127.0.0.1)"), out
    out = g.run("ping -c 1 -W 1 xv6net")
    assert out.startswith("PING xv6net (10.0.2.15)"), out
    assert server.queries == []


def test_host_prints_a_records(dns):
    g, server, _ = dns
    out = g.run("host a.test")
    assert out.splitlines() == ["a.test has address 10.0.2.101"], out
    out = g.run("host MULTI.test")
    # the server echoes the question as asked, and its records point at it
    assert out.splitlines() == ["MULTI.test has address 10.0.2.102",
                                "MULTI.test has address 10.0.2.103"], out


def test_host_with_a_server_says_which(dns):
    g, server, _ = dns
    out = g.run("host gw.test " + SERVER)
    assert out.splitlines() == ["Using domain server:", "Name: 10.0.2.2",
                                "Address: 10.0.2.2#53", "Aliases: ", "",
                                "gw.test has address 10.0.2.2"], out


def test_cname_chain_out_of_order_through_pointers(dns):
    g, server, _ = dns
    out = g.run("host www.chain.test")
    assert out.splitlines() == ["www.chain.test is an alias for mid.chain.test.",
                                "mid.chain.test is an alias for end.chain.test.",
                                "end.chain.test has address 10.0.2.105"], out


def test_cname_loop_is_no_answer(dns):
    g, server, _ = dns
    t0 = time.monotonic()
    out = g.run("host -v loop.test", timeout=30)
    assert ";; connection timed out; no servers could be reached" in out, out
    assert re.search(r"malformed [1-9]", out), out
    assert time.monotonic() - t0 < 10


def test_nxdomain_and_servfail(dns):
    g, server, _ = dns
    out = g.run("host nx.test")
    assert out.strip() == "Host nx.test not found: 3(NXDOMAIN)", out
    out = g.run("host servfail.test")
    assert out.strip() == "Host servfail.test not found: 2(SERVFAIL)", out
    out = g.run("ping -c 1 nx.test")
    assert out.strip() == "ping: nx.test: Name or service not known", out


def test_first_query_dropped_is_retried(dns):
    g, server, _ = dns
    out = g.run("host -v retry1.test")
    assert "retry1.test has address 10.0.2.106" in out, out
    assert ";; sent 2, over tcp 0, timeouts 1;" in out, out
    q = server.asked("retry1.test")
    assert len(q) == 2 and q[0][2] == q[1][2], q


def test_truncated_answer_is_asked_again_over_tcp(dns):
    g, server, _ = dns
    out = g.run("host -v tc.test")
    assert "tc.test has address 10.0.2.107" in out, out
    assert ";; sent 1, over tcp 1," in out, out
    assert [p for p, _, _ in server.asked("tc.test")] == ["udp", "tcp"]


def test_hosts_file_comes_before_dns(dns):
    g, server, _ = dns
    g.run("echo 10.0.2.2 hosted.test >> /etc/hosts")
    out = g.run("ping -c 1 -W 2 hosted.test", timeout=30)
    assert out.startswith("PING hosted.test (10.0.2.2)"), out
    assert "1 packets transmitted, 1 received" in out, out
    assert server.asked("hosted.test") == []
    # host(1), like Debian's, asks the DNS alone
    out = g.run("host hosted.test")
    assert out.strip() == "hosted.test has address 10.0.2.109", out


def test_ping_by_name_through_dns(dns):
    g, server, _ = dns
    out = g.run("ping -c 1 -W 2 gw.test", timeout=30)
    assert out.startswith("PING gw.test (10.0.2.2) 56(84) bytes of data."), out
    assert "64 bytes from 10.0.2.2: icmp_seq=1" in out, out
    assert "--- gw.test ping statistics ---" in out, out


def test_unanswered_server_times_out_with_a_clear_error(dns):
    g, server, _ = dns
    t0 = time.monotonic()
    out = g.run("host -v silent.test", timeout=30)
    took = time.monotonic() - t0
    assert ";; connection timed out; no servers could be reached" in out, out
    assert ";; sent 2, over tcp 0, timeouts 2;" in out, out
    assert 1.8 < took < 8, took
    out = g.run("ping -c 1 silent.test", timeout=30)
    assert out.strip() == "ping: silent.test: Temporary failure in name resolution", out
    assert len(server.asked("silent.test")) == 4


def test_answer_with_wrong_id_is_ignored(dns):
    g, server, _ = dns
    out = g.run("host -v wrongid.test")
    assert "wrongid.test has address 10.0.2.108" in out, out
    assert "10.0.2.66" not in out, out
    assert re.search(r"wrong id 1,", out), out


def test_nothing_went_to_slirps_resolver_and_ports_are_random(dns):
    from scapy.all import DNS, IP, UDP, rdpcap
    g, server, pcap = dns
    time.sleep(0.5)    # filter-dump writes as frames pass; let the last land
    frames = rdpcap(pcap)
    ips = [f[IP] for f in frames if IP in f]
    assert ips, "the pcap holds no IPv4 frames: %s" % pcap
    bad = [p.summary() for p in ips if SLIRP_DNS in (p.src, p.dst)]
    assert bad == [], "frames to or from slirp's resolver: %s" % bad
    queries = [p for p in ips if UDP in p and p[UDP].dport == 53 and DNS in p]
    assert len(queries) >= 10 and all(p.dst == SERVER for p in queries)
    ports = sorted({p[UDP].sport for p in queries})
    ids = {p[DNS].id for p in queries}
    # one socket and one id per lookup; ports drawn at random, not the
    # kernel's next ephemeral port each time
    assert len(ports) >= 8 and len(ids) >= 8, (ports, ids)
    assert all(49152 <= p <= 65535 for p in ports), ports
    steps = [b - a for a, b in zip(ports, ports[1:])]
    assert steps.count(1) < len(steps) // 2, ports


# ---- dnsmasq on a tap device ------------------------------------------------

def test_dnsmasq_in_a_namespace_answers_the_guest(tmp_path):
    """The guest on a tap in test_netns's namespaces; dnsmasq on the
    router (10.0.2.2) answers far.test with the far host, 10.9.0.2, and
    the guest pings it by name through the router."""
    assert os.geteuid() == 0, "needs root (ip netns, tap devices)"
    assert shutil.which("ip"), "needs iproute2's ip (scripts/setup.sh)"
    dnsmasq = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
    assert os.path.exists(dnsmasq), "needs dnsmasq: apt-get install dnsmasq-base (scripts/setup.sh)"
    from test_netns import Net
    net, g, dm = Net(), None, None
    try:
        net.up()
        log = os.path.join(str(tmp_path), "dnsmasq.log")
        dm = subprocess.Popen(
            ["ip", "netns", "exec", net.router, dnsmasq, "--keep-in-foreground",
             "--no-resolv", "--no-hosts", "--no-poll", "--conf-file=/dev/null",
             "--pid-file=", "--user=root", "--group=root", "--bind-interfaces",
             "--listen-address=10.0.2.2", "--port=53", "--log-queries",
             "--log-facility=" + log,
             "--host-record=far.test,10.9.0.2", "--host-record=rtr.test,10.0.2.2",
             "--cname=alias.test,far.test", "--address=/wild.test/10.9.0.3",
             "--local=/test/"],  # other .test names: NXDOMAIN, never forwarded
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        g = Guest(copy_image(tmp_path), log=os.path.join(LOGDIR, "test_dns_dnsmasq.log"),
                  net="tap", makevars={"TAP": "tap0"})
        g.argv = ["ip", "netns", "exec", net.lan] + g.argv
        g.boot()
        assert dm.poll() is None, "dnsmasq exited: %s" % dm.stderr.read().decode()
        configure(g, "nameserver 10.0.2.2", "options timeout:1 attempts:3")
        out = g.run("host rtr.test")
        assert out.strip() == "rtr.test has address 10.0.2.2", out
        out = g.run("host alias.test")
        assert out.splitlines() == ["alias.test is an alias for far.test.",
                                    "far.test has address 10.9.0.2"], out
        out = g.run("host any.wild.test")
        assert out.strip() == "any.wild.test has address 10.9.0.3", out
        out = g.run("host nowhere.test")
        assert out.strip() == "Host nowhere.test not found: 3(NXDOMAIN)", out
        out = g.run("ping -c 2 -i 0.3 far.test", timeout=30)
        assert out.startswith("PING far.test (10.9.0.2)"), out
        assert "2 packets transmitted, 2 received" in out, out
        with open(log) as f:
            text = f.read()
        assert "query[A] far.test from 10.0.2.15" in text, text
        assert "forwarded" not in text, text
    finally:
        if g is not None:
            g.close()
        if dm is not None and dm.poll() is None:
            dm.terminate()
            dm.wait(5)
        net.down()
