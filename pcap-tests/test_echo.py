"""Echo (RFC 862) over slirp (NET=user), end to end: `echoserver` in the
guest reached from the host through port forwards, TCP and with -u UDP;
`echoclient` in the guest against an echo server on the host's loopback
(slirp shows the host to the guest as 10.0.2.2); `seedecho`, the seed's
plain BSD echo server, in the guest and, built with Linux's includes, on
the host; and what each program says to bad arguments.

Each test boots its own guest with host 127.0.0.1:PORT forwarded to the
guest's port 7, TCP and UDP. PORT derives from uid and pid as
qemu.pick_port's do, and is checked free first, so concurrent runs do not
collide. The guest's console is in build/test-logs/<test>.log.

These tests check what the programs print, and that they return to the
prompt; test_sh.py covers the shell's `$?`.
"""
import os
import re
import shutil
import socket
import subprocess
import threading
import time

import pytest

from lan import background
from qemu import LOGDIR, PROMPT, ROOT, Guest, free_port

GUESTPORT = 7
IO_TIMEOUT = 30           # seconds for one host socket operation

SERVER_USAGE = "usage: echoserver [-u] [-p port] [-s statport]"
CLIENT_USAGE = "usage: echoclient [-n count] [-s size] host port"
SEED_USAGE = "usage: seedecho [port]"

CONNECTED = r"echoserver: 10\.0\.2\.2:(\d+) connected"
STATS = (r"(\d+) messages, (\d+) bytes, (\d+) errors; "
         r"rtt min/avg/max = (\d+\.\d{3})/(\d+\.\d{3})/(\d+\.\d{3}) ms")


@pytest.fixture
def eguest(request, fsimg):
    """A guest on NET=user, booted to the prompt, with host
    127.0.0.1:eguest.fwd forwarded to its port 7, TCP and UDP."""
    port = free_port()
    fwd = "hostfwd=tcp:127.0.0.1:{0}-:{1},hostfwd=udp:127.0.0.1:{0}-:{1}".format(port, GUESTPORT)
    name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    g = Guest(fsimg, log=os.path.join(LOGDIR, name + ".log"), makevars={"HOSTFWD": fwd})
    g.fwd = port
    try:
        g.boot()
        yield g
    finally:
        g.close()


def dial(g):
    """A TCP connection from the host to the guest's port 7."""
    return socket.create_connection(("127.0.0.1", g.fwd), timeout=IO_TIMEOUT)


def recv_exactly(s, n):
    """n bytes from s, or fewer if the peer closed first."""
    buf = bytearray()
    while len(buf) < n:
        data = s.recv(n - len(buf))
        if not data:
            break
        buf += data
    return bytes(buf)


def expect_lines(g, regex, n, what):
    """Wait for n console lines matching regex; returns their matches' groups."""
    got = []
    for i in range(n):
        g.expect(regex, timeout=IO_TIMEOUT, what="%s (%d of %d)" % (what, i + 1, n))
        got.append(g.child.match.groups())
    return got


def start(g, cmd, ready, fatal):
    """lan.background(g, cmd, ready), but a line matching fatal (the
    program saying why it will not serve) fails the test at once."""
    g.sendline(cmd + " &")
    if g.expect([ready, fatal], what="%r to print %r" % (cmd, ready)) == 1:
        pytest.fail("%r did not start: %s" % (cmd, g.child.match.group(0).strip()))
    # as lan.background: the prompt sh printed after forking may come
    # before or after the program's line.
    start.n += 1
    g.sendline("echo started%d" % start.n)
    g.expect(r"\nstarted%d\r?\n" % start.n, what="the shell after %r" % cmd)
    g.expect(PROMPT, what="the prompt after %r" % cmd)


start.n = 0


def start_echoserver(g, args=""):
    start(g, ("echoserver " + args).strip(), r"echoserver: listening on port %d \(tcp" % GUESTPORT,
          r"echoserver: (tcp socket|bind|listen) [^\r\n]*\r?\n")   # a whole line: "listen" begins "listening"


def test_echoserver_echoes_a_line_and_logs_the_connection(eguest):
    g = eguest
    start_echoserver(g)
    line = b"hello, echo server\n"
    with dial(g) as s:
        s.sendall(line)
        assert recv_exactly(s, len(line)) == line
        expect_lines(g, CONNECTED, 1, "the connection's log line")
    g.expect(r"echoserver: 10\.0\.2\.2:\d+ closed, %d bytes\r?\n" % len(line),
             timeout=IO_TIMEOUT, what="the line logging its close")


def test_echoserver_serves_100_clients_at_once(eguest):
    # every connection is open before any sends, and stays open until all
    # have been answered: the server holds 100 at once.
    g = eguest
    start_echoserver(g)
    n = 100
    conns = [dial(g) for _ in range(n)]
    try:
        msgs = [("client %03d: " % i).encode() * (1 + i % 7) for i in range(n)]
        for s, m in zip(conns, msgs):
            s.sendall(m)
        back = [recv_exactly(s, len(m)) for s, m in zip(conns, msgs)]
        wrong = [i for i in range(n) if back[i] != msgs[i]]
        assert wrong == [], "clients %s got back something else, e.g. %r for %r" % (
            wrong, back[wrong[0]], msgs[wrong[0]])
        expect_lines(g, CONNECTED, n, "a connection's log line")
    finally:
        for s in conns:
            s.close()
    closed = expect_lines(g, r"echoserver: 10\.0\.2\.2:\d+ closed, (\d+) bytes\r?\n", n,
                          "a close's log line")
    assert sorted(int(b) for (b,) in closed) == sorted(len(m) for m in msgs)


def test_echoserver_serves_others_while_one_client_does_not_read(eguest):
    # A sends far more than the buffers on the way hold and reads nothing
    # until B has been answered: the server must keep A's unsent bytes and
    # wait for POLLOUT rather than block on A.
    g = eguest
    start_echoserver(g)
    big = bytes((i * 7 + (i >> 8)) & 0xff for i in range(512 * 1024))
    a = dial(g)
    sender = threading.Thread(target=a.sendall, args=(big,), daemon=True)
    try:
        sender.start()
        time.sleep(2)
        with dial(g) as b:
            b.sendall(b"B is not kept waiting\n")
            assert recv_exactly(b, 22) == b"B is not kept waiting\n"
        got = recv_exactly(a, len(big))
        sender.join(IO_TIMEOUT)
        assert not sender.is_alive(), "A's send never finished"
        assert len(got) == len(big), "A got %d of %d bytes back" % (len(got), len(big))
        assert got == big, "A's echo differs first at byte %d" % next(
            i for i in range(len(big)) if got[i] != big[i])
    finally:
        a.close()
    g.expect(r"closed, %d bytes" % len(big), timeout=IO_TIMEOUT, what="A's close, all echoed")


def test_echoserver_u_echoes_udp_datagrams(eguest):
    g = eguest
    # "(tcp, udp)"; "(udp)" alone on a stack without stream sockets.
    start(g, "echoserver -u", r"echoserver: listening on port %d \((tcp, )?udp\)" % GUESTPORT,
          r"echoserver: (udp socket|bind|listen) [^\r\n]*\r?\n")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.settimeout(5)
        for i, size in enumerate((1, 64, 512, 1400)):
            data = bytes((i * 13 + j) & 0xff for j in range(size))
            u.sendto(data, ("127.0.0.1", g.fwd))
            got, _ = u.recvfrom(4096)
            assert got == data, "datagram %d (%d bytes): got %d bytes back" % (i, size, len(got))


def test_echoserver_u_serves_tcp_and_udp_from_one_loop(eguest):
    # a TCP client that sends nothing must not hold up UDP, nor UDP TCP.
    g = eguest
    start(g, "echoserver -u", r"echoserver: listening on port %d \(tcp, udp\)" % GUESTPORT,
          r"echoserver: (tcp socket|udp socket|bind|listen) [^\r\n]*\r?\n")
    with dial(g) as idle, dial(g) as s, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.settimeout(5)
        u.sendto(b"by datagram", ("127.0.0.1", g.fwd))
        assert u.recvfrom(100)[0] == b"by datagram"
        s.sendall(b"by stream\n")
        assert recv_exactly(s, 10) == b"by stream\n"
        idle.sendall(b"late\n")
        assert recv_exactly(idle, 5) == b"late\n"


def test_echoserver_says_when_its_tcp_port_is_taken(eguest):
    g = eguest
    start_echoserver(g)
    out = g.run("echoserver")
    assert "echoserver: bind port 7: address already in use" in out, out


def test_echoserver_u_says_when_its_udp_port_is_taken(eguest):
    g = eguest
    background(g, "udpecho -l %d" % GUESTPORT, r"udpecho: listening on %d" % GUESTPORT)
    out = g.run("echoserver -u")
    assert "echoserver: bind udp port 7: address already in use" in out, out


class HostEcho:
    """An echo server on the host's loopback, 10.0.2.2:port to the guest.
    If flip is a byte offset, that byte of the stream goes back inverted."""

    def __init__(self, flip=None):
        self.flip = flip
        self.received = 0
        self.stop = False
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._echo, args=(c,), daemon=True).start()

    def _echo(self, c):
        with c:
            c.settimeout(IO_TIMEOUT)
            while True:
                try:
                    data = c.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                off = self.received
                self.received += len(data)
                if self.flip is not None and off <= self.flip < off + len(data):
                    data = bytearray(data)
                    data[self.flip - off] ^= 0xff
                c.sendall(data)

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def hostecho():
    h = HostEcho()
    yield h
    h.close()


def test_echoclient_checks_20_messages_against_a_host_echo_server(eguest, hostecho):
    g = eguest
    out = g.run("echoclient -n 20 -s 1000 10.0.2.2 %d" % hostecho.port, timeout=60)
    m = re.search(STATS, out)
    assert m, "no statistics line:\n" + out
    count, nbytes, errors = (int(x) for x in m.groups()[:3])
    lo, avg, hi = (float(x) for x in m.groups()[3:])
    assert (count, nbytes, errors) == (20, 20000, 0), out
    assert 0 < lo <= avg <= hi, out
    assert "echoclient:" not in out, out
    assert hostecho.received == 20000


def test_echoclient_reports_a_wrong_byte(eguest):
    h = HostEcho(flip=3 * 100 + 17)     # message 4, byte 17
    try:
        out = eguest.run("echoclient -n 5 -s 100 10.0.2.2 %d" % h.port, timeout=60)
    finally:
        h.close()
    assert "echoclient: message 4 byte 17: got 0x" in out, out
    m = re.search(STATS, out)
    assert m and m.group(3) == "1", "wanted 1 error in the statistics:\n" + out


def test_echoclient_says_connection_refused(eguest):
    # a port bound but not listening: slirp's connect is refused, and the
    # guest sees a reset.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        out = eguest.run("echoclient 10.0.2.2 %d" % port, timeout=60)
    assert "echoclient: connect 10.0.2.2:%d: connection refused" % port in out, out
    assert not re.search(STATS, out), out


def test_seedecho_echoes_one_client_after_another(eguest):
    g = eguest
    start(g, "seedecho", r"seedecho: listening on port %d" % GUESTPORT,
          r"seedecho: (socket|bind|listen) [^\r\n]*\r?\n")
    for line in (b"first client\n", b"second client\n"):
        with dial(g) as s:
            s.sendall(line)
            assert recv_exactly(s, len(line)) == line
        g.expect(r"seedecho: connection from 10\.0\.2\.2:\d+", timeout=IO_TIMEOUT,
                 what="seedecho's connection line")


def linux_seedecho():
    """apps/seedecho.c with its includes changed as its comment says: the
    commented <...> includes live, ours ("...") gone. Nothing else."""
    with open(os.path.join(ROOT, "apps", "seedecho.c")) as f:
        src = f.read().splitlines()
    out, swapped, dropped = [], 0, 0
    for line in src:
        m = re.match(r"// (#include <[\w/.]+>)$", line)
        if m:
            out.append(m.group(1))
            swapped += 1
        elif line.startswith('#include "'):
            dropped += 1
        else:
            out.append(line)
    assert swapped > 0 and dropped > 0, "seedecho.c lists no Linux includes in a comment"
    return "\n".join(out) + "\n"


def test_seedecho_builds_and_runs_on_linux_with_only_its_includes_changed(tmp_path):
    cc = shutil.which("gcc") or shutil.which("cc")
    assert cc, "no C compiler on the host"
    src = tmp_path / "seedecho.c"
    src.write_text(linux_seedecho())
    exe = tmp_path / "seedecho"
    r = subprocess.run([cc, "-Wall", "-Werror", "-o", str(exe), str(src)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, "seedecho.c does not build on Linux:\n" + r.stderr
    port = free_port()
    p = subprocess.Popen([str(exe), str(port)], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
                break
            except ConnectionRefusedError:
                assert p.poll() is None, "seedecho exited with status %d" % p.returncode
                assert time.monotonic() < deadline, "seedecho never listened"
                time.sleep(0.05)
        with s:
            s.sendall(b"same code, other kernel\n")
            assert recv_exactly(s, 24) == b"same code, other kernel\n"
    finally:
        p.kill()
        p.wait()
    bad = subprocess.run([str(exe), "0"], capture_output=True, text=True, timeout=10)
    assert bad.returncode == 1 and SEED_USAGE in bad.stdout


BAD_ARGUMENTS = [
    # (command, what it must print besides its usage line, or None)
    ("echoserver -x", "echoserver: illegal option -- x"),
    ("echoserver -p 0", "echoserver: bad port 0 (1 to 65535)"),
    ("echoserver -p 70000", "echoserver: bad port 70000 (1 to 65535)"),
    ("echoserver -p", "echoserver: option requires an argument -- p"),
    ("echoserver extra", None),
    ("echoclient", None),
    ("echoclient 10.0.2.2", None),
    ("echoclient -n 0 10.0.2.2 7", "echoclient: bad count 0 (1 to 1000000)"),
    ("echoclient -s 70000 10.0.2.2 7", "echoclient: bad size 70000 (1 to 65536)"),
    ("echoclient 10.0.2.2 port", "echoclient: bad port port (1 to 65535)"),
    ("seedecho 0", None),
    ("seedecho 7 8", None),
]


def test_bad_arguments_give_the_usage_line(eguest):
    usage = {"echoserver": SERVER_USAGE, "echoclient": CLIENT_USAGE, "seedecho": SEED_USAGE}
    wrong = []
    for cmd, why in BAD_ARGUMENTS:
        out = eguest.run(cmd)
        if (usage[cmd.split()[0]] not in out or (why and why not in out)
                or "listening" in out or "messages," in out):
            wrong.append("%s:\n%s" % (cmd, out))
    assert wrong == [], "\n".join(wrong)


def test_echoclient_names_a_bad_address(eguest):
    # the image's resolv.conf names no server: the resolver gives up at once
    out = eguest.run("echoclient nosuchhost 7")
    assert "echoclient: nosuchhost: Temporary failure in name resolution" in out, out
