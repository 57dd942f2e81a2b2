// Host tests for what libnet's counters name (net.h's LN_STATS): each
// drop counted under its own cause, and what leaves counted where it
// really leaves. Counters are read by name (statn), as netstat prints
// them, so a test of a counter not there yet fails instead of not building.
#include "libnet/test/stack.h"

enum { IP = ETH_HLEN };

// Send len bytes of x from fd to ip:port.
static int
sendudp(int fd, uint32_t ip, uint16_t port, const void *x, int len)
{
  struct sockaddr_in to;

  stack_sin(&to, ip, port);
  return ln_sendto(fd, x, len, 0, (struct sockaddr *)&to, sizeof to);
}

// A ping socket whose queue is full drops echo replies as an ICMP
// drop, not a UDP one: no UDP datagram was involved.
static void
test_icmp_socket_full(void)
{
  uint8_t echo[ICMP_HLEN + 4], f[FMAX];
  struct icmp_repr r = { .type = ICMP_ECHO, .id = 0x4321, .seq = 1 };
  int fd, i;

  stack_reset();
  stack_learn(PEER, peermac);
  fd = ln_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  CHECK(fd >= SOCK_FDBASE);
  memcpy(echo + ICMP_HLEN, "ping", 4);
  icmp_emit(echo, sizeof echo, &r, 4);
  CHECKEQ(sendudp(fd, PEER, 0, echo, sizeof echo), sizeof echo);
  CHECKEQ(stack_drain(), 1);
  for(i = 0; i < SOCK_RQMAX + 3; i++)
    stack_input(f, stack_icmpframe(f, PEER, ICMP_ECHOREPLY, 0, 0x4321, i, 0, "pong", 4));
  CHECKEQ(statn("icmp_drop_full"), 3);
  CHECKEQ(STAT(udp_drop_full), 0);
}

// A header whose option runs wild is malformed, not short: RFC 791's
// option format is broken, and the packet was long enough.
static void
test_bad_option_is_format(void)
{
  uint8_t f[FMAX], b[16];
  struct ipv4_repr ip = { .proto = IP_PROTO_UDP, .src = PEER, .dst = ME, .id = 3 };
  uint8_t seg[UDP_HLEN + 4];
  struct udp_repr u = { .sport = 4000, .dport = 7, .len = sizeof seg };
  int fd, n;

  stack_reset();
  fd = stack_udpsock(7);
  memcpy(seg + UDP_HLEN, "opts", 4);
  udp_emit(seg, sizeof seg, PEER, ME, &u);
  n = stack_ipframe(f, mymac, &ip, seg, sizeof seg);
  // Make room for 4 option bytes: record route (7) whose length is 1.
  memmove(f + IP + 24, f + IP + 20, sizeof seg);
  f[IP] = 0x46;
  put16(f + IP + 2, 24 + sizeof seg);
  f[IP + 20] = 7;
  f[IP + 21] = 1;
  f[IP + 22] = f[IP + 23] = 0;
  put16(f + IP + 10, 0);
  put16(f + IP + 10, cksum_fold(cksum_add(0, f + IP, 24)));
  n += 4;
  stack_input(f, n);
  CHECKEQ(statn("ip_drop_format"), 1);
  CHECKEQ(STAT(ip_drop_short), 0);
  CHECKEQ(ln_recv(fd, b, sizeof b, MSG_DONTWAIT), -1);
}

// ip_tx counts packets handed to the device; a packet that waits for
// ARP counts in ip_tx_arpwait, and later either as sent (arp_queue_sent
// and ip_tx) or as dropped (arp_unresolved): the two add up.
static void
test_ip_tx_after_arp(void)
{
  uint8_t f[FMAX];
  int fd, i;

  stack_reset();
  fd = stack_udpsock(5000);
  CHECKEQ(sendudp(fd, PEER, 9, "x", 1), 1);
  CHECKEQ(STAT(ip_tx), 0);
  CHECKEQ(statn("ip_tx_arpwait"), 1);
  CHECKEQ(STAT(eth_tx), 1);                 // the ARP request alone
  CHECKEQ(stack_drain(), 1);
  stack_input(f, stack_arpframe(f, ARP_REPLY, peermac, PEER, ME));
  CHECKEQ(STAT(ip_tx), 1);
  CHECKEQ(statn("arp_queue_sent"), 1);
  CHECKEQ(stack_drain(), 1);
  // Two for a neighbour that never answers.
  CHECKEQ(sendudp(fd, PEER2, 9, "y", 1), 1);
  CHECKEQ(sendudp(fd, PEER2, 9, "z", 1), 1);
  for(i = 0; i <= ARP_TRIES; i++){
    ln_clock_offset_ms += ARP_RETRY_MS + 1;
    net_poll(0);
  }
  CHECKEQ(STAT(arp_unresolved), 2);
  CHECKEQ(STAT(ip_tx), 1);
  CHECKEQ(statn("ip_tx_arpwait"), 3);
  CHECKEQ(statn("ip_tx_arpwait"), statn("arp_queue_sent") + STAT(arp_unresolved));
  CHECKEQ(STAT(eth_tx), STAT(ip_tx) + STAT(arp_req_tx));
}

// A full ARP queue: the packets it refuses never waited, so they are
// not in ip_tx_arpwait; those it held all leave when the answer comes.
static void
test_arp_queue_full(void)
{
  uint8_t f[FMAX];
  int fd, i;

  stack_reset();
  fd = stack_udpsock(5000);
  for(i = 0; i < ARP_QMAX + 2; i++)
    sendudp(fd, PEER, 9, &i, sizeof i);
  CHECKEQ(STAT(arp_queue_full), 2);
  CHECKEQ(statn("ip_tx_arpwait"), ARP_QMAX);
  CHECKEQ(STAT(ip_tx), 0);
  stack_drain();
  stack_input(f, stack_arpframe(f, ARP_REPLY, peermac, PEER, ME));
  CHECKEQ(statn("arp_queue_sent"), ARP_QMAX);
  CHECKEQ(STAT(ip_tx), ARP_QMAX);
  CHECKEQ(stack_drain(), ARP_QMAX);
}

// Fragments that wait for ARP were made, not sent.
static void
test_fragments_waiting(void)
{
  static uint8_t data[3000];
  int fd;

  stack_reset();
  fd = stack_udpsock(5000);
  CHECKEQ(sendudp(fd, PEER, 9, data, sizeof data), sizeof data);
  CHECKEQ(statn("ip_frag_out"), 3);
  CHECKEQ(statn("ip_tx_arpwait"), 3);
  CHECKEQ(STAT(ip_tx), 0);
}

// Fill loop.c's TX queue, so the device has no buffer to lend.
static void
filltx(void)
{
  int fd, i;

  stack_learn(PEER, peermac);
  fd = stack_udpsock(5001);
  ln_fcntl(fd, F_SETFL, O_NONBLOCK);   // a blocking send would wait for the device
  for(i = 0; i < 1000 && sendudp(fd, PEER, 9, "fill", 4) == 4; i++)
    ;
  CHECK(i < 1000);
  CHECK(STAT(eth_tx_nobuf) > 0);
}

// An ARP request or reply with no TX buffer to go in was not sent.
static void
test_arp_tx_nobuf(void)
{
  uint8_t f[FMAX];
  int fd;

  stack_reset();
  net_become_default();
  filltx();
  stack_input(f, stack_arpframe(f, ARP_REQUEST, peermac, PEER2, ME));
  CHECKEQ(STAT(arp_reply_tx), 0);
  fd = stack_udpsock(5002);
  sendudp(fd, 0x0a000209, 9, "q", 1);
  CHECKEQ(STAT(arp_req_tx), 0);
  CHECKEQ(STAT(eth_tx), STAT(ip_tx) + STAT(arp_req_tx) + STAT(arp_reply_tx));
}

// An overlap gives the datagram up: one datagram killed, and the
// fragment that overlapped dropped.
static void
test_reasm_kill(void)
{
  static uint8_t dg[UDP_HLEN + 3000];
  uint8_t f[FMAX];
  struct ipv4_repr ip = { .proto = IP_PROTO_UDP, .src = PEER, .dst = ME, .id = 9 };

  stack_reset();
  stack_udpsock(7);
  ip.frag = IPV4_MF;
  stack_input(f, stack_ipframe(f, mymac, &ip, dg, 1000));
  ip.frag = IPV4_MF | 496 / 8;
  stack_input(f, stack_ipframe(f, mymac, &ip, dg, 1000));
  CHECKEQ(statn("ip_reasm_kill"), 1);
  CHECKEQ(STAT(ip_reasm_drop), 1);
  CHECKEQ(STAT(ip_frag_rx), 2);
}

// Errors RFC 1122 3.2.2 forbids are counted as not sent: port
// unreachable for a datagram to a broadcast address, protocol
// unreachable for one to the limited broadcast.
static void
test_icmp_err_refused(void)
{
  uint8_t f[FMAX];
  struct ipv4_repr ip = { .proto = 99, .src = PEER, .dst = 0xffffffff, .id = 5 };

  stack_reset();
  stack_learn(PEER, peermac);
  net_become_default();
  stack_input(f, stack_udpframe(f, PEER, 4000, SUBNETBC, 9999, "b", 1));
  stack_input(f, stack_ipframe(f, allmac, &ip, (const uint8_t *)"proto99!", 8));
  CHECKEQ(STAT(udp_drop_noport), 1);
  CHECKEQ(STAT(ip_drop_proto), 1);
  CHECKEQ(statn("icmp_err_refused"), 2);
  CHECKEQ(STAT(icmp_err_tx), 0);
  CHECKEQ(stack_drain(), 0);
}

// A process that does not answer for the host drops TCP segments
// without a reset, and says so.
static void
test_tcp_norst(void)
{
  uint8_t f[FMAX], seg[TCP_HLEN];
  struct tcp_repr t = { .sport = 4000, .dport = 80, .seq = 1, .flags = TCP_SYN, .win = 1024,
                        .wscale = -1 };
  struct ipv4_repr ip = { .proto = IP_PROTO_TCP, .src = PEER, .dst = ME, .id = 4 };

  stack_reset();
  stack_learn(PEER, peermac);
  tcp_emit(seg, sizeof seg, PEER, ME, &t, 0);
  stack_input(f, stack_ipframe(f, mymac, &ip, seg, sizeof seg));
  CHECKEQ(STAT(tcp_rx), 1);
  CHECKEQ(statn("tcp_drop_norst"), 1);
  CHECKEQ(stack_drain(), 0);
}

static const struct test tests[] = {
  { test_icmp_socket_full, "icmp_socket_full" },
  { test_bad_option_is_format, "bad_option_is_format" },
  { test_ip_tx_after_arp, "ip_tx_after_arp" },
  { test_arp_queue_full, "arp_queue_full" },
  { test_fragments_waiting, "fragments_waiting" },
  { test_arp_tx_nobuf, "arp_tx_nobuf" },
  { test_reasm_kill, "reasm_kill" },
  { test_icmp_err_refused, "icmp_err_refused" },
  { test_tcp_norst, "tcp_norst" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
