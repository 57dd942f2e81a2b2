"""libnet's sockets between processes in the guest (apps/libnettests.c):
UDP over loopback at several sizes and fragmented, ping to ourselves,
ECONNREFUSED from netd's port unreachable, timeouts, non-blocking
calls, poll over a socket and a pipe, EADDRINUSE. Booted on NET=dgram,
though the tests use only loopback.
"""
import re

import pytest

from qemu import PROMPT

LIBNETTESTS_TIMEOUT = 180


@pytest.mark.parametrize("cpus", [2, 4])
def test_libnettests_pass(dgram_boot, cpus):
    g = dgram_boot(cpus=cpus)
    g.sendline("libnettests")
    i = g.expect([r"ALL TESTS PASSED", r"SOME TESTS FAILED", r"panic[^\n]*"],
                 timeout=LIBNETTESTS_TIMEOUT, what="libnettests to finish")
    out = g.child.before.replace("\r", "")
    g.expect(PROMPT, what="the prompt after libnettests")
    failed = re.findall(r"test (\w+): FAILED", out)
    assert i == 0, "libnettests: %s failed\n%s" % (", ".join(failed) or g.child.match.group(0), out)
    assert len(re.findall(r"test (\w+): OK", out)) == 7, out
