"""libnet built for the Linux host, on a tap device, against Linux's own
stack: the second backend beside the guest's channel. A network
namespace of our own holds the tap (10.0.2.2/24 on Linux's side); the
host-built `tapecho` (libnet under ASan and UBSan) is 10.0.2.15 on it.
Linux pings it and exchanges UDP with it. Nothing leaves the namespace."""
import os
import select
import shutil
import subprocess
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAPECHO = os.path.join(ROOT, "build", "host", "libnet", "test", "tapecho")


def sh(*args, check=True):
    return subprocess.run(list(args), check=check, capture_output=True, text=True)


@pytest.fixture
def tapns():
    # CI runs as root: a missing privilege or tool is a failure to see,
    # not a reason to pass quietly.
    assert os.geteuid() == 0, ("test_libnet_tap needs root (ip netns, /dev/net/tun); "
                               "run the tests as root, e.g. sudo make test")
    assert shutil.which("ip") is not None, ("test_libnet_tap needs iproute2's ip: "
                                            "apt-get install iproute2 (scripts/setup.sh)")
    assert os.path.exists("/dev/net/tun"), ("test_libnet_tap needs /dev/net/tun: "
                                            "modprobe tun, or give the container the device")
    r = subprocess.run(["make", "-s", "host-tap"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, "make host-tap failed:\n" + r.stdout + r.stderr
    ns = "lntap%d" % os.getpid()
    sh("ip", "netns", "add", ns)
    proc = None
    try:
        ex = ["ip", "netns", "exec", ns]
        sh(*ex, "ip", "link", "set", "lo", "up")
        sh(*ex, "ip", "tuntap", "add", "dev", "tap0", "mode", "tap")
        sh(*ex, "ip", "addr", "add", "10.0.2.2/24", "dev", "tap0")
        sh(*ex, "ip", "link", "set", "tap0", "up")
        proc = subprocess.Popen(ex + [TAPECHO, "tap0"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([proc.stdout], [], [], 10)
        assert ready and "ready" in proc.stdout.readline(), "tapecho did not start"
        yield ns, ex
    finally:
        if proc is not None:
            proc.kill()
            _, err = proc.communicate(timeout=10)
            # a sanitizer report is a failure even if every exchange worked
            assert "ERROR: AddressSanitizer" not in err and "runtime error" not in err, err
        sh("ip", "netns", "del", ns, check=False)


def run_in(ex, code):
    r = subprocess.run(ex + ["/usr/bin/python3", "-c", textwrap.dedent(code)],
                       capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def test_linux_pings_host_built_libnet_over_tap(tapns):
    ns, ex = tapns
    rc, out = run_in(ex, """
        import socket, struct, time
        def csum(b):
            s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
            s = (s >> 16) + (s & 0xffff); s += s >> 16
            return ~s & 0xffff
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        s.settimeout(3)
        got = 0
        for seq in range(3):
            h = struct.pack('!BBHHH', 8, 0, 0, 0x4242, seq) + b'libnet-on-tap!!!'
            h = h[:2] + struct.pack('!H', csum(h)) + h[4:]
            s.sendto(h, ('10.0.2.15', 0))
            while True:
                d, a = s.recvfrom(2048)
                ic = d[(d[0] & 15) * 4:]
                if ic[0] == 0 and struct.unpack('!HH', ic[4:8]) == (0x4242, seq):
                    assert ic[8:] == b'libnet-on-tap!!!'
                    got += 1
                    break
        print('replies', got)
        """)
    assert rc == 0 and "replies 3" in out, out


def test_linux_exchanges_udp_with_host_built_libnet_over_tap(tapns):
    ns, ex = tapns
    rc, out = run_in(ex, """
        import socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(3)
        for size in (1, 100, 1472, 3000):   # 3000: fragmented both ways
            msg = bytes(i % 251 for i in range(size))
            s.sendto(msg, ('10.0.2.15', 7))
            d, a = s.recvfrom(4096)
            assert d == msg and a == ('10.0.2.15', 7), (len(d), a)
        print('echoed')
        """)
    assert rc == 0 and "echoed" in out, out
