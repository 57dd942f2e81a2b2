"""The kernel as a whole, driven through its console: usertests, the shell,
faults in user programs, crash recovery of the file system, and several
harts. The network has its own test files.
"""
import os
import re
import socket
import time

import pexpect
import pytest

from qemu import LOGDIR, PROMPT, Guest

USERTESTS_TIMEOUT = 600   # the whole quick set under TCG
ONE_TEST_TIMEOUT = 180    # usertests itself kills a test after 120 s
RESULT = r"test (\w+): (OK|FAILED)"
END = [r"ALL TESTS PASSED", r"SOME TESTS FAILED"]
PANIC = r"panic[:!]?[^\n]*"
BACKATSHELL = r"\n\$ "      # usertests died without a verdict


def run_usertests(g, args="", timeout=USERTESTS_TIMEOUT):
    """Type `usertests args` and follow its output to the end.
    Returns (results, final, text): results is a list of
    (name, "OK"|"FAILED", what it printed since the previous result),
    final the last line ("ALL TESTS PASSED" or "SOME TESTS FAILED") and
    text all of it."""
    g.sendline(("usertests " + args).strip())
    deadline = time.monotonic() + timeout
    results, text = [], []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("usertests still running after %d s; done so far: %s\n%s"
                                 % (timeout, [r[0] for r in results], g.tail()))
        i = g.expect([RESULT] + END + [PANIC, BACKATSHELL], timeout=min(left, ONE_TEST_TIMEOUT),
                     what="usertests' next result (after %s)"
                     % (results[-1][0] if results else "none"))
        m = g.child.match
        text.append(g.child.before + m.group(0))
        if i == 0:
            results.append((m.group(1), m.group(2), g.child.before.replace("\r", "")))
        elif i == 3:
            time.sleep(0.5)
            raise AssertionError("kernel panic during usertests: %s\n%s"
                                 % (m.group(0), g.tail(40)))
        elif i == 4:
            raise AssertionError("usertests ended without a verdict after %s\n%s"
                                 % ([r[:2] for r in results], g.tail(40)))
        else:
            final = m.group(0)
            break
    g.expect(PROMPT, timeout=30, what="the prompt after usertests")
    text.append(g.child.before)
    return results, final, "".join(text).replace("\r", "")


def describe_failures(results):
    lines = []
    for name, status, detail in results:
        if status == "FAILED":
            said = [l for l in detail.splitlines() if l.strip()]
            lines.append("  %s:\n    %s" % (name, "\n    ".join(said[-6:]) or "(printed nothing)"))
    return "\n".join(lines)


def test_usertests(guest):
    results, final, text = run_usertests(guest)
    failed = [r[0] for r in results if r[1] == "FAILED"]
    ok = [r[0] for r in results if r[1] == "OK"]
    assert not failed, "usertests FAILED: %s\n%s" % (", ".join(failed), describe_failures(results))
    assert len(ok) >= 40, "only %d usertests passed: %s" % (len(ok), ok)
    free = re.search(r"free pages: .*", text)
    assert final == "ALL TESTS PASSED", "usertests ended with %r (%s)" % (
        final, free.group(0) if free else "no free-pages line")


def test_shell(guest):
    out = guest.run("ls")
    for name in ("README.md", "usertests", "echo", "sh"):
        assert re.search(r"(^|\s)%s(\s|$)" % re.escape(name), out, re.M), \
            "ls does not list %s:\n%s" % (name, out)

    out = guest.run("echo hello | wc")
    assert re.search(r"\b1\s+1\s+6\b", out), "echo hello | wc printed %r" % out

    out = guest.run("cat README.md | grep riscv")
    lines = [l for l in out.splitlines() if l.strip()]
    assert lines and all("riscv" in l for l in lines), \
        "cat README.md | grep riscv printed %r" % out

    guest.run("echo redirected > rtest")
    out = guest.run("cat rtest")
    assert out.strip() == "redirected", "cat after > printed %r" % out
    out = guest.run("wc < rtest")
    assert re.search(r"\b1\s+1\s+11\b", out), "wc < rtest printed %r" % out
    guest.run("rm rtest")
    out = guest.run("cat rtest")
    assert "redirected" not in out, "rm rtest left the file behind"

    # A background job: the prompt must come back before the job ends.
    t0 = time.monotonic()
    guest.sendline("sleep 1 &")
    guest.expect(PROMPT, timeout=10, what="the prompt after sleep 1 &")
    dt = time.monotonic() - t0
    assert dt < 0.9, "prompt came back %.2f s after sleep 1 &" % dt
    assert "after" in guest.run("echo after")
    time.sleep(1.5)
    assert "done" in guest.run("echo done")


FAULT = r"pid (\d+) fault: killed: ([^\n]*?) at 0x([0-9a-f]+)"


def test_fault(guest):
    out = guest.run("fault")
    m = re.search(FAULT, out)
    assert m, "no kill message from fault:\n%s" % out
    assert "fault" in m.group(2), "cause %r does not say which fault" % m.group(2)
    assert "alive" in guest.run("echo alive"), "shell dead after fault"

    out = guest.run("fault ill")
    m = re.search(FAULT, out)
    assert m, "no kill message from fault ill:\n%s" % out
    assert "illegal" in m.group(2), "cause %r is not an illegal instruction" % m.group(2)
    assert "alive" in guest.run("echo alive"), "shell dead after fault ill"


# The rewrite is one transaction: 3 data blocks and the inode go to the
# log (disk writes 1-4), the commit record (5), the installs (6-9), the
# cleared header (10). A crash after 3 writes stops it before the commit:
# recovery must keep the old 'A's. A crash after 6 stops it mid-install:
# recovery must replay the log and give the new 'B's.
@pytest.mark.parametrize("point,survivor", [(3, "A"), (6, "B")])
def test_crash_recovery(boot, fsimg, point, survivor):
    g = boot()
    g.sendline("usertests crashwrite %d" % point)
    g.expect(r"crashwrite: prepared", timeout=60, what="crashwrite: prepared")
    i = g.expect([pexpect.EOF, r"crashwrite: no crash[^\n]*", PANIC], timeout=60,
                 what="QEMU to power off mid-write")
    assert i == 0, "the machine did not crash: %s\n%s" % (g.child.after, g.tail())
    g.close()

    g2 = boot(image=fsimg)   # the same disk, after the crash
    results, final, text = run_usertests(g2, "crashcheck", timeout=120)
    assert [r[:2] for r in results] == [("crashcheck", "OK")], \
        "crashcheck after a crash at write %d:\n%s" % (point, describe_failures(results))
    m = re.search(r"crashcheck: content ([AB])", text)
    assert m, "crashcheck did not say which content survived:\n%s" % text
    assert m.group(1) == survivor, \
        "crash after %d writes: %s survived, wanted %s" % (point, m.group(1), survivor)
    assert final == "ALL TESTS PASSED", text


def test_smp(boot):
    g = boot(cpus=4)
    results, final, text = run_usertests(g, "parallel pingpong concreate pipebig forkfull",
                                         timeout=300)
    failed = [r[0] for r in results if r[1] == "FAILED"]
    assert not failed, "with 4 harts FAILED: %s\n%s" % (", ".join(failed), describe_failures(results))
    m = re.search(r"parallel: \d+ children, up to (\d+) ran at once", text)
    assert m, "parallel did not report:\n%s" % text
    assert int(m.group(1)) >= 3, "with 4 harts only %s children ever ran at once" % m.group(1)
    assert final == "ALL TESTS PASSED", text


def monitor(path, command, timeout=10):
    """Run one QEMU monitor command over the unix socket at path and
    return what it printed."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(path)
    try:
        def until_prompt():
            buf = b""
            while not buf.endswith(b"(qemu) "):
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
            return buf.decode("utf-8", "replace")
        until_prompt()                       # the banner
        s.sendall(command.encode() + b"\n")
        return until_prompt()
    finally:
        s.close()


MACHINE_INTERRUPTS = (1 << 3) | (1 << 7) | (1 << 11)   # MSIP, MTIP, MEIP


def test_no_machine_interrupt_left_pending(fsimg, tmp_path):
    """Nothing runs in machine mode after start(), so no machine-level
    interrupt may stay pending. One did: the CLINT's mtimecmp resets to
    0, so MTIP was pending from boot, and while any interrupt is pending
    QEMU's TCG takes its global lock at every exit from translated code,
    which kept each hart waiting for the device emulation (raw TX ran
    about 20% slower). start() now parks mtimecmp."""
    sock = str(tmp_path / "monitor.sock")
    g = Guest(fsimg, cpus=2, log=os.path.join(LOGDIR, "test_no_machine_interrupt.log"))
    g.argv += ["-monitor", "unix:%s,server,nowait" % sock]
    try:
        g.boot()
        regs = monitor(sock, "info registers -a")
    finally:
        g.close()
    mips = [int(v, 16) for v in re.findall(r"\bmip\s+([0-9a-fA-F]+)", regs)]
    assert len(mips) == 2, "no mip for each of 2 harts in:\n%s" % regs
    for hart, mip in enumerate(mips):
        assert mip & MACHINE_INTERRUPTS == 0, \
            "hart %d has machine-level interrupts pending: mip=%#x" % (hart, mip)


RNG_FALLBACK = "virtio-rng: not found, getrandom falls back to timer jitter"


def test_getrandom_uses_the_entropy_device(guest):
    # make qemu's default machine has virtio-rng-device: no fallback
    # line at boot, and GRND_DEVICE (no fallback allowed) gives bytes.
    with open(guest.logpath, errors="replace") as f:
        boot = f.read()
    assert RNG_FALLBACK not in boot, boot
    results, final, text = run_usertests(guest, "getrandom rngdev")
    assert [r[:2] for r in results] == [("getrandom", "OK"), ("rngdev", "OK")], text
    assert final == "ALL TESTS PASSED", text


def test_getrandom_without_the_device_falls_back_and_says_so(request, fsimg):
    # make RNG=0 boots without virtio-rng-device: the kernel says at boot
    # that getrandom falls back to timer jitter, getrandom still passes
    # its checks, and GRND_DEVICE says -ENODEV.
    from conftest import _logpath
    g = Guest(fsimg, cpus=2, log=_logpath(request, 0), makevars={"RNG": "0"})
    try:
        assert "virtio-rng-device" not in " ".join(g.argv), g.argv
        g.start()
        g.expect(re.escape(RNG_FALLBACK), timeout=30, what="the fallback line at boot")
        g.expect(PROMPT, timeout=30, what="the first shell prompt")
        results, final, text = run_usertests(g, "getrandom rngnodev")
        assert [r[:2] for r in results] == [("getrandom", "OK"), ("rngnodev", "OK")], text
        assert final == "ALL TESTS PASSED", text
    finally:
        g.close()


def test_prof_samples_ticks_and_counts_events(guest):
    # kernel/prof.c: a second of samples from both harts, charged to the
    # processes they interrupted, and the events counted meanwhile.
    assert guest.run("prof start").strip() == ""
    guest.run("sleep 1")            # ticks: HZ 1000, 1 s on each hart
    out = guest.run("prof -n 10")
    m = re.search(r"prof: (\d+) samples, (\d+) dropped, (\d+) in the kernel", out)
    assert m, out
    samples, dropped, kernel = map(int, m.groups())
    assert samples >= 1000 and dropped == 0 and kernel <= samples, out
    ev = dict((k, int(v)) for k, v in re.findall(r" (\w+) (\d+)", re.search(r"prof: events([^\r\n]*)", out).group(1)))
    assert ev["timerintrs"] >= samples and ev["syscalls"] > 0, ev
    rows = re.findall(r"^(\d+) (\d+) (\S+) ([0-9a-f]+)\r?$", out, re.M)
    assert 0 < len(rows) <= 10 and sum(int(r[0]) for r in rows) <= samples, rows
    assert [int(r[0]) for r in rows] == sorted((int(r[0]) for r in rows), reverse=True), rows


def test_prof_counts_the_faults_on_a_given_back_buffer(guest):
    # nettests givenback writes to an RX buffer it gave back: the page
    # fault lands on the channel's scratch page (netchan_fault), and prof
    # counts it, so a profile shows when a workload pays for such traps.
    assert guest.run("prof start").strip() == ""
    out = guest.run("nettests givenback", timeout=60)
    assert "ALL TESTS PASSED" in out, out
    out = guest.run("prof -n 1")
    ev = dict((k, int(v)) for k, v in re.findall(r" (\w+) (\d+)", re.search(r"prof: events([^\r\n]*)", out).group(1)))
    assert ev["netfaults"] >= 1, ev
