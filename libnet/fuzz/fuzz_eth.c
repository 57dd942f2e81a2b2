// Fuzz eth_parse, then walk the frame up the stack the way the input
// path does (ARP, or IPv4 and its protocol), so the parsers meet each
// other's leftovers: padding, short payloads, lengths that disagree.
#include "libnet/fuzz/fuzz.h"

static void
fuzz_ip(const uint8_t *p, size_t len)
{
  struct ipv4_repr ip;
  struct icmp_repr ic;
  struct udp_repr u;
  struct tcp_repr t;
  int n, m;

  n = ipv4_parse(p, len, &ip);
  if(n < 0)
    return;
  p += n;
  len = ip.totlen - n;
  switch(ip.proto){
  case IP_PROTO_ICMP:
    m = icmp_parse(p, len, &ic);
    break;
  case IP_PROTO_UDP:
    m = udp_parse(p, len, ip.src, ip.dst, &u);
    FUZZ_CHECK(m < 0 || u.len <= len);
    break;
  case IP_PROTO_TCP:
    m = tcp_parse(p, len, ip.src, ip.dst, &t);
    FUZZ_CHECK(m < 0 || (size_t)m <= len);
    break;
  default:
    m = 0;
  }
  FUZZ_CHECK(m >= 0 || FUZZ_ISERR(m));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct eth_repr r, r2;
  struct arp_repr a;
  uint8_t b[ETH_HLEN];
  int n;

  n = eth_parse(data, size, &r);
  if(n < 0){
    FUZZ_CHECK(n == WIRE_ESHORT || n == WIRE_EFORMAT);
    return 0;
  }
  FUZZ_CHECK(n == ETH_HLEN && size >= ETH_HLEN);
  // Every header byte is meaningful: emit gives back the input.
  FUZZ_CHECK(eth_emit(b, sizeof b, &r) == ETH_HLEN);
  FUZZ_CHECK(memcmp(b, data, ETH_HLEN) == 0);
  FUZZ_CHECK(eth_parse(b, sizeof b, &r2) == ETH_HLEN);
  FUZZ_CHECK(memcmp(r2.dst, r.dst, 6) == 0 && memcmp(r2.src, r.src, 6) == 0 && r2.type == r.type);
  if(r.type == ETH_TYPE_ARP)
    FUZZ_CHECK(arp_parse(data + n, size - n, &a) != WIRE_ESHORT || size - n < ARP_LEN);
  if(r.type == ETH_TYPE_IPV4)
    fuzz_ip(data + n, size - n);
  return 0;
}
