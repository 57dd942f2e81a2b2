"""Fixtures that boot our kernel under QEMU for the tests in this folder.

Each test gets its own copy of build/fs.img (`fsimg`) and boots it with
`boot(cpus=2, image=None)`, or just uses `guest`, a machine already at the
shell prompt. Every QEMU a test started is stopped, by the PID spawned, when
the test ends, passed, failed or timed out. Each boot's console goes to
build/test-logs/<test>[-N].log, which is kept after the run.
"""
import os
import re

import pytest

from qemu import LOGDIR, Guest, copy_image


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
