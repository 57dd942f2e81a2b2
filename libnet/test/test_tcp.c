// Host tests for wire/tcp.c: a Linux SYN (with timestamps to skip), a
// SYN-ACK and a data segment rebuilt byte for byte as whole frames, the
// options we emit, truncations, data offsets out of range, and options
// that lie about their length.
#include "libnet/wire.h"
#include "libnet/test/test.h"
#include "libnet/test/frames.h"

enum { IP = ETH_HLEN, TCP = ETH_HLEN + IPV4_HLEN };
enum { ME = 0x0a00020f, GW = 0x0a000202 };

static const uint8_t gw[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t me[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void
test_deconstruct_syn(void)
{
  struct tcp_repr r;

  CHECKEQ(tcp_parse(tcp_syn + TCP, 40, GW, ME, &r), 40);
  CHECKEQ(r.sport, 40000);
  CHECKEQ(r.dport, 80);
  CHECKEQ(r.seq, 0x2b0c1d5e);
  CHECKEQ(r.ack, 0);
  CHECKEQ(r.flags, TCP_SYN);
  CHECKEQ(r.win, 64240);
  CHECKEQ(r.urg, 0);
  CHECKEQ(r.hlen, 40);
  CHECKEQ(r.mss, 1460);
  CHECKEQ(r.wscale, 7);
  CHECKEQ(r.sackok, 1);
}

static void
test_deconstruct_data(void)
{
  struct tcp_repr r;

  CHECKEQ(tcp_parse(tcp_data + TCP, 38, GW, ME, &r), TCP_HLEN);
  CHECKEQ(r.seq, 0x2b0c1d5f);
  CHECKEQ(r.ack, 0x1001);
  CHECKEQ(r.flags, TCP_PSH | TCP_ACK);
  CHECKEQ(r.win, 502);
  CHECKEQ(r.mss, 0);
  CHECKEQ(r.wscale, -1);
  CHECKEQ(r.sackok, 0);
  CHECK(memcmp(tcp_data + TCP + TCP_HLEN, "GET / HTTP/1.0\r\n\r\n", 18) == 0);
}

// The SYN-ACK as tcp_output would build it, the whole frame.
static void
test_construct_synack(void)
{
  struct eth_repr e = { .type = ETH_TYPE_IPV4 };
  struct ipv4_repr ip = {
    .ttl = 64, .proto = IP_PROTO_TCP, .id = 5, .frag = IPV4_DF, .totlen = 52, .src = ME, .dst = GW,
  };
  struct tcp_repr t = {
    .sport = 80, .dport = 40000, .seq = 0x1000, .ack = 0x2b0c1d5f, .flags = TCP_SYN | TCP_ACK,
    .win = 65535, .mss = 1460, .wscale = 2, .sackok = 1,
  };
  uint8_t b[sizeof tcp_synack];

  memset(b, 0xaa, sizeof b);
  eth_addrcpy(e.dst, gw);
  eth_addrcpy(e.src, me);
  CHECKEQ(tcp_hdrlen(&t), 32);
  CHECKEQ(eth_emit(b, sizeof b, &e), ETH_HLEN);
  CHECKEQ(ipv4_emit(b + IP, sizeof b - IP, &ip), IPV4_HLEN);
  CHECKEQ(tcp_emit(b + TCP, sizeof b - TCP, ME, GW, &t, 0), 32);
  CHECKMEM(b, tcp_synack, sizeof tcp_synack);
}

static void
test_construct_data(void)
{
  struct tcp_repr t = {
    .sport = 40000, .dport = 80, .seq = 0x2b0c1d5f, .ack = 0x1001, .flags = TCP_PSH | TCP_ACK,
    .win = 502, .wscale = -1,
  };
  uint8_t b[38];

  memset(b, 0xaa, TCP_HLEN);
  memcpy(b + TCP_HLEN, "GET / HTTP/1.0\r\n\r\n", 18);
  CHECKEQ(tcp_hdrlen(&t), TCP_HLEN);
  CHECKEQ(tcp_emit(b, sizeof b, GW, ME, &t, 18), TCP_HLEN);
  CHECKMEM(b, tcp_data + TCP, sizeof b);
}

// Each option alone, then all: lengths, and what parses back.
static void
test_options_roundtrip(void)
{
  static const struct { uint16_t mss; int8_t ws; uint8_t sack; int hlen; } c[] = {
    { 0, -1, 0, 20 }, { 536, -1, 0, 24 }, { 0, 0, 0, 24 }, { 0, -1, 1, 24 },
    { 1460, 14, 0, 28 }, { 0, 3, 1, 28 }, { 9000, 7, 1, 32 },
  };
  struct tcp_repr t = { .sport = 1, .dport = 2, .flags = TCP_SYN }, r;
  uint8_t b[TCP_MAXHLEN + 3] = { 0 };
  size_t i;

  for(i = 0; i < NELEM(c); i++){
    t.mss = c[i].mss;
    t.wscale = c[i].ws;
    t.sackok = c[i].sack;
    CHECKEQ(tcp_hdrlen(&t), c[i].hlen);
    CHECKEQ(tcp_emit(b, c[i].hlen + 3, ME, GW, &t, 3), c[i].hlen);
    CHECKEQ(tcp_parse(b, c[i].hlen + 3, ME, GW, &r), c[i].hlen);
    CHECKEQ(r.mss, t.mss);
    CHECKEQ(r.wscale, t.wscale);
    CHECKEQ(r.sackok, t.sackok);
  }
}

static void
test_truncated(void)
{
  struct tcp_repr r = { .wscale = -1 };
  uint8_t b[40];
  size_t n;

  for(n = 0; n < TCP_HLEN; n++){
    memcpy(b + sizeof b - n, tcp_syn + TCP, n);
    CHECKEQ(tcp_parse(b + sizeof b - n, n, GW, ME, &r), WIRE_ESHORT);
    CHECKEQ(tcp_emit(b + sizeof b - n, n, GW, ME, &r, 0), WIRE_ESHORT);
  }
  // The data offset says 40: anything shorter cannot hold the options.
  for(n = TCP_HLEN; n < 40; n++){
    memcpy(b + sizeof b - n, tcp_syn + TCP, n);
    CHECKEQ(tcp_parse(b + sizeof b - n, n, GW, ME, &r), WIRE_EHLEN);
  }
  r.mss = 1460;
  CHECKEQ(tcp_emit(b, 23, GW, ME, &r, 0), WIRE_ESHORT);
  CHECKEQ(tcp_emit(b, 30, GW, ME, &r, 7), WIRE_ESHORT);
  CHECKEQ(tcp_emit(b, 31, GW, ME, &r, 7), 24);
}

// Build a segment whose options are o[0..n) (n a multiple of 4) and
// whose checksum is right, so only the options can be at fault.
static size_t
mkseg(uint8_t *b, const uint8_t *o, size_t n)
{
  memcpy(b, tcp_data + TCP, TCP_HLEN);
  memcpy(b + TCP_HLEN, o, n);
  b[12] = (TCP_HLEN + n) / 4 << 4;
  put16(b + 16, 0);
  put16(b + 16, cksum_fold(cksum_add(cksum_pseudo(GW, ME, IP_PROTO_TCP, TCP_HLEN + n), b, TCP_HLEN + n)));
  return TCP_HLEN + n;
}

static void
test_hostile_offset(void)
{
  struct tcp_repr r;
  uint8_t b[64];
  int off;

  // RFC 9293 3.1: the data offset is at least 5 words.
  for(off = 0; off < 5; off++){
    memcpy(b, tcp_data + TCP, 38);
    b[12] = off << 4;
    CHECKEQ(tcp_parse(b, 38, GW, ME, &r), WIRE_EHLEN);
  }
  memcpy(b, tcp_data + TCP, 38);
  b[12] = 10 << 4;   // 40 > 38
  CHECKEQ(tcp_parse(b, 38, GW, ME, &r), WIRE_EHLEN);
  b[12] = 5 << 4;
  CHECKEQ(tcp_parse(b, 38, GW, ME, &r), TCP_HLEN);
  b[30] ^= 0x20;     // data is under the checksum
  CHECKEQ(tcp_parse(b, 38, GW, ME, &r), WIRE_ECKSUM);
  b[30] ^= 0x20;
  // So is the pseudo-header (swapping the addresses would not show it).
  CHECKEQ(tcp_parse(b, 38, GW, ME + 1, &r), WIRE_ECKSUM);
}

static void
test_hostile_options(void)
{
  static const struct { uint8_t o[8]; size_t n; } c[] = {
    { { 2, 3, 5, 0 }, 4 },                // MSS of length 3
    { { 2, 5, 5, 0xb4, 0, 1, 1, 1 }, 8 }, // MSS of length 5
    { { 3, 4, 7, 0 }, 4 },                // WS of length 4
    { { 4, 3, 0, 0 }, 4 },                // SACKOK of length 3
    { { 30, 0, 0, 0 }, 4 },               // length 0 would never advance
    { { 30, 1, 0, 0 }, 4 },               // length 1 ends inside itself
    { { 1, 1, 30, 3 }, 4 },               // runs past the header
    { { 1, 1, 1, 2 }, 4 },                // a kind with no room for its length
    { { 8, 10, 0, 0, 0, 0, 0, 0 }, 8 },   // timestamps cut off by the header's end
  };
  struct tcp_repr r;
  uint8_t b[64];
  size_t i, n;

  for(i = 0; i < NELEM(c); i++){
    n = mkseg(b, c[i].o, c[i].n);
    CHECKEQ(tcp_parse(b, n, GW, ME, &r), WIRE_EFORMAT);
  }
}

// What is tolerated: unknown options skipped by length, anything after
// EOL ignored, a window scale above 14 taken as 14 (RFC 7323 2.3).
static void
test_tolerated_options(void)
{
  static const uint8_t unknown[] = { 30, 6, 1, 2, 3, 4, 2, 4, 0x05, 0xb4, 1, 1 };
  static const uint8_t eol[] = { 3, 3, 5, 0, 0xff, 0xff, 0xff, 0xff };
  static const uint8_t bigws[] = { 1, 3, 3, 200 };
  struct tcp_repr r;
  uint8_t b[64];
  size_t n;

  n = mkseg(b, unknown, sizeof unknown);
  CHECKEQ(tcp_parse(b, n, GW, ME, &r), 32);
  CHECKEQ(r.mss, 1460);
  CHECKEQ(r.wscale, -1);
  n = mkseg(b, eol, sizeof eol);
  CHECKEQ(tcp_parse(b, n, GW, ME, &r), 28);
  CHECKEQ(r.wscale, 5);
  CHECKEQ(r.mss, 0);
  n = mkseg(b, bigws, sizeof bigws);
  CHECKEQ(tcp_parse(b, n, GW, ME, &r), 24);
  CHECKEQ(r.wscale, 14);
}

static const struct test tests[] = {
  { test_deconstruct_syn, "deconstruct_syn" },
  { test_deconstruct_data, "deconstruct_data" },
  { test_construct_synack, "construct_synack" },
  { test_construct_data, "construct_data" },
  { test_options_roundtrip, "options_roundtrip" },
  { test_truncated, "truncated" },
  { test_hostile_offset, "hostile_offset" },
  { test_hostile_options, "hostile_options" },
  { test_tolerated_options, "tolerated_options" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
