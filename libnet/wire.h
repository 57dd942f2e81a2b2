// wire: parse and emit the headers of Ethernet, ARP, IPv4, ICMP, UDP
// and TCP over plain byte buffers (smoltcp's wire layer). Nothing here
// keeps state, allocates or touches a global: the stateful layers
// (arp.c, ipv4.c, ...) hand a buffer in and get a host-order repr out,
// or hand a repr in and get bytes out. Builds unchanged for the guest
// and the Linux host, so it needs only <stdint.h> and <stddef.h>.
//
// Conventions:
// - Every parser checks each length before it reads a byte, and returns
//   the payload offset (>= 0) or a WIRE_E* code naming the cause, so a
//   caller can count drops by cause.
// - Every emitter writes the header at p and returns its length, or
//   WIRE_ESHORT if len is too small for it. Given *_HLEN (or tcp_hdrlen())
//   bytes plus the payload it checksums, and a repr whose lengths are
//   possible, an emit never fails.
// - Addresses and ports in reprs are host order: 0x0a00020f is 10.0.2.15.
#ifndef LIBNET_WIRE_H
#define LIBNET_WIRE_H
#include <stdint.h>
#include <stddef.h>

// Big-endian fields a byte at a time (Plan 9's nhgets/hnputs): no
// misaligned loads, no forgotten ntohs, same result on any host.
static inline uint16_t
get16(const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
get32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
put16(uint8_t *p, uint16_t v)
{
  p[0] = v >> 8;
  p[1] = v;
}

static inline void
put32(uint8_t *p, uint32_t v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

// Error codes, one per cause of a drop.
enum {
  WIRE_ESHORT = -1,    // buffer shorter than the header
  WIRE_EVERSION = -2,  // IP version is not 4
  WIRE_EHLEN = -3,     // IHL or TCP data offset bad
  WIRE_ELEN = -4,      // a length field disagrees with the buffer
  WIRE_ECKSUM = -5,    // checksum does not verify
  WIRE_EFORMAT = -6,   // any other malformed field (an IPv4 option)
};

// cksum.c: the Internet checksum, RFC 1071.
uint32_t cksum_add(uint32_t sum, const uint8_t *p, size_t len);  // partial sum; odd len padded with zero
uint16_t cksum_fold(uint32_t sum);                                // folded and complemented
uint32_t cksum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);  // IPv4 pseudo-header partial sum

// eth.c: Ethernet II (no 802.1Q, no 802.3 length field).
enum { ETH_HLEN = 14, ETH_MINFRAME = 60, ETH_TYPE_IPV4 = 0x0800, ETH_TYPE_ARP = 0x0806 };
struct eth_repr {
  uint8_t dst[6], src[6];
  uint16_t type;
};
int eth_parse(const uint8_t *p, size_t len, struct eth_repr *r);  // 14 or WIRE_E*
int eth_emit(uint8_t *p, size_t len, const struct eth_repr *r);   // 14 or WIRE_ESHORT

// Copy a 6-byte MAC address (no memmove on the host and guest alike).
static inline void
eth_addrcpy(uint8_t *d, const uint8_t *s)
{
  int i;

  for(i = 0; i < 6; i++)
    d[i] = s[i];
}

// Is mac a group address, broadcast or multicast? The I/G bit, the first
// transmitted, is the low bit of the first octet (IEEE 802.3 3.2.3).
static inline int
eth_isgroup(const uint8_t *mac)
{
  return (mac[0] & 1) != 0;
}

// arp.c: ARP for IPv4 over Ethernet only, RFC 826.
enum { ARP_LEN = 28, ARP_REQUEST = 1, ARP_REPLY = 2 };
struct arp_repr {
  uint16_t op;
  uint8_t sha[6];
  uint32_t spa;
  uint8_t tha[6];
  uint32_t tpa;
};
int arp_parse(const uint8_t *p, size_t len, struct arp_repr *r);  // 28 or WIRE_E*
int arp_emit(uint8_t *p, size_t len, const struct arp_repr *r);   // 28 or WIRE_ESHORT

// ipv4.c: the IPv4 header, RFC 791. Options are checked for RFC 791's
// format and skipped on input, never emitted; fragments are parsed, not
// reassembled.
enum { IPV4_HLEN = 20, IPV4_DF = 0x4000, IPV4_MF = 0x2000, IPV4_OFFMASK = 0x1fff };
enum { IP_PROTO_ICMP = 1, IP_PROTO_TCP = 6, IP_PROTO_UDP = 17 };
struct ipv4_repr {
  uint8_t tos, ttl, proto;
  uint16_t id;
  uint16_t frag;    // flags | offset/8, as on the wire
  uint16_t hlen;    // header bytes, options included (parse only; emit writes 20)
  uint16_t totlen;  // header + payload; bytes after totlen are link padding
  uint32_t src, dst;
};
// Returns the header length (the payload offset) or WIRE_E*. The payload
// is totlen - hlen bytes, which may be fewer than len - hlen.
// WIRE_EFORMAT: an option is malformed; r is filled all the same.
int ipv4_parse(const uint8_t *p, size_t len, struct ipv4_repr *r);
// The IP header quoted in an ICMP error: the quote may stop short of
// totlen (but not of the header and 8 more bytes, or the whole datagram
// if shorter), and neither checksum nor options are checked (RFC 1812
// 4.3.2.3). Returns the header length or WIRE_E*.
int ipv4_parse_quoted(const uint8_t *p, size_t len, struct ipv4_repr *r);
// 0 if the options of the header at p (hlen bytes) are well formed, else
// the offset of the first octet that is not (a parameter problem's pointer).
int ipv4_optcheck(const uint8_t *p, size_t hlen);
int ipv4_emit(uint8_t *p, size_t len, const struct ipv4_repr *r);  // 20 or WIRE_ESHORT

// icmp.c: ICMP, RFC 792.
enum { ICMP_HLEN = 8, ICMP_ECHOREPLY = 0, ICMP_UNREACH = 3, ICMP_ECHO = 8,
       ICMP_TIMXCEED = 11, ICMP_PARAMPROB = 12 };
// codes for ICMP_UNREACH
enum { ICMP_UNREACH_NET = 0, ICMP_UNREACH_HOST = 1, ICMP_UNREACH_PROTO = 2,
       ICMP_UNREACH_PORT = 3, ICMP_UNREACH_NEEDFRAG = 4 };
struct icmp_repr {
  uint8_t type, code;
  uint16_t id, seq;  // echo and echo reply only
  uint32_t rest;     // bytes 4..7 as a big-endian word, for the other types
};
// Parses the 8-byte header; the checksum is verified over all len bytes,
// so len must be the ICMP message's length (IP totlen - hlen).
int icmp_parse(const uint8_t *p, size_t len, struct icmp_repr *r);
// Writes the header; the checksum covers it and the datalen bytes
// already at p+8. Returns 8, or WIRE_ESHORT if len < 8 + datalen.
int icmp_emit(uint8_t *p, size_t len, const struct icmp_repr *r, size_t datalen);

// udp.c: UDP, RFC 768. src and dst are the IPv4 addresses, for the
// pseudo-header.
enum { UDP_HLEN = 8 };
struct udp_repr {
  uint16_t sport, dport;
  uint16_t len;  // header + payload
};
// Returns 8 or WIRE_E*: WIRE_ELEN if the length field is < 8 or > len.
// A zero checksum means none was sent and is not verified.
int udp_parse(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, struct udp_repr *r);
// Writes the header; the checksum covers the r->len - 8 payload bytes
// already at p+8. Returns 8, or WIRE_ESHORT/WIRE_ELEN if len < r->len or r->len < 8.
int udp_emit(uint8_t *p, size_t len, uint32_t src, uint32_t dst, const struct udp_repr *r);

// tcp.c: the TCP header, RFC 9293, and the options MSS, window scale
// and timestamps (RFC 7323), SACK-permitted and SACK blocks (RFC 2018).
// Other options are skipped.
enum { TCP_HLEN = 20, TCP_MAXHLEN = 60 };
enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10, TCP_URG = 0x20 };
struct tcp_repr {
  uint16_t sport, dport;
  uint32_t seq, ack;
  uint8_t flags;    // TCP_* above, byte 13 as on the wire (ECE, CWR kept)
  uint16_t win, urg;
  uint16_t hlen;    // header bytes, options included (set by parse; emit uses tcp_hdrlen())
  uint16_t mss;     // 0 if absent
  int8_t wscale;    // -1 if absent
  uint8_t sackok;   // 1 if SACK-permitted was present
  uint8_t tsok;     // 1 if timestamps were present: tsval, tsecr
  uint32_t tsval, tsecr;
  uint8_t nsack;    // SACK blocks [sack[i][0], sack[i][1]), at most TCP_MAXSACK
  uint32_t sack[4][2];
};
enum { TCP_MAXSACK = 4 };   // 4 fit beside no timestamps, 3 beside them (RFC 2018 3)
// Returns the data offset in bytes or WIRE_E*. len is the segment's
// length (IP totlen - hlen), over which the checksum is verified.
int tcp_parse(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, struct tcp_repr *r);
// 20 plus the options r asks for (MSS 4, WS 3+NOP, SACK-permitted 2+2
// NOPs or beside timestamps, timestamps 10+2 NOPs, SACK 2+8n+2 NOPs).
int tcp_hdrlen(const struct tcp_repr *r);
// Writes header and options; the checksum covers them and the datalen
// bytes already at p + tcp_hdrlen(r). Returns tcp_hdrlen(r) or WIRE_ESHORT.
int tcp_emit(uint8_t *p, size_t len, uint32_t src, uint32_t dst, const struct tcp_repr *r, size_t datalen);
// The header only, its datalen bytes of data elsewhere with partial sum datasum.
int tcp_emit_sum(uint8_t *p, size_t len, uint32_t src, uint32_t dst, const struct tcp_repr *r,
                 size_t datalen, uint32_t datasum);

// Dotted quads, for tests, apps and netstat.
char *ip_ntoa(uint32_t ip, char *buf);     // "a.b.c.d"; buf holds >= 16 bytes; returns buf
int ip_aton(const char *s, uint32_t *ip);  // 1 if s is a.b.c.d, 0 if not
#endif
