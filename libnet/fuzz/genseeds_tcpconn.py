# Generate libnet/fuzz/corpus/fuzz_tcpconn (records as at the top of fuzz_tcpconn.c):
#   /usr/bin/python3 libnet/fuzz/genseeds_tcpconn.py libnet/fuzz/corpus/fuzz_tcpconn
import os, struct, sys

FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16

def rec(conn, flags, seq=0, ack=0, win=65535, ts=True, sacks=(), big=False, app=0, synopts=False,
        tsd=1, clock=0, data=b""):
    ctl = (1 if ts else 0) | (len(sacks) << 1) | (8 if big else 0) | (app << 4) | (0x80 if synopts else 0)
    b = bytes([conn | flags << 2, ctl]) + struct.pack(">hhH", seq, ack, win)
    b += bytes([tsd & 0xff, clock, len(data), 0])
    for s, n in sacks:
        b += struct.pack(">hH", s, n)
    return b + data

seeds = {
    "data_in_order": rec(0, ACK | PSH, data=b"x" * 200) + rec(0, ACK | PSH, seq=0, data=b"y" * 200),
    "ooo_then_fill": rec(0, ACK, seq=500, data=b"o" * 100) + rec(0, ACK, seq=0, data=b"i" * 250),
    "ack_active": rec(1, ACK, ack=1000) + rec(1, ACK, ack=1000) + rec(1, ACK, ack=3000),
    "dupacks_sack": b"".join(rec(1, ACK, sacks=[(1000, 1000)]) for _ in range(4)) + rec(1, ACK, ack=3000),
    "zero_window": rec(1, ACK, win=0, clock=0x41) + rec(1, ACK, win=0, clock=0x42) + rec(1, ACK, win=65535),
    "finwait_fin": rec(2, ACK, ack=101) + rec(2, ACK, ack=102) + rec(2, ACK | FIN, clock=0x80),
    "closing": rec(2, ACK | FIN) + rec(2, ACK, ack=102, clock=0xc1),
    "close_wait_last_ack": rec(0, ACK | FIN) + rec(0, ACK, app=7) + rec(0, ACK, ack=1),
    "rst_challenge": rec(0, RST, seq=100) + rec(0, RST) + rec(1, SYN | ACK, seq=5),
    "new_syn": rec(3, SYN, synopts=True) + rec(3, ACK, seq=1) + rec(3, ACK | PSH, seq=1, data=b"hi"),
    "paws_old": rec(0, ACK, tsd=-5, data=b"z" * 10) + rec(0, ACK, tsd=5, data=b"z" * 10),
    "timeouts": rec(1, ACK, clock=0xff) + rec(2, ACK, clock=0xff) + rec(1, ACK, clock=0xff),
    "app_calls": rec(0, ACK, app=4) + rec(0, ACK, data=b"q" * 50, app=5) + rec(1, ACK, app=6) + rec(2, ACK, app=7),
}
os.makedirs(sys.argv[1], exist_ok=True)
for name, b in seeds.items():
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        f.write(b)
