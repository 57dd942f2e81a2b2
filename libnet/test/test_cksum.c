// Host tests for wire/cksum.c: RFC 1071's worked example, odd lengths,
// sums built in pieces, long runs, and the IPv4 pseudo-header.
#include "libnet/wire.h"
#include "libnet/test/test.h"
#include "libnet/test/frames.h"

// RFC 1071 3: the example bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
static void
test_rfc1071(void)
{
  static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

  CHECKEQ(cksum_fold(cksum_add(0, b, sizeof b)), 0xffff & ~0xddf2);
  CHECKEQ(cksum_fold(0), 0xffff);
  CHECKEQ(cksum_fold(0xffff), 0);
  CHECKEQ(cksum_add(0, b, 0), 0);
}

// An odd final byte is the high half of a zero-padded word.
static void
test_odd(void)
{
  static const uint8_t b[] = { 0x12, 0x34, 0x56 };

  CHECKEQ(cksum_add(0, b, 3), 0x1234 + 0x5600);
  CHECKEQ(cksum_add(0, b, 1), 0x1200);
}

// A sum built from even-length pieces equals the sum of the whole.
static void
test_pieces(void)
{
  uint32_t s;
  size_t i;

  for(i = 0; i <= sizeof icmp_echo; i += 2){
    s = cksum_add(cksum_add(0, icmp_echo, i), icmp_echo + i, sizeof icmp_echo - i);
    CHECKEQ(cksum_fold(s), cksum_fold(cksum_add(0, icmp_echo, sizeof icmp_echo)));
  }
}

// 64 KiB of 0xff, chained 70000 times: carries must wrap, not overflow.
static void
test_long(void)
{
  static uint8_t b[65536];
  uint32_t s = 0;
  int i;

  memset(b, 0xff, sizeof b);
  for(i = 0; i < 70000; i++)
    s = cksum_add(s, b, sizeof b);
  CHECKEQ(cksum_fold(s), 0);
  memset(b, 0x01, sizeof b);
  s = cksum_add(0, b, sizeof b);
  CHECKEQ(cksum_fold(s), 0xffff & ~(32768 * 0x0101 % 0xffff));
}

// Every alignment and length gives the byte-pair sum of RFC 1071 4.1
// (the fast path reads words as the machine loads them).
static uint16_t
slowsum(const uint8_t *p, size_t len)
{
  uint64_t s = 0;

  for(size_t i = 0; i + 1 < len; i += 2)
    s += (p[i] << 8) | p[i + 1];
  if(len & 1)
    s += p[len - 1] << 8;
  while(s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}

static void
test_alignments(void)
{
  static uint8_t b[300];
  uint32_t x = 12345;

  for(size_t i = 0; i < sizeof b; i++){
    x = x * 1103515245 + 12345;
    b[i] = x >> 16;
  }
  for(int off = 0; off < 8; off++)
    for(size_t len = 0; len + off <= sizeof b; len++)
      CHECKEQ(cksum_fold(cksum_add(0, b + off, len)), slowsum(b + off, len));
  memset(b, 0xff, sizeof b);
  for(int off = 0; off < 4; off++)
    CHECKEQ(cksum_fold(cksum_add(0, b + off, 200)), 0);
}

// A captured header, checksum field included, sums to zero.
static void
test_verify(void)
{
  CHECKEQ(cksum_fold(cksum_add(0, icmp_echo + ETH_HLEN, IPV4_HLEN)), 0);
  CHECKEQ(cksum_fold(cksum_add(0, icmp_echo + ETH_HLEN + IPV4_HLEN, 64)), 0);
}

static void
test_pseudo(void)
{
  uint8_t ph[12] = { 10, 0, 2, 2, 10, 0, 2, 15, 0, 6, 0x12, 0x34 };

  CHECKEQ(cksum_fold(cksum_pseudo(0x0a000202, 0x0a00020f, 6, 0x1234)),
          cksum_fold(cksum_add(0, ph, sizeof ph)));
  CHECKEQ(cksum_fold(cksum_pseudo(0xffffffff, 0xffffffff, 0xff, 0xffff)),
          cksum_fold(4 * 0xffff + 0xff + 0xffff));
}

static const struct test tests[] = {
  { test_rfc1071, "rfc1071" },
  { test_odd, "odd" },
  { test_pieces, "pieces" },
  { test_long, "long" },
  { test_alignments, "alignments" },
  { test_verify, "verify" },
  { test_pseudo, "pseudo" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
