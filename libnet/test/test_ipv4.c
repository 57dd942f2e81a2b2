// Host tests for wire/ipv4.c: captured headers with and without options,
// padding and fragments; rebuilding byte for byte; every truncation and
// each length field lying; the header an ICMP error quotes; and the
// dotted-quad helpers.
#include "libnet/wire.h"
#include "libnet/test/test.h"
#include "libnet/test/frames.h"

// Recompute the header checksum after a test has edited the header,
// so the parser gets past it to the check under test.
static void
fixsum(uint8_t *p, size_t hlen)
{
  put16(p + 10, 0);
  put16(p + 10, cksum_fold(cksum_add(0, p, hlen)));
}

static void
test_deconstruct(void)
{
  struct ipv4_repr r;

  CHECKEQ(ipv4_parse(icmp_echo + ETH_HLEN, sizeof icmp_echo - ETH_HLEN, &r), IPV4_HLEN);
  CHECKEQ(r.tos, 0);
  CHECKEQ(r.totlen, 84);
  CHECKEQ(r.id, 0x4a2c);
  CHECKEQ(r.frag, IPV4_DF);
  CHECKEQ(r.ttl, 64);
  CHECKEQ(r.proto, IP_PROTO_ICMP);
  CHECKEQ(r.hlen, IPV4_HLEN);
  CHECKEQ(r.src, 0x0a000202);
  CHECKEQ(r.dst, 0x0a00020f);
}

static void
test_construct(void)
{
  struct ipv4_repr r = {
    .tos = 0, .ttl = 64, .proto = IP_PROTO_TCP, .id = 0x0005, .frag = IPV4_DF,
    .totlen = 52, .src = 0x0a00020f, .dst = 0x0a000202,
  };
  uint8_t b[IPV4_HLEN];

  memset(b, 0xaa, sizeof b);
  CHECKEQ(ipv4_emit(b, sizeof b, &r), IPV4_HLEN);
  CHECKMEM(b, tcp_synack + ETH_HLEN, IPV4_HLEN);
}

// Every captured header parses, and emitting its repr gives back the
// same 20 bytes (when it had no options).
static void
test_roundtrip(void)
{
  static const struct { const uint8_t *f; size_t n; } fr[] = {
    { icmp_echo, sizeof icmp_echo }, { icmp_reply, sizeof icmp_reply },
    { icmp_unreach, sizeof icmp_unreach }, { udp_dns, sizeof udp_dns },
    { udp_odd, sizeof udp_odd }, { tcp_syn, sizeof tcp_syn },
    { tcp_synack, sizeof tcp_synack }, { tcp_data, sizeof tcp_data },
    { ip_frag, sizeof ip_frag },
  };
  struct ipv4_repr r;
  uint8_t b[IPV4_HLEN];
  size_t i;

  for(i = 0; i < NELEM(fr); i++){
    CHECKEQ(ipv4_parse(fr[i].f + ETH_HLEN, fr[i].n - ETH_HLEN, &r), IPV4_HLEN);
    CHECKEQ(ipv4_emit(b, sizeof b, &r), IPV4_HLEN);
    CHECKMEM(b, fr[i].f + ETH_HLEN, IPV4_HLEN);
  }
}

// A short datagram in a padded frame: the payload is totlen - hlen, not
// what is left of the buffer.
static void
test_padding(void)
{
  struct ipv4_repr r;

  CHECKEQ(ipv4_parse(udp_odd + ETH_HLEN, sizeof udp_odd - ETH_HLEN, &r), IPV4_HLEN);
  CHECKEQ(r.totlen, 33);
  CHECKEQ(sizeof udp_odd - ETH_HLEN, 46);
}

// Options are checksummed and skipped: the payload starts after them.
static void
test_options(void)
{
  struct ipv4_repr r;

  CHECKEQ(ipv4_parse(ip_opts + ETH_HLEN, sizeof ip_opts - ETH_HLEN, &r), 24);
  CHECKEQ(r.hlen, 24);
  CHECKEQ(r.totlen, 34);
  CHECKEQ(r.ttl, 1);
  CHECKEQ(r.proto, IP_PROTO_UDP);
  CHECKEQ(get16(ip_opts + ETH_HLEN + 24 + 2), 7);
}

static void
test_fragment(void)
{
  struct ipv4_repr r;

  CHECKEQ(ipv4_parse(ip_frag + ETH_HLEN, sizeof ip_frag - ETH_HLEN, &r), IPV4_HLEN);
  CHECKEQ(r.frag, IPV4_MF);
  CHECKEQ(r.frag & IPV4_OFFMASK, 0);
  CHECKEQ(r.id, 7);
}

// Below 20 bytes the header is short; from there to totlen the length
// field promises more than the buffer holds. Between 20 and the IHL of
// a header with options, it is the IHL that overruns.
static void
test_truncated(void)
{
  const uint8_t *ip = tcp_data + ETH_HLEN, *io = ip_opts + ETH_HLEN;
  struct ipv4_repr r;
  uint8_t b[64];
  size_t n;

  for(n = 0; n < 58; n++){
    memcpy(b + sizeof b - n, ip, n);
    CHECKEQ(ipv4_parse(b + sizeof b - n, n, &r), n < IPV4_HLEN ? WIRE_ESHORT : WIRE_ELEN);
  }
  for(n = IPV4_HLEN; n < 24; n++){
    memcpy(b + sizeof b - n, io, n);
    CHECKEQ(ipv4_parse(b + sizeof b - n, n, &r), WIRE_EHLEN);
  }
  CHECKEQ(ipv4_emit(b, IPV4_HLEN - 1, &r), WIRE_ESHORT);
}

static void
test_hostile(void)
{
  struct ipv4_repr r;
  uint8_t b[64];
  size_t n = sizeof tcp_data - ETH_HLEN;

  memcpy(b, tcp_data + ETH_HLEN, n);
  b[0] = 0x65;   // version 6
  fixsum(b, 20);
  CHECKEQ(ipv4_parse(b, n, &r), WIRE_EVERSION);
  b[0] = 0x44;   // IHL 4 < 5
  fixsum(b, 20);
  CHECKEQ(ipv4_parse(b, n, &r), WIRE_EHLEN);
  b[0] = 0x4f;   // IHL 15: 60 bytes > 58
  CHECKEQ(ipv4_parse(b, n, &r), WIRE_EHLEN);
  b[0] = 0x45;
  put16(b + 2, 19);   // totlen < hlen
  fixsum(b, 20);
  CHECKEQ(ipv4_parse(b, n, &r), WIRE_ELEN);
  put16(b + 2, 59);   // totlen > len
  fixsum(b, 20);
  CHECKEQ(ipv4_parse(b, n, &r), WIRE_ELEN);
  put16(b + 2, 58);
  fixsum(b, 20);
  CHECKEQ(ipv4_parse(b, n, &r), IPV4_HLEN);
  b[8] ^= 1;          // TTL changed, checksum not
  CHECKEQ(ipv4_parse(b, n, &r), WIRE_ECKSUM);
}

// An option byte is under the checksum too.
static void
test_options_cksum(void)
{
  struct ipv4_repr r;
  uint8_t b[64];
  size_t n = sizeof ip_opts - ETH_HLEN;

  memcpy(b, ip_opts + ETH_HLEN, n);
  b[22] ^= 0x80;
  CHECKEQ(ipv4_parse(b, n, &r), WIRE_ECKSUM);
}

static void
test_ntoa(void)
{
  char buf[16];

  CHECK(strcmp(ip_ntoa(0x0a00020f, buf), "10.0.2.15") == 0);
  CHECK(strcmp(ip_ntoa(0, buf), "0.0.0.0") == 0);
  CHECK(strcmp(ip_ntoa(0xffffffff, buf), "255.255.255.255") == 0);
  CHECK(strcmp(ip_ntoa(0xc0a86401, buf), "192.168.100.1") == 0);
}

static void
test_aton(void)
{
  static const char *bad[] = {
    "", "1", "1.2.3", "1.2.3.4.", "1.2.3.4.5", "256.0.0.1", "1..2.3",
    ".1.2.3", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d", "1.2.3.-4", "0001.2.3.4", "1.2.3.1000",
  };
  uint32_t ip = 0;
  size_t i;

  CHECKEQ(ip_aton("10.0.2.15", &ip), 1);
  CHECKEQ(ip, 0x0a00020f);
  CHECKEQ(ip_aton("255.255.255.255", &ip), 1);
  CHECKEQ(ip, 0xffffffff);
  CHECKEQ(ip_aton("0.0.0.0", &ip), 1);
  CHECKEQ(ip, 0);
  for(i = 0; i < NELEM(bad); i++){
    ip = 0x12345678;
    if(ip_aton(bad[i], &ip) != 0)
      printf("%s: ip_aton accepted \"%s\"\n", test_name, bad[i]);
    CHECKEQ(ip_aton(bad[i], &ip), 0);
    CHECKEQ(ip, 0x12345678);
  }
}

// RFC 791 3.1's option format, case by case: well-formed lists pass,
// each broken one is refused with the offset of the octet at fault.
static void
test_option_format(void)
{
  static const struct {
    uint8_t opt[8];
    int n;         // option bytes (the header is 20 + n)
    int want;      // ipv4_optcheck: 0, or the offending octet
  } cases[] = {
    { { 1, 1, 1, 1 }, 4, 0 },                    // no-ops
    { { 0, 7, 1, 0 }, 4, 0 },                    // after end of list, padding
    { { 148, 4, 0, 0 }, 4, 0 },                  // router alert
    { { 7, 7, 4, 0, 0, 0, 0, 0 }, 8, 0 },        // record route, one slot, then end
    { { 7, 1, 0, 0 }, 4, 21 },                   // length 1
    { { 1, 148, 0, 0 }, 4, 22 },                 // length 0
    { { 7, 8, 4, 0 }, 4, 21 },                   // runs past the header
    { { 1, 1, 1, 68 }, 4, 23 },                  // a type and no room for its length
    { { 148, 4, 0, 0, 7, 9, 0, 0 }, 8, 25 },     // the second one runs past
  };
  uint8_t h[60];
  struct ipv4_repr r;
  size_t i;

  for(i = 0; i < NELEM(cases); i++){
    memset(h, 0, sizeof h);
    h[0] = 0x40 | (20 + cases[i].n) / 4;
    put16(h + 2, 20 + cases[i].n);
    h[8] = 64;
    h[9] = IP_PROTO_UDP;
    put32(h + 12, 0x0a000202);
    put32(h + 16, 0x0a00020f);
    memcpy(h + 20, cases[i].opt, cases[i].n);
    put16(h + 10, cksum_fold(cksum_add(0, h, 20 + cases[i].n)));
    CHECKEQ(ipv4_optcheck(h, 20 + cases[i].n), cases[i].want);
    // parse fills the repr either way, so a parameter problem can be built.
    memset(&r, 0, sizeof r);
    CHECKEQ(ipv4_parse(h, 20 + cases[i].n, &r), cases[i].want ? WIRE_EFORMAT : 20 + cases[i].n);
    CHECKEQ(r.hlen, 20 + cases[i].n);
    CHECKEQ(r.src, 0x0a000202);
  }
}

// Linux's port unreachable, captured: it quotes 28 bytes of a 30-byte
// datagram, header and 8 bytes (RFC 792), so the quoted totlen runs
// past the quote, which ipv4_parse refuses and ipv4_parse_quoted takes.
static void
test_quoted(void)
{
  const uint8_t *q = icmp_unreach + ETH_HLEN + IPV4_HLEN + ICMP_HLEN;
  size_t n = sizeof icmp_unreach - ETH_HLEN - IPV4_HLEN - ICMP_HLEN;
  struct ipv4_repr r;

  CHECKEQ(n, 28);
  CHECKEQ(ipv4_parse(q, n, &r), WIRE_ELEN);
  memset(&r, 0, sizeof r);
  CHECKEQ(ipv4_parse_quoted(q, n, &r), IPV4_HLEN);
  CHECKEQ(r.hlen, IPV4_HLEN);
  CHECKEQ(r.totlen, 30);
  CHECKEQ(r.id, 0x1111);
  CHECKEQ(r.frag, 0);
  CHECKEQ(r.ttl, 64);
  CHECKEQ(r.proto, IP_PROTO_UDP);
  CHECKEQ(r.src, 0x0a000202);
  CHECKEQ(r.dst, 0x0a00020f);
  CHECKEQ(get16(q + r.hlen + 2), 9);    // the quoted UDP destination port
}

// The quote must hold the header and 8 more bytes (RFC 1122 3.2.2), or
// the whole datagram if that is shorter; the checksum may be stale
// (RFC 1812 4.3.2.3: a router need not undo its TTL decrement).
static void
test_quoted_bounds(void)
{
  const uint8_t *q = icmp_unreach + ETH_HLEN + IPV4_HLEN + ICMP_HLEN;
  struct ipv4_repr r;
  uint8_t b[64];
  size_t n;

  for(n = 0; n < 28; n++){
    memcpy(b + sizeof b - n, q, n);
    CHECKEQ(ipv4_parse_quoted(b + sizeof b - n, n, &r), WIRE_ESHORT);
  }
  memcpy(b, q, 28);
  b[8]--;                  // TTL decremented, checksum not updated
  CHECKEQ(ipv4_parse_quoted(b, 28, &r), IPV4_HLEN);
  CHECKEQ(r.ttl, 63);
  put16(b + 2, 24);        // a datagram of 4 payload bytes, quoted whole
  CHECKEQ(ipv4_parse_quoted(b, 24, &r), IPV4_HLEN);
  CHECKEQ(ipv4_parse_quoted(b, 23, &r), WIRE_ESHORT);
  put16(b + 2, 19);        // totlen under the header
  CHECKEQ(ipv4_parse_quoted(b, 28, &r), WIRE_ELEN);
  put16(b + 2, 30);
  b[0] = 0x44;
  CHECKEQ(ipv4_parse_quoted(b, 28, &r), WIRE_EHLEN);
  b[0] = 0x65;
  CHECKEQ(ipv4_parse_quoted(b, 28, &r), WIRE_EVERSION);
  put16(b + 2, 60);
  b[0] = 0x46;             // an option word: 24 + 8 bytes needed
  CHECKEQ(ipv4_parse_quoted(b, 28, &r), WIRE_ESHORT);
  memset(b + 28, 0, 4);
  CHECKEQ(ipv4_parse_quoted(b, 32, &r), 24);
  CHECKEQ(r.hlen, 24);
}

static const struct test tests[] = {
  { test_deconstruct, "deconstruct" },
  { test_construct, "construct" },
  { test_roundtrip, "roundtrip" },
  { test_padding, "padding" },
  { test_options, "options" },
  { test_fragment, "fragment" },
  { test_truncated, "truncated" },
  { test_hostile, "hostile" },
  { test_options_cksum, "options_cksum" },
  { test_option_format, "option_format" },
  { test_quoted, "quoted" },
  { test_quoted_bounds, "quoted_bounds" },
  { test_ntoa, "ntoa" },
  { test_aton, "aton" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
