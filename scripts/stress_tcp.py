#!/usr/bin/python3
"""Stress for TCP against Linux: pcap-tests/test_tcp_linux.py again at
the issue's sizes (100 MB each way on a clean link, 10 MB each way on
the bad one, 10,000 connections closed and as many reset, 50 programs
exiting and 50 killed), printing each bulk run's rate.

usage: scripts/stress_tcp.py [pytest arguments]
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = {"TCP_BULK": 100 * 1000 * 1000, "TCP_LOSSY": 10 * 1000 * 1000,
         "TCP_SEQ": 10000, "TCP_EXITS": 50}


def main():
    env = dict(os.environ, **{k: str(v) for k, v in SIZES.items()})
    p = subprocess.run(["/usr/bin/python3", "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                        "pcap-tests/test_tcp_linux.py"] + sys.argv[1:],
                       cwd=ROOT, env=env, capture_output=True, text=True)
    print(p.stdout[-20000:], p.stderr[-4000:])
    print("\n".join(l for l in p.stdout.splitlines()
                    if l.startswith(("RATE", "SEQ", "netem.py"))))
    return p.returncode


if __name__ == "__main__":
    sys.exit(main())
