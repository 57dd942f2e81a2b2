#!/usr/bin/python3
"""TCP over slirp: our libnet stack against the Linux peer on the same
emulated machine (one hart each, 128 MiB, TCG, NET=user), measured in
one run with the two systems alternating boot by boot.

  bulk out  guest to host: this script connects through a hostfwd to the
            guest's tcp/5001, sends "<MiB>\\n" and reads to EOF; Mbit/s
            from sending that line to EOF. Ours: `tcpsrc -S B -s 5001`;
            the peer: its init's tcp/5001 source.
  bulk in   host to guest: connects to tcp/5002, writes the bytes, shuts
            its side and waits for "OK <bytes>\\n"; Mbit/s from connect
            to that line. Ours: `tcpsrc -s 5002`; the peer: its sink.
  echo      round trip of a small message (TCP_NODELAY on the host) to
            tcp/7: ours `echoserver`, the peer its epoll echo (NODELAY
            too). Median per boot.

Where the time goes: for ours, the libnet counters tcpsrc prints after
each connection (segments, bytes, retransmissions) and the kernel's
netstat before and after; for the peer, eth0's frames from its control
port's `stat`, which also gives its CPU's busy share. For both, host
CPU of QEMU's main loop (slirp, virtio-net's device side) and its vCPU
thread over each transfer.

Every QEMU is stopped by the PID this script spawned, in a finally; every
wait has a timeout. Traffic stays on 127.0.0.1 and slirp's network.
Writes the section "## TCP over slirp" of docs/performance.md.

With --pcap DIR every boot also writes its frames (QEMU's filter-dump at
the netdev) to DIR/ours-R.pcap and DIR/peer-R.pcap, for
scripts/tcp_pcap.py; the dump slows QEMU, so such a run's rates are not
the table's.

usage: scripts/bench_tcp.py [--rounds N] [--mib M] [--quick] [--no-peer] [--no-write] [--pcap DIR]
"""
import argparse
import os
import re
import shlex
import socket
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "pcap-tests"))
from benchlib import host_line, shown, write_section  # noqa: E402
from bench_libnet import Ours, Peer, Skip, snapshot_or_exit, usable_ports, want_peer, why  # noqa: E402
from bench_raw import thread_ticks  # noqa: E402

HEADING = "TCP over slirp"
ECHO_LEN = 64
GUEST_SRC, GUEST_SINK, GUEST_ECHO = 5001, 5002, 7
KERNEL_KEYS = ("dev_rx_frames", "dev_tx_frames", "rx_drop_ringfull", "dev_tx_full",
               "copy_bytes", "copy_payload_bytes")


# --- the host's clients --------------------------------------------------------

RCVLOWAT = 256 << 10


def bulk_out(port, mib, timeout):
    """Read mib MiB from the source behind port. (bytes, seconds).
    The reader wakes for every RCVLOWAT bytes, not for each segment
    slirp writes: woken per segment, this script took 25-31% of a host
    core, beside QEMU's main loop and vCPU on a 2-core host, and held
    both systems back (docs/performance.md, "The bulk client")."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, RCVLOWAT)
        buf = bytearray(1 << 20)
        s.sendall(b"%d\n" % mib)
        t0 = time.perf_counter()
        got = 0
        while True:
            n = s.recv_into(buf)
            if n == 0:
                break
            got += n
        dt = time.perf_counter() - t0
    finally:
        s.close()
    if got != mib << 20:
        raise Skip("guest to host: read %d bytes of %d" % (got, mib << 20))
    return got, dt


def bulk_in(port, mib, timeout):
    """Write mib MiB to the sink behind port and wait for its "OK n".
    (bytes, seconds)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        chunk = bytes(1 << 20)
        t0 = time.perf_counter()
        for _ in range(mib):
            s.sendall(chunk)
        s.shutdown(socket.SHUT_WR)
        reply = b""
        while not reply.endswith(b"\n"):
            r = s.recv(64)
            if not r:
                break
            reply += r
        dt = time.perf_counter() - t0
    finally:
        s.close()
    m = re.match(rb"OK (\d+)", reply)
    if not m or int(m.group(1)) != mib << 20:
        raise Skip("host to guest: the sink answered %r for %d bytes" % (reply, mib << 20))
    return mib << 20, dt


def echo_rtt(port, n, warm):
    """n round trips of ECHO_LEN bytes, one at a time, after warm untimed;
    the median and minimum in microseconds."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rtts = []
        for i in range(warm + n):
            msg = bytes([i & 0xff]) * ECHO_LEN
            t0 = time.perf_counter_ns()
            s.sendall(msg)
            got = 0
            while got < ECHO_LEN:
                r = s.recv(ECHO_LEN - got)
                if not r:
                    raise Skip("echo: the server closed after %d round trips" % i)
                got += len(r)
            if i >= warm:
                rtts.append((time.perf_counter_ns() - t0) / 1000.0)
    except socket.timeout:
        raise Skip("echo: no answer within 5 s after %d round trips" % len(rtts))
    finally:
        s.close()
    return {"med": statistics.median(rtts), "min": min(rtts), "n": n}


class Cpu:
    """Host CPU of one QEMU over a window, in percent of one core: its main
    loop (first thread: slirp, the device side of virtio-net) and its
    busiest other thread (the vCPU)."""

    def __init__(self, pid):
        self.pid = pid
        self.t0 = time.monotonic()
        self.c0 = time.process_time()
        self.q0 = thread_ticks(pid)

    def done(self):
        dt = time.monotonic() - self.t0
        q1 = thread_ticks(self.pid)
        hz = os.sysconf("SC_CLK_TCK")
        if dt <= 0 or not q1:
            return None
        d = {t: (q1[t] - self.q0.get(t, 0)) * 100.0 / hz / dt for t in q1}
        others = [v for t, v in d.items() if t != self.pid]
        return {"main": d.get(self.pid, 0.0), "vcpu": max(others) if others else 0.0,
                "client": (time.process_time() - self.c0) * 100.0 / dt}


def mbit(nbytes, dt):
    return nbytes * 8 / dt / 1e6


# --- the two systems --------------------------------------------------------

def stats_line(text):
    """tcpsrc's "stats name=value ..." line as a dict."""
    return {k: int(v) for k, v in re.findall(r"([a-z_]+)=(\d+)", text)}


def kernel_stats(text):
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^\s*([a-z_]+)\s*[:=]?\s+(\d+)\s*$", text, re.M)}


class OursTcp(Ours):
    """Our kernel on NET=user with forwards to 5001, 5002 and 7, and the
    three servers started in the background at its console."""

    def servers(self, nbytes):
        for cmd, want in (("tcpsrc -S %d -s %d &" % (nbytes, GUEST_SRC), "source on port"),
                          ("tcpsrc -s %d &" % GUEST_SINK, "sink on port"),
                          ("echoserver &", "echoserver: listening")):
            self.g.sendline(cmd)
            try:
                self.g.expect(want, timeout=20, what=cmd)
            except AssertionError as e:
                raise Skip("`%s` did not start: %s" % (cmd, why(e)))
        self.g.sendline("")
        self.g.expect(r"\$ ", timeout=10, what="the prompt")

    def netstat(self):
        try:
            return kernel_stats(self.g.run("netstat", timeout=20))
        except AssertionError:
            return {}

    def served(self, what):
        """The report tcpsrc prints once a connection has ended."""
        try:
            self.g.expect(r"tcpsrc: stats[^\r\n]*\r?\n", timeout=20, what="tcpsrc's counters")
        except AssertionError as e:
            raise Skip("%s: tcpsrc printed no counters: %s" % (what, why(e)))
        return stats_line(self.g.child.after)


def peer_stat(port):
    """The peer's control `stat`: eth0 rx/tx packets and bytes, CPU busy
    and total jiffies. None if it does not answer."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(2)
        s.sendto(b"stat", ("127.0.0.1", port))
        out = s.recv(4096).decode(errors="replace")
    except OSError:
        return None
    finally:
        s.close()
    r = {}
    m = re.search(r"eth0:\s*(\d+)\s+(\d+)\s+(?:\d+\s+){6}(\d+)\s+(\d+)", out)
    if m:
        r.update(rx_bytes=int(m.group(1)), rx_frames=int(m.group(2)),
                 tx_bytes=int(m.group(3)), tx_frames=int(m.group(4)))
    m = re.search(r"^cpu\s+([\d ]+)", out, re.M)
    if m:
        v = [int(x) for x in m.group(1).split()]
        r.update(cpu_total=sum(v), cpu_idle=v[3] + (v[4] if len(v) > 4 else 0))
    return r


def diff(a, b):
    return {k: b[k] - a.get(k, 0) for k in b} if a and b else {}


# --- the section -------------------------------------------------------------

def med(rs, key):
    vals = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def runs(rs, key, fmt="%.0f"):
    return " ".join(fmt % r[key] for r in rs if r.get(key) is not None) or "-"


def ratio(o, p):
    return "**%.2f**" % (o / p) if o and p else "-"


def cell(v, fmt="%.0f"):
    return fmt % v if v is not None else "not measured"


def per_mb(n, nbytes):
    return n / (nbytes / 1e6) if nbytes else None


def ours_costs(r, d):
    """Per-transfer figures from tcpsrc's counters (d) for a transfer of
    r["bytes"]: segments and ACKs per MB, bytes per data segment."""
    mb = r["bytes"] / 1e6
    if d == "out":
        data = r["st"].get("tcp_tx", 0) - r["st"].get("tcp_tx_rexmt", 0)
        return {"data_seg_mb": r["st"].get("tcp_tx", 0) / mb,
                "ack_mb": r["st"].get("tcp_rx", 0) / mb,
                "ack_per_seg": r["st"].get("tcp_rx", 0) / data if data else None,
                "bytes_seg": r["st"].get("tcp_tx_bytes", 0) / data if data else None,
                "rexmt": r["st"].get("tcp_tx_rexmt", 0)}
    data = r["st"].get("tcp_rx_inorder", 0) + r["st"].get("tcp_rx_ooo", 0)
    return {"data_seg_mb": r["st"].get("tcp_rx", 0) / mb,
            "ack_mb": r["st"].get("tcp_tx", 0) / mb,
            "ack_per_seg": r["st"].get("tcp_tx", 0) / data if data else None,
            "bytes_seg": r["st"].get("tcp_rx_bytes", 0) / data if data else None,
            "rexmt": r["st"].get("tcp_rx_dup", 0) + r["st"].get("tcp_rx_ooo", 0)}


def peer_costs(r, d):
    """The same from eth0's frame counts: every frame is TCP here (an
    ARP or two aside), data one way, ACKs the other."""
    st, mb = r.get("st") or {}, r["bytes"] / 1e6
    if "tx_frames" not in st:
        return {}
    data, acks = (st["tx_frames"], st["rx_frames"]) if d == "out" else \
        (st["rx_frames"], st["tx_frames"])
    dbytes = st["tx_bytes"] if d == "out" else st["rx_bytes"]
    out = {"data_seg_mb": data / mb, "ack_mb": acks / mb,
           "ack_per_seg": acks / data if data else None,
           "bytes_seg": (dbytes - 66 * data) / data if data else None}
    if st.get("cpu_total"):
        out["busy"] = 100.0 * (1 - st["cpu_idle"] / st["cpu_total"])
    return out


def section(res, notes, args, cmds, load, elapsed):
    o, p = res["ours"], res["peer"]
    L = ["## " + HEADING, ""]
    L.append("TCP through QEMU's user network (slirp, `NET=user` with `hostfwd`) on the same "
             "emulated machine for both systems (`-machine virt`, one hart, 128 MiB, TCG, "
             "virtio-net on `virtio-mmio-bus.1`). The runs **alternated**: each of %d rounds "
             "boots ours, then the Linux peer, each stopped before the next starts. In each "
             "boot: guest to host, then host to guest, then echo. Each cell is the median over "
             "the boots; the per-boot figures follow it. The host end is this script (Python, "
             "one socket, on 127.0.0.1 through the forward)." % args.rounds)
    L.append("")
    L.append("### Bulk transfer (%d MiB each way)" % args.mib)
    L.append("")
    L.append("Guest to host: the host connects to the guest's tcp/5001, sends `%d\\n` and reads "
             "to EOF, woken per %d KiB (`SO_RCVLOWAT`), timed from that line to EOF. Host to guest: the host connects to tcp/5002, "
             "writes %d MiB, shuts down its side and waits for `OK <bytes>`, timed from the "
             "connect to that answer. Ours: `tcpsrc -S %d -s 5001` and `tcpsrc -s 5002` "
             "(apps/tcpsrc.c, libnet's defaults: 128 KiB socket buffers, window scale, "
             "timestamps, SACK); the peer: its init's source and sink (Linux 6.1's defaults)."
             % (args.mib, RCVLOWAT >> 10, args.mib, args.mib << 20))
    L.append("")
    L.append("| Mbit/s | ours | Linux peer | ours / peer | ours per boot | peer per boot |")
    L.append("|---|---|---|---|---|---|")
    for k, name in (("out", "guest to host"), ("in", "host to guest")):
        L.append("| %s | %s | %s | %s | %s | %s |"
                 % (name, cell(med(o[k], "mbit")), cell(med(p[k], "mbit")),
                    ratio(med(o[k], "mbit"), med(p[k], "mbit")),
                    runs(o[k], "mbit"), runs(p[k], "mbit")))
    L.append("")
    L.append("For Mbit/s, a ratio below 1 means we are slower. The goal is 1.5 in both "
             "directions.")
    L.append("")

    L.append("### Echo round trip")
    L.append("")
    L.append("%d round trips of %d bytes, one at a time, after %d untimed, over one connection "
             "(TCP_NODELAY on the host) to the guest's tcp/7: ours `echoserver &`, the peer its "
             "epoll echo server (TCP_NODELAY too). The round trip is `time.perf_counter_ns()` "
             "around `sendall` and the reads that bring all %d bytes back."
             % (args.echo_n, ECHO_LEN, args.warm, ECHO_LEN))
    L.append("")
    L.append("| µs | ours | Linux peer | ours / peer | ours per boot | peer per boot |")
    L.append("|---|---|---|---|---|---|")
    L.append("| median RTT | %s | %s | %s | %s | %s |"
             % (cell(med(o["echo"], "med")), cell(med(p["echo"], "med")),
                ratio(med(o["echo"], "med"), med(p["echo"], "med")),
                runs(o["echo"], "med"), runs(p["echo"], "med")))
    L.append("| minimum | %s | %s | %s | %s | %s |"
             % (cell(med(o["echo"], "min")), cell(med(p["echo"], "min")),
                ratio(med(o["echo"], "min"), med(p["echo"], "min")),
                runs(o["echo"], "min"), runs(p["echo"], "min")))
    L.append("")
    L.append("A ratio above 1 means we are slower. The goal is at most 0.5.")
    L.append("")

    L.append("### Where the time goes")
    L.append("")
    L.append("Per transfer, medians over the boots. Ours from the libnet counters `tcpsrc` "
             "prints after each connection (`tcp_tx`, `tcp_rx`, `tcp_tx_bytes`...; they are "
             "read at the application's close, so a source misses the last window still in "
             "flight); the peer's from eth0's frame and byte counts (control `stat` before "
             "and after; 66 bytes of Ethernet, IPv4 and TCP with timestamps taken off each "
             "frame) and its CPU's busy share from `/proc/stat`. Host CPU is QEMU's threads, "
             "in percent of one core over the transfer: the main loop runs slirp (the host "
             "sockets and slirp's own TCP) and virtio-net's device side, the vCPU thread runs "
             "the guest; the client is this script.")
    L.append("")
    L.append("| | ours out | peer out | ours in | peer in |")
    L.append("|---|---|---|---|---|")
    co = {k: [dict(r, **ours_costs(r, k)) for r in o[k] if r.get("st")] for k in ("out", "in")}
    cp = {k: [dict(r, **peer_costs(r, k)) for r in p[k]] for k in ("out", "in")}
    rows = (("data segments per MB", "data_seg_mb", "%.0f"),
            ("ACK segments per MB (other way)", "ack_mb", "%.0f"),
            ("ACKs per data segment", "ack_per_seg", "%.2f"),
            ("payload bytes per data segment", "bytes_seg", "%.0f"),
            ("segments sent again (out) / received twice or out of order (in)", "rexmt",
             "%.0f"),
            ("guest CPU busy (%)", "busy", "%.0f"),
            ("host CPU, QEMU main loop (%)", "main", "%.0f"),
            ("host CPU, QEMU vCPU (%)", "vcpu", "%.0f"),
            ("host CPU, this script's client (%)", "client", "%.0f"))
    for name, key, fmt in rows:
        L.append("| %s | %s | %s | %s | %s |"
                 % (name, cell(med(co["out"], key), fmt), cell(med(cp["out"], key), fmt),
                    cell(med(co["in"], key), fmt), cell(med(cp["in"], key), fmt)))
    L.append("")
    ks = res["ours"]["kernel"]
    if ks:
        L.append("Our kernel's counters over a whole boot's transfers and echoes (netstat before "
                 "and after), medians: %s."
                 % ", ".join("`%s` %s" % (k, cell(med(ks, k))) for k in KERNEL_KEYS))
        L.append("")
    if notes:
        for k in sorted(notes):
            L.append("- %s: not measured: %s" % (k, shown(notes[k])))
        L.append("")
    L.append("Commands: `make bench` runs `/usr/bin/python3 scripts/bench_tcp.py%s` last "
             "(`--quick` for one short round). Whole run %.0f s. `$TMP` is the run's temporary "
             "directory, with its copy of `build/kernel/kernel` and `build/fs.img`."
             % (" " + " ".join(args.argv) if args.argv else "", elapsed))
    for k in ("ours", "peer"):
        if k in cmds:
            L.append("- %s: `%s`" % (k, cmds[k]))
    L.append("- ours at its console: `tcpsrc -S %d -s 5001 &`, `tcpsrc -s 5002 &`, "
             "`echoserver &`, `netstat` before and after" % (args.mib << 20))
    L.append("")
    L.append(host_line(load) + " Other work on the host may have run beside it; the "
             "alternation is what makes the ratio fair.")
    return "\n".join(L) + "\n"


# --- the run -------------------------------------------------------------------

def measure(res, name, pid, args, served=None, stat=None):
    """A function that runs one bulk transfer from QEMU pid's guest into
    res[name]. served(what) returns our counters after a transfer;
    stat() the peer's."""
    def transfer(key, fn, port, what):
        s0 = stat() if stat else None
        cpu = Cpu(pid)
        n, dt = fn(port, args.mib, args.timeout)
        r = {"bytes": n, "dt": dt, "mbit": mbit(n, dt)}
        r.update(cpu.done() or {})
        if served:
            r["st"] = served(what)
        if stat:
            time.sleep(0.3)     # the peer's last ACKs and FIN
            r["st"] = diff(s0, stat())
        res[name][key].append(r)
        print("bench_tcp: %s %s %.0f Mbit/s (host CPU main %.0f%% vCPU %.0f%%)"
              % (name, what, r["mbit"], r.get("main", 0), r.get("vcpu", 0)), flush=True)
    return transfer


def main():
    ap = argparse.ArgumentParser(description="TCP over slirp, ours vs the Linux peer")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--mib", type=int, default=32, help="MiB per bulk transfer")
    ap.add_argument("--echo-n", type=int, default=1000)
    ap.add_argument("--warm", type=int, default=10)
    ap.add_argument("--timeout", type=float, default=60, help="seconds of silence that fail a transfer")
    ap.add_argument("--budget", type=float, default=900, help="seconds for the whole run")
    ap.add_argument("--quick", action="store_true", help="1 round, 8 MiB, 200 round trips")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--pcap", metavar="DIR", help="dump each boot's frames into DIR")
    ap.add_argument("--no-write", action="store_true",
                    help="print the section instead of updating docs/performance.md")
    args = ap.parse_args()
    args.argv = sys.argv[1:]
    if args.pcap:
        os.makedirs(args.pcap, exist_ok=True)
        args.no_write = True
    if args.quick:
        args.rounds, args.mib, args.echo_n = 1, 8, 200

    load0 = os.getloadavg()[0]
    t_start = time.monotonic()
    deadline = t_start + args.budget
    res = {s: {"out": [], "in": [], "echo": [], "kernel": []} for s in ("ours", "peer")}
    notes, cmds = {}, {}
    use_peer = want_peer(args.no_peer, notes)

    tmp, snap = snapshot_or_exit("bench_tcp")

    o_src, o_sink, o_echo, p_src, p_sink, p_echo, p_http, p_ctl = usable_ports(8)
    ours, peer = OursTcp(snap, tmp.name), Peer()

    def note(key, e):
        notes[key] = str(e)
        print("bench_tcp: %s: not measured: %s" % (key, e), flush=True)

    def run_ours(rnd):
        fwd = ",".join("hostfwd=tcp:127.0.0.1:%d-:%d" % pp for pp in
                       ((o_src, GUEST_SRC), (o_sink, GUEST_SINK), (o_echo, GUEST_ECHO)))
        try:
            mv = {"HOSTFWD": fwd}
            if args.pcap:
                mv["PCAP"] = os.path.join(os.path.abspath(args.pcap), "ours-%d.pcap" % rnd)
            ours.start("user", mv, "bench-tcp-ours.log")
            cmds["ours"] = shown(" ".join(shlex.quote(a) for a in ours.argv))
            ours.servers(args.mib << 20)
            k0 = ours.netstat()
            t = measure(res, "ours", ours.g.pid, args, served=ours.served)
            run_boot(t, "ours", o_src, o_sink, o_echo, rnd)
            k1 = ours.netstat()
            if k0 and k1:
                res["ours"]["kernel"].append(diff(k0, k1))
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
            peer.start("user", env, "bench-tcp-peer.log")
            cmds["peer"] = peer.cmd
            t = measure(res, "peer", peer.child.pid, args, stat=lambda: peer_stat(p_ctl))
            run_boot(t, "peer", p_src, p_sink, p_echo, rnd)
        except (Skip, OSError) as e:
            note("peer round %d" % rnd, e)
        finally:
            peer.close()

    def run_boot(t, name, src, sink, echo, rnd):
        t("out", bulk_out, src, "guest to host")
        t("in", bulk_in, sink, "host to guest")
        r = echo_rtt(echo, args.echo_n, args.warm)
        res[name]["echo"].append(r)
        print("bench_tcp: round %d %s echo median %.0f us (min %.0f)"
              % (rnd, name, r["med"], r["min"]), flush=True)

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
    text = section(res, notes, args, cmds, load, time.monotonic() - t_start)
    print(text)
    if not args.no_write:
        write_section(HEADING, text)
        print("bench_tcp: updated docs/performance.md")


if __name__ == "__main__":
    main()
