// icmp: the ICMP header (RFC 792). Bytes 4..7 mean id and sequence for
// echo and echo reply and something per type otherwise (unused, a
// pointer, a next-hop MTU), so they are also kept raw for the layer above.
#include "libnet/wire.h"

enum { ICMP_TYPE = 0, ICMP_CODE = 1, ICMP_SUM = 2, ICMP_ID = 4, ICMP_SEQ = 6, ICMP_REST = 4 };

static int
icmp_isecho(uint8_t type)
{
  return type == ICMP_ECHO || type == ICMP_ECHOREPLY;
}

// Returns 8 or WIRE_E*. The checksum covers the whole message (RFC 792),
// so len must be exactly the ICMP length, not the frame's.
int
icmp_parse(const uint8_t *p, size_t len, struct icmp_repr *r)
{
  if(len < ICMP_HLEN)
    return WIRE_ESHORT;
  // RFC 792: the checksum is over "the ICMP message starting with the
  // ICMP Type", so a message cut short fails it too.
  if(cksum_fold(cksum_add(0, p, len)) != 0)
    return WIRE_ECKSUM;
  r->type = p[ICMP_TYPE];
  r->code = p[ICMP_CODE];
  r->id = get16(p + ICMP_ID);
  r->seq = get16(p + ICMP_SEQ);
  r->rest = get32(p + ICMP_REST);
  return ICMP_HLEN;
}

// Writes the header for the datalen bytes already at p+8: id and seq
// for echo types, rest for the others. Returns 8 or WIRE_E*.
int
icmp_emit(uint8_t *p, size_t len, const struct icmp_repr *r, size_t datalen)
{
  if(len < ICMP_HLEN || datalen > len - ICMP_HLEN)
    return WIRE_ESHORT;
  p[ICMP_TYPE] = r->type;
  p[ICMP_CODE] = r->code;
  put16(p + ICMP_SUM, 0);
  if(icmp_isecho(r->type)){
    put16(p + ICMP_ID, r->id);
    put16(p + ICMP_SEQ, r->seq);
  } else {
    put32(p + ICMP_REST, r->rest);
  }
  put16(p + ICMP_SUM, cksum_fold(cksum_add(0, p, ICMP_HLEN + datalen)));
  return ICMP_HLEN;
}
