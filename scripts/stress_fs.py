#!/usr/bin/python3
"""Stress for the file system: pcap-tests/test_fs.py's huge file at 64 MiB,
the largest size a file reaches (MAXFILE is 64.26 MiB), printing each
phase's time.

usage: scripts/stress_fs.py [pytest arguments]
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    env = dict(os.environ, FS_HUGE_MB="64")
    p = subprocess.run(["/usr/bin/python3", "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                        "pcap-tests/test_fs.py", "-k", "huge_file"] + sys.argv[1:],
                       cwd=ROOT, env=env, capture_output=True, text=True)
    print(p.stdout[-20000:], p.stderr[-4000:])
    return p.returncode


if __name__ == "__main__":
    sys.exit(main())
