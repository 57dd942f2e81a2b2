// arp: ARP packets (RFC 826) for IPv4 over Ethernet, the only pairing
// we resolve. Any other hardware or protocol type is malformed here.
#include "libnet/wire.h"

enum {
  ARP_HTYPE = 0, ARP_PTYPE = 2, ARP_HLEN_OFF = 4, ARP_PLEN = 5, ARP_OP = 6,
  ARP_SHA = 8, ARP_SPA = 14, ARP_THA = 18, ARP_TPA = 24,
};
enum { ARP_HTYPE_ETHER = 1 };  // RFC 826 ar$hrd for Ethernet

// Returns 28 or WIRE_E*. Bytes after the 28 (Ethernet padding) are ignored.
int
arp_parse(const uint8_t *p, size_t len, struct arp_repr *r)
{
  if(len < ARP_LEN)
    return WIRE_ESHORT;
  // RFC 826 "Packet format": ar$hrd, ar$pro, ar$hln and ar$pln must
  // name Ethernet and IPv4, or the addresses below are not what we think.
  if(get16(p + ARP_HTYPE) != ARP_HTYPE_ETHER || get16(p + ARP_PTYPE) != ETH_TYPE_IPV4 ||
     p[ARP_HLEN_OFF] != 6 || p[ARP_PLEN] != 4)
    return WIRE_EFORMAT;
  r->op = get16(p + ARP_OP);
  // RFC 826 defines only ares_op$REQUEST and ares_op$REPLY.
  if(r->op != ARP_REQUEST && r->op != ARP_REPLY)
    return WIRE_EFORMAT;
  eth_addrcpy(r->sha, p + ARP_SHA);
  r->spa = get32(p + ARP_SPA);
  eth_addrcpy(r->tha, p + ARP_THA);
  r->tpa = get32(p + ARP_TPA);
  return ARP_LEN;
}

int
arp_emit(uint8_t *p, size_t len, const struct arp_repr *r)
{
  if(len < ARP_LEN)
    return WIRE_ESHORT;
  put16(p + ARP_HTYPE, ARP_HTYPE_ETHER);
  put16(p + ARP_PTYPE, ETH_TYPE_IPV4);
  p[ARP_HLEN_OFF] = 6;
  p[ARP_PLEN] = 4;
  put16(p + ARP_OP, r->op);
  eth_addrcpy(p + ARP_SHA, r->sha);
  put32(p + ARP_SPA, r->spa);
  eth_addrcpy(p + ARP_THA, r->tha);
  put32(p + ARP_TPA, r->tpa);
  return ARP_LEN;
}
