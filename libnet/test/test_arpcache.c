// Host tests for arp.c on loop.c's device: who answers requests, what
// the cache learns (RFC 826's merge), packets held while a neighbour is
// asked and dropped when it never answers, expiry, a cache and a queue
// that stay within their bounds, and the gratuitous announcement.
#include "libnet/test/stack.h"

// Take the next frame and parse it as ARP. 1 if it was one.
static int
takearp(struct eth_repr *e, struct arp_repr *a)
{
  uint8_t f[FMAX];
  int n = loop_take(f, sizeof f);

  if(n == 0 || eth_parse(f, n, e) < 0 || e->type != ETH_TYPE_ARP)
    return 0;
  return arp_parse(f + ETH_HLEN, n - ETH_HLEN, a) >= 0;
}

// Only the default responder answers for the host; everyone learns
// the asker, since the request was for our address.
static void
test_request_default_only(void)
{
  uint8_t f[FMAX], mac[6];
  struct eth_repr e;
  struct arp_repr a;

  stack_reset();
  stack_input(f, stack_arpframe(f, ARP_REQUEST, gwmac, GW, ME));
  CHECKEQ(stack_drain(), 0);
  CHECKEQ(STAT(arp_rx), 1);
  CHECKEQ(STAT(arp_reply_tx), 0);
  CHECK(arp_lookup(GW, mac));
  CHECKMEM(mac, gwmac, 6);
  CHECKEQ(net_become_default(), 0);
  stack_input(f, stack_arpframe(f, ARP_REQUEST, gwmac, GW, ME));
  CHECK(takearp(&e, &a));
  CHECKMEM(e.dst, gwmac, 6);
  CHECKMEM(e.src, mymac, 6);
  CHECKEQ(a.op, ARP_REPLY);
  CHECKMEM(a.sha, mymac, 6);
  CHECKEQ(a.spa, ME);
  CHECKMEM(a.tha, gwmac, 6);
  CHECKEQ(a.tpa, GW);
  CHECKEQ(STAT(arp_reply_tx), 1);
  CHECKEQ(stack_drain(), 0);
  // A request for someone else is not ours to answer.
  stack_input(f, stack_arpframe(f, ARP_REQUEST, peermac, PEER, PEER2));
  CHECKEQ(stack_drain(), 0);
  CHECKEQ(STAT(arp_reply_tx), 1);
}

// A reply to us fills the cache; one between others teaches nothing
// new (RFC 826 merges only what it already knows); a known sender's
// new MAC replaces the old one.
static void
test_reply_updates_cache(void)
{
  static const uint8_t newmac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x09, 0x09 };
  uint8_t f[FMAX], mac[6];
  int n;

  stack_reset();
  CHECK(!arp_lookup(PEER, mac));
  n = stack_arpframe(f, ARP_REPLY, peermac, PEER, PEER2);
  stack_input(f, n);
  CHECK(!arp_lookup(PEER, mac));
  stack_input(f, stack_arpframe(f, ARP_REPLY, peermac, PEER, ME));
  CHECK(arp_lookup(PEER, mac));
  CHECKMEM(mac, peermac, 6);
  stack_input(f, stack_arpframe(f, ARP_REQUEST, newmac, PEER, PEER2));
  CHECK(arp_lookup(PEER, mac));
  CHECKMEM(mac, newmac, 6);
  // Malformed: a broadcast sender, a zero sender address.
  stack_input(f, stack_arpframe(f, ARP_REPLY, allmac, PEER2, ME));
  stack_input(f, stack_arpframe(f, ARP_REPLY, peermac, 0, ME));
  CHECKEQ(STAT(arp_drop_bad), 2);
  CHECK(!arp_lookup(PEER2, mac));
  CHECKEQ(stack_drain(), 0);
}

// The first datagram to a new neighbour waits for its MAC: out goes a
// request, not the datagram; the reply releases it, and what queued
// behind it, in order.
static void
test_queue_until_reply(void)
{
  uint8_t f[FMAX];
  struct sockaddr_in to;
  struct eth_repr e;
  struct arp_repr a;
  struct ipv4_repr ip;
  int fd, off;

  stack_reset();
  fd = stack_udpsock(5000);
  stack_sin(&to, PEER, 7);
  CHECKEQ(ln_sendto(fd, "first", 5, 0, (struct sockaddr *)&to, sizeof to), 5);
  CHECKEQ(ln_sendto(fd, "second", 6, 0, (struct sockaddr *)&to, sizeof to), 6);
  CHECK(takearp(&e, &a));
  CHECKMEM(e.dst, allmac, 6);
  CHECKEQ(a.op, ARP_REQUEST);
  CHECKEQ(a.tpa, PEER);
  CHECKEQ(a.spa, ME);
  CHECKMEM(a.sha, mymac, 6);
  CHECKEQ(stack_drain(), 0);          // one request, no datagram
  CHECKEQ(STAT(arp_req_tx), 1);
  stack_input(f, stack_arpframe(f, ARP_REPLY, peermac, PEER, ME));
  off = stack_takeip(f, &e, &ip);
  CHECK(off > 0);
  CHECKMEM(e.dst, peermac, 6);
  CHECKEQ(ip.dst, PEER);
  CHECKEQ(ip.proto, IP_PROTO_UDP);
  CHECKMEM(f + off + UDP_HLEN, "first", 5);
  off = stack_takeip(f, &e, &ip);
  CHECK(off > 0);
  CHECKMEM(f + off + UDP_HLEN, "second", 6);
  CHECKEQ(stack_drain(), 0);
  // Known now: the next one goes at once.
  CHECKEQ(ln_sendto(fd, "third", 5, 0, (struct sockaddr *)&to, sizeof to), 5);
  CHECK(stack_takeip(f, &e, &ip) > 0);
  CHECKEQ(STAT(arp_req_tx), 1);
}

// ARP_TRIES requests a second apart, then the packet is dropped and
// counted, and the connected socket that sent it hears EHOSTUNREACH
// once.
static void
test_unanswered(void)
{
  uint8_t buf[16];
  struct sockaddr_in to;
  struct eth_repr e;
  struct arp_repr a;
  int fd, i;

  stack_reset();
  fd = ln_socket(AF_INET, SOCK_DGRAM, 0);
  stack_sin(&to, PEER, 9);
  CHECKEQ(ln_connect(fd, (struct sockaddr *)&to, sizeof to), 0);
  CHECKEQ(ln_send(fd, "lost", 4, 0), 4);
  for(i = 1; i <= ARP_TRIES; i++){
    CHECK(takearp(&e, &a));
    CHECKEQ(a.tpa, PEER);
    CHECKEQ(stack_drain(), 0);
    CHECKEQ(STAT(arp_unresolved), 0);
    net_poll(0);                       // not yet time to ask again
    CHECKEQ(stack_drain(), 0);
    ln_clock_offset_ms += ARP_RETRY_MS;
    net_poll(0);
  }
  CHECKEQ(STAT(arp_req_tx), ARP_TRIES);
  CHECKEQ(STAT(arp_unresolved), 1);
  CHECKEQ(stack_drain(), 0);           // the datagram never left
  errno = 0;
  CHECKEQ(ln_recv(fd, buf, sizeof buf, 0), -1);
  CHECKEQ(errno, EHOSTUNREACH);
  errno = 0;
  CHECKEQ(ln_recv(fd, buf, sizeof buf, MSG_DONTWAIT), -1);
  CHECKEQ(errno, EAGAIN);            // reported once
  ln_close(fd);
}

// A ping socket learns the same way, by its echo id.
static void
test_unanswered_ping(void)
{
  uint8_t echo[ICMP_HLEN + 4], buf[64];
  struct icmp_repr r = { .type = ICMP_ECHO, .id = 0x4242, .seq = 1 };
  struct sockaddr_in to;
  int fd, i;

  stack_reset();
  fd = ln_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  CHECK(fd >= SOCK_FDBASE);
  memcpy(echo + ICMP_HLEN, "ping", 4);
  icmp_emit(echo, sizeof echo, &r, 4);
  stack_sin(&to, PEER, 0);
  CHECKEQ(ln_sendto(fd, echo, sizeof echo, 0, (struct sockaddr *)&to, sizeof to), sizeof echo);
  for(i = 0; i < ARP_TRIES; i++){
    ln_clock_offset_ms += ARP_RETRY_MS;
    net_poll(0);
  }
  CHECKEQ(STAT(arp_unresolved), 1);
  errno = 0;
  CHECKEQ(ln_recvfrom(fd, buf, sizeof buf, 0, 0, 0), -1);
  CHECKEQ(errno, EHOSTUNREACH);
}

// RFC 826 leaves ageing to us: ARP_TTL_MS, then ask again.
static void
test_expiry(void)
{
  uint8_t mac[6];
  struct eth_repr e;
  struct arp_repr a;

  stack_reset();
  stack_learn(PEER, peermac);
  ln_clock_offset_ms += ARP_TTL_MS - 1000;
  net_poll(0);
  CHECK(arp_lookup(PEER, mac));
  ln_clock_offset_ms += 1001;
  net_poll(0);
  CHECK(!arp_lookup(PEER, mac));
  CHECKEQ(udp_output(5000, PEER, 7, (const uint8_t *)"x", 1), 0);
  CHECK(takearp(&e, &a));
  CHECKEQ(a.tpa, PEER);
  CHECKEQ(stack_drain(), 0);
}

// More neighbours than entries: the oldest make room, nothing spills.
static void
test_cache_full(void)
{
  uint8_t mac[6], m[6] = { 0x02, 0, 0, 0, 0, 0 };
  int i, known = 0, n = ARP_NENTRY + 44;

  stack_reset();
  for(i = 0; i < n; i++){
    m[4] = i >> 8;
    m[5] = i;
    stack_learn(0x0a010000 + i, m);
    ln_clock_offset_ms += 1;          // so "oldest" is well defined
  }
  for(i = 0; i < n; i++)
    known += arp_lookup(0x0a010000 + i, mac);
  CHECKEQ(known, ARP_NENTRY);
  for(i = n - ARP_NENTRY; i < n; i++)
    CHECK(arp_lookup(0x0a010000 + i, mac));
  CHECK(arp_lookup(0x0a010000 + n - 1, mac));
  CHECKEQ(mac[4], (n - 1) >> 8);
  CHECKEQ(mac[5], (n - 1) & 0xff);
  // All pending: a new request still finds a slot. (Taken as they go:
  // loop.c's TX queue holds fewer frames than that.)
  stack_reset();
  for(i = 0, n = 0; i < ARP_NENTRY + 10; i++){
    CHECKEQ(arp_request(0x0a020000 + i), 0);
    n += stack_drain();
  }
  CHECKEQ(n, ARP_NENTRY + 10);
  CHECKEQ(STAT(eth_tx_nobuf), 0);
}

// At most ARP_QMAX packets wait, all neighbours together; the next is
// refused, counted, and its sender told.
static void
test_queue_bound(void)
{
  struct sockaddr_in to;
  int fd, i;

  stack_reset();
  fd = stack_udpsock(5001);
  for(i = 0; i < ARP_QMAX; i++){
    stack_sin(&to, 0x0a000210 + i % 4, 7);
    CHECKEQ(ln_sendto(fd, "q", 1, 0, (struct sockaddr *)&to, sizeof to), 1);
  }
  CHECKEQ(STAT(arp_req_tx), 4);
  errno = 0;
  CHECKEQ(ln_sendto(fd, "q", 1, 0, (struct sockaddr *)&to, sizeof to), -1);
  CHECKEQ(errno, ENOBUFS);
  CHECKEQ(STAT(arp_queue_full), 1);
  CHECKEQ(stack_drain(), 4);
}

// RFC 5227 2.3's announcement: a broadcast request for our own address,
// sender and target both us, target MAC zero.
static void
test_gratuitous(void)
{
  static const uint8_t want[ETH_MINFRAME] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
    0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x0a, 0x00, 0x02, 0x0f,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x02, 0x0f,
  };
  uint8_t f[FMAX];

  stack_reset();
  CHECKEQ(arp_gratuitous(), 0);
  CHECKEQ(loop_take(f, sizeof f), ETH_MINFRAME);
  CHECKMEM(f, want, ETH_MINFRAME);
  CHECKEQ(stack_drain(), 0);
}

static const struct test tests[] = {
  { test_request_default_only, "request_default_only" },
  { test_reply_updates_cache, "reply_updates_cache" },
  { test_queue_until_reply, "queue_until_reply" },
  { test_unanswered, "unanswered" },
  { test_unanswered_ping, "unanswered_ping" },
  { test_expiry, "expiry" },
  { test_cache_full, "cache_full" },
  { test_queue_bound, "queue_bound" },
  { test_gratuitous, "gratuitous" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
