// udp: the UDP header (RFC 768) and its checksum over the IPv4
// pseudo-header. Nothing about ports or sockets.
#include "libnet/wire.h"

enum { UDP_SPORT = 0, UDP_DPORT = 2, UDP_LEN = 4, UDP_SUM = 6 };

// Returns 8 or WIRE_E*. len is what IP says the payload is; the UDP
// length may be shorter (the rest is ignored) but never longer.
int
udp_parse(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, struct udp_repr *r)
{
  size_t ulen;
  uint16_t sum;

  if(len < UDP_HLEN)
    return WIRE_ESHORT;
  ulen = get16(p + UDP_LEN);
  if(ulen < UDP_HLEN || ulen > len)
    return WIRE_ELEN;
  // RFC 768: "An all zero transmitted checksum value means that the
  // transmitter generated no checksum".
  sum = get16(p + UDP_SUM);
  if(sum != 0 && cksum_fold(cksum_add(cksum_pseudo(src, dst, IP_PROTO_UDP, ulen), p, ulen)) != 0)
    return WIRE_ECKSUM;
  r->sport = get16(p + UDP_SPORT);
  r->dport = get16(p + UDP_DPORT);
  r->len = ulen;
  return UDP_HLEN;
}

// Writes the header for the r->len - 8 payload bytes already at p+8.
// Returns 8, WIRE_ESHORT if they do not fit in len, WIRE_ELEN if r->len < 8.
int
udp_emit(uint8_t *p, size_t len, uint32_t src, uint32_t dst, const struct udp_repr *r)
{
  uint16_t sum;

  if(len < UDP_HLEN)
    return WIRE_ESHORT;
  if(r->len < UDP_HLEN)
    return WIRE_ELEN;
  if(r->len > len)
    return WIRE_ESHORT;
  put16(p + UDP_SPORT, r->sport);
  put16(p + UDP_DPORT, r->dport);
  put16(p + UDP_LEN, r->len);
  put16(p + UDP_SUM, 0);
  sum = cksum_fold(cksum_add(cksum_pseudo(src, dst, IP_PROTO_UDP, r->len), p, r->len));
  // RFC 768: a computed zero is sent as all ones, since zero means none.
  put16(p + UDP_SUM, sum == 0 ? 0xffff : sum);
  return UDP_HLEN;
}
