#!/usr/bin/python3
"""What a TCP benchmark's frames show: windows, ACK spacing, bytes in
flight, idle time on the wire and, for echo, how long the guest held
each request. Reads the pcaps `scripts/bench_tcp.py --pcap DIR` writes
(QEMU's filter-dump at the guest's netdev, so a timestamp is when QEMU
moved the frame between slirp and virtio-net, not when the guest or the
host's socket saw it). Parses Ethernet, IPv4 and TCP by hand; nothing to
install. Prints one block per file; writes nothing.

  bulk out  the guest's tcp/5001 connection (the guest sends)
  bulk in   the guest's tcp/5002 connection (the guest receives)
  echo      the guest's tcp/7 connection: per request, the time from the
            request's frame to the reply's ("in the guest") and from a
            reply to the next request ("outside": slirp, the host's
            socket and this benchmark's Python)

usage: scripts/tcp_pcap.py FILE.pcap...
"""
import statistics
import struct
import sys

GUEST_IP = bytes([10, 0, 2, 15])
IDLE = 0.5e-3        # a pause on the wire longer than this counts as idle


def frames(path):
    """(seconds, frame bytes) of each record of a pcap file."""
    with open(path, "rb") as f:
        d = f.read()
    ns = struct.unpack("<I", d[:4])[0] == 0xa1b23c4d
    o = 24
    while o + 16 <= len(d):
        sec, frac, incl, _ = struct.unpack("<IIII", d[o:o + 16])
        o += 16
        yield sec + frac / (1e9 if ns else 1e6), d[o:o + incl]
        o += incl


def segments(path):
    """Each TCP segment as a dict; out is True for the guest's."""
    for t, f in frames(path):
        if len(f) < 54 or f[12:14] != b"\x08\x00" or f[23] != 6:
            continue
        ip = f[14:]
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack("!H", ip[2:4])[0]
        th = ip[ihl:]
        sp, dp, seq, ack, off, fl, win = struct.unpack("!HHIIBBH", th[:16])
        hl = (off >> 4) * 4
        yield {"t": t, "out": ip[12:16] == GUEST_IP, "sp": sp, "dp": dp, "seq": seq,
               "ack": ack, "fl": fl, "win": win, "len": tot - ihl - hl,
               "ws": wscale(th[20:hl])}


def wscale(opts):
    """The window scale option's shift, or None."""
    i = 0
    while i < len(opts) and opts[i] != 0:
        if opts[i] == 1:
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            return None
        if opts[i] == 3 and i + 2 < len(opts):
            return opts[i + 2]
        i += opts[i + 1]
    return None


def conn(segs, gport):
    return [s for s in segs if (s["sp"] if s["out"] else s["dp"]) == gport]


def idle(segs):
    """(seconds the wire was idle in pauses over IDLE, the whole span, longest pause)."""
    ts = sorted(s["t"] for s in segs)
    gaps = [b - a for a, b in zip(ts, ts[1:])]
    return sum(g for g in gaps if g > IDLE), ts[-1] - ts[0], max(gaps)


def bulk(segs, guest_sends):
    """Windows, ACKs and bytes in flight of one bulk connection."""
    ws = {True: 0, False: 0}
    for s in segs:
        if s["fl"] & 2:
            ws[s["out"]] = s["ws"] or 0
    data = [s for s in segs if s["out"] == guest_sends and s["len"] > 0]
    acks = [s for s in segs if s["out"] != guest_sends and not s["fl"] & 2]
    if not data or not acks:
        return None
    base, top, last = data[0]["seq"], 0, None
    flight, wins, per_ack = [], [], []
    for s in sorted(data + acks, key=lambda s: (s["t"], s["out"] != guest_sends)):
        if s["out"] == guest_sends:
            top = max(top, (s["seq"] - base + s["len"]) & 0xffffffff)
            continue
        a = (s["ack"] - base) & 0xffffffff
        if a > 1 << 31:
            continue
        flight.append(top - a)
        wins.append(s["win"] << ws[not guest_sends])
        if last is not None and a > last:
            per_ack.append(a - last)
        last = a
    quiet, span, longest = idle(segs)
    nbytes = sum(s["len"] for s in data)
    return {"data segments": len(data), "ACKs": len(acks),
            "Mbit/s on the wire": "%.0f" % (nbytes * 8 / span / 1e6),
            "window scale (sender, receiver)": "%d, %d" % (ws[guest_sends], ws[not guest_sends]),
            "receiver's window, median / min": "%d / %d" % (statistics.median(wins), min(wins)),
            "bytes in flight at an ACK, median / max":
                "%d / %d" % (statistics.median(flight), max(flight)),
            "bytes acknowledged per ACK, median": "%d" % statistics.median(per_ack or [0]),
            "wire idle in pauses > 0.5 ms": "%.0f%% of %.3f s (longest %.1f ms)"
                % (100 * quiet / span, span, longest * 1e3)}


def echo(segs):
    req = [s for s in segs if not s["out"] and s["len"] > 0]
    rep = [s for s in segs if s["out"] and s["len"] > 0]
    inside, j = [], 0
    for r in req:
        while j < len(rep) and rep[j]["t"] < r["t"]:
            j += 1
        if j < len(rep):
            inside.append((rep[j]["t"] - r["t"]) * 1e6)
    outside = [(req[i + 1]["t"] - rep[i]["t"]) * 1e6 for i in range(min(len(req) - 1, len(rep)))]
    if not inside or not outside:
        return None
    return {"requests": len(req),
            "in the guest, median (us)": "%.0f" % statistics.median(inside),
            "outside, median (us)": "%.0f" % statistics.median(outside),
            "pure ACKs from the guest / from slirp":
                "%d / %d" % (sum(1 for s in segs if s["out"] and s["len"] == 0 and not s["fl"] & 3),
                             sum(1 for s in segs if not s["out"] and s["len"] == 0
                                 and not s["fl"] & 3))}


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        sys.exit(2)
    for path in sys.argv[1:]:
        segs = list(segments(path))
        print(path)
        for name, r in (("bulk out (tcp/5001)", bulk(conn(segs, 5001), True)),
                        ("bulk in (tcp/5002)", bulk(conn(segs, 5002), False)),
                        ("echo (tcp/7)", echo(conn(segs, 7)))):
            print("  " + name + (": none" if r is None else ""))
            for k, v in (r or {}).items():
                print("    %-42s %s" % (k, v))


if __name__ == "__main__":
    main()
