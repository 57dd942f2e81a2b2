// eth: the Ethernet II header. No 802.1Q tags, no 802.3 length
// frames, no FCS (the device strips it); padding past the payload is
// left for the IP layer's length to cut off.
#include "libnet/wire.h"

enum { ETH_DST = 0, ETH_SRC = 6, ETH_TYPE = 12 };

// A type field below 0x0600 is an 802.3 length (IEEE 802.3 3.2.6),
// which nothing here speaks.
enum { ETH_TYPE_MIN = 0x0600 };

int
eth_parse(const uint8_t *p, size_t len, struct eth_repr *r)
{
  if(len < ETH_HLEN)
    return WIRE_ESHORT;
  if(get16(p + ETH_TYPE) < ETH_TYPE_MIN)
    return WIRE_EFORMAT;
  eth_addrcpy(r->dst, p + ETH_DST);
  eth_addrcpy(r->src, p + ETH_SRC);
  r->type = get16(p + ETH_TYPE);
  return ETH_HLEN;
}

int
eth_emit(uint8_t *p, size_t len, const struct eth_repr *r)
{
  if(len < ETH_HLEN)
    return WIRE_ESHORT;
  eth_addrcpy(p + ETH_DST, r->dst);
  eth_addrcpy(p + ETH_SRC, r->src);
  put16(p + ETH_TYPE, r->type);
  return ETH_HLEN;
}
