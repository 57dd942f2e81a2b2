// Fuzz icmp_parse on the input and on a copy with its checksum
// repaired; re-emit what parses and parse it again.
#include "libnet/fuzz/fuzz.h"

// Emit r over a copy of p's data and compare: every header byte but the
// checksum must come back (the checksum may be 0x0000 or 0xffff).
static void
roundtrip(const uint8_t *p, size_t len, const struct icmp_repr *r)
{
  struct icmp_repr r2;
  uint8_t *b = fuzz_dup(p, len);

  FUZZ_CHECK(icmp_emit(b, len, r, len - ICMP_HLEN) == ICMP_HLEN);
  FUZZ_CHECK(memcmp(b, p, 2) == 0 && memcmp(b + 4, p + 4, len - 4) == 0);
  FUZZ_CHECK(icmp_parse(b, len, &r2) == ICMP_HLEN);
  FUZZ_CHECK(r2.type == r->type && r2.code == r->code && r2.rest == r->rest);
  free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct icmp_repr r;
  uint8_t *c;
  int n;

  n = icmp_parse(data, size, &r);
  FUZZ_CHECK(n == ICMP_HLEN || n == WIRE_ESHORT || n == WIRE_ECKSUM);
  FUZZ_CHECK((n == WIRE_ESHORT) == (size < ICMP_HLEN));
  if(n >= 0)
    roundtrip(data, size, &r);
  if(size < ICMP_HLEN)
    return 0;
  c = fuzz_dup(data, size);
  put16(c + 2, 0);
  put16(c + 2, cksum_fold(cksum_add(0, c, size)));
  FUZZ_CHECK(icmp_parse(c, size, &r) == ICMP_HLEN);
  roundtrip(c, size, &r);
  free(c);
  return 0;
}
