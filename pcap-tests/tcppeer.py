#!/usr/bin/python3
"""Linux's end of the TCP tests (test_tcp_linux.py, scripts/stress_tcp.py),
run inside the test's network namespace with `ip netns exec`. It speaks
through Linux's own sockets and prints one JSON line as its result
(after a line "listening" when it serves). Modes:

  send HOST PORT N         connect, send N bytes of the pattern, shut down
                           the sending side, wait for the peer's close
  recv HOST PORT           connect, receive until end of file
  serve PORT send N|recv   accept one connection, then as send or recv
  echo HOST PORT N         N connections open at once to an echo server,
                           each sending its own message, all read back
  seq HOST PORT N HOW      N connections one after another to an echo
                           server, each one message echoed, then closed
                           by close() (HOW=close) or a reset (HOW=rst,
                           SO_LINGER 0)
  hold HOST PORT           connect, send a little, print "connected", and
                           after a line on stdin (the peer was killed)
                           send until a reset answers

The pattern is tcpbulk's (apps/tcpbulk.c): byte i is the top byte of
(i mod 65521) * 2654435761 mod 2^32. pattern_sha256(n) gives its digest.
"""
import errno
import hashlib
import json
import socket
import struct
import sys
import time

PERIOD = 65521
TIMEOUT = 120


def block():
    return bytes(((k * 2654435761) & 0xffffffff) >> 24 for k in range(PERIOD))


def pattern(n):
    b = block()
    return (b * (n // PERIOD + 1))[:n]


def pattern_sha256(n):
    b = block()
    h = hashlib.sha256()
    for _ in range(n // PERIOD):
        h.update(b)
    h.update(b[:n % PERIOD])
    return h.hexdigest()


def dial(host, port, tries=5):
    """Connect, trying again while Linux finds no route: over the bad
    link its three ARP requests can all be lost (netem.py's losses fall
    on the same frames every run, and in 1 run of 8 on those three),
    and connect() then fails at once with EHOSTUNREACH, as it would for
    anyone on such a link; a person would try again."""
    for i in range(tries):
        try:
            return socket.create_connection((host, int(port)), timeout=TIMEOUT)
        except OSError as e:
            if e.errno != errno.EHOSTUNREACH or i == tries - 1:
                raise
            print("dial: %s, again" % e, file=sys.stderr, flush=True)
            time.sleep(1)


def drain(s, h=None):
    n = 0
    while True:
        d = s.recv(1 << 16)
        if not d:
            return n
        n += len(d)
        if h is not None:
            h.update(d)


def send(s, n):
    data = memoryview(pattern(n))
    t0 = time.monotonic()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    back = drain(s)
    secs = time.monotonic() - t0
    s.close()
    return {"bytes": n, "secs": secs, "sha256": hashlib.sha256(data).hexdigest(),
            "back": back}


def recv(s):
    h = hashlib.sha256()
    t0 = time.monotonic()
    n = drain(s, h)
    secs = time.monotonic() - t0
    s.close()
    return {"bytes": n, "secs": secs, "sha256": h.hexdigest()}


def serve(port, how, n=0):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", int(port)))
    ls.listen(1)
    ls.settimeout(TIMEOUT)
    print("listening", flush=True)
    s, peer = ls.accept()
    s.settimeout(TIMEOUT)
    ls.close()
    r = send(s, int(n)) if how == "send" else recv(s)
    r["peer"] = list(peer)
    return r


def recv_exactly(s, n):
    buf = bytearray()
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            break
        buf += d
    return bytes(buf)


def echo(host, port, n):
    conns = [dial(host, port) for _ in range(n)]
    msgs = [("linux client %03d; " % i).encode() * (1 + i % 13) for i in range(n)]
    for s, m in zip(conns, msgs):
        s.sendall(m)
    wrong = []
    for i, (s, m) in enumerate(zip(conns, msgs)):
        if recv_exactly(s, len(m)) != m:
            wrong.append(i)
    for s in conns:
        s.close()
    return {"conns": n, "wrong": wrong}


def seq(host, port, n, how):
    bad, t0 = [], time.monotonic()
    for i in range(n):
        m = b"seq %d\n" % i
        try:
            s = dial(host, port)
            s.sendall(m)
            if recv_exactly(s, len(m)) != m:
                bad.append(i)
            if how == "rst":
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        except OSError as e:
            bad.append("%d: %s" % (i, e))
            if len(bad) > 10:
                break
    return {"conns": n, "bad": bad, "secs": time.monotonic() - t0}


def hold(host, port):
    s = dial(host, port)
    s.sendall(b"x" * 1000)
    print("connected", flush=True)
    sys.stdin.readline()          # the peer is gone now
    t0 = time.monotonic()
    s.settimeout(10)
    try:
        for _ in range(20):       # until a reset answers what we send
            s.sendall(b"y" * 100)
            time.sleep(0.2)
        end = "no reset: %r" % drain(s)
    except (ConnectionResetError, BrokenPipeError):
        end = "reset"
    except socket.timeout:
        end = "timeout"
    return {"end": end, "secs": time.monotonic() - t0}


def main(argv):
    mode = argv[0]
    if mode == "send":
        r = send(dial(argv[1], argv[2]), int(argv[3]))
    elif mode == "recv":
        r = recv(dial(argv[1], argv[2]))
    elif mode == "serve":
        r = serve(argv[1], *argv[2:])
    elif mode == "echo":
        r = echo(argv[1], argv[2], int(argv[3]))
    elif mode == "seq":
        r = seq(argv[1], argv[2], int(argv[3]), argv[4])
    elif mode == "hold":
        r = hold(argv[1], argv[2])
    else:
        raise SystemExit("tcppeer: unknown mode %r" % mode)
    print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
