"""Small helpers shared by the benchmarks (scripts/bench_raw.py,
bench_libnet.py, stress.py; bench.py still has its own write_section).

  write_section(heading, text)  replace or add "## heading" in
                                docs/performance.md, keeping every other
                                section as it was
  host_line(load)               date, host, CPUs, QEMU version, load average
  free_ports(n)                 n host ports derived from the uid and pid
  peer_built()                  whether the Linux peer's Image and initramfs exist
  shown(text)                   a path or command line as committed files show it

The Linux peer is looked for beside the repository, in ../shared/linux-peer
(LINUX_PEER_DIR overrides), and its build in ~/.cache/linux-peer
(LINUX_PEER_BUILD overrides).
"""
import datetime
import os
import platform
import re
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PERF = os.path.join(ROOT, "docs", "performance.md")
PEER = os.environ.get("LINUX_PEER_DIR") or os.path.normpath(
    os.path.join(ROOT, "..", "shared", "linux-peer"))
PEER_BUILD = os.environ.get("LINUX_PEER_BUILD") or os.path.expanduser("~/.cache/linux-peer")


def shown(text):
    """text (a path, a command line, a message) as docs/performance.md and
    the console show it: a temporary directory as $TMP, paths in the
    repository relative to it, the repository's parent as .., the home
    directory as ~. One machine's absolute paths tell a reader on another
    nothing (pcap-tests/test_repo.py checks the committed files)."""
    text = re.sub(re.escape(tempfile.gettempdir()) + r"/[^/\s,'\"`]+", "$TMP", text)
    parent = os.path.dirname(ROOT)
    subs = [(ROOT + "/", ""), (ROOT, ".")]
    if parent != "/":
        subs.append((parent + "/", "../"))
    subs.append((os.path.expanduser("~") + "/", "~/"))
    for path, short in subs:
        text = text.replace(path, short)
    return text


def peer_built():
    return (os.path.exists(os.path.join(PEER_BUILD, "Image"))
            and os.path.exists(os.path.join(PEER_BUILD, "initramfs.cpio")))


def qemu_version():
    try:
        out = subprocess.run(["qemu-system-riscv64", "--version"], capture_output=True,
                             text=True, timeout=10).stdout.splitlines()
        return out[0] if out else "qemu-system-riscv64"
    except (OSError, subprocess.SubprocessError):
        return "qemu-system-riscv64"


def host_line(load):
    """Where and when, for the last line of a section; load is the
    (start, end) pair of 1-minute load averages."""
    return ("Measured %s on %s, %d host CPUs, %s, TCG; host load average %.2f at the start, "
            "%.2f at the end."
            % (datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), platform.node() or "host",
               os.cpu_count() or 0, qemu_version(), load[0], load[1]))


def free_ports(n, base=40000, span=20000):
    """n distinct host ports from the uid and pid, so that runs by one or
    several users do not collide; a range apart from qemu.pick_port's."""
    seed = os.getuid() * 7919 + os.getpid() * 53
    return [base + (seed + 7 * i) % span for i in range(n)]


def write_section(heading, text):
    """Replace (or append) the section "## heading" of docs/performance.md;
    text starts with that heading line. Other sections are kept."""
    old = ""
    if os.path.exists(PERF):
        with open(PERF) as f:
            old = f.read()
    if not old.strip():
        old = "# Performance\n\nEach number with the command that produced it and what it ran beside.\n"
    pat = re.compile(r"^## " + re.escape(heading) + r"\n.*?(?=^## |\Z)", re.M | re.S)
    if pat.search(old):
        new = pat.sub(lambda m: text.rstrip("\n") + "\n\n", old, count=1)
    else:
        new = old.rstrip("\n") + "\n\n" + text
    new = new.rstrip("\n") + "\n"
    os.makedirs(os.path.dirname(PERF), exist_ok=True)
    with open(PERF, "w") as f:
        f.write(new)


def stop(child):
    """Stop a pexpect child (a QEMU we spawned, or run.sh, which execs
    QEMU) by its PID; safe after it exited."""
    if child is None:
        return
    try:
        if child.isalive():
            child.terminate(force=True)
        child.close(force=True)
    except Exception:
        try:
            os.kill(child.pid, 9)
        except OSError:
            pass
