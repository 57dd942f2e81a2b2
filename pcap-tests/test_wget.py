"""wget and sha256sum in the guest, against an HTTP server this module
runs on the host's 127.0.0.1 (the guest reaches it as 10.0.2.2:PORT over
NET=user), and against Debian's lighttpd on a tap device in a network
namespace.

The host server (Python's http.server, one thread per connection) has a
handler for each way a response can be framed or go wrong: a 16 MiB
body, chunks, each redirect code, a redirect loop, a 404, a close in
mid-body (with and without Range support for the retry), a server that
never answers, one that stalls mid-body, close-delimited bodies, and a
slow body for the progress bar. Every request it gets is recorded, so
tests check what wget sent as well as what it wrote.

sha256sum is checked against hashlib on lengths around SHA-256's padding
boundaries and FIPS 180-4's example messages. The shell's `$?` gives each
command's exit status. One guest serves the module; each boot's console
is in build/test-logs/.
"""
import hashlib
import os
import random
import re
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qemu import LOGDIR, PROMPT, Guest, copy_image

HOSTIP = "10.0.2.2"       # the host's 127.0.0.1 as slirp shows it to the guest
BIG = 16 << 20
SMALL = 150 * 1000        # fits a guest file (at most 268 KB today)
CUT = 120000              # /cut's body, of which the first try gets CUTAT
CUTAT = 50000


def blob(n, seed):
    return random.Random(seed).randbytes(n)


BIGDATA = blob(BIG, 1)
SMALLDATA = blob(SMALL, 2)
CUTDATA = blob(CUT, 3)
CLOSEDATA = blob(70000, 4)
SLOWDATA = blob(200 * 1024, 5)
CHUNKS = [1, 2, 15, 16, 17, 255, 256, 4095, 4096, 4097, 65536, 70001, 3]
CHUNKDATA = blob(sum(CHUNKS), 6)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def head(self, code, length=None, extra=()):
        self.send_response(code)
        if length is not None:
            self.send_header("Content-Length", str(length))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()

    def send_body(self, data, code=200, extra=()):
        self.head(code, len(data), extra)
        for i in range(0, len(data), 65536):
            self.wfile.write(data[i:i + 65536])

    def closing(self, data, pieces=1, pause=0.0):
        """A body delimited by the connection's close (RFC 9112 6.3)."""
        self.head(200, None, [("Connection", "close"), ("Content-Type", "application/x-test")])
        step = max(1, len(data) // pieces)
        for i in range(0, len(data), step):
            self.wfile.write(data[i:i + step])
            self.wfile.flush()
            time.sleep(pause)
        self.close_connection = True

    def do_GET(self):
        srv = self.server
        with srv.lock:
            srv.requests.append((self.path, dict(self.headers.items())))
            srv.hits[self.path] = srv.hits.get(self.path, 0) + 1
            hit = srv.hits[self.path]
        path = self.path.split("?")[0]   # a query only makes a fresh /cut
        m = re.match(r"/r/(\d+)/(abs|rel|root)$", path)
        if m:
            code, kind = int(m.group(1)), m.group(2)
            loc = {"abs": "http://%s/f/small.bin" % self.headers["Host"],
                   "rel": "../../f/small.bin", "root": "/f/small.bin"}[kind]
            return self.send_body(b"moved\n", code, [("Location", loc)])
        m = re.match(r"/loop/(\d+)$", path)
        if m:
            return self.send_body(b"", 302, [("Location", "/loop/%d" % (int(m.group(1)) + 1))])
        m = re.match(r"/vec/(\d+)$", path)
        if m:
            return self.send_body(b"a" * int(m.group(1)))
        if path == "/big":
            return self.send_body(BIGDATA, extra=[("Content-Type", "application/octet-stream")])
        if path == "/f/big4.bin":
            return self.send_body(BIGDATA[:4 << 20])
        if path in ("/f/small.bin", "/dir/"):
            return self.send_body(SMALLDATA)
        if path == "/headers":
            return self.send_body(str(self.headers).encode())
        if path == "/chunked":
            return self.chunked()
        if path == "/close":
            return self.closing(CLOSEDATA, pieces=7)
        if path == "/slowclose":
            return self.closing(SLOWDATA, pieces=20, pause=0.1)
        if path == "/slow":
            self.head(200, len(SLOWDATA))
            for i in range(0, len(SLOWDATA), len(SLOWDATA) // 20):
                self.wfile.write(SLOWDATA[i:i + len(SLOWDATA) // 20])
                self.wfile.flush()
                time.sleep(0.1)
            return
        if path in ("/cut", "/cutnorange"):
            return self.cut(hit, path == "/cut")
        if path == "/silent":
            return self.silent()
        if path == "/stall":
            self.head(200, 100000)
            self.wfile.write(SMALLDATA[:1000])
            self.wfile.flush()
            return self.silent()
        self.send_body(b"<h1>no</h1>\n", 404, [("Content-Type", "text/html")])

    def chunked(self):
        self.head(200, None, [("Transfer-Encoding", "chunked")])
        off = 0
        for i, n in enumerate(CHUNKS):
            ext = ";name=value" if i % 3 == 1 else ""
            self.wfile.write(b"%x%s\r\n" % (n, ext.encode()) + CHUNKDATA[off:off + n] + b"\r\n")
            self.wfile.flush()
            off += n
        self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")

    def cut(self, hit, ranges):
        """The first request breaks off after CUTAT bytes; later ones serve
        the rest (206) if ranges, else the whole body again (200)."""
        rng = self.headers.get("Range")
        if hit == 1:
            self.head(200, CUT)
            self.wfile.write(CUTDATA[:CUTAT])
            self.wfile.flush()
            self.close_connection = True
            return
        m = re.match(r"bytes=(\d+)-$", rng or "")
        if ranges and m:
            start = int(m.group(1))
            return self.send_body(CUTDATA[start:], 206,
                                  [("Content-Range", "bytes %d-%d/%d" % (start, CUT - 1, CUT))])
        self.send_body(CUTDATA)

    def silent(self):
        self.server.stop.wait(60)
        self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.requests = []
        self.hits = {}
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self):
        return self.server_address[1]

    def url(self, path):
        return "http://%s:%d%s" % (HOSTIP, self.port, path)

    def close(self):
        self.stop.set()
        self.shutdown()
        self.server_close()


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture(scope="module")
def g(tmp_path_factory):
    img = copy_image(tmp_path_factory.mktemp("wget"))
    guest = Guest(img, log=os.path.join(LOGDIR, "test_wget.log"))
    try:
        guest.boot()
        yield guest
    finally:
        guest.close()


def raw(g, cmd, timeout=60):
    """What cmd printed, carriage returns kept (the bar redraws with them)."""
    g.sendline(cmd)
    g.expect(PROMPT, timeout=timeout, what="the prompt after %r" % cmd)
    out = g.child.before
    return out.split("\n", 1)[1] if "\n" in out else out


def run(g, cmd, timeout=60):
    """(output without carriage returns, exit status) of cmd. The console
    takes lines of up to 127 characters."""
    assert len(cmd) < 110, cmd
    out = raw(g, cmd + "; echo rc=$?", timeout).replace("\r", "")
    m = re.search(r"rc=(\d+)\n?$", out)
    assert m, "no exit status in %r" % out
    return out[:m.start()], int(m.group(1))


def guest_sum(g, what, timeout=60):
    out, rc = run(g, "sha256sum %s" % what, timeout)
    m = re.search(r"^([0-9a-f]{64})  ", out, re.M)
    assert m and rc == 0, "sha256sum %s: rc %d: %r" % (what, rc, out)
    return m.group(1)


def sha(data):
    return hashlib.sha256(data).hexdigest()


# --- sha256sum ------------------------------------------------------------

def test_sha256sum_matches_fips_examples_and_padding_boundaries(g, server):
    # FIPS 180-4's examples ("abc", the 448-bit message) and every length
    # where the padding changes shape: 55/56 (the length field fits or
    # spills into a second block), 63/64/65, 119/120, and a million 'a'.
    run(g, "echo -n abc > abc; touch empty")
    run(g, "echo -n abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq > m448")
    out, rc = run(g, "sha256sum abc m448 empty")
    assert rc == 0, out
    assert out.split("\n")[:3] == [
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  abc",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1  m448",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  empty"], out
    for n in (1, 55, 56, 57, 63, 64, 65, 119, 120, 1000000):
        out, rc = run(g, "wget -q -O - %s | sha256sum" % server.url("/vec/%d" % n))
        assert rc == 0 and out.strip() == sha(b"a" * n) + "  -", (n, out)


def test_sha256sum_reports_missing_file_and_reads_stdin_for_dash(g):
    out, rc = run(g, "echo hello > hi; sha256sum nosuch hi; echo rc1=$?; sha256sum - < hi")
    assert "sha256sum: nosuch: " in out, out
    assert sha(b"hello\n") + "  hi" in out and "rc1=1" in out, out
    assert out.strip().endswith(sha(b"hello\n") + "  -"), out


# --- wget: framing --------------------------------------------------------

BAR = re.compile(r"\r(\S+) +(\d*%?)\[([ =><]{21})\] +(\S+) +(\S+)  (.*?) *(?=\r)")


def bars(text):
    """Every bar drawn: (name, percent, bar, size, rate, eta or time)."""
    return BAR.findall(text)


def test_wget_16mib_through_a_pipe_matches_sha256(g, server):
    t = time.monotonic()
    out = raw(g, "wget -O - %s | sha256sum" % server.url("/big"), timeout=180)
    took = time.monotonic() - t
    assert out.replace("\r", "").rstrip().endswith(sha(BIGDATA) + "  -"), out[-500:]
    assert "written to stdout [%d/%d] in " % (BIG, BIG) in out, out[-500:]
    drawn = bars(out)
    # redrawn a few times a second, not once per segment (there are ~12000)
    assert 3 <= len(drawn) <= took * 1000 / 250 + 3, (len(drawn), took)
    pct = [int(b[1][:-1]) for b in drawn]
    assert pct == sorted(pct) and pct[-1] == 100 and drawn[-1][5].startswith("in "), drawn[-3:]


def test_wget_writes_a_4mib_file_as_it_arrives(g, server):
    # past the 268 KB a file could hold before doubly-indirect blocks
    out, rc = run(g, "wget -q %s" % server.url("/f/big4.bin"), timeout=180)
    assert rc == 0 and out == "", out
    assert guest_sum(g, "big4.bin", timeout=120) == sha(BIGDATA[:4 << 20])
    out, rc = run(g, "ls big4.bin")
    assert rc == 0 and re.search(r"big4\.bin +2 +\d+ +%d\b" % (4 << 20), out), out


def test_wget_names_the_file_after_the_url_and_does_not_overwrite(g, server):
    out, rc = run(g, "wget %s" % server.url("/f/small.bin"))
    assert rc == 0 and "'small.bin' saved [%d/%d]" % (SMALL, SMALL) in out, out
    assert "Length: %d (146K)" % SMALL in out and "Saving to: 'small.bin'" in out, out
    out, rc = run(g, "wget -q %s" % server.url("/f/small.bin"))
    assert rc == 0 and out == "", out
    assert guest_sum(g, "small.bin") == guest_sum(g, "small.bin.1") == sha(SMALLDATA)
    out, rc = run(g, "wget %s" % server.url("/dir/"))
    assert rc == 0 and "'index.html' saved" in out, out
    assert guest_sum(g, "index.html") == sha(SMALLDATA)


def test_wget_sends_host_agent_accept_and_close(g, server):
    out, rc = run(g, "wget -q -O - %s" % server.url("/headers?h"))
    assert rc == 0, out
    path, hdrs = [r for r in server.requests if r[0] == "/headers?h"][-1]
    assert hdrs["Host"] == "%s:%d" % (HOSTIP, server.port), hdrs
    assert hdrs["User-Agent"].startswith("Wget/") and hdrs["Accept"] == "*/*", hdrs
    assert hdrs["Connection"] == "close" and "Range" not in hdrs, hdrs
    assert "Host: %s:%d" % (HOSTIP, server.port) in out, out


def test_wget_decodes_chunks_with_extensions_and_trailer(g, server):
    out, rc = run(g, "wget -O - %s | sha256sum" % server.url("/chunked"))
    assert out.strip().endswith(sha(CHUNKDATA) + "  -"), out
    out, rc = run(g, "wget -O ch %s" % server.url("/chunked"))
    assert rc == 0 and "Length: unspecified" in out, out
    assert "'ch' saved [%d]" % len(CHUNKDATA) in out, out
    assert guest_sum(g, "ch") == sha(CHUNKDATA)


def test_wget_reads_a_close_delimited_body(g, server):
    out, rc = run(g, "wget -O cl %s" % server.url("/close"))
    assert rc == 0 and "'cl' saved [%d]" % len(CLOSEDATA) in out, out
    assert "Length: unspecified [application/x-test]" in out, out
    assert guest_sum(g, "cl") == sha(CLOSEDATA)


# --- wget: redirects and errors -------------------------------------------

@pytest.mark.parametrize("code,kind", [(301, "abs"), (302, "rel"), (303, "root"),
                                       (307, "abs"), (308, "rel")])
def test_wget_follows_redirect(g, server, code, kind):
    out, rc = run(g, "wget -O rd %s" % server.url("/r/%d/%s" % (code, kind)))
    assert rc == 0, out
    assert re.search(r"awaiting response\.\.\. %d \w" % code, out), out
    assert "Location: " in out and "[following]" in out, out
    assert server.requests[-1][0] == "/f/small.bin", server.requests[-2:]
    assert guest_sum(g, "rd") == sha(SMALLDATA)


def test_wget_names_a_redirected_file_after_the_original_url(g, server):
    out, rc = run(g, "wget %s" % server.url("/r/302/root"))
    assert rc == 0 and "'root' saved [%d/%d]" % (SMALL, SMALL) in out, out


def test_wget_stops_after_20_redirects(g, server):
    n = len(server.requests)
    out, rc = run(g, "wget -O lp %s" % server.url("/loop/0"))
    assert rc == 8 and "20 redirections exceeded." in out, out
    assert [r[0] for r in server.requests[n:]] == ["/loop/%d" % i for i in range(21)]
    out, rc = run(g, "cat lp")
    assert rc != 0, "wget created lp: %r" % out


def test_wget_reports_404_with_status_8_and_no_file(g, server):
    out, rc = run(g, "wget %s" % server.url("/missing"))
    assert rc == 8, out
    assert "awaiting response... 404 Not Found" in out and "ERROR 404: Not Found." in out, out
    out, rc = run(g, "cat missing")
    assert rc != 0, out
    out, rc = run(g, "wget -q %s" % server.url("/missing"))
    assert rc == 8 and out == "", out


def test_wget_reports_a_close_mid_body_and_gives_up_with_t1(g, server):
    out, rc = run(g, "wget -t 1 -O c1 %s" % server.url("/cut?1"))
    assert rc == 4, out
    assert "Connection closed at byte %d. Giving up." % CUTAT in out, out
    out, rc = run(g, "wc c1")
    assert out.split()[2] == str(CUTAT), out


def test_wget_retries_a_close_mid_body_with_a_range(g, server):
    t = time.monotonic()
    out, rc = run(g, "wget -t 3 -O c2 %s" % server.url("/cut?2"))
    assert rc == 0, out
    assert "Connection closed at byte %d. Retrying." % CUTAT in out, out
    assert "--  (try: 2)  " in out, out
    assert "Length: %d (117K), %d (68.3K) remaining" % (CUT, CUT - CUTAT) in out, out
    assert "'c2' saved [%d/%d]" % (CUT, CUT) in out, out
    hdrs = [h for p, h in server.requests if p == "/cut?2"]
    assert len(hdrs) == 2 and "Range" not in hdrs[0], hdrs
    assert hdrs[1]["Range"] == "bytes=%d-" % CUTAT, hdrs
    assert time.monotonic() - t >= 1.0      # GNU's backoff: 1 s after the first failure
    assert guest_sum(g, "c2") == sha(CUTDATA)


def test_wget_retry_drops_what_it_has_when_the_server_ignores_range(g, server):
    out, rc = run(g, "wget -t 2 -O - %s | sha256sum" % server.url("/cutnorange?3"))
    assert out.strip().endswith(sha(CUTDATA) + "  -"), out
    assert "written to stdout [%d/%d]" % (CUT, CUT) in out, out


def test_wget_times_out_on_a_silent_server(g, server):
    t = time.monotonic()
    out, rc = run(g, "wget -T 2 -t 1 %s" % server.url("/silent"))
    took = time.monotonic() - t
    assert rc == 4, out
    assert "Read error (Connection timed out) in headers. Giving up." in out, out
    assert 2 <= took < 8, took


def test_wget_times_out_on_a_stall_mid_body(g, server):
    t = time.monotonic()
    out, rc = run(g, "wget -T 1.5 -t 1 -O st %s" % server.url("/stall"))
    took = time.monotonic() - t
    assert rc == 4, out
    assert "Read error at byte 1000/100000 (Connection timed out). Giving up." in out, out
    assert 1.5 <= took < 7, took


# --- the progress bar -----------------------------------------------------

def test_wget_bar_redraws_in_place_with_rate_and_eta(g, server):
    t = time.monotonic()
    out = raw(g, "wget %s" % server.url("/slow"), timeout=60)
    took = time.monotonic() - t
    drawn = bars(out)
    assert 4 <= len(drawn) <= took * 1000 / 250 + 3, (len(drawn), took, out)
    for name, pct, fill, size, speed, eta in drawn[1:-1]:
        assert name == "slow" and re.match(r"\d+%$", pct), drawn
        assert re.match(r"=*>? *$", fill) and re.match(r"[\d.]+[KMG]?$", size), drawn
        assert re.match(r"([\d.]+[KMG]?B/s|--\.-KB/s)$", speed), drawn
        assert eta == "" or re.match(r"eta (\d+s|\d+m \d+s)$", eta), drawn
    assert any(d[5].startswith("eta ") for d in drawn), drawn
    pct = [int(d[1][:-1]) for d in drawn]
    assert pct == sorted(pct) and len(set(pct)) >= 3, pct
    last = drawn[-1]
    assert last[1] == "100%" and last[2] == "=" * 20 + ">" and last[3] == "200K", last
    assert re.match(r"in \d+\.\ds$", last[5]), last
    m = re.search(r"'slow' saved \[204800/204800\] in (\d+)\.(\d)s \(([\d.]+) (K|M)B/s\)",
                  out.replace("\r", ""))
    assert m and 1.5 <= int(m.group(1)) + int(m.group(2)) / 10 < 10, out[-300:]
    # each line fits an 80-column console, so \r lands on its first column
    assert all(len(line) < 80 for line in re.split(r"[\r\n]", out)), out


def test_wget_bar_counts_bytes_when_the_length_is_unknown(g, server):
    out = raw(g, "wget -O sc %s" % server.url("/slowclose"), timeout=60)
    drawn = bars(out)
    assert len(drawn) >= 4, out
    assert all(d[1] == "" and "<=>" in d[2] for d in drawn), drawn
    sizes = [d[3] for d in drawn]
    assert len(set(sizes)) >= 3, sizes
    assert "'sc' saved [204800]" in out, out[-300:]


def test_wget_q_prints_nothing(g, server):
    out, rc = run(g, "wget -q -O qq %s" % server.url("/slow"))
    assert rc == 0 and out == "", out
    assert guest_sum(g, "qq") == sha(SLOWDATA)


# --- wget: what it refuses ------------------------------------------------

def test_wget_refuses_https_bad_usage_and_unknown_hosts(g, server):
    out, rc = run(g, "wget https://%s:%d/" % (HOSTIP, server.port))
    assert rc == 1 and "HTTPS support not compiled in" in out, out
    out, rc = run(g, "wget")
    assert rc == 2 and "usage: wget [-q] [-O file|-] [-T seconds] [-t tries] URL" in out, out
    out, rc = run(g, "wget -T x %s" % server.url("/"))
    assert rc == 2 and "invalid timeout" in out, out
    out, rc = run(g, "wget ftp://%s/x" % HOSTIP)
    assert rc == 1 and "Unsupported scheme" in out, out
    # the image's resolv.conf names no server: nothing is asked, and the name is reported
    out, rc = run(g, "wget -t 1 http://nosuchhost/")
    assert rc == 4 and "unable to resolve host address 'nosuchhost'" in out, out


def test_wget_resolves_a_name_through_etc_hosts(g, server):
    run(g, "echo %s hostbox >> /etc/hosts" % HOSTIP)
    out, rc = run(g, "wget -O - http://hostbox:%d/vec/12" % server.port)
    assert rc == 0 and "aaaaaaaaaaaa" in out, out
    assert "Connecting to hostbox|%s|:%d... connected." % (HOSTIP, server.port) in out, out


def test_wget_connection_refused_is_not_retried(g, server):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()           # nothing listens there now
    t = time.monotonic()
    out, rc = run(g, "wget http://%s:%d/x" % (HOSTIP, port))
    assert rc == 4 and "failed: Connection refused." in out, out
    assert "Retrying" not in out and time.monotonic() - t < 5, out


# --- against lighttpd -------------------------------------------------------

LIGHTTPD_CONF = """server.document-root = "%(root)s"
server.bind = "10.0.2.2"
server.port = 80
server.errorlog = "%(dir)s/error.log"
server.pid-file = "%(dir)s/lighttpd.pid"
index-file.names = ("index.html")
mimetype.assign = (".html" => "text/html", ".bin" => "application/octet-stream")
"""


def sh(*argv, check=True):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(argv), r.returncode, r.stderr.strip()))
    return r


@pytest.fixture(scope="module")
def lighttpd(tmp_path_factory):
    """(guest, files): Debian's lighttpd on 10.0.2.2:80 in a network
    namespace of ours, whose tap0 is the guest's link (the guest keeps
    its static 10.0.2.15). lighttpd and QEMU are stopped by PID, and the
    namespace deleted, also when a test fails."""
    assert os.geteuid() == 0, "the lighttpd test needs root (ip netns, tap devices)"
    assert shutil.which("ip"), "needs iproute2's ip: apt-get install iproute2 (scripts/setup.sh)"
    assert shutil.which("lighttpd") or os.path.exists("/usr/sbin/lighttpd"), \
        "needs lighttpd: apt-get install lighttpd (scripts/setup.sh)"
    assert os.path.exists("/dev/net/tun"), "needs /dev/net/tun for the tap device"
    d = tmp_path_factory.mktemp("lighttpd")
    root = d / "www"
    (root / "sub").mkdir(parents=True)
    files = {"big.bin": blob(2 << 20, 7), "index.html": b"<h1>lighttpd here</h1>\n",
             "sub/index.html": b"<p>sub</p>\n"}
    for name, data in files.items():
        (root / name).write_bytes(data)
    (d / "lighttpd.conf").write_text(LIGHTTPD_CONF % {"root": root, "dir": d})
    ns = "wg%d" % os.getpid()
    g = httpd = None
    sh("ip", "netns", "add", ns)
    try:
        for cmd in (("ip", "link", "set", "lo", "up"),
                    ("ip", "tuntap", "add", "dev", "tap0", "mode", "tap"),
                    ("ip", "addr", "add", "10.0.2.2/24", "dev", "tap0"),
                    ("ip", "link", "set", "tap0", "up")):
            sh("ip", "netns", "exec", ns, *cmd)
        g = Guest(copy_image(d), log=os.path.join(LOGDIR, "test_wget_lighttpd.log"),
                  net="tap", makevars={"TAP": "tap0"})
        g.argv = ["ip", "netns", "exec", ns] + g.argv
        g.boot()
        # ip netns exec execs lighttpd itself: the PID is lighttpd's
        httpd = subprocess.Popen(["ip", "netns", "exec", ns, "lighttpd", "-D", "-f",
                                  str(d / "lighttpd.conf")], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
        probe = "import socket; socket.create_connection(('10.0.2.2', 80), 1)"
        for _ in range(50):
            if sh("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", probe,
                   check=False).returncode == 0:
                break
            assert httpd.poll() is None, "lighttpd exited: %s" % httpd.stderr.read()
            time.sleep(0.1)
        else:
            raise AssertionError("lighttpd is not listening on 10.0.2.2:80")
        yield g, files
    finally:
        if httpd is not None:
            httpd.terminate()
            try:
                httpd.wait(10)
            except subprocess.TimeoutExpired:
                httpd.kill()
        if g is not None:
            g.close()
        sh("ip", "netns", "del", ns, check=False)


def test_wget_from_lighttpd(lighttpd):
    g, files = lighttpd
    out, rc = run(g, "wget -O - http://10.0.2.2/big.bin | sha256sum", timeout=120)
    assert out.strip().endswith(sha(files["big.bin"]) + "  -"), out[-600:]
    assert "Length: 2097152 (2.0M) [application/octet-stream]" in out, out[-600:]
    out, rc = run(g, "wget http://10.0.2.2/")
    assert rc == 0 and "'index.html' saved [23/23]" in out, out
    out, rc = run(g, "cat index.html")
    assert out == files["index.html"].decode(), out
    # lighttpd redirects a directory without its slash (301 to "/sub/")
    out, rc = run(g, "wget http://10.0.2.2/sub")
    assert rc == 0 and "301 Moved Permanently" in out and "'sub' saved [11/11]" in out, out
    out, rc = run(g, "wget http://10.0.2.2/nope")
    assert rc == 8 and "ERROR 404: Not Found." in out, out
