# Generate the seed frames for libnet's wire tests and fuzz corpus, with
# scapy (Debian's python3-scapy, so /usr/bin/python3):
#   /usr/bin/python3 libnet/test/genframes.py c NAME...        C arrays for frames.h
#   /usr/bin/python3 libnet/test/genframes.py corpus DIR       fuzz seeds (libnet/fuzz/corpus)
# frames.h and the seeds in the repository were made with it; the frames
# look like captures (QEMU's user-network addresses) but are built here.
import os, sys
from scapy.all import Ether, ARP, IP, ICMP, UDP, TCP, DNS, DNSQR, Raw, IPOption_Router_Alert, UDPerror, IPerror
import struct

GW = "52:55:0a:00:02:02"; ME = "52:54:00:12:34:56"
frames = {}
# slirp asking who has 10.0.2.15; padded to 60 as on the wire
frames["arp_req"] = bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=GW)/ARP(op=1, hwsrc=GW, psrc="10.0.2.2", hwdst="00:00:00:00:00:00", pdst="10.0.2.15")/Raw(b"\0"*18))
frames["arp_rep"] = bytes(Ether(dst=GW, src=ME)/ARP(op=2, hwsrc=ME, psrc="10.0.2.15", hwdst=GW, pdst="10.0.2.2"))
# Linux ping payload: 8-byte timeval then 0x10..0x37
ping = struct.pack("<QQ", 0x65f1a2b3, 0x000c3f21) + bytes(range(0x10, 0x38))
frames["icmp_echo"] = bytes(Ether(dst=ME, src=GW)/IP(src="10.0.2.2", dst="10.0.2.15", id=0x4a2c, flags="DF", ttl=64)/ICMP(type=8, id=0x1c46, seq=1)/Raw(ping))
frames["icmp_reply"] = bytes(Ether(dst=GW, src=ME)/IP(src="10.0.2.15", dst="10.0.2.2", id=0x0001, ttl=64)/ICMP(type=0, id=0x1c46, seq=1)/Raw(ping))
inner = IP(src="10.0.2.2", dst="10.0.2.15", id=0x1111, ttl=64)/UDP(sport=40001, dport=9)/Raw(b"hi")
frames["icmp_unreach"] = bytes(Ether(dst=GW, src=ME)/IP(src="10.0.2.15", dst="10.0.2.2", id=2, ttl=64)/ICMP(type=3, code=3)/Raw(bytes(inner)[:28]))
frames["udp_dns"] = bytes(Ether(dst=GW, src=ME)/IP(src="10.0.2.15", dst="10.0.2.3", id=0x0003, ttl=64)/UDP(sport=1234, dport=53)/DNS(id=0xbeef, rd=1, qd=DNSQR(qname="gateway.lan", qtype="A")))
frames["udp_odd"] = bytes(Ether(dst=ME, src=GW)/IP(src="10.0.2.2", dst="10.0.2.15", id=0x0004, ttl=64)/UDP(sport=5000, dport=7)/Raw(b"hello"))
# a Linux SYN: MSS, SACK-permitted, timestamps, NOP, window scale
frames["tcp_syn"] = bytes(Ether(dst=ME, src=GW)/IP(src="10.0.2.2", dst="10.0.2.15", id=0x9a3e, flags="DF", ttl=64)/
    TCP(sport=40000, dport=80, seq=0x2b0c1d5e, flags="S", window=64240,
        options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (3141592653, 0)), ("NOP", None), ("WScale", 7)]))
# a SYN-ACK laid out as tcp_emit lays it out: MSS, NOP WS, NOP NOP SACKOK
frames["tcp_synack"] = bytes(Ether(dst=GW, src=ME)/IP(src="10.0.2.15", dst="10.0.2.2", id=0x0005, flags="DF", ttl=64)/
    TCP(sport=80, dport=40000, seq=0x00001000, ack=0x2b0c1d5f, flags="SA", window=65535,
        options=[("MSS", 1460), ("NOP", None), ("WScale", 2), ("NOP", None), ("NOP", None), ("SAckOK", b"")]))
frames["tcp_data"] = bytes(Ether(dst=ME, src=GW)/IP(src="10.0.2.2", dst="10.0.2.15", id=0x9a3f, flags="DF", ttl=64)/
    TCP(sport=40000, dport=80, seq=0x2b0c1d5f, ack=0x00001001, flags="PA", window=502)/Raw(b"GET / HTTP/1.0\r\n\r\n"))
frames["ip_opts"] = bytes(Ether(dst=ME, src=GW)/IP(src="10.0.2.2", dst="10.0.2.15", id=0x0006, ttl=1, options=[IPOption_Router_Alert()])/UDP(sport=5000, dport=7)/Raw(b"ra"))
frames["ip_frag"] = bytes(Ether(dst=ME, src=GW)/IP(src="10.0.2.2", dst="10.0.2.15", id=0x0007, flags="MF", frag=0, ttl=64, proto=17)/Raw(b"x"*24))

for n in frames:
    # a NIC pads short frames to the 60-byte minimum; captures show it
    frames[n] = frames[n] + b"\0" * max(0, 60 - len(frames[n]))

def carr(name, b):
    s = "static const uint8_t %s[%d] = {\n" % (name, len(b))
    for i in range(0, len(b), 12):
        s += "  " + ", ".join("0x%02x" % x for x in b[i:i+12]) + ",\n"
    return s + "};\n"

if sys.argv[1] == "c":
    for n in sys.argv[2:]:
        print(carr(n, frames[n]))
elif sys.argv[1] == "show":
    for n in sys.argv[2:]:
        Ether(frames[n]).show2()
elif sys.argv[1] == "corpus":
    root = sys.argv[2]
    def w(t, n, b):
        os.makedirs(os.path.join(root, "fuzz_" + t), exist_ok=True)
        open(os.path.join(root, "fuzz_" + t, n), "wb").write(b)
    def addrs(ip):
        import socket
        return socket.inet_aton(ip.src) + socket.inet_aton(ip.dst)
    for n, f in frames.items():
        e = Ether(f)
        w("eth", n, f)
        if ARP in e:
            w("arp", n, f[14:])
            continue
        ip = e[IP]
        w("ipv4", n, f[14:])
        pl = f[14 + ip.ihl*4: 14 + ip.len]
        if ip.frag or ip.flags.MF:
            continue
        if ip.proto == 1: w("icmp", n, pl)
        if ip.proto == 17: w("udp", n, addrs(ip) + pl)
        if ip.proto == 6: w("tcp", n, addrs(ip) + pl)
