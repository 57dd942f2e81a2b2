"""A real browser against httpd: Debian's chromium, headless, loads the
demo page through slirp's port forward (NET=user, host 127.0.0.1:PORT ->
guest port 80), as test_httpd.py's guest serves it.

The browser is driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: JSON messages, each ended by a NUL, which
chromium reads on its fd 3 and writes on its fd 4), so no debugging
port is opened and nothing beyond Python's standard library is needed.
One page load answers every test here: the title, what became of each
stylesheet and <img> in the DOM, and a screenshot, decoded with zlib.
What the page should hold comes from mkfs/www, the files the image was
made from; the access log httpd writes on the console (kept in
build/test-logs/test_browser.log) says what was fetched. Chromium's own
messages go to build/test-logs/test_browser-chromium.log, the screenshot
to build/test-logs/test_browser.png.

Chromium must reach nothing but 127.0.0.1: it runs with a fresh profile
in a temporary directory, its background services off, no proxy, and a
host resolver that answers no name at all. Under strace it connects
TCP to the guest's forward alone; its only other connect()s are on UDP
sockets, to 127.0.0.1:443 and [2001:4860:4860::8888]:443, which is how
its resolver asks the kernel for a route and source address: a UDP
connect() sends no packet.
"""
import base64
import collections
import fcntl
import html.parser
import json
import math
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import time
import urllib.parse
import zlib

import pytest

from qemu import LOGDIR, ROOT
from test_httpd import httpd_guest

WWW = os.path.join(ROOT, "mkfs", "www")
WIDTH, HEIGHT = 1024, 1200      # the viewport: the whole page, no scrolling
LOAD_TIMEOUT = 30               # chromium's start and the page load together

# Off: everything chromium would otherwise fetch from the outside on
# its own (updates, field trials, safe browsing lists, translation,
# time queries) or probe for (an https:// upgrade of our http:// URL).
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
    "--no-first-run", "--no-default-browser-check", "--disable-default-apps",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-domain-reliability", "--disable-breakpad",
    "--disable-client-side-phishing-detection", "--no-pings", "--metrics-recording-only",
    "--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,"
    "AutofillServerCommunication,CertificateTransparencyComponentUpdater,"
    "NetworkTimeServiceQuerying,HttpsUpgrades",
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--window-size=%d,%d" % (WIDTH, HEIGHT),
]


def www(name):
    with open(os.path.join(WWW, name), "rb") as f:
        return f.read()


class PageRefs(html.parser.HTMLParser):
    """What index.html names: its title, stylesheets and images."""

    def __init__(self, text):
        super().__init__()
        self.title, self.sheets, self.images = "", [], []
        self._intitle = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "title":
            self._intitle = True
        elif tag == "link" and "stylesheet" in (a.get("rel") or "").split():
            self.sheets.append(a["href"])
        elif tag == "img":
            self.images.append(a["src"])

    def handle_endtag(self, tag):
        if tag == "title":
            self._intitle = False

    def handle_data(self, data):
        if self._intitle:
            self.title += data


# --- PNG, decoded with zlib -------------------------------------------------

def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def unfilter(raw, w, h, bpp):
    """The scanlines of a non-interlaced image, each filter undone."""
    stride = w * bpp
    want = h * (stride + 1)
    assert len(raw) == want, "IDAT holds %d bytes, not %d" % (len(raw), want)
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xff
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xff
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif ftype == 4:
                line[i] = (line[i] + paeth(a, b, c)) & 0xff
            else:
                assert ftype == 0, "row %d: filter type %d" % (y, ftype)
        rows.append(line)
        prev = line
    return rows


def png_decode(data):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB, RGBA or
    palette PNG, every chunk's CRC checked; anything else fails."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG: %r" % data[:8]
    pos, chunks = 8, collections.defaultdict(list)
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc, = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert zlib.crc32(kind + body) == crc, "bad CRC on %r at %d" % (kind, pos)
        chunks[kind].append(body)
        pos += 12 + n
        if kind == b"IEND":
            break
    assert pos == len(data) and b"IEND" in chunks, "PNG ends without IEND"
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"][0])
    assert depth == 8 and interlace == 0 and ctype in (2, 3, 6), \
        "a PNG this test cannot read: depth %d, colour type %d, interlace %d" \
        % (depth, ctype, interlace)
    bpp = {2: 3, 3: 1, 6: 4}[ctype]
    rows = unfilter(zlib.decompress(b"".join(chunks[b"IDAT"])), w, h, bpp)
    if ctype == 3:
        plte = chunks[b"PLTE"][0]
        pal = [tuple(plte[i:i + 3]) for i in range(0, len(plte), 3)]
        return w, h, [[pal[v] for v in r] for r in rows]
    return w, h, [[tuple(r[i:i + 3]) for i in range(0, len(r), bpp)] for r in rows]


def hexrgb(s):
    return tuple(bytes.fromhex(s.lstrip("#")))


# --- chromium over the DevTools pipe --------------------------------------

class Chromium:
    """A headless chromium we started, and one page in it. call() sends
    a DevTools command and returns its result; events that arrive
    meanwhile are kept for wait_event()."""

    def __init__(self, exe, tmpdir):
        prof = os.path.join(str(tmpdir), "profile")
        os.makedirs(prof)
        # Our ends stay in this process; chromium's ends are moved to fds
        # 3 and 4 by bash (dash takes only one-digit fds), from fds
        # above 9 so that no move clobbers another.
        cin, self.wr = os.pipe()
        self.rd, cout = os.pipe()
        hi = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (cin, cout)]
        for fd in (cin, cout):
            os.close(fd)
        shell = 'exec "$0" "$@" 3<&%d 4>&%d %d<&- %d>&-' % (hi[0], hi[1], hi[0], hi[1])
        # HOME too: chromium keeps an NSS database and caches under it.
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env["HOME"] = str(tmpdir)
        self.errlog = open(os.path.join(LOGDIR, "test_browser-chromium.log"), "w")
        self.proc = subprocess.Popen(
            ["bash", "-c", shell, exe, "--user-data-dir=" + prof] + FLAGS + ["about:blank"],
            pass_fds=hi, stdin=subprocess.DEVNULL, stdout=self.errlog, stderr=self.errlog,
            env=env, cwd=str(tmpdir), start_new_session=True)
        for fd in hi:
            os.close(fd)
        self.buf, self.nextid, self.events, self.sid = b"", 0, [], None
        self.deadline = time.monotonic() + LOAD_TIMEOUT

    def _recv(self):
        while b"\0" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([self.rd], [], [], left)[0]:
                raise AssertionError("chromium did not answer within %d s; see %s"
                                     % (LOAD_TIMEOUT, self.errlog.name))
            b = os.read(self.rd, 1 << 20)
            if not b:
                raise AssertionError("chromium closed its DevTools pipe (exited?); see %s"
                                     % self.errlog.name)
            self.buf += b
        msg, _, self.buf = self.buf.partition(b"\0")
        return json.loads(msg)

    def call(self, method, **params):
        self.nextid += 1
        msg = {"id": self.nextid, "method": method, "params": params}
        if self.sid and not method.startswith(("Target.", "Browser.")):
            msg["sessionId"] = self.sid
        os.write(self.wr, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._recv()
            if m.get("id") == self.nextid:
                assert "error" not in m, "%s: %s" % (method, m["error"])
                return m["result"]
            self.events.append(m)

    def wait_event(self, name):
        while True:
            for m in self.events:
                if m.get("method") == name:
                    self.events.remove(m)
                    return m.get("params")
            self.events.append(self._recv())

    def open(self, url):
        """A new tab at url, once its load event (every image and
        stylesheet in) has fired."""
        tid = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.sid = self.call("Target.attachToTarget", targetId=tid, flatten=True)["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT,
                  deviceScaleFactor=1, mobile=False)
        self.call("Page.enable")
        nav = self.call("Page.navigate", url=url)
        assert "errorText" not in nav, "chromium could not load %s: %s" % (url, nav["errorText"])
        self.wait_event("Page.loadEventFired")

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        assert "exceptionDetails" not in r, r["exceptionDetails"]
        return r["result"]["value"]

    def close(self):
        """Ask chromium to quit, then kill what is left of its process
        group: it leads the session it was started in, with its helpers.
        It is reaped only after that, so the group's id is still ours."""
        try:
            os.write(self.wr, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
        except OSError:
            pass
        deadline = time.monotonic() + 10
        while (os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
               and time.monotonic() < deadline):
            time.sleep(0.1)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        os.close(self.wr)
        os.close(self.rd)
        self.errlog.close()


# What the page tells the test, read in the page after its load event.
REPORT = """JSON.stringify({
  title: document.title,
  sheets: [...document.styleSheets].map(s => ({href: s.href, rules: s.cssRules.length})),
  images: [...document.images].map(i => {
    const r = i.getBoundingClientRect();
    return {src: i.getAttribute("src"), complete: i.complete, nw: i.naturalWidth,
            nh: i.naturalHeight, x: r.x, y: r.y, w: r.width, h: r.height};
  })
})"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The demo page as chromium loaded it from the guest: .report (what
    REPORT says), .shot (screenshot PNG bytes), .log (the console's
    access log so far, once every file the page names has been logged)."""
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("chromium is not installed: run scripts/setup.sh as root "
                    "(Debian package chromium)")
    with httpd_guest(tmp_path_factory.mktemp("browser"), "test_browser") as g:
        b = Chromium(exe, tmp_path_factory.mktemp("chromium"))
        try:
            b.open(g.url + "/")
            g.report = json.loads(b.eval(REPORT))
            g.shot = base64.b64decode(b.call("Page.captureScreenshot", format="png")["data"])
            with open(os.path.join(LOGDIR, "test_browser.png"), "wb") as f:
                f.write(g.shot)
        finally:
            b.close()
        r = refs()
        g.log = wait_logged(g, [urllib.parse.urljoin("/", p) for p in r.sheets + r.images])
        yield g


def refs():
    return PageRefs(www("index.html").decode())


def wait_logged(g, paths, timeout=5):
    """The console once it holds a GET line for each path (or timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        log = g.console.log()
        if all('"GET %s HTTP/1.1"' % p in log for p in paths) or time.monotonic() > deadline:
            return log
        time.sleep(0.2)


def test_title_is_the_pages(page):
    want = " ".join(refs().title.split())    # document.title collapses white space
    assert want, "mkfs/www/index.html has no <title>"
    assert page.report["title"] == want


def test_stylesheet_and_images_served_and_loaded(page):
    r = refs()
    assert r.sheets and r.images, "index.html names no stylesheet or no image"
    for ref in r.sheets + r.images:
        path = urllib.parse.urljoin("/", ref)
        line = r'"GET %s HTTP/1.1" 200 %d\b' % (re.escape(path), len(www(path.lstrip("/"))))
        assert re.search(line, page.log), "no access log line %s in:\n%s" % (line, page.log[-2000:])
    # the browser parsed each stylesheet whole: as many rules as the file has
    sheets = page.report["sheets"]
    assert [urllib.parse.urlparse(s["href"]).path for s in sheets] == \
        [urllib.parse.urljoin("/", s) for s in r.sheets]
    for s, ref in zip(sheets, r.sheets):
        assert s["rules"] == www(ref).count(b"{"), (ref, s)
    # and decoded each image
    got = [(i["src"], i["complete"], i["nw"] > 0 and i["nh"] > 0) for i in page.report["images"]]
    assert got == [(src, True, True) for src in r.images], page.report["images"]


def page_background():
    """The body's background colour in style.css, as (r, g, b)."""
    m = re.search(r"body\s*\{[^}]*background:\s*#([0-9a-fA-F]{6})", www("style.css").decode())
    assert m, "style.css sets no body background colour"
    return hexrgb(m.group(1))


def box(rows, img, dx=0, dy=0):
    """The screenshot's pixels where img was drawn, row by row, moved by
    (dx, dy): the layout's fractional position is snapped to a pixel
    when drawn, and which way a .5 goes is chromium's business."""
    x, y = math.floor(img["x"] + 0.5) + dx, math.floor(img["y"] + 0.5) + dy
    w, h = round(img["w"]), round(img["h"])
    return [row[x:x + w] for row in rows[y:y + h]]


def differing(drawn, want):
    return sum(a != b for ra, rb in zip(drawn, want) for a, b in zip(ra, rb))


def test_screenshot_shows_the_page_and_its_images(page):
    w, h, rows = png_decode(page.shot)
    assert (w, h) == (WIDTH, HEIGHT)
    counts = collections.Counter(p for row in rows for p in row)
    bg = page_background()
    # not blank: the stylesheet's background behind text in many shades
    assert counts.most_common(1)[0][0] == bg, counts.most_common(3)
    assert len(counts) > 50, "only %d colours in the screenshot" % len(counts)
    for img in page.report["images"]:
        name = urllib.parse.urljoin("/", img["src"]).lstrip("/")
        drawn = box(rows, img)
        assert drawn and len(drawn[0]) == round(img["w"]), (name, img)
        if name.endswith(".png"):
            # drawn pixelated (style.css) at a whole multiple: the file's
            # own pixels, each repeated, and nothing else
            nw, nh, want = png_decode(www(name))
            bw, bh = len(drawn[0]), len(drawn)
            scaled = [[want[j * nh // bh][i * nw // bw] for i in range(bw)] for j in range(bh)]
            bad = min(differing(box(rows, img, dx, dy), scaled)
                      for dx in (-1, 0, 1) for dy in (-1, 0, 1))
            assert bad == 0, "%s: %d of %d pixels differ from the file's" % (name, bad, bw * bh)
        elif name.endswith(".svg"):
            # the colours the drawing names (all but the page's own
            # background) fill a good part of its box
            named = {hexrgb(c) for c in re.findall(r'(?:fill|stroke)="(#[0-9a-fA-F]{6})"',
                                                   www(name).decode())} - {bg}
            assert named, "%s names no colour of its own" % name
            n = sum(p in named for row in drawn for p in row)
            assert n >= len(drawn) * len(drawn[0]) // 5, \
                "%s: only %d pixels of its colours %s in its box" % (name, n, named)
        else:
            pytest.fail("an image of a kind this test does not know: %s" % name)
