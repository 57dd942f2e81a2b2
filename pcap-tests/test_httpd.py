"""httpd, the web server init starts at boot, from the host through
slirp's port forward (NET=user, host 127.0.0.1:PORT -> guest port 80):
curl and wget as clients, and raw sockets for what they will not send
(pipelining, junk, a request that never ends).

The load tests (ab -c 64, 256 idle clients) cannot go through the
forward: slirp listens on the host with a backlog of 1 (ss -ltn shows
it), so a burst of connections overflows the host's accept queue and
Linux drops SYNs for seconds at a time, whatever the guest does. They
run instead against a second guest on a tap device in a network
namespace of their own (needs root, as test_netns.py), where Linux's
own TCP talks to libnet's directly.

One guest serves every test in this file, in order; the last one
restarts httpd with -l. Its console, with httpd's access log, is in
build/test-logs/test_httpd.log. A thread reads the console all along:
httpd writes a log line per request there, and a console nobody reads
fills, blocks the guest's UART and with it httpd's loop. What the files should hold comes from
mkfs/www and scripts/mkblob.py, the same sources the image was made
from.
"""
import contextlib
import hashlib
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time

import pexpect
import pytest

from qemu import LOGDIR, ROOT, Guest, copy_image, free_port

GUESTIP = "10.0.2.15"

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import mkblob  # noqa: E402

WWW = os.path.join(ROOT, "mkfs", "www")
IO_TIMEOUT = 20


class Console:
    """Reads the guest's console in a thread, so that it never fills;
    what it reads goes to the guest's log. run() and expect() on the
    guest must hold .lock, which `with console:` takes."""

    def __init__(self, g):
        self.g = g
        self.lock = threading.Lock()
        self.stop = False
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self):
        while not self.stop:
            with self.lock:
                try:
                    self.g.child.read_nonblocking(65536, timeout=0.05)
                except pexpect.TIMEOUT:
                    pass
                except pexpect.EOF:
                    return
            time.sleep(0.02)

    def __enter__(self):
        self.lock.acquire()

    def __exit__(self, *exc):
        self.lock.release()

    def close(self):
        self.stop = True
        self.thread.join()

    def log(self):
        """The console so far."""
        with self.lock:
            self.g.logfile.flush()
            with open(self.g.logpath, errors="replace") as f:
                return f.read()

    def run(self, cmd):
        with self.lock:
            return self.g.run(cmd)


@contextlib.contextmanager
def httpd_guest(tmpdir, name):
    """A guest booted from a copy of the image in tmpdir, at the shell
    prompt with httpd up behind a forward from a free host port; .url is
    its base URL (no trailing slash), .console its Console; the console
    goes to LOGDIR/name.log."""
    port = free_port()
    g = Guest(copy_image(tmpdir), port=port, log=os.path.join(LOGDIR, name + ".log"))
    try:
        g.boot()
        g.url = "http://127.0.0.1:%d" % port
        g.console = Console(g)
        wait_up(g)
        yield g
        g.console.close()
    finally:
        g.close()


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    with httpd_guest(tmp_path_factory.mktemp("httpd"), "test_httpd") as g:
        yield g


def wait_up(g, timeout=15):
    """Wait until httpd answers (init starts it beside the shell)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if raw(g, b"HEAD / HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 200"):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("httpd does not answer; console ends:\n" + g.tail())
        time.sleep(0.3)


def dial(g):
    s = socket.create_connection(("127.0.0.1", g.port), timeout=IO_TIMEOUT)
    s.settimeout(IO_TIMEOUT)
    return s


def readall(s):
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            return out
        out += b


def raw(g, req):
    """Send req on a new connection and return everything until the server closes."""
    s = dial(g)
    try:
        s.sendall(req)
        return readall(s)
    finally:
        s.close()


def curl(g, *args):
    r = subprocess.run(["curl", "-sS", "--max-time", str(IO_TIMEOUT)] + list(args),
                       capture_output=True, timeout=IO_TIMEOUT + 10)
    return r


def parse_response(buf):
    """(status, {header: value}, body, rest) of the first response in buf,
    body by Content-Length."""
    head, sep, rest = buf.partition(b"\r\n\r\n")
    assert sep, "no end of head in %r" % buf[:200]
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    n = int(hdrs.get("content-length", "0"))
    return status, hdrs, rest[:n], rest[n:]


def www(name):
    with open(os.path.join(WWW, name), "rb") as f:
        return f.read()


def test_index_page_with_its_stylesheet_and_images(web):
    r = curl(web, "-i", web.url + "/")
    assert r.returncode == 0, r.stderr
    status, hdrs, body, _ = parse_response(r.stdout)
    assert status == 200
    assert hdrs["content-type"] == "text/html"
    assert body == www("index.html")
    for name, ctype in (("style.css", "text/css"), ("img/logo.svg", "image/svg+xml"),
                        ("img/packet.png", "image/png")):
        r = curl(web, "-i", web.url + "/" + name)
        status, hdrs, body, _ = parse_response(r.stdout)
        assert (status, hdrs["content-type"], body) == (200, ctype, www(name)), name
    # the access log, on the console, in Common Log Format
    want = (r'10\.0\.2\.2 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] '
            r'"GET /img/packet.png HTTP/1.1" 200 %d' % len(www("img/packet.png")))
    deadline = time.monotonic() + 5
    while not re.search(want, web.console.log()):
        assert time.monotonic() < deadline, "no access log line %r" % want
        time.sleep(0.2)


def test_64k_arrives_whole(web):
    r = curl(web, web.url + "/64k")
    assert r.returncode == 0, r.stderr
    assert hashlib.sha256(r.stdout).hexdigest() == hashlib.sha256(mkblob.blob(65536)).hexdigest()
    r = curl(web, web.url + "/1k")
    assert r.stdout == mkblob.blob(1024)


def test_1m_arrives_whole_and_in_ranges(web):
    blob = mkblob.blob(1 << 20)
    r = curl(web, web.url + "/1m")
    assert r.returncode == 0, r.stderr
    assert hashlib.sha256(r.stdout).hexdigest() == hashlib.sha256(blob).hexdigest()
    r = curl(web, "-i", "-r", "700000-700099", web.url + "/1m")
    status, hdrs, body, _ = parse_response(r.stdout)
    assert (status, body) == (206, blob[700000:700100])


def test_guest_wget_over_loopback(web):
    # the guest's own wget and sha256sum against its own httpd, through netchan's loopback
    out = web.console.run("wget -q -O /64k.copy http://127.0.0.1/64k")
    assert not re.search(r"^wget: ", out, re.M), out
    out = web.console.run("sha256sum /64k.copy")
    assert hashlib.sha256(mkblob.blob(65536)).hexdigest() + "  /64k.copy" in out, out


def test_head_has_no_body(web):
    out = raw(web, b"HEAD /64k HTTP/1.0\r\n\r\n")
    status, hdrs, body, rest = parse_response(out)
    assert status == 200 and hdrs["content-length"] == "65536"
    assert hdrs["accept-ranges"] == "bytes"
    assert out.endswith(b"\r\n\r\n"), "HEAD sent a body: %r" % out[-40:]


def test_ranges(web):
    blob = mkblob.blob(65536)
    r = curl(web, "-i", "-r", "1000-1999", web.url + "/64k")
    status, hdrs, body, _ = parse_response(r.stdout)
    assert status == 206 and hdrs["content-range"] == "bytes 1000-1999/65536"
    assert body == blob[1000:2000]
    r = curl(web, "-i", "-r", "-100", web.url + "/64k")
    status, hdrs, body, _ = parse_response(r.stdout)
    assert status == 206 and body == blob[-100:]
    r = curl(web, "-i", "-r", "65000-", web.url + "/64k")
    status, hdrs, body, _ = parse_response(r.stdout)
    assert status == 206 and body == blob[65000:]
    r = curl(web, "-i", "-r", "70000-", web.url + "/64k")
    status, hdrs, body, _ = parse_response(r.stdout)
    assert status == 416 and hdrs["content-range"] == "bytes */65536"


def test_keepalive_reuses_one_connection(web):
    urls = [web.url + p for p in ("/1k", "/", "/64k", "/style.css")]
    r = curl(web, "-v", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null",
             "-o", "/dev/null", *urls)
    err = r.stderr.decode(errors="replace")
    assert r.returncode == 0, err
    assert err.count("Re-using existing connection") == 3, err
    assert err.count("Connected to") == 1, err


def test_pipelined_requests_answered_in_order(web):
    s = dial(web)
    s.sendall(b"GET /1k HTTP/1.1\r\nHost: x\r\n\r\n"
              b"HEAD /64k HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
              b"GET /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    out = readall(s)
    s.close()
    status, hdrs, body, out = parse_response(out)
    assert (status, body) == (200, mkblob.blob(1024))
    head, _, out = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"Content-Length: 65536" in head
    status, hdrs, body, out = parse_response(out)
    assert status == 404
    status, hdrs, body, out = parse_response(out)
    assert (status, body, out) == (200, www("style.css"), b"")
    assert hdrs["connection"] == "close"


@pytest.mark.parametrize("req,status", [
    (b"GET /nothing-here HTTP/1.0\r\n\r\n", 404),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 405),
    (b"DELETE /1k HTTP/1.0\r\n\r\n", 405),
    (b"junk\r\n\r\n", 400),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400),
    (b"GET / HTTP/1.1\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"GET /" + b"a" * 3000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Long: %s\r\n" % (b"y" * 500) * 20 + b"\r\n", 431),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 100 + b"\r\n", 431),
])
def test_refusals(web, req, status):
    out = raw(web, req)
    got, hdrs, body, _ = parse_response(out)
    assert got == status, out[:300]
    if status == 405:
        assert hdrs["allow"] == "GET, HEAD"
    if status != 404:
        assert hdrs["connection"] == "close"


def test_directory_without_slash_redirects(web):
    r = curl(web, "-i", web.url + "/img")
    status, hdrs, _, _ = parse_response(r.stdout)
    assert (status, hdrs["location"]) == (301, "/img/")
    r = curl(web, "-L", web.url + "/img")
    assert r.stdout == www("img/index.html")


def test_paths_stay_under_the_root(web):
    # README.md is at the file system's root, beside /www
    for target in (b"/../README.md", b"/..%2f..%2fREADME.md", b"/img/../../README.md"):
        out = raw(web, b"GET " + target + b" HTTP/1.0\r\n\r\n")
        assert parse_response(out)[0] == 404, target


def test_random_junk_never_stops_the_server(web):
    rnd = random.Random(12)
    for i in range(30):
        junk = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 3000)))
        if i % 3 == 0:
            junk = b"GET /" + junk        # junk inside a request line
        elif i % 3 == 1:
            junk = b"GET / HTTP/1.1\r\nHost: x\r\n" + junk + b"\r\n\r\n"
        s = dial(web)
        try:
            s.sendall(junk)
            s.shutdown(socket.SHUT_WR)
            out = readall(s)
        except ConnectionResetError:
            out = b""
        finally:
            s.close()
        assert out == b"" or re.match(rb"HTTP/1.1 [2-5]\d\d ", out), (junk[:80], out[:80])
    r = curl(web, web.url + "/1k")
    assert r.stdout == mkblob.blob(1024)


def test_a_file_rewritten_in_place_is_served_anew(web):
    """Same size, same inode, new bytes, within a second: the cache sees
    the file's new generation (stat's gen) and reads it again. The old
    cache trusted a copy for 2 s and served the old bytes here."""
    for text in ("aaaa", "bbbb", "cccc"):
        with web.console:
            web.run("echo %s > /www/gen.txt" % text)
        r = curl(web, web.url + "/gen.txt")
        assert r.stdout == (text + "\n").encode(), r.stdout


def test_wget(web, tmp_path):
    dst = str(tmp_path / "64k")
    r = subprocess.run(["wget", "-q", "-O", dst, "--timeout=%d" % IO_TIMEOUT, "--tries=1",
                        web.url + "/64k"], capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    with open(dst, "rb") as f:
        assert f.read() == mkblob.blob(65536)


def test_slow_clients_do_not_hold_up_another(web):
    slow = dial(web)
    slow.sendall(b"GET / HTTP/1.1\r\nHo")
    silent = dial(web)
    # one that asks for /64k and does not read it: the server's send ring fills
    stuck = socket.socket()
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.settimeout(IO_TIMEOUT)
    stuck.connect(("127.0.0.1", web.port))
    stuck.sendall(b"GET /64k HTTP/1.1\r\nHost: x\r\n\r\n" * 8)
    t0 = time.monotonic()
    r = curl(web, web.url + "/64k")
    assert r.stdout == mkblob.blob(65536)
    assert time.monotonic() - t0 < 5
    # the stalled head gets 408 when its time is up; the silent one is closed
    status, _, _, _ = parse_response(readall(slow))
    assert status == 408
    assert readall(silent) == b""
    assert time.monotonic() - t0 < IO_TIMEOUT
    # and the one that stopped reading gets all it asked for once it reads
    # (eight heads come too: reading only 8 x 65536 bytes could stop
    # short of the last body)
    got = b""
    while got.count(mkblob.blob(65536)) < 8:
        b = stuck.recv(65536)
        assert b, "the connection ended after %d bytes" % len(got)
        got += b
    for s in (slow, silent, stuck):
        s.close()


# --- load, on a tap in a namespace ------------------------------------------

# Run inside the namespace: hold N idle connections to the guest, then
# fetch /1k on a new one, then on each held one. Prints one JSON line.
IDLE = r'''
import json, socket, sys, time
host, n = sys.argv[1], int(sys.argv[2])

def get(s):
    s.sendall(b"GET /1k HTTP/1.0\r\n\r\n")
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            return out
        out += b

t0 = time.monotonic()
held = [socket.create_connection((host, 80), timeout=10) for _ in range(n)]
opened = time.monotonic() - t0
time.sleep(1)
fresh = socket.create_connection((host, 80), timeout=10)
first = get(fresh)
fresh.close()
ok = sum(get(s).startswith(b"HTTP/1.1 200 OK") for s in held)
print(json.dumps({"opened": opened, "first": first[:15].decode("latin-1"), "ok": ok}))
'''


def sh(*argv, ns=None, check=True, timeout=30):
    if ns:
        argv = ("ip", "netns", "exec", ns) + argv
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(argv), r.returncode, r.stderr.strip()))
    return r.stdout


@pytest.fixture(scope="module")
def lan(tmp_path_factory):
    """(guest, ns): a guest on tap0 inside namespace ns, where tap0 is
    10.0.2.2/24 (the guest's gateway), with httpd answering."""
    assert os.geteuid() == 0, ("the httpd load tests need root (ip netns, tap devices); "
                               "run the tests as root, e.g. sudo make test")
    assert os.path.exists("/dev/net/tun"), "the httpd load tests need /dev/net/tun"
    ns = "hd%d" % os.getpid()
    g = None
    sh("ip", "netns", "add", ns)
    try:
        sh("ip", "link", "set", "lo", "up", ns=ns)
        sh("ip", "tuntap", "add", "dev", "tap0", "mode", "tap", ns=ns)
        sh("ip", "addr", "add", "10.0.2.2/24", "dev", "tap0", ns=ns)
        sh("ip", "link", "set", "tap0", "up", ns=ns)
        img = copy_image(tmp_path_factory.mktemp("httpdlan"))
        g = Guest(img, log=os.path.join(LOGDIR, "test_httpd_lan.log"), net="tap",
                  makevars={"TAP": "tap0"})
        g.argv = ["ip", "netns", "exec", ns] + g.argv
        g.boot()
        g.console = Console(g)
        deadline = time.monotonic() + 15
        while sh("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2",
                 "http://%s/" % GUESTIP, ns=ns, check=False) != "200":
            assert time.monotonic() < deadline, "httpd does not answer on the tap:\n" + g.tail()
            time.sleep(0.3)
        yield g, ns
        g.console.close()
    finally:
        if g is not None:
            g.close()
        sh("ip", "netns", "del", ns, check=False)


def test_ab_500_requests_64_at_once(lan):
    g, ns = lan
    out = sh("ab", "-q", "-n", "500", "-c", "64", "-s", "20", "http://%s/" % GUESTIP,
             ns=ns, timeout=120)
    assert re.search(r"Complete requests:\s+500\b", out), out
    assert re.search(r"Failed requests:\s+0\b", out), out
    assert re.search(r"Non-2xx responses", out) is None, out
    print(re.search(r"Requests per second:.*", out).group(0))


def test_ab_and_wrk_at_256_connections(lan):
    """Issue 12: ab and wrk with no failed request at 256 connections at
    once, new connections (ab) and kept alive (wrk)."""
    g, ns = lan
    out = sh("ab", "-q", "-n", "2000", "-c", "256", "-s", "20", "http://%s/1k" % GUESTIP,
             ns=ns, timeout=120)
    assert re.search(r"Complete requests:\s+2000\b", out), out
    assert re.search(r"Failed requests:\s+0\b", out), out
    assert re.search(r"Non-2xx responses", out) is None, out
    print("ab -c 256:", re.search(r"Requests per second:.*", out).group(0))
    out = sh("wrk", "-t1", "-c256", "-d3s", "--timeout", "10s", "http://%s/1k" % GUESTIP,
             ns=ns, timeout=60)
    m = re.search(r"(\d+) requests in", out)
    assert m and int(m.group(1)) > 0, out
    assert "Socket errors" not in out, out
    assert "Non-2xx" not in out, out
    print("wrk -c 256:", re.search(r"Requests/sec:.*", out).group(0))


# Run inside the namespace: open N connections and say what each was
# answered unasked, once WANT have been answered (at most 5 s) and 0.5 s
# more have passed. Prints one JSON line.
FULL = r'''
import json, select, socket, sys, time
host, n, want = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
held = [socket.create_connection((host, 80), timeout=10) for _ in range(n)]
got, deadline, extra = {}, time.monotonic() + 5, None
while time.monotonic() < (extra or deadline):
    quiet = [s for s in held if s not in got]
    for s in select.select(quiet, [], [], 0.1)[0]:
        got[s] = s.recv(64)[:12].decode("latin-1")
    if len(got) >= want and extra is None:
        extra = time.monotonic() + 0.5
out = {}
for k in got.values():
    out[k] = out.get(k, 0) + 1
out["silent"] = n - len(got)
print(json.dumps(out))
'''


def test_beyond_448_connections_each_new_one_gets_503(lan):
    g, ns = lan
    out = sh("/usr/bin/python3", "-c", FULL, GUESTIP, "470", "22", ns=ns, timeout=60)
    got = json.loads(out.strip().splitlines()[-1])
    assert got == {"silent": 448, "HTTP/1.1 503": 22}, got


def test_256_idle_connections_held_while_another_is_served(lan):
    g, ns = lan
    out = sh("/usr/bin/python3", "-c", IDLE, GUESTIP, "256", ns=ns, timeout=60)
    r = json.loads(out.strip().splitlines()[-1])
    # httpd closes a connection silent for 10 s: they must all be open by then
    assert r["opened"] < 8, r
    assert r["first"] == "HTTP/1.1 200 OK", r
    assert r["ok"] == 256, r


def guest_counts(g, cmd):
    """Counters by name from the guest's netstat (kernel) or netstat -l
    -p PORT (a program's libnet)."""
    with g.console:
        out = g.run(cmd)
    d = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 2 and f[1].isdigit():
            d[f[0]] = int(f[1])
    assert d, "%s printed:\n%s" % (cmd, out)
    return d


def test_ab_bodies_go_from_the_payload_cache_uncopied(lan):
    """Issue 12's zero copy, by the counters over runs of ab: every body
    byte is sent by reference from httpd's payload cache (libnet's
    tcp_tx_ref_bytes), none is copied by libnet (tcp_tx_refcopy_bytes;
    tcp_tx_copy_bytes only the response heads) or by the kernel
    (copy_payload_bytes). A second httpd, with -s, serves the counters."""
    g, ns = lan
    statport = 2997
    with g.console:
        g.run("httpd -p 8080 -s %d -l /zc.log &" % statport)
    url = "http://%s:8080" % GUESTIP
    deadline = time.monotonic() + 15
    while sh("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2",
             url + "/1k", ns=ns, check=False) != "200":
        assert time.monotonic() < deadline, "httpd -p 8080 does not answer:\n" + g.tail()
        time.sleep(0.3)
    for name in ("64k", "1m"):      # loaded into the cache: that read is the one copy
        sh("curl", "-s", "-o", "/dev/null", "--max-time", "20", url + "/" + name, ns=ns)
    k0, l0 = guest_counts(g, "netstat"), guest_counts(g, "netstat -l -p %d" % statport)
    runs = [("1k", 400, 8), ("64k", 100, 8), ("1m", 8, 2)]
    body = 0
    for name, n, c in runs:
        out = sh("ab", "-q", "-n", str(n), "-c", str(c), "-s", "20", "%s/%s" % (url, name),
                 ns=ns, timeout=120)
        assert re.search(r"Complete requests:\s+%d\b" % n, out), out
        assert re.search(r"Failed requests:\s+0\b", out), out
        body += n * len(mkblob.blob({"1k": 1024, "64k": 65536, "1m": 1 << 20}[name]))
    k1, l1 = guest_counts(g, "netstat"), guest_counts(g, "netstat -l -p %d" % statport)
    dk = {k: k1[k] - k0.get(k, 0) for k in k1}
    dl = {k: l1[k] - l0.get(k, 0) for k in l1}
    responses = sum(n for _, n, _ in runs)
    print("over %d responses, %d body bytes: libnet %s; kernel %s" % (
        responses, body, {k: dl[k] for k in ("tcp_tx_ref_bytes", "tcp_tx_copy_bytes",
                                             "tcp_tx_refcopy_bytes", "tcp_tx_rexmt_bytes")},
        {k: dk[k] for k in ("copy_payload_bytes", "copy_bytes", "tx_split_frames")}))
    assert dl["tcp_tx_ref_bytes"] >= body
    assert dl["tcp_tx_refcopy_bytes"] == 0
    # the heads, about 150 bytes each, are all libnet copies
    assert 0 < dl["tcp_tx_copy_bytes"] <= 400 * responses
    assert dk["copy_payload_bytes"] == 0
    assert dk["tx_split_frames"] >= body // 1448
