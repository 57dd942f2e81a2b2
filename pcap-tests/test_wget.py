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
        path = self.path
        m = re.match(r"/r/(\d+)/(abs|rel|root)$", path)
        if m:
            code, kind = int(m.group(1)), m.group(2)
            loc = {"abs": "http://%s/f/small.bin" % self.headers["Host"],
                   "rel": "../f/small.bin", "root": "/f/small.bin"}[kind]
            return self.send_body(b"moved\n", code, [("Location", loc)])
        m = re.match(r"/loop/(\d+)$", path)
        if m:
            return self.send_body(b"", 302, [("Location", "/loop/%d" % (int(m.group(1)) + 1))])
        m = re.match(r"/vec/(\d+)$", path)
        if m:
            return self.send_body(b"a" * int(m.group(1)))
        if path == "/big":
            return self.send_body(BIGDATA, extra=[("Content-Type", "application/octet-stream")])
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
