# Generate libnet/fuzz/corpus/fuzz_stack with scapy:
#   /usr/bin/python3 libnet/fuzz/genseeds_stack.py libnet/fuzz/corpus/fuzz_stack
# Seeds for libnet/fuzz/fuzz_stack.c: a control byte, then one frame, or
# several each with a 2-byte big-endian length (see the top of fuzz_stack.c).
import os, struct, sys
from scapy.all import Ether, ARP, IP, UDP, TCP, ICMP, Raw, fragment, raw, IPOption_Router_Alert

out = sys.argv[1]
ME, GW, PEER = "10.0.2.15", "10.0.2.2", "10.0.2.3"
MYMAC, GWMAC, PEERMAC = "52:54:00:12:34:56", "52:55:0a:00:02:02", "52:55:0a:00:02:03"
BC = "ff:ff:ff:ff:ff:ff"

def eth(src=GWMAC, dst=MYMAC):
    return Ether(src=src, dst=dst)

def pad(b):
    return b + b"\0" * max(0, 60 - len(b))

def one(ctl, frame):
    return bytes([ctl]) + pad(raw(frame))

def many(ctl, frames):
    b = bytes([ctl | (len(frames) - 1)])
    for f in frames:
        f = pad(raw(f))
        b += struct.pack(">H", len(f)) + f
    return b

seeds = {}
seeds["arp_req"] = one(0, eth(dst=BC) / ARP(op=1, hwsrc=GWMAC, psrc=GW, pdst=ME))
# a 3000-byte datagram to PEER waits behind ARP; the reply releases it
seeds["arp_rep_release"] = one(0x80, eth(src=PEERMAC) / ARP(op=2, hwsrc=PEERMAC, psrc=PEER, hwdst=MYMAC, pdst=ME))
seeds["arp_unanswered"] = one(0x80 | 0x10, eth(dst=BC) / ARP(op=1, hwsrc=GWMAC, psrc=GW, pdst="10.0.2.99"))
ping = bytes(range(0x10, 0x38))
seeds["icmp_echo"] = one(0, eth() / IP(src=GW, dst=ME, id=1, flags="DF") / ICMP(type=8, id=0x1c46, seq=1) / ping)
seeds["icmp_echo_bcast"] = one(0, eth(dst=BC) / IP(src=GW, dst="10.0.2.255") / ICMP(type=8, id=1, seq=1) / ping)
seeds["icmp_reply"] = one(0, eth() / IP(src=GW, dst=ME) / ICMP(type=0, id=0x1c46, seq=1) / ping)
ourudp = IP(src=ME, dst=GW, id=5) / UDP(sport=49152, dport=9) / b"payload!"
seeds["icmp_unreach"] = one(0, eth() / IP(src=GW, dst=ME) / ICMP(type=3, code=3) / raw(ourudp)[:28])
ourecho = IP(src=ME, dst="10.9.0.2", ttl=1) / ICMP(type=8, id=0x1c46, seq=2)
seeds["icmp_timxceed"] = one(0, eth() / IP(src=GW, dst=ME) / ICMP(type=11, code=0) / raw(ourecho)[:28])
seeds["icmp_paramprob"] = one(0, eth() / IP(src=GW, dst=ME) / ICMP(type=12, code=0, ptr=20) / raw(ourudp)[:28])
# errors ipv4_ctlinput hands to TCP, or refuses: a later fragment's quote, SCTP's
ourtcp = IP(src=ME, dst=GW, id=6) / TCP(sport=49153, dport=80, flags="S", seq=1000)
seeds["icmp_unreach_tcp"] = one(0, eth() / IP(src=GW, dst=ME) / ICMP(type=3, code=1) / raw(ourtcp)[:28])
ourfrag = IP(src=ME, dst=GW, id=7, flags="MF", frag=185, proto=17) / (b"f" * 16)
seeds["icmp_unreach_frag"] = one(0, eth() / IP(src=GW, dst=ME) / ICMP(type=3, code=3) / raw(ourfrag)[:28])
oursctp = IP(src=ME, dst=GW, id=8, proto=132) / (b"s" * 16)
seeds["icmp_unreach_sctp"] = one(0, eth() / IP(src=GW, dst=ME) / ICMP(type=3, code=2) / raw(oursctp)[:28])
seeds["udp_port7"] = one(0, eth() / IP(src=GW, dst=ME) / UDP(sport=5000, dport=7) / b"hello")
seeds["udp_closed"] = one(0, eth() / IP(src=GW, dst=ME) / UDP(sport=5000, dport=9999) / b"knock")
seeds["udp_bcast"] = one(0, eth(dst=BC) / IP(src=GW, dst="255.255.255.255") / UDP(sport=68, dport=7) / b"dhcp")
seeds["udp_badsum_repair"] = one(0x08, eth() / IP(src=GW, dst=ME) / UDP(sport=5000, dport=7, chksum=0x1234) / b"fixme")
seeds["udp_from_conn_peer"] = one(0, eth() / IP(src=GW, dst=ME) / UDP(sport=9, dport=49152) / b"reply")
seeds["ip_opts"] = one(0, eth() / IP(src=GW, dst=ME, ttl=1, options=[IPOption_Router_Alert()]) / UDP(sport=5000, dport=7) / b"ra")
seeds["ip_proto99"] = one(0, eth() / IP(src=GW, dst=ME, proto=99) / b"whatever")
seeds["tcp_syn"] = one(0, eth() / IP(src=GW, dst=ME) / TCP(sport=40000, dport=80, flags="S", seq=1000,
                        options=[("MSS", 1460), ("SAckOK", b""), ("WScale", 7)]))
seeds["tcp_ack"] = one(0, eth() / IP(src=GW, dst=ME) / TCP(sport=40000, dport=80, flags="PA", seq=5, ack=77) / b"GET / HTTP/1.0\r\n\r\n")
# Sources that name no single host (RFC 1122 3.2.1.3): nothing may answer them.
seeds["tcp_syn_from_bcast"] = one(0, eth(dst=BC) / IP(src="10.0.2.255", dst=ME) / TCP(sport=1, dport=80, flags="S"))
seeds["udp_from_net0"] = one(0, eth() / IP(src="0.0.4.0", dst=ME) / UDP(sport=1, dport=9999) / b"x")
seeds["icmp_echo_from_net0"] = one(0, eth() / IP(src="0.0.4.0", dst=ME) / ICMP(type=8, id=1, seq=1) / b"x")
big = IP(src=GW, dst=ME, id=0x77) / UDP(sport=5000, dport=7) / (b"x" * 3000)
frags = [eth() / f for f in fragment(big, fragsize=1480)]
seeds["frag_inorder"] = many(0, frags)
seeds["frag_reverse"] = many(0, frags[::-1])
seeds["frag_dup"] = many(0, [frags[0], frags[0], frags[1], frags[2]])
seeds["frag_timeout"] = many(0x20, [frags[0], frags[2]])
pbig = IP(src=GW, dst=ME, id=0x78) / ICMP(type=8, id=9, seq=9) / (b"p" * 4000)
seeds["frag_ping"] = many(0, [eth() / f for f in fragment(pbig, fragsize=1480)])

os.makedirs(out, exist_ok=True)
for name, b in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(b)
print(len(seeds), "seeds")
