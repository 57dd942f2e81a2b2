// Host tests for the answers a host owes, and the ones it must not give
// (RFC 1122 3.2.2): no error about a datagram that came as a link-layer
// broadcast, and a parameter problem (RFC 792) for a header whose
// options break RFC 791's format.
#include "libnet/test/stack.h"

enum { IP = ETH_HLEN };

// A UDP datagram from PEER:4000 to dst:9999 ("opt!"), in a frame to
// dmac, its IP header carrying the nopt bytes at opt as options (padded
// with zeros, end of list, to a multiple of 4). Returns the frame's length.
static int
optframe(uint8_t *f, const uint8_t *dmac, uint32_t dst, uint16_t frag,
         const uint8_t *opt, int nopt)
{
  uint8_t seg[UDP_HLEN + 4];
  struct udp_repr u = { .sport = 4000, .dport = 9999, .len = sizeof seg };
  struct ipv4_repr ip = { .proto = IP_PROTO_UDP, .src = PEER, .dst = dst, .id = 7, .frag = frag };
  int hl = IPV4_HLEN + (nopt + 3) / 4 * 4, n;

  memcpy(seg + UDP_HLEN, "opt!", 4);
  udp_emit(seg, sizeof seg, PEER, dst, &u);
  stack_ipframe(f, dmac, &ip, seg, sizeof seg);
  memmove(f + IP + hl, f + IP + IPV4_HLEN, sizeof seg);
  memset(f + IP + IPV4_HLEN, 0, hl - IPV4_HLEN);
  memcpy(f + IP + IPV4_HLEN, opt, nopt);
  f[IP] = 0x40 | hl / 4;
  put16(f + IP + 2, hl + sizeof seg);
  put16(f + IP + 10, 0);
  put16(f + IP + 10, cksum_fold(cksum_add(0, f + IP, hl)));
  n = IP + hl + sizeof seg;
  for(; n < ETH_MINFRAME; n++)
    f[n] = 0;
  return n;
}

// RFC 1122 3.2.2: no ICMP error about "a datagram sent as a link-layer
// broadcast", even to our unicast address; counted as such. The same
// datagram to our MAC draws port unreachable.
static void
test_no_error_for_link_broadcast(void)
{
  uint8_t f[FMAX];
  struct ipv4_repr ip = { .proto = 99, .src = PEER, .dst = ME, .id = 5 };
  int n;

  stack_reset();
  stack_learn(PEER, peermac);
  net_become_default();
  n = stack_udpframe(f, PEER, 4000, ME, 9999, "bcast", 5);
  memcpy(f, allmac, 6);
  stack_input(f, n);
  CHECKEQ(STAT(udp_drop_noport), 1);
  CHECKEQ(stack_drain(), 0);
  // A protocol we do not speak, by link broadcast: no protocol unreachable.
  stack_input(f, stack_ipframe(f, allmac, &ip, (const uint8_t *)"proto99!", 8));
  CHECKEQ(STAT(ip_drop_proto), 1);
  CHECKEQ(stack_drain(), 0);
  CHECKEQ(statn("icmp_err_llbcast"), 2);
  CHECKEQ(STAT(icmp_err_tx), 0);
  // An Ethernet multicast address is a link-layer broadcast too
  // (RFC 1122 3.3.6), if the stack lets it in at all.
  n = stack_udpframe(f, PEER, 4000, ME, 9999, "mcast", 5);
  f[0] = 0x01, f[1] = 0x00, f[2] = 0x5e;
  stack_input(f, n);
  CHECKEQ(STAT(icmp_err_tx), 0);
  CHECKEQ(stack_drain(), 0);
  // Unicast: answered.
  stack_input(f, stack_udpframe(f, PEER, 4000, ME, 9999, "ucast", 5));
  CHECKEQ(STAT(icmp_err_tx), 1);
  CHECKEQ(stack_drain(), 1);
}

// A datagram reassembled from fragments, one of which came by link
// broadcast, is as broadcast as that fragment: no error about it.
static void
test_no_error_for_link_broadcast_fragment(void)
{
  static uint8_t dg[UDP_HLEN + 2000];
  uint8_t f[FMAX];
  struct udp_repr u = { .sport = 4000, .dport = 9999, .len = sizeof dg };
  struct ipv4_repr ip = { .proto = IP_PROTO_UDP, .src = PEER, .dst = ME, .id = 11 };

  stack_reset();
  stack_learn(PEER, peermac);
  net_become_default();
  udp_emit(dg, sizeof dg, PEER, ME, &u);
  ip.frag = IPV4_MF;
  stack_input(f, stack_ipframe(f, mymac, &ip, dg, 1480));
  ip.frag = 1480 / 8;
  stack_input(f, stack_ipframe(f, allmac, &ip, dg + 1480, sizeof dg - 1480));
  CHECKEQ(STAT(ip_reasm_ok), 1);
  CHECKEQ(STAT(udp_drop_noport), 1);
  CHECKEQ(statn("icmp_err_llbcast"), 1);
  CHECKEQ(stack_drain(), 0);
}

// Send the frame f (n bytes) and expect one parameter problem with
// pointer ptr back, quoting the datagram whole.
static void
expect_paramprob(uint8_t *f, int n, int ptr)
{
  uint8_t out[FMAX], orig[FMAX];
  struct eth_repr e;
  struct ipv4_repr ip;
  struct icmp_repr ic;
  int off, olen;

  memcpy(orig, f, n);
  olen = get16(orig + IP + 2);
  stack_input(f, n);
  off = stack_takeip(out, &e, &ip);
  CHECK(off > 0);
  if(off <= 0)
    return;
  CHECKEQ(ip.proto, IP_PROTO_ICMP);
  CHECKEQ(ip.dst, PEER);
  CHECKMEM(e.dst, peermac, 6);
  CHECKEQ(icmp_parse(out + off, ip.totlen - ip.hlen, &ic), ICMP_HLEN);
  CHECKEQ(ic.type, ICMP_PARAMPROB);
  CHECKEQ(ic.code, 0);
  // RFC 792: the pointer is the first octet after the header, the other
  // three unused (zero).
  CHECKEQ(ic.rest, (uint32_t)ptr << 24);
  CHECKEQ(ip.totlen - ip.hlen - ICMP_HLEN, olen);
  CHECKMEM(out + off + ICMP_HLEN, orig + IP, olen);
  CHECKEQ(stack_drain(), 0);
}

// RFC 1122 3.2.2.5: a host SHOULD send a parameter problem when it
// drops a datagram for a bad header field. RFC 791's option format: an
// option other than end-of-list and no-op has a length octet, at least
// 2, and ends inside the header. Each is pointed at.
static void
test_paramprob_bad_option(void)
{
  static const uint8_t len1[] = { 7, 1 };             // record route of length 1
  static const uint8_t past[] = { 7, 8, 4, 0 };       // 8 bytes in a 4-byte option area
  static const uint8_t nolen[] = { 1, 1, 1, 68 };     // timestamp, no room for its length
  static const uint8_t len0[] = { 1, 148, 0, 0 };     // router alert of length 0
  uint8_t f[FMAX];
  int fd;

  stack_reset();
  stack_learn(PEER, peermac);
  net_become_default();
  fd = stack_udpsock(9999);
  expect_paramprob(f, optframe(f, mymac, ME, 0, len1, sizeof len1), 21);
  expect_paramprob(f, optframe(f, mymac, ME, 0, past, sizeof past), 21);
  expect_paramprob(f, optframe(f, mymac, ME, 0, nolen, sizeof nolen), 23);
  expect_paramprob(f, optframe(f, mymac, ME, 0, len0, sizeof len0), 22);
  CHECKEQ(statn("ip_drop_format"), 4);
  CHECKEQ(STAT(icmp_err_tx), 4);
  CHECKEQ(ln_recv(fd, f, 16, MSG_DONTWAIT), -1);
}

// Well-formed options pass: no-ops, a record route, and whatever
// follows an end-of-list (padding, RFC 791).
static void
test_good_options_pass(void)
{
  static const uint8_t rr[] = { 1, 7, 7, 4, 0, 0, 0, 0 };
  static const uint8_t eol[] = { 0, 7, 1, 0 };
  uint8_t f[FMAX], b[16];
  int fd;

  stack_reset();
  stack_learn(PEER, peermac);
  net_become_default();
  fd = stack_udpsock(9999);
  stack_input(f, optframe(f, mymac, ME, 0, rr, sizeof rr));
  stack_input(f, optframe(f, mymac, ME, 0, eol, sizeof eol));
  CHECKEQ(ln_recv(fd, b, sizeof b, MSG_DONTWAIT), 4);
  CHECKEQ(ln_recv(fd, b, sizeof b, MSG_DONTWAIT), 4);
  CHECKEQ(statn("ip_drop_format"), 0);
  CHECKEQ(stack_drain(), 0);
}

// No parameter problem when RFC 1122 3.2.2 forbids an error: by link
// broadcast, to a broadcast address, about a fragment but the first;
// nor from a process that does not answer for the host. Each is still
// dropped and counted.
static void
test_paramprob_refused(void)
{
  static const uint8_t bad[] = { 7, 1, 0, 0 };
  uint8_t f[FMAX];

  stack_reset();
  stack_learn(PEER, peermac);
  stack_input(f, optframe(f, mymac, ME, 0, bad, sizeof bad));     // not the responder
  CHECKEQ(stack_drain(), 0);
  net_become_default();
  stack_input(f, optframe(f, allmac, ME, 0, bad, sizeof bad));
  stack_input(f, optframe(f, allmac, SUBNETBC, 0, bad, sizeof bad));
  stack_input(f, optframe(f, mymac, ME, 100, bad, sizeof bad));   // offset 800
  CHECKEQ(stack_drain(), 0);
  CHECKEQ(statn("ip_drop_format"), 4);
  CHECKEQ(statn("icmp_err_llbcast"), 1);
  CHECKEQ(statn("icmp_err_refused"), 2);
  CHECKEQ(STAT(icmp_err_tx), 0);
  // A first fragment is answered.
  stack_input(f, optframe(f, mymac, ME, IPV4_MF, bad, sizeof bad));
  CHECKEQ(STAT(icmp_err_tx), 1);
  CHECKEQ(stack_drain(), 1);
}

// Rate-limited like every error: a flood of bad headers does not
// become a flood of parameter problems.
static void
test_paramprob_ratelimit(void)
{
  static const uint8_t bad[] = { 7, 1, 0, 0 };
  uint8_t f[FMAX];
  uint8_t out[FMAX];
  struct eth_repr e;
  struct ipv4_repr ip;
  int i, off, n;

  stack_reset();
  stack_learn(PEER, peermac);
  net_become_default();
  for(i = 0; i < 30; i++)
    stack_input(f, optframe(f, mymac, ME, 0, bad, sizeof bad));
  CHECKEQ(STAT(icmp_err_tx), 10);
  CHECKEQ(STAT(icmp_err_ratelimit), 20);
  for(n = 0; (off = stack_takeip(out, &e, &ip)) > 0; n++)
    CHECKEQ(out[off], ICMP_PARAMPROB);
  CHECKEQ(n, 10);
}

static const struct test tests[] = {
  { test_no_error_for_link_broadcast, "no_error_for_link_broadcast" },
  { test_no_error_for_link_broadcast_fragment, "no_error_for_link_broadcast_fragment" },
  { test_paramprob_bad_option, "paramprob_bad_option" },
  { test_good_options_pass, "good_options_pass" },
  { test_paramprob_refused, "paramprob_refused" },
  { test_paramprob_ratelimit, "paramprob_ratelimit" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
