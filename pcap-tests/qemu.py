"""Boot our kernel under QEMU and talk to its console.

The QEMU command line comes from `make print-qemu`, so the harness and
`make qemu` cannot drift apart. Every QEMU this module starts is stopped
by the PID it spawned (Guest.close, and an atexit hook as a last resort);
nothing here looks processes up by name.

Used by conftest.py (tests) and scripts/bench.py (boot time). Wire is the
host's end of NET=dgram: it moves frames as bytes and parses none. Nothing
here parses what a test asserts on; that stays in the tests.
"""
import atexit
import os
import re
import shlex
import socket
import subprocess
import time

import pexpect

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# TEST_BUILD points the harness at another build directory (make B=...).
BUILD = os.environ.get("TEST_BUILD") or os.path.join(ROOT, "build")
LOGDIR = os.path.join(BUILD, "test-logs")
PROMPT = r"\$ "
BOOT_TIMEOUT = 30

_live = {}          # pid -> pexpect child, for the atexit hook
_nport = 0


def pick_port():
    """A host port for hostfwd, derived from uid and pid (as xv6 derives
    its GDB port) so parallel runs by one or several users do not collide;
    each boot in this process gets the next one."""
    global _nport
    _nport += 1
    return 30000 + (os.getuid() * 7919 + os.getpid() * 31 + _nport) % 20000


def port_free(port):
    """Is port free on 127.0.0.1 for both TCP and UDP?"""
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_port():
    """A pick_port() that port_free() finds free, for a forward."""
    for _ in range(200):
        port = pick_port()
        if port_free(port):
            return port
    raise RuntimeError("no free host port for a forward")


def qemu_cmdline(fsimg, cpus=2, port=None, net="user", makevars=None):
    """The QEMU argv `make qemu` would run, for this image, CPU count and
    forwarded host port (host 127.0.0.1:port -> guest port 80); makevars
    adds Makefile knobs (NET_LPORT, NET_RPORT, PCAP, ...)."""
    if port is None:
        port = pick_port()
    # Tests boot with netd's DHCP client off unless they ask for it: a
    # lease from slirp makes /etc/resolv.conf name 10.0.2.3, which slirp
    # forwards to the host's real resolver, and no test may reach an
    # outside address (test_dhcp.py turns it on where it checks it).
    makevars = dict({"DHCP": "0"}, **(makevars or {}))
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    out = subprocess.run(
        ["make", "-s", "--no-print-directory", "print-qemu",
         "FSIMG=" + fsimg, "NET=" + net, "CPUS=%d" % cpus,
         "HOSTFWD=hostfwd=tcp:127.0.0.1:%d-:80" % port, "B=" + BUILD]
        + ["%s=%s" % kv for kv in sorted((makevars or {}).items())],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    lines = [l for l in out.splitlines() if l.startswith("qemu-system")]
    if not lines:
        raise RuntimeError("make print-qemu printed no qemu command: %r" % out)
    return shlex.split(lines[-1])


def copy_image(dst_dir, name="fs.img", src=None):
    """A private copy of build/fs.img (or of src): tests write to their disk."""
    src = src or os.path.join(BUILD, "fs.img")
    if not os.path.exists(src) or not os.path.exists(os.path.join(BUILD, "kernel", "kernel")):
        raise FileNotFoundError("build/fs.img or build/kernel/kernel missing: run make first")
    dst = os.path.join(str(dst_dir), name)
    # The image is sparse (mkfs writes only the blocks it fills): copy
    # it so, or each test would write 128 MiB of zeros. cp shares the
    # blocks outright where the file system can (reflink).
    subprocess.run(["cp", "--sparse=always", "--reflink=auto", src, dst], check=True)
    return dst


def _kill_leftovers():
    for pid, child in list(_live.items()):
        try:
            child.terminate(force=True)
        except Exception:
            pass
        _live.pop(pid, None)


atexit.register(_kill_leftovers)


class Guest:
    """One QEMU running our kernel, with its console on a pty."""

    def __init__(self, fsimg, cpus=2, log=None, port=None, net="user", makevars=None):
        self.fsimg = fsimg
        self.cpus = cpus
        self.port = port if port is not None else pick_port()
        self.argv = qemu_cmdline(fsimg, cpus, self.port, net, makevars)
        self.logpath = log
        self.logfile = None
        self.child = None

    def start(self):
        """Spawn QEMU; returns the spawn time (time.monotonic())."""
        if self.logpath:
            os.makedirs(os.path.dirname(self.logpath), exist_ok=True)
            self.logfile = open(self.logpath, "w")
            self.logfile.write("# " + " ".join(shlex.quote(a) for a in self.argv) + "\n")
            self.logfile.flush()
        t0 = time.monotonic()
        self.child = pexpect.spawn(self.argv[0], self.argv[1:], cwd=ROOT,
                                   encoding="utf-8", codec_errors="replace",
                                   echo=False, timeout=BOOT_TIMEOUT,
                                   logfile=None, dimensions=(50, 200))
        self.child.logfile_read = self.logfile
        _live[self.child.pid] = self.child
        return t0

    def boot(self, timeout=BOOT_TIMEOUT):
        """Start QEMU and wait for the shell's first prompt."""
        t0 = self.start()
        self.expect(PROMPT, timeout=timeout, what="the first shell prompt")
        return time.monotonic() - t0

    @property
    def pid(self):
        return self.child.pid if self.child else None

    def tail(self, n=30):
        """The last n lines of the console log, for failure messages."""
        if not self.logpath or not os.path.exists(self.logpath):
            return ""
        if self.logfile:
            self.logfile.flush()
        with open(self.logpath, errors="replace") as f:
            return "".join(f.readlines()[-n:])

    def expect(self, pattern, timeout=30, what=None):
        """Wait for pattern (a regex or a list of them); on timeout or QEMU
        exiting, fail with the console's last lines."""
        try:
            return self.child.expect(pattern, timeout=timeout)
        except pexpect.TIMEOUT:
            raise AssertionError("timed out after %d s waiting for %s; console ends:\n%s"
                                 % (timeout, what or pattern, self.tail()))
        except pexpect.EOF:
            raise AssertionError("QEMU exited while waiting for %s; console ends:\n%s"
                                 % (what or pattern, self.tail()))

    def sendline(self, line):
        self.child.send(line + "\n")

    def run(self, cmd, timeout=30):
        """Type cmd at the shell and return what it printed before the next
        prompt, without the console's echo of cmd itself."""
        self.sendline(cmd)
        self.expect(PROMPT, timeout=timeout, what="the prompt after %r" % cmd)
        out = self.child.before.replace("\r", "")
        first, _, rest = out.partition("\n")
        if cmd.strip() and cmd.strip() in first:
            return rest
        return out

    def wait_exit(self, timeout=60):
        """Wait for QEMU to exit by itself (the kernel powered off)."""
        self.expect(pexpect.EOF, timeout=timeout, what="QEMU to exit")
        self.child.wait()
        _live.pop(self.child.pid, None)
        return self.child.exitstatus

    def close(self):
        """Stop QEMU (by the PID we spawned) and close the log. Safe to call
        twice and after QEMU exited."""
        if self.child is not None:
            try:
                if self.child.isalive():
                    self.child.terminate(force=True)
                self.child.close(force=True)
            except Exception:
                try:
                    os.kill(self.child.pid, 9)
                except OSError:
                    pass
            _live.pop(self.child.pid, None)
        if self.logfile:
            self.logfile.close()
            self.logfile = None


def result_lines(text):
    """(name, 'OK'|'FAILED') for every `test NAME: OK|FAILED` line."""
    return re.findall(r"test (\w+): (OK|FAILED)", text)


def _port_free(port, kind):
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


class Wire:
    """The host end of NET=dgram. QEMU sends each frame the guest
    transmits as one UDP datagram to 127.0.0.1:rport, where our socket
    listens, and takes each datagram sent to 127.0.0.1:lport as a frame
    received. Both ports derive from uid and pid (as pick_port does) and
    are checked free before use."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        base = 20000 + (os.getuid() * 7919 + os.getpid() * 31) % 9000
        for i in range(0, 2000, 2):
            r = 20000 + (base - 20000 + i) % 10000
            if not _port_free(r + 1, socket.SOCK_DGRAM):
                continue
            try:
                self.sock.bind(("127.0.0.1", r))
            except OSError:
                continue
            self.rport, self.lport = r, r + 1
            break
        else:
            raise RuntimeError("no free UDP port pair for NET=dgram")

    def makevars(self):
        return {"NET_LPORT": self.lport, "NET_RPORT": self.rport}

    def send(self, frame):
        """Inject one Ethernet frame (bytes) into the guest's NIC."""
        self.sock.sendto(bytes(frame), ("127.0.0.1", self.lport))

    def recv(self, timeout=5.0):
        """The next frame the guest sent, or None after timeout seconds."""
        self.sock.settimeout(timeout)
        try:
            data, _ = self.sock.recvfrom(65536)
            return data
        except socket.timeout:
            return None

    def drain(self):
        """Throw away frames already waiting; returns how many."""
        n = 0
        while self.recv(0.01) is not None:
            n += 1
        return n

    def close(self):
        self.sock.close()
