// Host tests for wire/arp.c: a captured request and reply, parsed field
// by field and rebuilt byte for byte (Ethernet header and padding too),
// truncation at every length, and each fixed field gone wrong.
#include "libnet/wire.h"
#include "libnet/test/test.h"
#include "libnet/test/frames.h"

static const uint8_t zero[6];
static const uint8_t gw[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t me[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void
test_deconstruct_request(void)
{
  struct arp_repr r;

  // The frame carries 18 bytes of padding after the 28: ignored.
  CHECKEQ(arp_parse(arp_req + ETH_HLEN, sizeof arp_req - ETH_HLEN, &r), ARP_LEN);
  CHECKEQ(r.op, ARP_REQUEST);
  CHECKMEM(r.sha, gw, 6);
  CHECKEQ(r.spa, 0x0a000202);
  CHECKMEM(r.tha, zero, 6);
  CHECKEQ(r.tpa, 0x0a00020f);
}

static void
test_deconstruct_reply(void)
{
  struct arp_repr r;

  CHECKEQ(arp_parse(arp_rep + ETH_HLEN, ARP_LEN, &r), ARP_LEN);
  CHECKEQ(r.op, ARP_REPLY);
  CHECKMEM(r.sha, me, 6);
  CHECKEQ(r.spa, 0x0a00020f);
  CHECKMEM(r.tha, gw, 6);
  CHECKEQ(r.tpa, 0x0a000202);
}

// Build the whole reply frame as arp.c above would, padding included.
static void
test_construct_reply(void)
{
  struct eth_repr e;
  struct arp_repr a;
  uint8_t b[ETH_MINFRAME];

  memset(b, 0, sizeof b);
  eth_addrcpy(e.dst, gw);
  eth_addrcpy(e.src, me);
  e.type = ETH_TYPE_ARP;
  a.op = ARP_REPLY;
  eth_addrcpy(a.sha, me);
  a.spa = 0x0a00020f;
  eth_addrcpy(a.tha, gw);
  a.tpa = 0x0a000202;
  CHECKEQ(eth_emit(b, sizeof b, &e), ETH_HLEN);
  CHECKEQ(arp_emit(b + ETH_HLEN, sizeof b - ETH_HLEN, &a), ARP_LEN);
  CHECKMEM(b, arp_rep, sizeof arp_rep);
}

// Parse a request, emit it, and get the same 28 bytes back.
static void
test_roundtrip(void)
{
  struct arp_repr r;
  uint8_t b[ARP_LEN];

  CHECKEQ(arp_parse(arp_req + ETH_HLEN, ARP_LEN, &r), ARP_LEN);
  CHECKEQ(arp_emit(b, sizeof b, &r), ARP_LEN);
  CHECKMEM(b, arp_req + ETH_HLEN, ARP_LEN);
}

static void
test_truncated(void)
{
  struct arp_repr r;
  uint8_t b[ARP_LEN];
  size_t n;

  for(n = 0; n < ARP_LEN; n++){
    uint8_t *p = b + ARP_LEN - n;

    memcpy(p, arp_req + ETH_HLEN, n);
    CHECKEQ(arp_parse(p, n, &r), WIRE_ESHORT);
    CHECKEQ(arp_emit(p, n, &r), WIRE_ESHORT);
  }
}

// Each fixed field of RFC 826 for Ethernet and IPv4, and the opcode.
static void
test_format(void)
{
  static const struct { int off, size; uint16_t bad; } f[] = {
    { 0, 2, 6 },        // hardware type IEEE 802
    { 2, 2, 0x86dd },   // protocol type IPv6
    { 4, 1, 8 },        // hardware address length
    { 5, 1, 16 },       // protocol address length
    { 6, 2, 0 },        // opcode 0
    { 6, 2, 3 },        // RARP request
  };
  struct arp_repr r;
  uint8_t b[ARP_LEN];
  size_t i;

  for(i = 0; i < NELEM(f); i++){
    memcpy(b, arp_req + ETH_HLEN, ARP_LEN);
    if(f[i].size == 2)
      put16(b + f[i].off, f[i].bad);
    else
      b[f[i].off] = f[i].bad;
    CHECKEQ(arp_parse(b, sizeof b, &r), WIRE_EFORMAT);
  }
}

static const struct test tests[] = {
  { test_deconstruct_request, "deconstruct_request" },
  { test_deconstruct_reply, "deconstruct_reply" },
  { test_construct_reply, "construct_reply" },
  { test_roundtrip, "roundtrip" },
  { test_truncated, "truncated" },
  { test_format, "format" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
