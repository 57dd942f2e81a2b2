// Host tests for wire/udp.c: a DNS query parsed and rebuilt as a whole
// frame, an odd-length datagram in a padded frame, the zero checksum in
// both directions, and every length field lying.
#include "libnet/wire.h"
#include "libnet/test/test.h"
#include "libnet/test/frames.h"

enum { IP = ETH_HLEN, UDP = ETH_HLEN + IPV4_HLEN };
enum { ME = 0x0a00020f, GW = 0x0a000202, DNS = 0x0a000203 };

static const uint8_t gw[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t me[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void
test_deconstruct(void)
{
  struct udp_repr r;

  CHECKEQ(udp_parse(udp_dns + UDP, 37, ME, DNS, &r), UDP_HLEN);
  CHECKEQ(r.sport, 1234);
  CHECKEQ(r.dport, 53);
  CHECKEQ(r.len, 37);
  CHECKEQ(get16(udp_dns + UDP + UDP_HLEN), 0xbeef);  // the DNS id follows
}

// The query as udp.c and ipv4.c above would send it.
static void
test_construct(void)
{
  struct eth_repr e = { .type = ETH_TYPE_IPV4 };
  struct ipv4_repr ip = { .ttl = 64, .proto = IP_PROTO_UDP, .id = 3, .totlen = 57, .src = ME, .dst = DNS };
  struct udp_repr u = { .sport = 1234, .dport = 53, .len = 37 };
  uint8_t b[sizeof udp_dns];

  memset(b, 0xaa, sizeof b);
  eth_addrcpy(e.dst, gw);
  eth_addrcpy(e.src, me);
  memcpy(b + UDP + UDP_HLEN, udp_dns + UDP + UDP_HLEN, 29);
  CHECKEQ(eth_emit(b, sizeof b, &e), ETH_HLEN);
  CHECKEQ(ipv4_emit(b + IP, sizeof b - IP, &ip), IPV4_HLEN);
  CHECKEQ(udp_emit(b + UDP, sizeof b - UDP, ME, DNS, &u), UDP_HLEN);
  CHECKMEM(b, udp_dns, sizeof udp_dns);
}

// "hello" is odd; the frame's padding lies beyond both lengths.
static void
test_odd(void)
{
  struct udp_repr r;
  uint8_t b[13];

  CHECKEQ(udp_parse(udp_odd + UDP, 13, GW, ME, &r), UDP_HLEN);
  CHECKEQ(r.len, 13);
  CHECKEQ(r.dport, 7);
  // Given what is left of the frame, UDP's own length still rules.
  CHECKEQ(udp_parse(udp_odd + UDP, sizeof udp_odd - UDP, GW, ME, &r), UDP_HLEN);
  CHECKEQ(r.len, 13);
  memcpy(b, udp_odd + UDP, sizeof b);
  memset(b, 0, UDP_HLEN);
  CHECKEQ(udp_emit(b, sizeof b, GW, ME, &r), UDP_HLEN);
  CHECKMEM(b, udp_odd + UDP, sizeof b);
}

// RFC 768: zero on the wire means no checksum, so it is not verified.
static void
test_nocksum(void)
{
  struct udp_repr r;
  uint8_t b[37];

  memcpy(b, udp_dns + UDP, sizeof b);
  put16(b + 6, 0);
  CHECKEQ(udp_parse(b, sizeof b, ME, DNS, &r), UDP_HLEN);
  b[20] ^= 0x40;
  CHECKEQ(udp_parse(b, sizeof b, ME, DNS, &r), UDP_HLEN);
}

// RFC 768: a checksum that computes to zero goes out as 0xffff.
// Two payload bytes are chosen to make the sum come out all ones.
static void
test_zerosum(void)
{
  struct udp_repr r, w = { .sport = 1, .dport = 2, .len = 10 };
  uint8_t b[10] = { 0 };
  uint16_t fill;

  CHECKEQ(udp_emit(b, sizeof b, ME, GW, &w), UDP_HLEN);
  put16(b + 6, 0);
  fill = cksum_fold(cksum_add(cksum_pseudo(ME, GW, IP_PROTO_UDP, 10), b, 10));
  put16(b + 8, fill);
  CHECKEQ(udp_emit(b, sizeof b, ME, GW, &w), UDP_HLEN);
  CHECKEQ(get16(b + 6), 0xffff);
  CHECKEQ(udp_parse(b, sizeof b, ME, GW, &r), UDP_HLEN);
}

static void
test_truncated(void)
{
  struct udp_repr r = { .len = 8 };
  uint8_t b[37];
  size_t n;

  for(n = 0; n < UDP_HLEN; n++){
    memcpy(b + sizeof b - n, udp_dns + UDP, n);
    CHECKEQ(udp_parse(b + sizeof b - n, n, ME, DNS, &r), WIRE_ESHORT);
    CHECKEQ(udp_emit(b + sizeof b - n, n, ME, DNS, &r), WIRE_ESHORT);
  }
  // Shorter than the length field says.
  for(n = UDP_HLEN; n < 37; n++){
    memcpy(b + sizeof b - n, udp_dns + UDP, n);
    CHECKEQ(udp_parse(b + sizeof b - n, n, ME, DNS, &r), WIRE_ELEN);
  }
}

static void
test_hostile(void)
{
  struct udp_repr r, w = { .sport = 1, .dport = 2 };
  uint8_t b[37];
  int i;

  memcpy(b, udp_dns + UDP, sizeof b);
  for(i = 0; i < UDP_HLEN; i++){
    put16(b + 4, i);   // RFC 768: the length counts the header
    CHECKEQ(udp_parse(b, sizeof b, ME, DNS, &r), WIRE_ELEN);
  }
  put16(b + 4, 38);
  CHECKEQ(udp_parse(b, sizeof b, ME, DNS, &r), WIRE_ELEN);
  put16(b + 4, 37);
  CHECKEQ(udp_parse(b, sizeof b, ME, DNS, &r), UDP_HLEN);
  b[30] ^= 4;
  CHECKEQ(udp_parse(b, sizeof b, ME, DNS, &r), WIRE_ECKSUM);
  b[30] ^= 4;
  // The pseudo-header is covered: the wrong address fails.
  CHECKEQ(udp_parse(b, sizeof b, ME, GW, &r), WIRE_ECKSUM);
  w.len = 7;
  CHECKEQ(udp_emit(b, sizeof b, ME, DNS, &w), WIRE_ELEN);
  w.len = 38;
  CHECKEQ(udp_emit(b, sizeof b, ME, DNS, &w), WIRE_ESHORT);
}

static const struct test tests[] = {
  { test_deconstruct, "deconstruct" },
  { test_construct, "construct" },
  { test_odd, "odd" },
  { test_nocksum, "nocksum" },
  { test_zerosum, "zerosum" },
  { test_truncated, "truncated" },
  { test_hostile, "hostile" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
