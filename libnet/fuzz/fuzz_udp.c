// Fuzz udp_parse. The input is the pseudo-header's source and
// destination addresses (8 bytes, big-endian) and then the datagram.
// It is parsed as given and with its checksum repaired; what parses is
// emitted and parsed again.
#include "libnet/fuzz/fuzz.h"

static void
roundtrip(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, const struct udp_repr *r)
{
  struct udp_repr r2;
  uint8_t *b = fuzz_dup(p, len);

  FUZZ_CHECK(r->len >= UDP_HLEN && r->len <= len);
  FUZZ_CHECK(udp_emit(b, len, src, dst, r) == UDP_HLEN);
  FUZZ_CHECK(memcmp(b, p, 6) == 0 && get16(b + 6) != 0);
  FUZZ_CHECK(udp_parse(b, len, src, dst, &r2) == UDP_HLEN);
  FUZZ_CHECK(r2.sport == r->sport && r2.dport == r->dport && r2.len == r->len);
  free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct udp_repr r;
  uint32_t src, dst;
  size_t len, ulen;
  uint16_t sum;
  uint8_t *c;
  int n;

  if(size < 8)
    return 0;
  src = get32(data);
  dst = get32(data + 4);
  data += 8;
  len = size - 8;
  n = udp_parse(data, len, src, dst, &r);
  FUZZ_CHECK(n == UDP_HLEN || n == WIRE_ESHORT || n == WIRE_ELEN || n == WIRE_ECKSUM);
  if(n >= 0)
    roundtrip(data, len, src, dst, &r);
  if(len < UDP_HLEN)
    return 0;
  ulen = get16(data + 4);
  if(ulen < UDP_HLEN || ulen > len)
    return 0;
  c = fuzz_dup(data, len);
  put16(c + 6, 0);
  sum = cksum_fold(cksum_add(cksum_pseudo(src, dst, IP_PROTO_UDP, ulen), c, ulen));
  put16(c + 6, sum ? sum : 0xffff);
  FUZZ_CHECK(udp_parse(c, len, src, dst, &r) == UDP_HLEN);
  roundtrip(c, len, src, dst, &r);
  free(c);
  return 0;
}
