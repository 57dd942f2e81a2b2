"""nc in the guest against Debian's netcat-openbsd (and plain sockets,
where a test must watch one segment) on the host, over slirp (NET=user).

Guest to host: the guest dials 10.0.2.2:PORT, which slirp connects to the
host's 127.0.0.1:PORT. Host to guest: host 127.0.0.1:FWD is forwarded to
the guest's port 7777, TCP and UDP. Both ports derive from uid and pid
(qemu.pick_port) and are checked free. The guest program's standard
input is the console: a line typed there is one read, and ^D ends the
input. Each test boots its own guest; its console is in
build/test-logs/<test>.log.
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
from qemu import LOGDIR, PROMPT, ROOT, Guest, pick_port, port_free

GUESTPORT = 7777
IO_TIMEOUT = 15
EOT = "\x04"    # ^D: the end of input at the console

USAGE = "usage: nc [-dklNnuvz] [-p source_port] [-w timeout] [destination] [port]"


def free_port():
    for _ in range(200):
        port = pick_port()
        if port_free(port) and port_free(port + 1):
            return port
    raise RuntimeError("no free port pair on 127.0.0.1")


@pytest.fixture
def ncguest(request, fsimg):
    """A guest at the prompt with host 127.0.0.1:ncguest.fwd forwarded to
    its port 7777 (TCP and UDP), and ncguest.hport free on the host (with
    hport + 1) for the host's listeners."""
    if not shutil.which("nc"):
        pytest.fail("no nc on the host: apt-get install netcat-openbsd (scripts/setup.sh)")
    port = free_port()
    fwd = "hostfwd=tcp:127.0.0.1:{0}-:{1},hostfwd=udp:127.0.0.1:{0}-:{1}".format(port, GUESTPORT)
    name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    g = Guest(fsimg, log=os.path.join(LOGDIR, name + ".log"), makevars={"HOSTFWD": fwd})
    g.fwd = port
    g.hport = free_port()
    while g.hport in (port, port + 1) or g.hport + 1 in (port, port + 1):
        g.hport = free_port()
    try:
        g.boot()
        yield g
    finally:
        g.close()


class HostNc:
    """Debian's nc on the host, stdin a pipe, its output gathered by a
    thread. Stopped by its PID at close."""

    def __init__(self, *args):
        self.p = subprocess.Popen(["nc"] + [str(a) for a in args], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = b""
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            data = self.p.stdout.read1(65536)
            if not data:
                return
            with self.lock:
                self.out += data

    def send(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def end_input(self):
        self.p.stdin.close()

    def wait_output(self, want, timeout=IO_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if want in self.out:
                    return self.out
            time.sleep(0.05)
        raise AssertionError("host nc printed %r, not %r" % (self.out, want))

    def wait(self, timeout=IO_TIMEOUT):
        """Its exit status, output and stderr, once it ended by itself."""
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("host nc %r did not exit; it printed %r" % (self.p.args, self.out))
        self.reader.join(IO_TIMEOUT)
        return rc, self.out, self.p.stderr.read()

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()
        for f in (self.p.stdin, self.p.stdout, self.p.stderr):
            if not f.closed:
                f.close()


def wait_listening(port, udp=False, timeout=IO_TIMEOUT):
    """Wait until something on the host listens on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not udp:
            out = subprocess.run(["ss", "-Hltn", "sport = :%d" % port],
                                 capture_output=True, text=True).stdout
        else:
            out = subprocess.run(["ss", "-Hlun", "sport = :%d" % port],
                                 capture_output=True, text=True).stdout
        if out.strip():
            return
        time.sleep(0.05)
    raise AssertionError("nothing listens on 127.0.0.1:%d" % port)


def rc_of(g, what="the command"):
    """The status the guest command printed with '; echo rc=$?'."""
    g.expect(r"rc=(\d+)\r?\n", timeout=IO_TIMEOUT, what="rc= after %s" % what)
    rc = int(g.child.match.group(1))
    g.expect(PROMPT, what="the prompt after %s" % what)
    return rc


def test_guest_client_and_host_listener_exchange_lines_both_ways(ncguest):
    g = ncguest
    h = HostNc("-N", "-l", "127.0.0.1", g.hport)
    try:
        wait_listening(g.hport)
        g.sendline("nc -v 10.0.2.2 %d; echo rc=$?" % g.hport)
        g.expect(r"Connection to 10\.0\.2\.2 %d port \[tcp/\*\] succeeded!" % g.hport,
                 timeout=IO_TIMEOUT, what="the -v line")
        g.sendline("typed in the guest")
        h.wait_output(b"typed in the guest\n")
        h.send(b"sent from the host\n")
        g.expect(r"\nsent from the host\r?\n", timeout=IO_TIMEOUT, what="the host's line")
        # ^D ends the guest's input; without -N it sends no FIN and reads
        # on, until the host's input ends and its -N half-closes.
        g.child.send(EOT)
        h.end_input()
        assert rc_of(g) == 0
        rc, out, err = h.wait()
        assert (rc, out, err) == (0, b"typed in the guest\n", b"")
    finally:
        h.close()


def test_a_file_piped_to_nc_N_reaches_the_host_byte_for_byte(ncguest):
    g = ncguest
    with open(os.path.join(ROOT, "README.md"), "rb") as f:
        readme = f.read()
    h = HostNc("-l", "127.0.0.1", g.hport)
    try:
        wait_listening(g.hport)
        # -N: the end of the pipe sends the FIN, the host's nc (a
        # listener) ends at it and closes, and so the guest's ends too.
        g.sendline("cat /README.md | nc -N 10.0.2.2 %d; echo rc=$?" % g.hport)
        assert rc_of(g) == 0
        h.end_input()
        rc, out, _ = h.wait()
        assert rc == 0
        assert len(out) == len(readme) and out == readme
    finally:
        h.close()


def test_host_bytes_reach_a_file_in_the_guest(ncguest):
    g = ncguest
    lines = b"".join(b"line %04d of the host's text\n" % i for i in range(300))
    h = HostNc("-N", "-l", "127.0.0.1", g.hport)
    try:
        wait_listening(g.hport)
        h.send(lines)
        h.end_input()
        # -d: the console is not read, so the host's FIN alone ends it.
        g.sendline("nc -d 10.0.2.2 %d > /got; echo rc=$?" % g.hport)
        assert rc_of(g) == 0
        assert h.wait()[0] == 0
    finally:
        h.close()
    out = g.run("wc /got")
    assert re.search(r"\b300\s+\d+\s+%d\b" % len(lines), out), out
    got = g.run("cat /got", timeout=60)
    assert got.encode() == lines


def serve_once(port, script):
    """A host listener on 127.0.0.1:port (ready when this returns) whose
    one connection script(conn) handles in a thread. Returns the thread;
    script's return value lands in thread.result, its exception in
    thread.error."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(1)
    ls.settimeout(IO_TIMEOUT)

    def run():
        try:
            c, _ = ls.accept()
            with c:
                c.settimeout(IO_TIMEOUT)
                t.result = script(c)
        except Exception as e:
            t.error = e
        finally:
            ls.close()

    t = threading.Thread(target=run, daemon=True)
    t.result = t.error = None
    t.start()
    return t


def recv_all(c):
    data = b""
    while True:
        d = c.recv(4096)
        if not d:
            return data
        data += d


def test_N_half_closes_and_still_reads_the_answer(ncguest):
    g = ncguest

    def script(c):
        got = recv_all(c)           # ends at the guest's FIN
        c.sendall(b"answer after your FIN\n")
        return got

    t = serve_once(g.hport, script)
    g.sendline("echo question | nc -N 10.0.2.2 %d; echo rc=$?" % g.hport)
    g.expect(r"\nanswer after your FIN\r?\n", timeout=IO_TIMEOUT, what="the answer")
    assert rc_of(g) == 0
    t.join(IO_TIMEOUT)
    assert t.error is None and t.result == b"question\n"


def test_without_N_the_end_of_input_sends_no_FIN_and_waits_for_the_peer(ncguest):
    g = ncguest

    def script(c):
        got = b""
        while not got.endswith(b"\n"):
            got += c.recv(100)
        c.settimeout(1.5)
        try:
            more = c.recv(100)      # a FIN would read as b""
        except socket.timeout:
            more = None
        c.sendall(b"closing now\n")
        return got, more

    t = serve_once(g.hport, script)
    g.sendline("echo question | nc 10.0.2.2 %d; echo rc=$?" % g.hport)
    g.expect(r"\nclosing now\r?\n", timeout=IO_TIMEOUT, what="the server's line")
    assert rc_of(g) == 0
    t.join(IO_TIMEOUT)
    assert t.error is None
    assert t.result == (b"question\n", None), "the server read %r, then %r" % t.result


def test_host_client_and_guest_listener_exchange_lines_through_the_forward(ncguest):
    g = ncguest
    g.sendline("nc -v -l 7777; echo rc=$?")
    g.expect(r"Listening on 0\.0\.0\.0 7777\r?\n", timeout=IO_TIMEOUT, what="Listening on")
    h = HostNc("-N", "127.0.0.1", g.fwd)
    try:
        g.expect(r"Connection received on 10\.0\.2\.2 \d+\r?\n", timeout=IO_TIMEOUT,
                 what="Connection received on")
        h.send(b"host to guest listener\n")
        g.expect(r"host to guest listener\r?\n", timeout=IO_TIMEOUT, what="the host's line")
        g.sendline("guest listener to host")
        h.wait_output(b"guest listener to host\n")
        # the host's FIN ends the listener (its client is done), whose
        # close ends the host's nc.
        h.end_input()
        assert rc_of(g) == 0
        rc, out, err = h.wait()
        assert (rc, out, err) == (0, b"guest listener to host\n", b"")
    finally:
        h.close()


def test_l_p_port_is_the_same_as_l_port(ncguest):
    g = ncguest
    g.sendline("nc -v -l -p 7777 > /in; echo rc=$?")
    g.expect(r"Listening on 0\.0\.0\.0 7777\r?\n", timeout=IO_TIMEOUT, what="Listening on")
    r = subprocess.run(["nc", "-N", "127.0.0.1", str(g.fwd)], input=b"by -l -p\n",
                       capture_output=True, timeout=IO_TIMEOUT)
    assert r.returncode == 0
    assert rc_of(g) == 0
    assert g.run("cat /in").splitlines() == ["by -l -p"]


def test_udp_guest_client_and_host_listener_both_ways(ncguest):
    g = ncguest
    h = HostNc("-u", "-l", "127.0.0.1", g.hport)
    try:
        wait_listening(g.hport, udp=True)
        # the shell reads its own line only: the next ones wait for nc.
        g.sendline("nc -u -w 3 10.0.2.2 %d; echo rc=$?" % g.hport)
        g.sendline("first datagram")
        h.wait_output(b"first datagram\n")
        g.sendline("second datagram")
        h.wait_output(b"first datagram\nsecond datagram\n")
        h.send(b"reply datagram\n")
        g.expect(r"\nreply datagram\r?\n", timeout=IO_TIMEOUT, what="the host's datagram")
        # UDP has no end: -w 3 ends it after 3 idle seconds, status 0.
        assert rc_of(g) == 0
    finally:
        h.close()


def test_udp_host_client_and_guest_listener_both_ways(ncguest):
    g = ncguest
    g.sendline("nc -u -v -w 3 -l 7777; echo rc=$?")
    g.expect(r"Bound on 0\.0\.0\.0 7777\r?\n", timeout=IO_TIMEOUT, what="Bound on")
    h = HostNc("-u", "127.0.0.1", g.fwd)
    try:
        h.send(b"datagram to the guest\n")
        g.expect(r"Connection received on 10\.0\.2\.2 \d+\r?\n", timeout=IO_TIMEOUT,
                 what="Connection received on")
        g.expect(r"datagram to the guest\r?\n", timeout=IO_TIMEOUT, what="the datagram")
        g.sendline("reply to the last sender")
        h.wait_output(b"reply to the last sender\n")
        assert rc_of(g) == 0
    finally:
        h.close()


def test_udp_k_listener_serves_on_after_an_idle_timeout(ncguest):
    # -w 1 ends each turn after a second without datagrams; -k then waits
    # for the next sender instead of exiting.
    g = ncguest
    background(g, "nc -d -k -u -v -w 1 -l 7777", r"Bound on 0\.0\.0\.0 7777")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        for what in ("before", "after"):
            u.sendto(b"datagram %s the timeout\n" % what.encode(), ("127.0.0.1", g.fwd))
            g.expect(r"datagram %s the timeout\r?\n" % what, timeout=IO_TIMEOUT,
                     what="the datagram sent %s the timeout" % what)
            time.sleep(2)
    out = g.run("ps")
    assert re.search(r"\bnc\b", out), "nc -k exited:\n" + out


def test_z_scans_an_open_and_a_closed_port(ncguest):
    g = ncguest
    open_, closed = g.hport, g.hport + 1
    ls = socket.socket()
    shut = socket.socket()         # bound, not listening: slirp's connect is refused
    try:
        ls.bind(("127.0.0.1", open_))
        ls.listen(4)
        shut.bind(("127.0.0.1", closed))
        out = g.run("nc -z 10.0.2.2 %d; echo rc=$?" % open_)
        assert out.splitlines() == ["rc=0"], out
        out = g.run("nc -z 10.0.2.2 %d; echo rc=$?" % closed)
        assert out.splitlines() == ["rc=1"], out
        out = g.run("nc -zv 10.0.2.2 %d-%d; echo rc=$?" % (closed, open_))
        assert out.splitlines() == [
            "Connection to 10.0.2.2 %d port [tcp/*] succeeded!" % open_,
            "nc: connect to 10.0.2.2 port %d (tcp) failed: connection refused" % closed,
            "rc=0"], out
    finally:
        ls.close()
        shut.close()


def test_v_names_localhost_and_its_address(ncguest):
    out = ncguest.run("nc -zv localhost 7777; echo rc=$?")
    assert out.splitlines() == [
        "nc: connect to localhost (127.0.0.1) port 7777 (tcp) failed: connection refused",
        "rc=1"], out
    out = ncguest.run("nc -zvn localhost 7777; echo rc=$?")
    assert out.splitlines() == [
        'nc: getaddrinfo for host "localhost" port 7777: Name or service not known',
        "rc=1"], out


def test_w_ends_an_idle_connection(ncguest):
    g = ncguest

    def script(c):
        return recv_all(c)          # sends nothing; ends when nc closes

    t = serve_once(g.hport, script)
    t0 = time.monotonic()
    out = g.run("nc -d -w 2 10.0.2.2 %d; echo rc=$?" % g.hport)
    took = time.monotonic() - t0
    assert out.splitlines() == ["rc=0"], out
    assert 1.8 <= took < 8, "nc -w 2 took %.1f s" % took
    t.join(IO_TIMEOUT)
    assert t.error is None and t.result == b""


def test_w_times_out_a_connect_that_gets_no_answer(ncguest):
    # slirp answers ARP only for its own addresses: nothing answers
    # 10.0.2.99, and nothing leaves the guest's network.
    t0 = time.monotonic()
    out = ncguest.run("nc -v -w 1 10.0.2.99 80; echo rc=$?")
    took = time.monotonic() - t0
    assert out.splitlines() == [
        "nc: connect to 10.0.2.99 port 80 (tcp) timed out: operation in progress",
        "rc=1"], out
    assert 0.8 <= took < 6, "took %.1f s" % took


def test_k_serves_two_clients_in_turn(ncguest):
    g = ncguest
    background(g, "nc -d -k -v -l 7777", r"Listening on 0\.0\.0\.0 7777")
    for who in (b"first", b"second"):
        r = subprocess.run(["nc", "-N", "127.0.0.1", str(g.fwd)], input=who + b" client\n",
                           capture_output=True, timeout=IO_TIMEOUT)
        assert r.returncode == 0, r
        g.expect(r"Connection received on 10\.0\.2\.2 \d+\r?\n", timeout=IO_TIMEOUT,
                 what="the %s connection" % who.decode())
        g.expect(r"%s client\r?\n" % who.decode(), timeout=IO_TIMEOUT,
                 what="the %s client's line" % who.decode())


BAD_ARGUMENTS = [
    ("nc", [USAGE]),
    ("nc 10.0.2.2", ["nc: missing port number"]),
    ("nc -x 10.0.2.2 1", ["nc: illegal option -- x", USAGE]),
    ("nc -k 10.0.2.2 1", ["nc: must use -l with -k"]),
    ("nc -z -l 7777", ["nc: cannot use -z and -l"]),
    ("nc -l", [USAGE]),
    ("nc 10.0.2.2 99999", ["nc: port number too large: 99999"]),
    ("nc 10.0.2.2 0", ["nc: port number too small: 0"]),
    ("nc 10.0.2.2 http", ["nc: port number invalid: http"]),
    ("nc -w soon 10.0.2.2 1", ["nc: timeout invalid: soon"]),
    # the image's resolv.conf names no server, so nothing is asked
    ("nc no.such.host 80", ['nc: getaddrinfo for host "no.such.host" port 80: '
                            'Temporary failure in name resolution']),
]


def test_bad_arguments_say_why_and_exit_1(ncguest):
    wrong = []
    for cmd, want in BAD_ARGUMENTS:
        out = ncguest.run(cmd + "; echo rc=$?")
        if out.splitlines() != want + ["rc=1"]:
            wrong.append("%s:\n%s" % (cmd, out))
    assert wrong == [], "\n".join(wrong)
