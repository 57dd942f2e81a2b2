// Host tests for wire/icmp.c: a Linux echo request, its reply rebuilt
// byte for byte as a whole frame, a port unreachable, truncations and
// bad checksums.
#include "libnet/wire.h"
#include "libnet/test/test.h"
#include "libnet/test/frames.h"

enum { IP = ETH_HLEN, ICMP = ETH_HLEN + IPV4_HLEN };

static const uint8_t gw[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t me[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void
test_deconstruct_echo(void)
{
  struct icmp_repr r;

  CHECKEQ(icmp_parse(icmp_echo + ICMP, 64, &r), ICMP_HLEN);
  CHECKEQ(r.type, ICMP_ECHO);
  CHECKEQ(r.code, 0);
  CHECKEQ(r.id, 0x1c46);
  CHECKEQ(r.seq, 1);
  CHECKEQ(r.rest, 0x1c460001);
}

// The reply as icmp.c above builds it: same id, seq and data.
static void
test_construct_reply(void)
{
  struct eth_repr e = { .type = ETH_TYPE_IPV4 };
  struct ipv4_repr ip = {
    .ttl = 64, .proto = IP_PROTO_ICMP, .id = 1, .totlen = 84,
    .src = 0x0a00020f, .dst = 0x0a000202,
  };
  struct icmp_repr ic = { .type = ICMP_ECHOREPLY, .id = 0x1c46, .seq = 1 };
  uint8_t b[sizeof icmp_reply];

  memset(b, 0xaa, sizeof b);
  eth_addrcpy(e.dst, gw);
  eth_addrcpy(e.src, me);
  memcpy(b + ICMP + ICMP_HLEN, icmp_echo + ICMP + ICMP_HLEN, 56);
  CHECKEQ(eth_emit(b, sizeof b, &e), ETH_HLEN);
  CHECKEQ(ipv4_emit(b + IP, sizeof b - IP, &ip), IPV4_HLEN);
  CHECKEQ(icmp_emit(b + ICMP, sizeof b - ICMP, &ic, 56), ICMP_HLEN);
  CHECKMEM(b, icmp_reply, sizeof icmp_reply);
}

// Non-echo types keep bytes 4..7 raw; unreachable quotes 28 bytes.
static void
test_unreach(void)
{
  struct icmp_repr r, w = { .type = ICMP_UNREACH, .code = ICMP_UNREACH_PORT, .id = 0xdead };
  uint8_t b[36];

  CHECKEQ(icmp_parse(icmp_unreach + ICMP, 36, &r), ICMP_HLEN);
  CHECKEQ(r.type, ICMP_UNREACH);
  CHECKEQ(r.code, ICMP_UNREACH_PORT);
  CHECKEQ(r.rest, 0);
  // id and seq mean nothing here: emit must write rest, not them.
  memcpy(b + ICMP_HLEN, icmp_unreach + ICMP + ICMP_HLEN, 28);
  CHECKEQ(icmp_emit(b, sizeof b, &w, 28), ICMP_HLEN);
  CHECKMEM(b, icmp_unreach + ICMP, 36);
}

// An odd-length message: the last byte is padded for the sum only.
static void
test_odd(void)
{
  struct icmp_repr r, w = { .type = ICMP_ECHO, .id = 7, .seq = 9 };
  uint8_t b[ICMP_HLEN + 3] = { [8] = 'a', 'b', 'c' };

  CHECKEQ(icmp_emit(b, sizeof b, &w, 3), ICMP_HLEN);
  CHECKEQ(icmp_parse(b, sizeof b, &r), ICMP_HLEN);
  CHECKEQ(r.id, 7);
  CHECKEQ(r.seq, 9);
  b[10] ^= 1;
  CHECKEQ(icmp_parse(b, sizeof b, &r), WIRE_ECKSUM);
}

static void
test_truncated(void)
{
  struct icmp_repr r = { 0 };
  uint8_t b[64];
  size_t n;

  for(n = 0; n < ICMP_HLEN; n++){
    memcpy(b + sizeof b - n, icmp_echo + ICMP, n);
    CHECKEQ(icmp_parse(b + sizeof b - n, n, &r), WIRE_ESHORT);
    CHECKEQ(icmp_emit(b + sizeof b - n, n, &r, 0), WIRE_ESHORT);
  }
  // Cutting the data short breaks the checksum, which covers it all.
  for(n = ICMP_HLEN; n < 64; n++){
    memcpy(b + sizeof b - n, icmp_echo + ICMP, n);
    CHECKEQ(icmp_parse(b + sizeof b - n, n, &r), WIRE_ECKSUM);
  }
  CHECKEQ(icmp_emit(b, 20, &r, 13), WIRE_ESHORT);
  CHECKEQ(icmp_emit(b, 20, &r, 12), ICMP_HLEN);
}

// Any flipped bit, header or data, is caught.
static void
test_cksum(void)
{
  struct icmp_repr r;
  uint8_t b[64];
  int i;

  for(i = 0; i < 64 * 8; i++){
    memcpy(b, icmp_echo + ICMP, 64);
    b[i / 8] ^= 1 << i % 8;
    CHECKEQ(icmp_parse(b, sizeof b, &r), WIRE_ECKSUM);
  }
}

static const struct test tests[] = {
  { test_deconstruct_echo, "deconstruct_echo" },
  { test_construct_reply, "construct_reply" },
  { test_unreach, "unreach" },
  { test_odd, "odd" },
  { test_truncated, "truncated" },
  { test_cksum, "cksum" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
