#!/usr/bin/python3
"""mkblob.py SIZE: write SIZE bytes ("1k", "64k", "1m" or a plain number)
of deterministic content to stdout: SHA-256 of "0", "1", "2"... one
digest after another, cut to size. httpd's test files (/www/1k ...) are
made so, and pcap-tests/test_httpd.py checks what it downloads against
the same bytes."""
import hashlib
import sys


def size(arg):
    mult = {"k": 1024, "m": 1024 * 1024}.get(arg[-1:].lower(), 1)
    return int(arg[:-1] if mult > 1 else arg) * mult


def blob(n):
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(b"%d" % i).digest()
        i += 1
    return bytes(out[:n])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: mkblob.py size")
    sys.stdout.buffer.write(blob(size(sys.argv[1])))
