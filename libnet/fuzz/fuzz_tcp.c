// Fuzz tcp_parse, mostly its option parser. The input is the
// pseudo-header's source and destination (8 bytes, big-endian) and
// then the segment. It is parsed as given and with its checksum
// repaired; what parses is emitted with our option layout, in front of
// the same data, and parsed again.
#include "libnet/fuzz/fuzz.h"

static void
roundtrip(const uint8_t *p, size_t len, uint32_t src, uint32_t dst, int n, const struct tcp_repr *r)
{
  struct tcp_repr r2;
  size_t hlen, dlen;
  uint8_t *b;

  FUZZ_CHECK(n == r->hlen && n >= TCP_HLEN && n <= TCP_MAXHLEN && n % 4 == 0 && (size_t)n <= len);
  FUZZ_CHECK(r->wscale >= -1 && r->wscale <= 14 && r->sackok <= 1);
  FUZZ_CHECK(r->tsok <= 1 && r->nsack <= TCP_MAXSACK);
  hlen = tcp_hdrlen(r);
  dlen = len - n;
  // Our layout pads timestamps and SACK blocks with NOPs, so what came
  // packed may not fit 60 bytes our way: the emitter must refuse it.
  if(hlen > TCP_MAXHLEN){
    uint8_t big[TCP_MAXHLEN + 64];
    FUZZ_CHECK(tcp_emit(big, sizeof(big), src, dst, r, 0) == WIRE_ELEN);
    return;
  }
  b = malloc(hlen + dlen);
  FUZZ_CHECK(b != 0);
  memcpy(b + hlen, p + n, dlen);
  FUZZ_CHECK(tcp_emit(b, hlen + dlen, src, dst, r, dlen) == (int)hlen);
  FUZZ_CHECK(tcp_parse(b, hlen + dlen, src, dst, &r2) == (int)hlen);
  FUZZ_CHECK(r2.sport == r->sport && r2.dport == r->dport && r2.seq == r->seq && r2.ack == r->ack);
  FUZZ_CHECK(r2.flags == r->flags && r2.win == r->win && r2.urg == r->urg);
  FUZZ_CHECK(r2.mss == r->mss && r2.wscale == r->wscale && r2.sackok == r->sackok);
  FUZZ_CHECK(r2.tsok == r->tsok && (!r->tsok || (r2.tsval == r->tsval && r2.tsecr == r->tsecr)));
  FUZZ_CHECK(r2.nsack == r->nsack && memcmp(r2.sack, r->sack, r->nsack * sizeof(r->sack[0])) == 0);
  FUZZ_CHECK(r2.hlen == hlen);
  free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct tcp_repr r;
  uint32_t src, dst;
  size_t len, hlen;
  uint8_t *c;
  int n;

  if(size < 8)
    return 0;
  src = get32(data);
  dst = get32(data + 4);
  data += 8;
  len = size - 8;
  n = tcp_parse(data, len, src, dst, &r);
  FUZZ_CHECK(n >= 0 || FUZZ_ISERR(n));
  if(n >= 0)
    roundtrip(data, len, src, dst, n, &r);
  if(len < TCP_HLEN || len > 0xffff)
    return 0;
  hlen = (data[12] >> 4) * 4;
  if(hlen < TCP_HLEN || hlen > len)
    return 0;
  c = fuzz_dup(data, len);
  put16(c + 16, 0);
  put16(c + 16, cksum_fold(cksum_add(cksum_pseudo(src, dst, IP_PROTO_TCP, len), c, len)));
  n = tcp_parse(c, len, src, dst, &r);
  FUZZ_CHECK(n == (int)hlen || n == WIRE_EFORMAT);
  if(n >= 0)
    roundtrip(c, len, src, dst, n, &r);
  free(c);
  return 0;
}
