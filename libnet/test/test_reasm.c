// Host tests for ipv4.c's reassembly on loop.c's device: fragments in
// order, reversed, duplicated, overlapping, never completed, and the
// bounds on memory, slots and fragments per datagram. The heap is
// weighed with ASan's allocator before and after, so a partial datagram
// that is dropped must give back every byte it held; ASan's leak check
// at exit catches anything lost outright.
#include "libnet/test/stack.h"

size_t __sanitizer_get_current_allocated_bytes(void);

static uint8_t dgram[70000];     // the UDP datagram being fragmented
static int dlen;

// A UDP datagram from PEER:4000 to our port 7 carrying n bytes of a
// pattern that differs for each seed.
static void
mkdgram(int n, int seed)
{
  struct udp_repr u = { .sport = 4000, .dport = 7, .len = UDP_HLEN + n };

  for(int i = 0; i < n; i++)
    dgram[UDP_HLEN + i] = i * 13 + seed + (i >> 8);
  udp_emit(dgram, u.len, PEER, ME, &u);
  dlen = u.len;
}

// Inject dgram[off, off+len) as a fragment of datagram id; MF unless it
// is the tail.
static void
frag(int id, int off, int len)
{
  uint8_t f[FMAX];
  struct ipv4_repr ip = { .proto = IP_PROTO_UDP, .src = PEER, .dst = ME, .id = id };

  ip.frag = off / 8 | (off + len < dlen ? IPV4_MF : 0);
  stack_input(f, stack_ipframe(f, mymac, &ip, dgram + off, len));
}

// The next datagram on fd is dgram's payload.
static void
expect(int fd)
{
  static uint8_t b[70000];

  CHECKEQ(ln_recv(fd, b, sizeof b, MSG_DONTWAIT), dlen - UDP_HLEN);
  CHECKMEM(b, dgram + UDP_HLEN, dlen - UDP_HLEN);
}

static void
expectnone(int fd)
{
  uint8_t b[16];

  errno = 0;
  CHECKEQ(ln_recv(fd, b, sizeof b, MSG_DONTWAIT), -1);
  CHECKEQ(errno, EAGAIN);
}

static void
test_in_order(void)
{
  int fd;

  stack_reset();
  fd = stack_udpsock(7);
  mkdgram(3000, 1);
  frag(1, 0, 1000);
  frag(1, 1000, 1000);
  expectnone(fd);
  frag(1, 2000, 1008);
  expect(fd);
  CHECKEQ(STAT(ip_frag_rx), 3);
  CHECKEQ(STAT(ip_reasm_ok), 1);
  CHECKEQ(STAT(ip_reasm_drop), 0);
  CHECKEQ(STAT(udp_rx), 1);
}

static void
test_reverse(void)
{
  int fd;

  stack_reset();
  fd = stack_udpsock(7);
  mkdgram(3000, 2);
  frag(2, 2000, 1008);
  frag(2, 1000, 1000);
  expectnone(fd);
  frag(2, 0, 1000);
  expect(fd);
  CHECKEQ(STAT(ip_reasm_ok), 1);
}

// The network duplicates: each copy is dropped and counted, and the
// datagram still completes, once.
static void
test_duplicates(void)
{
  int fd;

  stack_reset();
  fd = stack_udpsock(7);
  mkdgram(3000, 3);
  frag(3, 0, 1000);
  frag(3, 0, 1000);
  frag(3, 2000, 1008);
  frag(3, 2000, 1008);
  frag(3, 1000, 1000);
  expect(fd);
  expectnone(fd);
  CHECKEQ(STAT(ip_reasm_drop), 2);
  CHECKEQ(STAT(ip_reasm_ok), 1);
}

// An overlap kills the datagram; its later fragments are dropped too,
// and its slot goes quietly at the timeout (no time exceeded: nothing
// of it is held).
static void
test_overlap(void)
{
  int fd;

  stack_reset();
  stack_learn(PEER, peermac);
  net_become_default();
  fd = stack_udpsock(7);
  mkdgram(3000, 4);
  frag(4, 0, 1000);
  frag(4, 496, 1000);
  CHECKEQ(STAT(ip_reasm_drop), 1);
  frag(4, 1000, 1000);
  frag(4, 2000, 1008);
  expectnone(fd);
  CHECKEQ(STAT(ip_reasm_drop), 3);
  CHECKEQ(STAT(ip_reasm_ok), 0);
  // The same offset with other bytes is an overlap, not a duplicate.
  mkdgram(3000, 5);
  frag(5, 0, 1000);
  dgram[UDP_HLEN + 100] ^= 1;
  frag(5, 0, 1000);
  CHECKEQ(STAT(ip_reasm_drop), 4);
  ln_clock_offset_ms += REASM_TIMEOUT_MS + 1;
  net_poll(0);
  CHECKEQ(STAT(ip_reasm_timeout), 0);
  CHECKEQ(stack_drain(), 0);
}

// Fragments that never complete: kept REASM_TIMEOUT_MS, then dropped
// and counted, every byte freed, and since fragment zero came the
// sender hears time exceeded, code 1 (RFC 1122 3.3.2).
static void
test_timeout(void)
{
  uint8_t f[FMAX];
  struct eth_repr e;
  struct ipv4_repr ip;
  struct icmp_repr ic;
  size_t before;
  int fd, off;

  stack_reset();
  stack_learn(PEER, peermac);
  net_become_default();
  fd = stack_udpsock(7);
  mkdgram(3000, 6);
  before = __sanitizer_get_current_allocated_bytes();
  frag(6, 0, 1000);
  frag(6, 2000, 1008);
  CHECK(__sanitizer_get_current_allocated_bytes() >= before + 2008);
  ln_clock_offset_ms += REASM_TIMEOUT_MS - 500;
  net_poll(0);
  CHECKEQ(STAT(ip_reasm_timeout), 0);
  ln_clock_offset_ms += 501;
  net_poll(0);
  CHECKEQ(STAT(ip_reasm_timeout), 1);
  CHECKEQ(__sanitizer_get_current_allocated_bytes(), before);
  expectnone(fd);
  off = stack_takeip(f, &e, &ip);
  CHECK(off > 0);
  if(off < 0)
    return;
  CHECKEQ(ip.dst, PEER);
  CHECKEQ(ip.proto, IP_PROTO_ICMP);
  CHECKEQ(icmp_parse(f + off, ip.totlen - ip.hlen, &ic), ICMP_HLEN);
  CHECKEQ(ic.type, ICMP_TIMXCEED);
  CHECKEQ(ic.code, 1);
  CHECKEQ(ip.totlen - ip.hlen, ICMP_HLEN + IPV4_HLEN + 8);
  CHECKEQ(get16(f + off + ICMP_HLEN + 4), 6);                    // the quoted id
  CHECKMEM(f + off + ICMP_HLEN + IPV4_HLEN, dgram, 8);            // and UDP header
  // Without fragment zero there is nothing to quote, so nothing is sent.
  frag(7, 1000, 1000);
  ln_clock_offset_ms += REASM_TIMEOUT_MS + 1;
  net_poll(0);
  CHECKEQ(STAT(ip_reasm_timeout), 2);
  CHECKEQ(stack_drain(), 0);
  CHECKEQ(__sanitizer_get_current_allocated_bytes(), before);
}

// All partial datagrams together hold at most REASM_MAXBYTES: the
// fragment that would pass it kills its datagram, which gives its
// bytes back, and the others go on.
static void
test_memory_bound(void)
{
  size_t before;
  int id, k, fd;

  stack_reset();
  stack_learn(PEER, peermac);
  fd = stack_udpsock(7);
  mkdgram(60000, 7);
  before = __sanitizer_get_current_allocated_bytes();
  // 7 datagrams of 6 x 1480 bytes (62160) and 2 more fit under 65536;
  // the 45th fragment does not.
  for(id = 1; id <= REASM_NSLOT; id++)
    for(k = 0; k < 6; k++)
      frag(100 + id, k * 1480, 1480);
  CHECKEQ(STAT(ip_frag_rx), REASM_NSLOT * 6);
  CHECKEQ(STAT(ip_reasm_drop), 4);       // the killer and 3 late ones
  CHECK(__sanitizer_get_current_allocated_bytes() - before < REASM_MAXBYTES + 8192);
  // The killed datagram's slot serves a new one.
  frag(200, 0, 1480);
  CHECKEQ(STAT(ip_reasm_drop), 4);
  // Every slot is busy: a tenth datagram finds none.
  frag(201, 0, 8);
  CHECKEQ(STAT(ip_reasm_drop), 5);
  expectnone(fd);
  ln_clock_offset_ms += REASM_TIMEOUT_MS + 1;
  net_poll(0);
  CHECKEQ(STAT(ip_reasm_timeout), REASM_NSLOT);
  CHECKEQ(__sanitizer_get_current_allocated_bytes(), before);
  stack_drain();
}

// Tiny fragments: at most 128 per datagram, so 64 KB cannot come as
// 8192 list nodes.
static void
test_tiny_fragments(void)
{
  int k;

  stack_reset();
  mkdgram(2000, 8);
  for(k = 0; k < 129; k++)
    frag(9, k * 8, 8);
  CHECKEQ(STAT(ip_reasm_drop), 1);
  CHECKEQ(STAT(ip_frag_rx), 129);
}

// Malformed fragments: a middle one not a multiple of 8, one past
// 65535 (the ping of death), and an end that disagrees with the tail's.
static void
test_bad_fragments(void)
{
  int fd;

  stack_reset();
  fd = stack_udpsock(7);
  mkdgram(65000, 9);
  frag(10, 0, 1001);
  CHECKEQ(STAT(ip_reasm_drop), 1);
  dlen = 65512 + 100;                  // a tail ending past 65535 - 20
  frag(11, 65512, 100);
  CHECKEQ(STAT(ip_reasm_drop), 2);
  mkdgram(3000, 9);
  frag(12, 2000, 1008);                // the tail: 3008 bytes in all
  dlen = 5000;
  frag(12, 2400, 1480);                // MF, past that end
  CHECKEQ(STAT(ip_reasm_drop), 3);
  expectnone(fd);
}

// A ping reassembled is answered with a reply fragmented the same way.
static void
test_echo_fragmented(void)
{
  static uint8_t whole[8192];
  uint8_t f[FMAX];
  struct icmp_repr r = { .type = ICMP_ECHO, .id = 77, .seq = 3 }, ic;
  struct eth_repr e;
  struct ipv4_repr ip;
  int off, n = 0, end = 0, nfrag = 0;

  stack_reset();
  stack_learn(PEER, peermac);
  net_become_default();
  for(int i = 0; i < 4000; i++)
    dgram[ICMP_HLEN + i] = i;
  icmp_emit(dgram, ICMP_HLEN + 4000, &r, 4000);
  dlen = ICMP_HLEN + 4000;
  for(int o = 0; o < dlen; o += 1480){
    struct ipv4_repr h = { .proto = IP_PROTO_ICMP, .src = PEER, .dst = ME, .id = 13 };
    int len = dlen - o < 1480 ? dlen - o : 1480;
    h.frag = o / 8 | (o + len < dlen ? IPV4_MF : 0);
    stack_input(f, stack_ipframe(f, mymac, &h, dgram + o, len));
  }
  CHECKEQ(STAT(ip_reasm_ok), 1);
  CHECKEQ(STAT(icmp_echo_reply_tx), 1);
  while((off = stack_takeip(f, &e, &ip)) > 0){
    int o = (ip.frag & IPV4_OFFMASK) * 8, len = ip.totlen - ip.hlen;
    memcpy(whole + o, f + off, len);
    n += len;
    nfrag++;
    if(!(ip.frag & IPV4_MF))
      end = o + len;
  }
  CHECKEQ(nfrag, 3);
  CHECKEQ(n, dlen);
  CHECKEQ(end, dlen);
  CHECKEQ(icmp_parse(whole, n, &ic), ICMP_HLEN);
  CHECKEQ(ic.type, ICMP_ECHOREPLY);
  CHECKEQ(ic.id, 77);
  CHECKEQ(ic.seq, 3);
  CHECKMEM(whole + ICMP_HLEN, dgram + ICMP_HLEN, 4000);
}

static const struct test tests[] = {
  { test_in_order, "in_order" },
  { test_reverse, "reverse" },
  { test_duplicates, "duplicates" },
  { test_overlap, "overlap" },
  { test_timeout, "timeout" },
  { test_memory_bound, "memory_bound" },
  { test_tiny_fragments, "tiny_fragments" },
  { test_bad_fragments, "bad_fragments" },
  { test_echo_fragmented, "echo_fragmented" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
