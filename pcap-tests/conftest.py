"""Fixtures that boot our kernel under QEMU for the tests in this folder.

Each test gets its own copy of build/fs.img (`fsimg`) and boots it with
`boot(cpus=2, image=None)`, or just uses `guest`, a machine already at the
shell prompt. Every QEMU a test started is stopped, by the PID spawned, when
the test ends, passed, failed or timed out. Each boot's console goes to
build/test-logs/<test>[-N].log, which is kept after the run.

The network tests boot with NET=dgram instead: `dgram_boot(cpus=2)` or
just `dgram_guest`, with `wire` (qemu.Wire) as the host's end of the
link. Each such boot captures its traffic to build/test-logs/<test>[-N].pcap,
which is kept only if the test failed.
"""
import os
import re

import pytest

from qemu import LOGDIR, Guest, Wire, copy_image


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Remember each phase's report on the item, so fixtures can tell in
    # their finalizers whether the test failed (and keep its pcap).
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def _failed(request):
    reps = [getattr(request.node, "rep_" + w, None) for w in ("setup", "call")]
    return any(r is None or r.failed for r in reps)


def _logpath(request, n):
    name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    return os.path.join(LOGDIR, "%s%s.log" % (name, "-%d" % n if n else ""))


@pytest.fixture
def fsimg(tmp_path):
    """Path of this test's private copy of build/fs.img."""
    try:
        return copy_image(tmp_path)
    except FileNotFoundError as e:
        pytest.fail(str(e))


@pytest.fixture
def boot(request, fsimg):
    """boot(cpus=2, image=None): start QEMU on image (default: this test's
    copy) and return the Guest at its first "$ " prompt."""
    guests = []

    def _boot(cpus=2, image=None):
        g = Guest(image or fsimg, cpus=cpus, log=_logpath(request, len(guests)))
        guests.append(g)   # before booting, so a failed boot is stopped too
        g.boot()
        return g

    yield _boot
    for g in guests:
        g.close()


@pytest.fixture
def guest(boot):
    """A machine with the default 2 harts, booted to the shell prompt."""
    return boot()


@pytest.fixture
def wire():
    """The host's end of a NET=dgram link (qemu.Wire)."""
    w = Wire()
    yield w
    w.close()


@pytest.fixture
def dgram_boot(request, fsimg, wire):
    """dgram_boot(cpus=2): start QEMU with NET=dgram wired to `wire` and a
    pcap of the link, and return the Guest at its first prompt. The pcap
    (guest.pcap) is deleted when the test passes."""
    guests = []

    def _boot(cpus=2):
        log = _logpath(request, len(guests))
        pcap = log[:-len(".log")] + ".pcap"
        os.makedirs(LOGDIR, exist_ok=True)
        makevars = dict(wire.makevars(), PCAP=pcap)
        g = Guest(fsimg, cpus=cpus, log=log, net="dgram", makevars=makevars)
        g.pcap = pcap
        guests.append(g)
        g.boot()
        return g

    yield _boot
    for g in guests:
        g.close()
    if not _failed(request):
        for g in guests:
            if os.path.exists(g.pcap):
                os.unlink(g.pcap)


@pytest.fixture
def dgram_guest(dgram_boot):
    """A machine with 2 harts on NET=dgram, booted to the shell prompt."""
    return dgram_boot()
