// Host tests for wire/eth.c: parse captured frames field by field,
// build them back byte for byte, and refuse short or 802.3 frames.
#include "libnet/wire.h"
#include "libnet/test/test.h"
#include "libnet/test/frames.h"

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t gw[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t me[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void
test_deconstruct(void)
{
  struct eth_repr r;

  CHECKEQ(eth_parse(arp_req, sizeof arp_req, &r), ETH_HLEN);
  CHECKMEM(r.dst, bcast, 6);
  CHECKMEM(r.src, gw, 6);
  CHECKEQ(r.type, ETH_TYPE_ARP);
  CHECKEQ(eth_parse(tcp_synack, sizeof tcp_synack, &r), ETH_HLEN);
  CHECKMEM(r.dst, gw, 6);
  CHECKMEM(r.src, me, 6);
  CHECKEQ(r.type, ETH_TYPE_IPV4);
}

static void
test_construct(void)
{
  struct eth_repr r;
  uint8_t b[ETH_HLEN];

  eth_addrcpy(r.dst, me);
  eth_addrcpy(r.src, gw);
  r.type = ETH_TYPE_IPV4;
  memset(b, 0xaa, sizeof b);
  CHECKEQ(eth_emit(b, sizeof b, &r), ETH_HLEN);
  CHECKMEM(b, tcp_syn, ETH_HLEN);
}

// Every length short of the header is refused, and nothing past len is read
// (the copy lives in a buffer of exactly len bytes, for ASan to watch).
static void
test_truncated(void)
{
  struct eth_repr r;
  uint8_t b[ETH_HLEN];
  size_t n;

  for(n = 0; n < ETH_HLEN; n++){
    uint8_t *p = b + ETH_HLEN - n;

    memcpy(p, arp_req, n);
    CHECKEQ(eth_parse(p, n, &r), WIRE_ESHORT);
    CHECKEQ(eth_emit(p, n, &r), WIRE_ESHORT);
  }
  memcpy(b, arp_req, ETH_HLEN);
  CHECKEQ(eth_parse(b, ETH_HLEN, &r), ETH_HLEN);
}

// IEEE 802.3 3.2.6: a type below 0x0600 is a length, an 802.3 frame.
static void
test_8023(void)
{
  struct eth_repr r;
  uint8_t b[sizeof arp_req];

  memcpy(b, arp_req, sizeof b);
  put16(b + 12, 46);
  CHECKEQ(eth_parse(b, sizeof b, &r), WIRE_EFORMAT);
  put16(b + 12, 0x05ff);
  CHECKEQ(eth_parse(b, sizeof b, &r), WIRE_EFORMAT);
  put16(b + 12, 0x0600);
  CHECKEQ(eth_parse(b, sizeof b, &r), ETH_HLEN);
}

static const struct test tests[] = {
  { test_deconstruct, "deconstruct" },
  { test_construct, "construct" },
  { test_truncated, "truncated" },
  { test_8023, "8023" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
