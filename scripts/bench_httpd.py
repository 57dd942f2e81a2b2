#!/usr/bin/python3
"""HTTP over slirp: our httpd against the Linux peer's HTTP server on the
same emulated machine (one hart each, 128 MiB, TCG, NET=user), measured
in one run with the two systems alternating boot by boot, as
scripts/bench_tcp.py does.

The clients are ab and wrk on the host, through a hostfwd from
127.0.0.1:P to the guest's tcp/80. In each boot, one after another:

  ab1   ab -n 2000 -c 1 /1k        a new connection per request, req/s
  ab8   ab -n 2000 -c 8 /1k        the same with 8 at once
  abk   ab -k -n 5000 -c 8 /1k     keep-alive, 8 connections
  wrk   wrk -t1 -c8 -d10s /1k      keep-alive, HTTP/1.1
  abm   ab -n 50 -c 1 /1m          a megabyte per request, MB/s of body

Every ab also gets `-r -s 10`: a receive error is counted, not fatal, and
ten seconds without progress end the run, which is then reported as
stopped after so many requests. Failed requests, non-2xx answers and
wrk's socket errors are recorded for each run; they should be 0.

Ours: before each workload the script kills the running httpd (`kill PID`
from ps) and starts `httpd -q -s 2997 &`, so each workload starts from a
fresh process, whose libnet counters netstat -l -p 2997 reads. -q: no
access log, as the peer keeps none; once per boot a probe compares that
with a log on the console (which a thread reads all along: an unread
console blocks the guest's UART) and with `-l /httpd.log` (a file on the
disk). Around each workload:
the kernel's netstat, httpd's libnet counters, ps (httpd's and netd's
CPU time and httpd's size), free. The peer: its init's HTTP server; its
control port's `stat` (eth0's frames, CPU busy) around each workload.
For both, host CPU of QEMU's main loop and vCPU thread.

Every QEMU is stopped by the PID this script spawned, in a finally; ab
and wrk run with a timeout and are killed by theirs. Traffic stays on
127.0.0.1 and slirp's network. Writes the section "## HTTP: httpd
against Linux" of docs/performance.md.

With --pcap DIR every boot also writes its frames (QEMU's filter-dump at
the netdev) to DIR/ours-R.pcap and DIR/peer-R.pcap; the dump slows QEMU,
so such a run's rates are not the table's, and it writes no section.

usage: scripts/bench_httpd.py [--rounds N] [--quick] [--no-peer] [--no-write] [--pcap DIR]
"""
import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "pcap-tests"))
from benchlib import host_line, shown, write_section  # noqa: E402
from bench_libnet import Ours, Peer, Skip, snapshot_or_exit, usable_ports, want_peer, why  # noqa: E402
from bench_tcp import Cpu, diff, kernel_stats, peer_stat  # noqa: E402

HEADING = "HTTP: httpd against Linux"
STATPORT = 2997
GUEST_HTTP = 80
LOGFILE = "/httpd.log"
AB_OPTS = ["-r", "-s", "10"]
KERNEL_KEYS = ("copy_payload_bytes", "copy_bytes", "dev_rx_frames", "dev_tx_frames",
               "dev_rx_nobuf", "rx_drop_ringfull", "dev_tx_full")
# httpd's libnet counters shown besides every one named *copy* or tcp_tx*
LIBNET_EXTRA = ("eth_rx", "eth_tx", "tcp_accepts", "tcp_drop_synqfull", "tcp_drop_nomem",
                "tcp_rst_tx")


class Workload:
    """One client command. key names it; argv is the command without its
    URL; n the requests (None: wrk runs for a time); bulk: rate in MB/s of
    body, not req/s."""

    def __init__(self, key, argv, path, n, bulk=False):
        self.key, self.argv, self.path, self.n, self.bulk = key, argv, path, n, bulk

    def tool(self):
        return self.argv[0]

    def cmd(self, port):
        extra = AB_OPTS if self.tool() == "ab" else []
        return self.argv[:1] + extra + self.argv[1:] + ["http://127.0.0.1:%d%s" % (port, self.path)]

    def shown(self, port="P"):
        return " ".join(self.argv) + " http://127.0.0.1:%s%s" % (port, self.path)

    def unit(self):
        return "MB/s" if self.bulk else "req/s"

    def goal(self):
        return 1.5 if self.bulk else 2.0


def workloads(quick):
    """The five of the task (issue 12), or shorter ones for --quick."""
    if quick:
        return [Workload("ab1", ["ab", "-n", "500", "-c", "1"], "/1k", 500),
                Workload("ab8", ["ab", "-n", "500", "-c", "8"], "/1k", 500),
                Workload("abk", ["ab", "-k", "-n", "1000", "-c", "8"], "/1k", 1000),
                Workload("wrk", ["wrk", "-t1", "-c8", "-d3s"], "/1k", None),
                Workload("abm", ["ab", "-n", "10", "-c", "1"], "/1m", 10, bulk=True)]
    return [Workload("ab1", ["ab", "-n", "2000", "-c", "1"], "/1k", 2000),
            Workload("ab8", ["ab", "-n", "2000", "-c", "8"], "/1k", 2000),
            Workload("abk", ["ab", "-k", "-n", "5000", "-c", "8"], "/1k", 5000),
            Workload("wrk", ["wrk", "-t1", "-c8", "-d10s"], "/1k", None),
            Workload("abm", ["ab", "-n", "50", "-c", "1"], "/1m", 50, bulk=True)]


# --- the host's clients ------------------------------------------------------

def field(text, pat, conv=int):
    m = re.search(pat, text, re.M)
    return conv(m.group(1)) if m else None


def parse_ab(rc, out, err, w):
    """ab's report as a dict: rate (req/s or MB/s of body), requests done,
    failed and non-2xx counts; if ab stopped early, "stopped" says how."""
    r = {"complete": field(out, r"^Complete requests:\s+(\d+)"),
         "failed": field(out, r"^Failed requests:\s+(\d+)") or 0,
         "non2xx": field(out, r"^Non-2xx responses:\s+(\d+)") or 0,
         "secs": field(out, r"^Time taken for tests:\s+([\d.]+)", float),
         "body": field(out, r"^HTML transferred:\s+(\d+)"),
         "rps": field(out, r"^Requests per second:\s+([\d.]+)", float)}
    m = re.search(r"\(Connect: (\d+), Receive: (\d+), Length: (\d+), Exceptions: (\d+)\)", out)
    if m:
        r["why"] = dict(zip(("connect", "receive", "length", "exceptions"),
                            (int(x) for x in m.groups())))
    if rc != 0 or r["complete"] is None:
        done = re.findall(r"Completed (\d+) requests", err)
        msg = [l for l in err.splitlines() if l.strip() and not l.startswith(("Completed", "Finished",
                                                                               "Benchmarking"))]
        r["stopped"] = "ab exited %s after %s of %d requests: %s" % (
            rc, done[-1] if done else "fewer than 10% ", w.n, (msg[-1] if msg else "?").strip())
        r["rps"] = None
        return r
    if w.bulk:
        r["rate"] = r["body"] / r["secs"] / 1e6 if r["body"] and r["secs"] else None
    else:
        r["rate"] = r["rps"]
    r["requests"] = r["complete"]
    return r


def wrk_secs(text):
    m = re.search(r"requests in ([\d.]+)(us|ms|s|m)\b", text)
    if not m:
        return None
    return float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[m.group(2)]


def parse_wrk(rc, out, err, w):
    r = {"rps": field(out, r"^Requests/sec:\s+([\d.]+)", float),
         "requests": field(out, r"^\s*(\d+) requests in"),
         "secs": wrk_secs(out),
         "non2xx": field(out, r"Non-2xx or 3xx responses:\s+(\d+)") or 0,
         "failed": 0}
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        r["why"] = dict(zip(("connect", "read", "write", "timeout"), (int(x) for x in m.groups())))
        r["failed"] = sum(r["why"].values())
    if rc != 0 or r["rps"] is None:
        r["stopped"] = "wrk exited %s: %s" % (rc, (err.strip().splitlines() or ["?"])[-1])
        return r
    r["rate"] = r["rps"]
    return r


def client(w, port):
    """Run w against 127.0.0.1:port; its parsed report. A client that
    outlives its timeout is killed (by subprocess, by its PID)."""
    cmd = w.cmd(port)
    limit = 240 if w.tool() == "ab" else 60
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return {"stopped": "%s killed after %d s" % (w.tool(), limit), "failed": 0, "non2xx": 0}
    except OSError as e:
        raise Skip("%s: %s (scripts/setup.sh installs apache2-utils and wrk)" % (w.tool(), e))
    parse = parse_ab if w.tool() == "ab" else parse_wrk
    return parse(p.returncode, p.stdout, p.stderr, w)


class Drain:
    """Read a guest's console in a thread while a client runs: httpd
    writes a line per request there, and a console nobody reads fills
    and blocks the guest's UART. Counts what it read."""

    def __init__(self, child):
        self.child = child
        self.nbytes = 0
        self.done = threading.Event()
        self.t = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        while not self.done.is_set():
            try:
                self.nbytes += len(self.child.read_nonblocking(65536, timeout=0.2))
            except Exception:
                if not self.child.isalive():
                    return

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.t.join(5)


# --- the two systems ---------------------------------------------------------

PS_RE = r"^(\d+)\s+(\d+)\s+\S+\s+(\d+)\s+(\d+)\s+%s\s*$"


class OursHttp(Ours):
    """Our kernel on NET=user with a forward to tcp/80, where httpd runs."""

    nsync = 0

    def sync(self, timeout=20):
        """Wait until the shell has run everything typed so far: a marker
        echoed back, then its prompt (a command started with & leaves a
        prompt of its own behind)."""
        OursHttp.nsync += 1
        mark = "sync-%d" % OursHttp.nsync
        self.g.sendline("echo " + mark)
        self.g.expect(r"\n" + mark + r"\r?\n", timeout=timeout, what="the shell")
        self.g.expect(r"\$ ", timeout=timeout, what="the prompt")

    def cmd(self, line, timeout=20):
        try:
            self.sync()
            return self.g.run(line, timeout=timeout)
        except AssertionError as e:
            raise Skip("`%s` did not return to the prompt: %s" % (line, why(e)))

    def ps(self):
        """{name: (pid, size, cpu ms)} of httpd and netd."""
        out = self.cmd("ps")
        r = {}
        for name in ("httpd", "netd"):
            m = re.search(PS_RE % name, out, re.M)
            if m:
                r[name] = (int(m.group(1)), int(m.group(3)), int(m.group(4)))
        return r

    def restart(self, log):
        """Kill the running httpd and start `httpd -s STATPORT`: with no
        log (-q) if log is None, its log on the console if "console", else
        with -l log; it serves once its counters answer."""
        p = self.ps().get("httpd")
        if p:
            self.cmd("kill %d" % p[0])
            for _ in range(50):
                if "httpd" not in self.ps():
                    break
                time.sleep(0.1)
            else:
                raise Skip("httpd (pid %d) outlived `kill %d` by 5 s" % (p[0], p[0]))
        flag = " -q" if log is None else "" if log == "console" else " -l " + log
        line = "httpd%s -s %d &" % (flag, STATPORT)
        self.g.sendline(line)
        for _ in range(20):
            if self.libnet():
                return line
            time.sleep(0.25)
        raise Skip("`%s` answered no netstat -l -p %d" % (line, STATPORT))

    def netstat(self):
        return kernel_stats(self.cmd("netstat"))

    def libnet(self):
        """httpd's libnet counters (netstat -l -p STATPORT), {} if none."""
        return kernel_stats(self.cmd("netstat -l -p %d" % STATPORT))

    def free(self):
        return field(self.cmd("free"), r"free: (\d+) pages")


# --- one workload, both systems -------------------------------------------------

def per_req(v, n):
    return v / n if v is not None and n else None


def measure_ours(ours, w, port, log=None):
    """w against our httpd, freshly started; the result with counters."""
    ours.restart(log)
    k0, l0, p0 = ours.netstat(), ours.libnet(), ours.ps()
    cpu = Cpu(ours.g.pid)
    with Drain(ours.g.child) as d:
        r = client(w, port)
    r.update(cpu.done() or {})
    r["console"] = d.nbytes
    try:
        k1, l1, p1 = ours.netstat(), ours.libnet(), ours.ps()
    except Skip as e:
        # The guest cannot run a command (out of memory, say): the
        # rate stands, the counters are lost, and this boot is over.
        r["after"] = "afterwards the guest ran no command: %s" % e
        return r
    r["kernel"] = diff(k0, k1)
    r["libnet"] = diff(l0, l1)
    if "httpd" in p1:
        r["size"] = p1["httpd"][1]
        if "httpd" in p0 and p0["httpd"][0] == p1["httpd"][0]:
            r["httpd_ms"] = p1["httpd"][2] - p0["httpd"][2]
    if "netd" in p0 and "netd" in p1:
        r["netd_ms"] = p1["netd"][2] - p0["netd"][2]
    r["free"] = ours.free()
    return r


def measure_peer(ctl, pid, w, port):
    s0 = peer_stat(ctl)
    cpu = Cpu(pid)
    r = client(w, port)
    r.update(cpu.done() or {})
    time.sleep(0.3)     # the last ACKs and FINs
    r["st"] = diff(s0, peer_stat(ctl))
    return r


def costs(r):
    """Per-request figures of one run: frames, host CPU µs, guest CPU."""
    n = r.get("requests")
    if not n or not r.get("secs"):
        return r
    out = dict(r)
    for k in ("main", "vcpu"):
        if r.get(k) is not None:
            out[k + "_us"] = r[k] / 100.0 * r["secs"] * 1e6 / n
    k, st = r.get("kernel") or {}, r.get("st") or {}
    if "dev_rx_frames" in k:
        out["frames"] = (k["dev_rx_frames"] + k.get("dev_tx_frames", 0)) / n
        out["tx_frames"] = k.get("dev_tx_frames", 0) / n
    elif "rx_frames" in st:
        out["frames"] = (st["rx_frames"] + st["tx_frames"]) / n
        out["tx_frames"] = st["tx_frames"] / n
    if st.get("cpu_total"):
        out["busy"] = 100.0 * (1 - st["cpu_idle"] / st["cpu_total"])
        out["guest_us"] = out["busy"] / 100.0 * r["secs"] * 1e6 / n
    if r.get("httpd_ms") is not None:
        out["httpd_us"] = r["httpd_ms"] * 1000.0 / n
        out["guest_us"] = (r["httpd_ms"] + (r.get("netd_ms") or 0)) * 1000.0 / n
    if r.get("netd_ms") is not None:
        out["netd_us"] = r["netd_ms"] * 1000.0 / n
    if r.get("console") is not None:
        out["console_b"] = r["console"] / n
    for key in ("copy_payload_bytes", "copy_bytes"):
        if key in k:
            out[key + "_req"] = k[key] / n
    return out


# --- the section -------------------------------------------------------------

def med(rs, key):
    vals = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def runs(rs, key, fmt="%.0f"):
    return " ".join(fmt % r[key] if r.get(key) is not None else "x" for r in rs) or "-"


def cell(v, fmt="%.0f"):
    return fmt % v if v is not None else "not measured"


def ratio(o, p):
    return "**%.2f**" % (o / p) if o and p else "-"


def errors(r):
    """A run's failures in a few words: 0 when there were none."""
    if r.get("stopped"):
        return "stopped (%s)" % r["stopped"]
    parts = []
    if r.get("failed"):
        why_ = ", ".join("%s %d" % kv for kv in r.get("why", {}).items() if kv[1])
        parts.append("%d failed%s" % (r["failed"], " (" + why_ + ")" if why_ else ""))
    if r.get("non2xx"):
        parts.append("%d non-2xx" % r["non2xx"])
    if r.get("after"):
        parts.append("then the guest ran no command (booted again)")
    return "; ".join(parts) or "0"


def libnet_keys(rs):
    keys = set()
    for r in rs:
        keys.update(k for k in r.get("libnet", {}) if "copy" in k or k.startswith("tcp_tx"))
    return sorted(keys) + [k for k in LIBNET_EXTRA if any(k in r.get("libnet", {}) for r in rs)]


def section(res, notes, args, cmds, load, elapsed, wls):
    o, p = res["ours"], res["peer"]
    L = ["## " + HEADING, ""]
    L.append("HTTP through QEMU's user network (slirp, `NET=user` with a `hostfwd` from "
             "127.0.0.1:P to the guest's tcp/80) on the same emulated machine for both systems "
             "(`-machine virt`, one hart, 128 MiB, TCG, virtio-net on `virtio-mmio-bus.1`). The "
             "clients are ab (ApacheBench) and wrk on the host. The runs **alternated**: each of "
             "%d rounds boots ours, then the Linux peer, each stopped before the next starts; in "
             "each boot the workloads below run in order. Each cell is the median over the "
             "boots; the per-boot figures follow it (x: that boot gave no number, see the "
             "errors). Ours is apps/httpd.c, restarted before each workload as "
             "`httpd -q -s %d &` (a fresh process, whose libnet counters `netstat -l -p %d` reads), "
             "keeping no access log (-q), as the peer keeps none (what a log costs is below); the peer "
             "is its init's epoll HTTP server (Linux 6.1). Both serve /1k and /1m (1024 and "
             "1048576 bytes). A workload after which our guest can run no command (out of "
             "memory) ends that boot: its rate stands, its counters are lost, and the next "
             "workload gets a fresh boot." % (args.rounds, STATPORT, STATPORT))
    L.append("")
    L.append("| key | workload | unit | ours | Linux peer | ours / peer | goal | ours per boot | "
             "peer per boot |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    for w in wls:
        om, pm = med(o[w.key], "rate"), med(p[w.key], "rate")
        met = ("met" if om / pm >= w.goal() else "not met") if om and pm else "-"
        if any(errors(r) != "0" for r in o[w.key]):
            met += " (ours had errors)"
        L.append("| %s | `%s` | %s | %s | %s | %s | >= %.1f: %s | %s | %s |"
                 % (w.key, w.shown(), w.unit(), cell(om, "%.1f" if w.bulk else "%.0f"),
                    cell(pm, "%.1f" if w.bulk else "%.0f"), ratio(om, pm), w.goal(), met,
                    runs(o[w.key], "rate", "%.1f" if w.bulk else "%.0f"),
                    runs(p[w.key], "rate", "%.1f" if w.bulk else "%.0f")))
    L.append("")
    L.append("req/s is ab's `Requests per second` or wrk's `Requests/sec`; MB/s is ab's "
             "`HTML transferred` (body bytes) over `Time taken for tests`, in 10^6 bytes. Every "
             "ab ran with `%s` added: a receive error is counted rather than fatal, and 10 s "
             "without progress end the run. The goals are issue 12's: at least twice the "
             "peer's req/s on each /1k row, 1.5 times its bytes/s on /1m."
             % " ".join(AB_OPTS))
    L.append("")

    L.append("### Errors")
    L.append("")
    L.append("Failed requests (ab's `Failed requests`, with its kinds) and non-2xx answers; "
             "for wrk its socket errors and `Non-2xx or 3xx responses`. All should be 0. One "
             "entry per boot.")
    L.append("")
    L.append("| key | ours | Linux peer |")
    L.append("|---|---|---|")
    for w in wls:
        L.append("| %s | %s | %s |" % (w.key, " / ".join(errors(r) for r in o[w.key]) or "-",
                                         " / ".join(errors(r) for r in p[w.key]) or "-"))
    L.append("")

    L.append("### Copies (ours)")
    L.append("")
    L.append("Over each workload, medians over the boots: the kernel's counters (`netstat` before "
             "and after; `copy_payload_bytes` and `copy_bytes` are what the CPU copied) and "
             "httpd's libnet counters named `*copy*` or `tcp_tx*`, with a few others "
             "(`netstat -l -p %d` before and after). Per request in brackets. Columns by the "
             "workloads' keys in the first table." % STATPORT)
    L.append("")
    L.append("| counter | " + " | ".join(w.key for w in wls) + " |")
    L.append("|---|" + "---|" * len(wls))
    for src, keys in (("kernel", KERNEL_KEYS),
                      ("libnet", libnet_keys([r for w in wls for r in o[w.key]]))):
        for k in keys:
            row = []
            for w in wls:
                vals = [dict(r, v=r[src][k]) for r in o[w.key] if k in r.get(src, {})]
                v = med(vals, "v")
                n = med(vals, "requests")
                row.append(cell(v) + (" (%.1f)" % (v / n) if v is not None and n else ""))
            L.append("| %s `%s` | %s |" % (src, k, " | ".join(row)))
    L.append("")

    L.append("### Where the time goes")
    L.append("")
    L.append("Per request, medians over the boots; each pair of columns is ours, then the "
             "peer. Frames: ours the kernel's `dev_rx_frames` + `dev_tx_frames`, the peer's "
             "eth0's (control `stat`). Host CPU: QEMU's threads, CPU time over the workload "
             "divided by the requests: the main loop runs slirp (the host sockets and slirp's "
             "own TCP) and virtio-net's device side, the vCPU thread runs the guest. Guest CPU: "
             "ours is ps's TIME of httpd plus netd (whole 1 ms ticks), the peer's its whole "
             "CPU's busy share (`/proc/stat`) times the workload's duration. Console: bytes of "
             "httpd's log read from our console. httpd's size is ps's SIZE after the "
             "workload (a heap never shrinks, so: its high-water mark), free the kernel's free "
             "4 KiB pages then (of 128 MiB).")
    L.append("")
    L.append("| | frames | | host µs, main loop | | host µs, vCPU | | guest CPU µs | | "
             "console bytes | httpd MB | free pages |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    C = {s: {w.key: [costs(r) for r in res[s][w.key]] for w in wls} for s in ("ours", "peer")}
    for w in wls:
        co, cp = C["ours"][w.key], C["peer"][w.key]
        cols = []
        for key, fmt in (("frames", "%.1f"), ("main_us", "%.0f"), ("vcpu_us", "%.0f"),
                         ("guest_us", "%.0f")):
            cols += [cell(med(co, key), fmt), cell(med(cp, key), fmt)]
        cols += [cell(med(co, "console_b")),
                 cell(med([dict(r, mb=r["size"] / 1e6) for r in co if r.get("size")], "mb")),
                 cell(med(co, "free"))]
        L.append("| %s | %s |" % (w.key, " | ".join(cols)))
    L.append("")
    L.extend(story(C, res, wls))
    L.append("")

    L.append("### The console log's cost")
    L.append("")
    lc = res["logcost"]
    L.append("Once per boot of ours, before the workloads: `%s` against `httpd -q -s %d &` (no "
             "log, as in the workloads above), `httpd -s %d &` (a line per request on the "
             "console, read by this script) and `httpd -s %d -l %s &` (appended to a file on the "
             "virtio disk: every append also makes httpd stat the file it serves again, as the "
             "file system's generation moved), each freshly started."
             % (res["probe"].shown(), STATPORT, STATPORT, STATPORT, LOGFILE))
    L.append("")
    L.append("| httpd's log | req/s | per boot | errors |")
    L.append("|---|---|---|---|")
    for k, name in (("none", "none (-q)"), ("console", "console"), ("file", "`-l %s`" % LOGFILE)):
        L.append("| %s | %s | %s | %s |" % (name, cell(med(lc[k], "rate")), runs(lc[k], "rate"),
                                            " / ".join(errors(r) for r in lc[k]) or "-"))
    L.append("")
    if notes:
        for k in sorted(notes):
            L.append("- %s: not measured: %s" % (k, shown(notes[k])))
        L.append("")
    L.append("Commands: `make bench` runs `/usr/bin/python3 scripts/bench_httpd.py%s` "
             "(`--quick` for one short round). Whole run %.0f s. `$TMP` is the run's temporary "
             "directory, with its copy of `build/kernel/kernel` and `build/fs.img`; P is each "
             "system's forwarded host port."
             % (" " + " ".join(args.argv) if args.argv else "", elapsed))
    for k in ("ours", "peer"):
        if k in cmds:
            L.append("- %s: `%s`" % (k, cmds[k]))
    L.append("- ours at its console, before each workload: `ps`, `kill PID` (httpd's), "
             "`httpd -q -s %d &`; around it `netstat`, `netstat -l -p %d`, `ps`, `free`"
             % (STATPORT, STATPORT))
    for k in ("ours", "peer"):
        if k + "_port" in cmds:
            L.append("- clients against %s: P = %d, e.g. `%s`"
                     % (k, cmds[k + "_port"], " ".join(wls[0].cmd(cmds[k + "_port"]))))
    L.append("")
    L.append(host_line(load) + " Other work on the host may have run beside it; the "
             "alternation is what makes the ratio fair.")
    return "\n".join(L) + "\n"


def story(C, res, wls):
    """The paragraph on where the time goes, from the numbers measured."""
    out = []
    for w in wls:
        if w.key not in ("ab1", "wrk", "abm"):
            continue    # the others tell the same; the table has them
        o, p = C["ours"][w.key], C["peer"][w.key]
        v = {k: (med(o, k), med(p, k))
             for k in ("frames", "main_us", "vcpu_us", "guest_us", "rate", "tx_frames")}
        if None in v["frames"] + v["main_us"] + v["vcpu_us"]:
            continue
        # per MB for /1m: a request's figures times the requests in a MB of body
        what, scale = "request", 1.0
        if w.bulk:
            body, n = med(o, "body"), med(o, "requests")
            if not body or not n:
                continue
            what, scale = "MB", n * 1e6 / body
        f, m, c, g = ([x * scale if x is not None else None for x in v[k]]
                      for k in ("frames", "main_us", "vcpu_us", "guest_us"))
        out.append("`%s`: %.0f frames per %s for ours, %.0f for the peer; host CPU per %s in "
                   "QEMU's main loop %.0f µs against %.0f, in the vCPU %.0f against %.0f."
                   % (w.shown(), f[0], what, f[1], what, m[0], m[1], c[0], c[1]))
        if not w.bulk and None not in v["tx_frames"]:
            to, tp = v["tx_frames"]
            out.append("Frames out per request: ours %.1f, the peer %.1f%s." % (
                to, tp, " (httpd writes the head, then the body, and with TCP_NODELAY each "
                "leaves as a segment of its own)" if to >= 1.5 * tp else ""))
        if g[0] is not None and v["rate"][0]:
            out.append("Our httpd and netd used %.0f µs of the guest's hart per %s, %.0f%% of it "
                       "at our rate%s."
                       % (g[0], what, g[0] * v["rate"][0] / 1e4,
                          "; the peer's guest as a whole %.0f µs" % g[1] if g[1] else ""))
    # memory: a connection's buffers held after its close show as growth per connection
    for w in wls:
        # connections: libnet's count, or (a netstat that could not
        # fork prints none) one per request without keep-alive
        def conns(r):
            return r.get("libnet", {}).get("tcp_accepts") or \
                (r.get("requests") if "-k" not in w.argv and w.tool() == "ab" else None)
        rs = [r for r in res["ours"][w.key] if r.get("size") and conns(r)]
        if not rs:
            continue
        per = med([dict(r, g=r["size"] / conns(r)) for r in rs], "g")
        bad = any(r.get("stopped") or r.get("failed") for r in res["ours"][w.key])
        if per and per > 16384 and max(conns(r) for r in rs) > 100:
            out.append("httpd's heap grew by %.0f KB per connection accepted in `%s` (%.0f MB at "
                       "its end)%s. A connection httpd closes after the client's FIN is already in "
                       "TIME-WAIT, and libnet frees a TIME-WAIT connection's send and receive "
                       "buffers only when it enters that state orphaned (tcp_timewait in "
                       "libnet/tcp.c; s_close in libnet/stream.c does not), so each one holds "
                       "them for 2 MSL (60 s); ab's thousands of connections in a few seconds "
                       "then fill the guest's 128 MiB."
                       % (per / 1024, w.shown(), med(rs, "size") / 1e6,
                          ", and that run had failures" if bad else ""))
            break
    return [" ".join(out)] if out else []


# --- the run -------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="HTTP over slirp, our httpd vs the Linux peer")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--budget", type=float, default=1800, help="seconds for the whole run")
    ap.add_argument("--quick", action="store_true", help="1 round, shorter workloads")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--pcap", metavar="DIR", help="dump each boot's frames into DIR")
    ap.add_argument("--no-write", action="store_true",
                    help="print the section instead of updating docs/performance.md")
    args = ap.parse_args()
    args.argv = sys.argv[1:]
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    if args.pcap:
        os.makedirs(args.pcap, exist_ok=True)
        args.no_write = True
    if args.quick:
        args.rounds = 1
    wls = workloads(args.quick)
    probe = Workload("probe", ["ab", "-n", "500", "-c", "1"], "/1k", 500)

    load0 = os.getloadavg()[0]
    t_start = time.monotonic()
    deadline = t_start + args.budget
    res = {s: {w.key: [] for w in wls} for s in ("ours", "peer")}
    res["logcost"] = {"none": [], "console": [], "file": []}
    res["probe"] = probe
    notes, cmds = {}, {}
    use_peer = want_peer(args.no_peer, notes)

    tmp, snap = snapshot_or_exit("bench_httpd")

    o_http, p_http, p_echo, p_src, p_sink, p_ctl = usable_ports(6)
    ours, peer = OursHttp(snap, tmp.name), Peer()

    def note(key, e):
        notes[key] = str(e)
        print("bench_httpd: %s: not measured: %s" % (key, e), flush=True)

    def show(name, rnd, w, r):
        rate = r.get("rate")
        print("bench_httpd: round %d %s %s: %s %s, errors %s" % (
            rnd, name, w.shown(), "%.1f" % rate if rate is not None else "-", w.unit(),
            errors(r)), flush=True)

    def run_ours(rnd):
        try:
            mv = {"HOSTFWD": "hostfwd=tcp:127.0.0.1:%d-:%d" % (o_http, GUEST_HTTP)}
            if args.pcap:
                mv["PCAP"] = os.path.join(os.path.abspath(args.pcap), "ours-%d.pcap" % rnd)
            jobs = [(res["logcost"][k], probe, log, "ours (log: %s)" % k)
                    for k, log in (("none", None), ("console", "console"), ("file", LOGFILE))]
            jobs += [(res["ours"][w.key], w, None, "ours") for w in wls]
            for rs, w, log, name in jobs:
                # a boot that a workload left unusable is replaced by a fresh one
                if ours.g is None:
                    ours.start("user", mv, "bench-httpd-ours.log")
                    cmds["ours"] = shown(" ".join(shlex.quote(a) for a in ours.argv))
                    cmds["ours_port"] = o_http
                try:
                    r = measure_ours(ours, w, o_http, log)
                except Skip as e:
                    note("ours round %d %s" % (rnd, w.key), e)
                    ours.close()
                    continue
                rs.append(r)
                show(name, rnd, w, r)
                if r.get("after"):
                    print("bench_httpd: %s; booting again" % r["after"], flush=True)
                    ours.close()
        except (Skip, OSError) as e:
            note("ours round %d" % rnd, e)
        finally:
            ours.close()

    def run_peer(rnd):
        try:
            env = {"ECHO_PORT": p_echo, "HTTP_PORT": p_http, "SRC_PORT": p_src,
                   "SINK_PORT": p_sink, "CTL_PORT": p_ctl}
            if args.pcap:
                env["PCAP"] = os.path.join(os.path.abspath(args.pcap), "peer-%d.pcap" % rnd)
            peer.start("user", env, "bench-httpd-peer.log")
            cmds["peer"] = peer.cmd
            cmds["peer_port"] = p_http
            for w in wls:
                r = measure_peer(p_ctl, peer.child.pid, w, p_http)
                res["peer"][w.key].append(r)
                show("peer", rnd, w, r)
        except (Skip, OSError) as e:
            note("peer round %d" % rnd, e)
        finally:
            peer.close()

    try:
        for rnd in range(1, args.rounds + 1):
            if time.monotonic() > deadline:
                notes["rounds"] = "budget of %.0f s spent after %d rounds" % (args.budget, rnd - 1)
                break
            run_ours(rnd)
            if use_peer:
                run_peer(rnd)
    finally:
        ours.close()
        peer.close()
        tmp.cleanup()

    load = (load0, os.getloadavg()[0])
    text = section(res, notes, args, cmds, load, time.monotonic() - t_start, wls)
    print(text)
    if not args.no_write:
        write_section(HEADING, text)
        print("bench_httpd: updated docs/performance.md")


if __name__ == "__main__":
    main()
