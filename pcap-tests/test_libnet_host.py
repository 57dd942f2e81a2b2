"""libnet on the Linux host, no QEMU: its unit tests (`make host-test`,
every layer under ASan and UBSan, the stateful ones on loop.c's
in-memory device) and its fuzzers (`make fuzz`, FUZZTIME seconds each,
the parsers and the whole stack), so `make test` runs them too.
Failing output is quoted in the assertion; fuzzer crash inputs and logs
stay in build/host/fuzz/.
"""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUZZTIME = 5          # seconds per fuzz target; there are seven
TIMEOUT = 900         # building everything under sanitizers included


def make(*args):
    p = subprocess.run(["make", "-C", ROOT] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=TIMEOUT)
    return p.returncode, p.stdout


def tail(out, n=60):
    return "\n".join(out.splitlines()[-n:])


def test_libnet_host_unit_tests_pass():
    rc, out = make("host-test")
    assert rc == 0, "make host-test failed:\n" + tail(out)
    assert " passed, 0 failed" in out, tail(out)


def test_libnet_fuzzers_find_nothing():
    rc, out = make("fuzz", "FUZZTIME=%d" % FUZZTIME)
    assert rc == 0, "make fuzz failed:\n" + tail(out)
    assert "fuzz_stack: " in out and "no findings" in out, tail(out)
