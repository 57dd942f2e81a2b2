// Host tests for netif.c and tcp.c on loop.c's device: the address the
// host build comes up with, routing (connected, default, longest
// prefix, metric, none), and the resets a host owes for closed TCP
// ports. The other layers have their own files (test_arpcache.c,
// test_ipin.c, test_reasm.c, test_icmperr.c, test_udpsock.c).
#include "libnet/test/stack.h"

static void
test_init(void)
{
  stack_reset();
  CHECK(netif.dev == loop_netdev());
  CHECKEQ(netif.ip, ME);
  CHECKEQ(netif.mask, MASK);
  CHECKEQ(netif.gw, GW);
  CHECKMEM(netif.mac, mymac, 6);
  CHECKEQ(net_autoinit(), 0);     // already up: a second call changes nothing
  CHECKEQ(netif.ip, ME);
  CHECK(net_isours(ME));
  CHECK(net_isours(SUBNETBC));
  CHECK(net_isours(0xffffffff));
  CHECK(net_isours(0x7f000001));
  CHECK(!net_isours(PEER));
}

static void
test_route_connected(void)
{
  uint32_t nh = 0;

  stack_reset();
  CHECKEQ(net_route(PEER, &nh), 0);
  CHECKEQ(nh, PEER);                 // on the link: itself
  CHECKEQ(net_route(FAR, &nh), 0);
  CHECKEQ(nh, GW);                   // beyond it: the gateway
  CHECKEQ(net_route(ME, &nh), 0);
  CHECKEQ(nh, ME);
  CHECKEQ(net_route(SUBNETBC, &nh), 0);
  CHECKEQ(nh, SUBNETBC);
}

// The longest prefix wins whatever the order routes were added in.
static void
test_route_longest(void)
{
  uint32_t nh = 0;

  stack_reset();
  CHECKEQ(route_add(0x08000000, 0xff000000, PEER, 5), 0);
  CHECKEQ(route_add(0x08080800, 0xffffff00, PEER2, 20), 0);
  CHECKEQ(route_add(0x08080000, 0xffff0000, GW, 0), 0);
  CHECKEQ(net_route(FAR, &nh), 0);
  CHECKEQ(nh, PEER2);                // /24 over /16, /8 and /0, despite its metric
  CHECKEQ(net_route(0x08081234, &nh), 0);
  CHECKEQ(nh, GW);                   // /16
  CHECKEQ(net_route(0x08ff0001, &nh), 0);
  CHECKEQ(nh, PEER);                 // /8
  CHECKEQ(net_route(0x09000001, &nh), 0);
  CHECKEQ(nh, GW);                   // the default
  CHECKEQ(route_del(0x08080800, 0xffffff00), 0);
  CHECKEQ(net_route(FAR, &nh), 0);
  CHECKEQ(nh, GW);                   // back to the /16
  CHECKEQ(route_del(0x08080800, 0xffffff00), -ESRCH);
}

// Equal prefixes: the lower metric wins, in either order of adding.
static void
test_route_metric(void)
{
  uint32_t nh = 0;

  stack_reset();
  CHECKEQ(route_add(0x0b000000, 0xff000000, PEER, 30), 0);
  CHECKEQ(route_add(0x0b000000, 0xff000000, PEER2, 10), 0);
  CHECKEQ(net_route(0x0b010203, &nh), 0);
  CHECKEQ(nh, PEER2);
  stack_reset();
  CHECKEQ(route_add(0x0b000000, 0xff000000, PEER2, 10), 0);
  CHECKEQ(route_add(0x0b000000, 0xff000000, PEER, 30), 0);
  CHECKEQ(net_route(0x0b010203, &nh), 0);
  CHECKEQ(nh, PEER2);
  // The default route (metric 10) loses to a second default of metric 1.
  CHECKEQ(route_add(0, 0, PEER, 1), 0);
  CHECKEQ(net_route(FAR, &nh), 0);
  CHECKEQ(nh, PEER);
}

// Without a default route, off-link destinations are unreachable, for
// the router and for a sender alike.
static void
test_route_none(void)
{
  struct sockaddr_in a;
  uint32_t nh = 0;
  int fd;

  stack_reset();
  CHECKEQ(route_del(0, 0), 0);
  CHECKEQ(net_route(FAR, &nh), -ENETUNREACH);
  CHECKEQ(net_route(PEER, &nh), 0);
  CHECKEQ(ipv4_output(FAR, IP_PROTO_UDP, (const uint8_t *)"12345678", 8), -ENETUNREACH);
  CHECKEQ(STAT(ip_drop_noroute), 1);
  fd = ln_socket(AF_INET, SOCK_DGRAM, 0);
  stack_sin(&a, FAR, 53);
  errno = 0;
  CHECKEQ(ln_sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof a), -1);
  CHECKEQ(errno, ENETUNREACH);
  errno = 0;
  CHECKEQ(ln_connect(fd, (struct sockaddr *)&a, sizeof a), -1);
  CHECKEQ(errno, ENETUNREACH);
  CHECKEQ(stack_drain(), 0);
  // The route table is full at NROUTE.
  for(int i = 1; i < NROUTE; i++)
    CHECKEQ(route_add(0x0c000000 + (i << 16), 0xffff0000, GW, 0), 0);
  CHECKEQ(route_add(0x0d000000, 0xff000000, GW, 0), -ENOBUFS);
}

// A TCP segment from the peer to us, with a good checksum.
static int
tcpframe_from(uint8_t *f, uint32_t src, uint32_t dst, uint8_t flags, uint32_t seq, uint32_t ack,
              int datalen)
{
  uint8_t seg[TCP_HLEN + 64];
  struct tcp_repr t = { .sport = 40000, .dport = 80, .seq = seq, .ack = ack,
                        .flags = flags, .win = 8192, .wscale = -1 };
  struct ipv4_repr ip = { .proto = IP_PROTO_TCP, .src = src, .dst = dst, .id = 9 };

  memset(seg + TCP_HLEN, 'd', datalen);
  tcp_emit(seg, TCP_HLEN + datalen, src, dst, &t, datalen);
  return stack_ipframe(f, dst == SUBNETBC ? allmac : mymac, &ip, seg, TCP_HLEN + datalen);
}

static int
tcpframe(uint8_t *f, uint32_t dst, uint8_t flags, uint32_t seq, uint32_t ack, int datalen)
{
  return tcpframe_from(f, PEER, dst, flags, seq, ack, datalen);
}

// RFC 9293 3.10.7.1: a SYN to a closed port gets <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>.
static void
test_tcp_syn_closed(void)
{
  uint8_t f[FMAX];
  struct eth_repr e;
  struct ipv4_repr ip;
  struct tcp_repr t;
  int off;

  stack_reset();
  stack_learn(PEER, peermac);
  stack_input(f, tcpframe(f, ME, TCP_SYN, 1000, 0, 0));
  CHECKEQ(stack_drain(), 0);          // only the default responder answers
  CHECKEQ(STAT(tcp_rx), 1);
  CHECKEQ(net_become_default(), 0);
  stack_input(f, tcpframe(f, ME, TCP_SYN, 1000, 0, 0));
  off = stack_takeip(f, &e, &ip);
  CHECK(off > 0);
  if(off < 0)
    return;
  CHECKMEM(e.dst, peermac, 6);
  CHECKEQ(ip.proto, IP_PROTO_TCP);
  CHECKEQ(ip.dst, PEER);
  CHECKEQ(ip.src, ME);
  CHECKEQ(tcp_parse(f + off, ip.totlen - ip.hlen, ip.src, ip.dst, &t), TCP_HLEN);
  CHECKEQ(t.flags, TCP_RST | TCP_ACK);
  CHECKEQ(t.seq, 0);
  CHECKEQ(t.ack, 1001);
  CHECKEQ(t.sport, 80);
  CHECKEQ(t.dport, 40000);
  CHECKEQ(STAT(tcp_rst_tx), 1);
  // Data and FIN count in the sequence space too.
  stack_input(f, tcpframe(f, ME, TCP_FIN | TCP_PSH, 5000, 0, 10));
  off = stack_takeip(f, &e, &ip);
  CHECK(off > 0);
  if(off > 0){
    CHECKEQ(tcp_parse(f + off, ip.totlen - ip.hlen, ip.src, ip.dst, &t), TCP_HLEN);
    CHECKEQ(t.ack, 5011);
  }
}

// A segment with ACK set: <SEQ=SEG.ACK><CTL=RST>.
static void
test_tcp_ack_closed(void)
{
  uint8_t f[FMAX];
  struct eth_repr e;
  struct ipv4_repr ip;
  struct tcp_repr t;
  int off;

  stack_reset();
  stack_learn(PEER, peermac);
  net_become_default();
  stack_input(f, tcpframe(f, ME, TCP_ACK, 77, 0xdeadbeef, 0));
  off = stack_takeip(f, &e, &ip);
  CHECK(off > 0);
  if(off < 0)
    return;
  CHECKEQ(tcp_parse(f + off, ip.totlen - ip.hlen, ip.src, ip.dst, &t), TCP_HLEN);
  CHECKEQ(t.flags, TCP_RST);
  CHECKEQ(t.seq, 0xdeadbeef);
}

// Never a reset for a reset, nor for a SYN to a broadcast, nor for a
// segment with a bad checksum.
static void
test_tcp_no_rst(void)
{
  uint8_t f[FMAX];
  int n;

  stack_reset();
  stack_learn(PEER, peermac);
  net_become_default();
  stack_input(f, tcpframe(f, ME, TCP_RST, 1, 0, 0));
  stack_input(f, tcpframe(f, ME, TCP_RST | TCP_ACK, 1, 2, 0));
  stack_input(f, tcpframe(f, SUBNETBC, TCP_SYN, 1, 0, 0));
  n = tcpframe(f, ME, TCP_SYN, 1, 0, 0);
  f[ETH_HLEN + IPV4_HLEN + 16] ^= 0x40;   // the TCP checksum
  stack_input(f, n);
  CHECKEQ(stack_drain(), 0);
  CHECKEQ(STAT(tcp_rx), 4);
  CHECKEQ(STAT(tcp_drop_bad), 1);
  CHECKEQ(STAT(tcp_rst_tx), 0);
}

// Nor for a segment whose source names no single host: RFC 1122
// 3.2.1.3 says a host MUST silently discard a datagram from a broadcast,
// multicast, 0 or loopback source, and a reset to a broadcast source
// would go to every host on the link.
// BUG: tcp.c (tcp_input) checks the destination for broadcast but not
// the source, so it sends RST|ACK to 10.0.2.255 / 255.255.255.255 in an
// Ethernet broadcast frame; fails until it (or ipv4_input) checks.
static void
test_tcp_no_rst_bcast_source(void)
{
  static const uint32_t srcs[] = { SUBNETBC, 0xffffffff, 0xe0000001, 0, 0x7f000001 };
  uint8_t f[FMAX];
  size_t i;

  stack_reset();
  stack_learn(PEER, peermac);
  net_become_default();
  for(i = 0; i < NELEM(srcs); i++){
    stack_input(f, tcpframe_from(f, srcs[i], ME, TCP_SYN, 1, 0, 0));
    if(stack_drain() != 0){
      printf("%s: a reset went to source %08x\n", test_name, srcs[i]);
      test_failed = 1;
    }
  }
  CHECKEQ(STAT(tcp_rst_tx), 0);
}

static const struct test tests[] = {
  { test_init, "init" },
  { test_route_connected, "route_connected" },
  { test_route_longest, "route_longest" },
  { test_route_metric, "route_metric" },
  { test_route_none, "route_none" },
  { test_tcp_syn_closed, "tcp_syn_closed" },
  { test_tcp_ack_closed, "tcp_ack_closed" },
  { test_tcp_no_rst, "tcp_no_rst" },
  { test_tcp_no_rst_bcast_source, "tcp_no_rst_bcast_source" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
