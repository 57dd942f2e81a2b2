// Fuzz ipv4_parse on the input and on a copy with its header checksum
// repaired; re-emit what parses (without options) and parse it again.
// ipv4_parse_quoted reads the same input as an ICMP error's quote: it
// must accept whatever ipv4_parse accepts, and agree with it.
#include "libnet/fuzz/fuzz.h"

// Check the promises of a successful parse, emit the repr as a 20-byte
// header in front of the same payload, and parse that back.
static void
roundtrip(const uint8_t *p, size_t len, int n, const struct ipv4_repr *r)
{
  struct ipv4_repr w = *r, r2;
  size_t plen;
  uint8_t *b;

  FUZZ_CHECK(n == r->hlen && n >= IPV4_HLEN && n % 4 == 0 && (size_t)n <= len);
  FUZZ_CHECK(r->totlen >= n && r->totlen <= len);
  plen = r->totlen - n;
  w.totlen = IPV4_HLEN + plen;
  b = malloc(w.totlen);
  FUZZ_CHECK(b != 0);
  memcpy(b + IPV4_HLEN, p + n, plen);
  FUZZ_CHECK(ipv4_emit(b, w.totlen, &w) == IPV4_HLEN);
  // Bytes 10..11 may differ: 0x0000 and 0xffff both verify when the rest
  // of the header sums to all ones (RFC 1071's two zeros).
  if(n == IPV4_HLEN)
    FUZZ_CHECK(memcmp(b, p, 10) == 0 && memcmp(b + 12, p + 12, 8) == 0);
  FUZZ_CHECK(ipv4_parse(b, w.totlen, &r2) == IPV4_HLEN);
  FUZZ_CHECK(r2.tos == r->tos && r2.ttl == r->ttl && r2.proto == r->proto);
  FUZZ_CHECK(r2.id == r->id && r2.frag == r->frag && r2.src == r->src && r2.dst == r->dst);
  FUZZ_CHECK(r2.hlen == IPV4_HLEN && r2.totlen == w.totlen);
  free(b);
}

// Check ipv4_parse_quoted's promises on p, and that it agrees with
// ipv4_parse's result n (and repr r) where that parse succeeded.
static void
quoted(const uint8_t *p, size_t len, int n, const struct ipv4_repr *r)
{
  struct ipv4_repr q;
  size_t need;
  int m;

  m = ipv4_parse_quoted(p, len, &q);
  FUZZ_CHECK(m >= 0 || FUZZ_ISERR(m));
  FUZZ_CHECK(m != WIRE_ECKSUM && m != WIRE_EFORMAT);
  if(m >= 0){
    FUZZ_CHECK(m == q.hlen && m >= IPV4_HLEN && m % 4 == 0 && q.totlen >= m);
    need = q.totlen - m < 8 ? q.totlen - m : 8;
    FUZZ_CHECK(m + need <= len);
  }
  if(n >= 0 || n == WIRE_EFORMAT){
    FUZZ_CHECK(m == r->hlen);
    FUZZ_CHECK(q.totlen == r->totlen && q.proto == r->proto && q.frag == r->frag);
    FUZZ_CHECK(q.src == r->src && q.dst == r->dst && q.id == r->id && q.ttl == r->ttl);
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct ipv4_repr r;
  size_t hlen;
  uint8_t *c;
  int n;

  n = ipv4_parse(data, size, &r);
  FUZZ_CHECK(n >= 0 || FUZZ_ISERR(n));
  if(n >= 0)
    roundtrip(data, size, n, &r);
  quoted(data, size, n, &r);
  if(size < IPV4_HLEN)
    return 0;
  hlen = (data[0] & 0xf) * 4;
  if(hlen < IPV4_HLEN || hlen > size)
    return 0;
  c = fuzz_dup(data, size);
  put16(c + 10, 0);
  put16(c + 10, cksum_fold(cksum_add(0, c, hlen)));
  n = ipv4_parse(c, size, &r);
  FUZZ_CHECK(n != WIRE_ECKSUM && (n >= 0 || FUZZ_ISERR(n)));
  if(n >= 0)
    roundtrip(c, size, n, &r);
  quoted(c, size, n, &r);
  free(c);
  return 0;
}
