#!/usr/bin/python3
"""Boot-time benchmark: our kernel against the Linux peer on the same
emulated machine.

Boots each system ROUNDS times, alternating (ours, peer, ours, ...), so
that both see the same host load; takes the median of each; and writes the
section "## Boot time" of docs/performance.md (other sections are kept).

  ours: spawn of QEMU (the test harness's command line, from
        `make print-qemu`) to the shell's first "$ " prompt.
  peer: spawn of ../shared/linux-peer/run.sh user (beside the repository;
        LINUX_PEER_DIR overrides) to its READY line (every service listening).

Every QEMU is stopped by the PID spawned. If the peer is not built this
says so and reports our column alone, unless --build-peer is given, which
runs the peer's build.sh first (about 6 minutes).

usage: scripts/bench.py [--rounds N] [--build-peer] [--no-write]
"""
import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

import pexpect

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "pcap-tests"))
from benchlib import PEER, PEER_BUILD, peer_built, shown  # noqa: E402
from qemu import Guest, copy_image, pick_port  # noqa: E402

PERF = os.path.join(ROOT, "docs", "performance.md")
TIMEOUT = 60
LOAD0 = os.getloadavg()[0]


def boot_ours(tmpdir):
    """Seconds from spawning QEMU to our first prompt, on a fresh image."""
    g = Guest(copy_image(tmpdir, "bench.img"), cpus=1)
    try:
        return g.boot(timeout=TIMEOUT)
    finally:
        g.close()


def boot_peer():
    """Seconds from spawning the peer's QEMU to its READY line."""
    env = dict(os.environ)
    # Our own host ports, so this cannot collide with another run.
    for var in ("HTTP_PORT", "ECHO_PORT", "SRC_PORT", "SINK_PORT", "CTL_PORT"):
        env[var] = str(pick_port())
    t0 = time.monotonic()
    child = pexpect.spawn(os.path.join(PEER, "run.sh"), ["user"], env=env,
                          encoding="utf-8", codec_errors="replace", echo=False,
                          timeout=TIMEOUT)
    try:
        child.expect(r"READY")
        return time.monotonic() - t0
    finally:
        # run.sh execs QEMU, so this PID is QEMU's.
        child.terminate(force=True)
        child.close(force=True)


def section(ours, peer, rounds, note):
    mo = statistics.median(ours)
    lines = ["## Boot time", ""]
    lines.append("Time from spawning QEMU to a usable system: our kernel's first shell")
    lines.append("prompt (`$ `), the Linux peer's `READY` line (all its services listening).")
    lines.append("Median of %d boots each, alternating the two systems." % rounds)
    lines.append("")
    lines.append("| system | median boot | all boots (s) |")
    lines.append("|---|---|---|")
    lines.append("| ours (`make print-qemu`, CPUS=1, NET=user) | %.3f s | %s |"
                 % (mo, " ".join("%.2f" % t for t in ours)))
    if peer:
        mp = statistics.median(peer)
        lines.append("| Linux peer (`run.sh user`, 1 hart) | %.3f s | %s |"
                     % (mp, " ".join("%.2f" % t for t in peer)))
        lines.append("")
        lines.append("Ratio ours / peer: **%.2f** (below 1: we boot faster)." % (mo / mp))
    else:
        lines.append("")
        lines.append("Linux peer: not measured (%s)." % note)
    qv = subprocess.run(["qemu-system-riscv64", "--version"], capture_output=True,
                        text=True).stdout.splitlines()
    lines.append("")
    lines.append("Measured %s with `make bench` (`/usr/bin/python3 scripts/bench.py --rounds %d`),"
                 % (datetime.date.today().isoformat(), rounds))
    lines.append("on %s, %d host CPUs, %s, TCG; host load average %.2f when it started."
                 % (platform.node() or "host", os.cpu_count() or 0,
                    qv[0] if qv else "qemu-system-riscv64", LOAD0))
    return "\n".join(lines) + "\n"


def write_section(text):
    """Replace (or add) the "## Boot time" section of docs/performance.md."""
    old = ""
    if os.path.exists(PERF):
        with open(PERF) as f:
            old = f.read()
    if not old.strip():
        old = "# Performance\n\nEach number with the command that produced it and what it ran beside.\n"
    pat = re.compile(r"^## Boot time\n.*?(?=^## |\Z)", re.M | re.S)
    if pat.search(old):
        new = pat.sub(lambda m: text + "\n", old, count=1)
    else:
        new = old.rstrip("\n") + "\n\n" + text
    new = new.rstrip("\n") + "\n"
    os.makedirs(os.path.dirname(PERF), exist_ok=True)
    with open(PERF, "w") as f:
        f.write(new)


def main():
    ap = argparse.ArgumentParser(description="boot-time benchmark, ours vs the Linux peer")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--build-peer", action="store_true",
                    help="run the peer's build.sh if it is not built")
    ap.add_argument("--no-write", action="store_true",
                    help="print the section instead of updating docs/performance.md")
    args = ap.parse_args()

    note = ""
    use_peer = peer_built()
    if not use_peer and args.build_peer:
        print("bench: building the Linux peer (%s/build.sh)" % shown(PEER))
        subprocess.run([os.path.join(PEER, "build.sh")], check=True)
        use_peer = peer_built()
    if not use_peer:
        note = ("not built in %s; run %s/build.sh or scripts/bench.py --build-peer"
                % (shown(PEER_BUILD), shown(PEER)))
        print("bench: Linux peer " + note + "; skipping its column", file=sys.stderr)

    ours, peer = [], []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for i in range(args.rounds):
            ours.append(boot_ours(tmp))
            print("bench: round %d: ours %.3f s" % (i + 1, ours[-1]), end="")
            if use_peer:
                peer.append(boot_peer())
                print(", peer %.3f s" % peer[-1], end="")
            print(flush=True)

    text = section(ours, peer, args.rounds, note)
    if args.no_write:
        print(text)
    else:
        write_section(text)
        print(text)
        print("bench: updated %s" % os.path.relpath(PERF, os.getcwd()))


if __name__ == "__main__":
    main()
