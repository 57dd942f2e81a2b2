// Host tests for errors about what we sent (net.h's ctlinput): an ICMP
// error, or ARP giving up on a neighbour, goes through ipv4_ctlinput to
// the quoted protocol's ctlinput, which alone reads its header. Counted
// by cause where it cannot go (ip_ctl_*).
#include "libnet/test/stack.h"

enum { IP = ETH_HLEN };

// Build, in q, the first qlen bytes of a datagram we might have sent:
// header from h (totlen as given), then the transport bytes t.
static int
quote(uint8_t *q, struct ipv4_repr *h, const uint8_t *t, int tlen)
{
  h->src = ME;
  if(h->ttl == 0)
    h->ttl = 64;
  ipv4_emit(q, IPV4_HLEN, h);
  memmove(q + IPV4_HLEN, t, tlen);
  return IPV4_HLEN + tlen;
}

// A UDP socket connected to PEER:7777 from port 6000.
static int
connected(void)
{
  struct sockaddr_in to;
  int fd;

  fd = stack_udpsock(6000);
  stack_sin(&to, PEER, 7777);
  CHECKEQ(ln_connect(fd, (struct sockaddr *)&to, sizeof to), 0);
  return fd;
}

// The errno fd's next receive fails with (0 if it would just block).
static int
nexterr(int fd)
{
  uint8_t b[16];

  errno = 0;
  if(ln_recv(fd, b, sizeof b, MSG_DONTWAIT) >= 0)
    return -1;
  return errno == EAGAIN ? 0 : errno;
}

// An error quoting one of our TCP segments goes to tcp_ctlinput, not
// to UDP's sockets on the same port; one quoting a protocol we do not
// speak is counted and goes nowhere.
static void
test_tcp_quote_to_tcp(void)
{
  uint8_t f[FMAX], q[IPV4_HLEN + TCP_HLEN], seg[TCP_HLEN] = { 0 };
  struct ipv4_repr h = { .proto = IP_PROTO_TCP, .dst = PEER, .id = 9,
                         .totlen = IPV4_HLEN + TCP_HLEN };
  int fd, n;

  stack_reset();
  fd = connected();
  put16(seg, 6000);
  put16(seg + 2, 7777);
  n = quote(q, &h, seg, sizeof seg);
  stack_input(f, stack_icmpframe(f, PEER, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, 0, 0, q, n));
  CHECKEQ(STAT(icmp_err_rx), 1);
  CHECKEQ(statn("ip_ctl_up"), 1);
  CHECKEQ(statn("ip_ctl_noproto"), 0);
  CHECKEQ(nexterr(fd), 0);
  h.proto = 132;        // SCTP
  n = quote(q, &h, seg, sizeof seg);
  stack_input(f, stack_icmpframe(f, PEER, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, 0, 0, q, n));
  CHECKEQ(STAT(icmp_err_rx), 2);
  CHECKEQ(statn("ip_ctl_up"), 1);
  CHECKEQ(statn("ip_ctl_noproto"), 1);
  CHECKEQ(stack_drain(), 0);
}

// RFC 1812 4.3.2.3: a router need not undo its TTL decrement before
// quoting, so the quoted checksum may be stale; and a header with
// options puts the ports further on. The socket hears both.
static void
test_quote_stale_and_options(void)
{
  uint8_t f[FMAX], q[64], udp[UDP_HLEN];
  struct ipv4_repr h = { .proto = IP_PROTO_UDP, .dst = PEER, .id = 9,
                         .totlen = IPV4_HLEN + UDP_HLEN + 4 };
  int fd, n;

  stack_reset();
  fd = connected();
  put16(udp, 6000);
  put16(udp + 2, 7777);
  put16(udp + 4, UDP_HLEN + 4);
  put16(udp + 6, 0);
  n = quote(q, &h, udp, sizeof udp);
  q[8]--;
  stack_input(f, stack_icmpframe(f, GW, ICMP_TIMXCEED, 0, 0, 0, 0, q, n));
  CHECKEQ(nexterr(fd), EHOSTUNREACH);
  // IHL 6: a NOP option word, then the same UDP header.
  memmove(q + 24, q + IPV4_HLEN, UDP_HLEN);
  memset(q + IPV4_HLEN, 1, 4);
  q[0] = 0x46;
  put16(q + 2, 24 + UDP_HLEN + 4);
  stack_input(f, stack_icmpframe(f, PEER, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, 0, 0, q, 24 + UDP_HLEN));
  CHECKEQ(nexterr(fd), ECONNREFUSED);
  CHECKEQ(statn("ip_ctl_up"), 2);
}

// What ipv4_ctlinput refuses, each counted by cause: a quote that is
// not IPv4 or too short for 8 transport bytes, and a later fragment's,
// whose first bytes are data that only look like ports.
static void
test_quote_refused(void)
{
  uint8_t f[FMAX], q[64], udp[UDP_HLEN];
  struct ipv4_repr h = { .proto = IP_PROTO_UDP, .dst = PEER, .id = 9,
                         .totlen = IPV4_HLEN + UDP_HLEN + 4 };
  int fd, n;

  stack_reset();
  fd = connected();
  put16(udp, 6000);
  put16(udp + 2, 7777);
  put16(udp + 4, UDP_HLEN + 4);
  put16(udp + 6, 0);
  n = quote(q, &h, udp, sizeof udp);
  stack_input(f, stack_icmpframe(f, PEER, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, 0, 0, q, n - 1));
  q[0] = 0x65;
  stack_input(f, stack_icmpframe(f, PEER, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, 0, 0, q, n));
  CHECKEQ(statn("ip_ctl_badquote"), 2);
  h.frag = IPV4_MF | 185;
  n = quote(q, &h, udp, sizeof udp);
  stack_input(f, stack_icmpframe(f, PEER, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, 0, 0, q, n));
  CHECKEQ(statn("ip_ctl_frag"), 1);
  // A datagram of 4 payload bytes, quoted whole, has no room for ports.
  h.frag = 0;
  h.totlen = IPV4_HLEN + 4;
  n = quote(q, &h, udp, 4);
  stack_input(f, stack_icmpframe(f, PEER, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, 0, 0, q, n));
  CHECKEQ(statn("ip_ctl_badquote"), 3);
  CHECKEQ(STAT(icmp_err_rx), 4);
  CHECKEQ(statn("ip_ctl_up"), 0);
  CHECKEQ(nexterr(fd), 0);
}

// Errors about ICMP we sent: about an echo no socket holds, and about
// a message not an echo (netd's reply), each counted; neither reaches
// a ping socket holding another id.
static void
test_icmp_quote_unclaimed(void)
{
  uint8_t f[FMAX], q[IPV4_HLEN + ICMP_HLEN], b[128];
  struct icmp_repr r = { .type = ICMP_ECHO, .id = 0x7777, .seq = 1 };
  struct ipv4_repr h = { .proto = IP_PROTO_ICMP, .dst = FAR, .id = 9,
                         .totlen = IPV4_HLEN + ICMP_HLEN };
  int fd, n;

  stack_reset();
  fd = ln_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  CHECK(fd >= SOCK_FDBASE);
  icmp_emit(q + IPV4_HLEN, ICMP_HLEN, &r, 0);
  n = quote(q, &h, q + IPV4_HLEN, ICMP_HLEN);
  stack_input(f, stack_icmpframe(f, GW, ICMP_UNREACH, ICMP_UNREACH_HOST, 0, 0, 0, q, n));
  CHECKEQ(STAT(icmp_drop_noport), 1);
  r.type = ICMP_ECHOREPLY;
  icmp_emit(q + IPV4_HLEN, ICMP_HLEN, &r, 0);
  stack_input(f, stack_icmpframe(f, GW, ICMP_UNREACH, ICMP_UNREACH_HOST, 0, 0, 0, q, n));
  CHECKEQ(STAT(icmp_ignored), 1);
  CHECKEQ(statn("ip_ctl_up"), 2);
  CHECKEQ(ln_recv(fd, b, sizeof b, MSG_DONTWAIT), -1);
  CHECKEQ(errno, EAGAIN);
}

// ARP gives up on a fragmented datagram: each fragment goes to
// ipv4_ctlinput, the first reaches the socket, the rest are counted
// as later fragments; and a TCP segment goes to TCP.
static void
test_arp_giveup_dispatch(void)
{
  static uint8_t data[3000];
  uint8_t seg[TCP_HLEN] = { 0 };
  struct sockaddr_in to;
  int fd, i;

  stack_reset();
  fd = stack_udpsock(6000);
  stack_sin(&to, PEER2, 7777);
  CHECKEQ(ln_connect(fd, (struct sockaddr *)&to, sizeof to), 0);
  CHECKEQ(ln_send(fd, data, sizeof data, 0), sizeof data);
  CHECKEQ(statn("ip_tx_arpwait"), 3);
  put16(seg, 5555);
  put16(seg + 2, 80);
  CHECKEQ(ipv4_output(PEER2, IP_PROTO_TCP, seg, sizeof seg), 0);
  for(i = 0; i <= ARP_TRIES; i++){
    ln_clock_offset_ms += ARP_RETRY_MS + 1;
    net_poll(0);
  }
  CHECKEQ(STAT(arp_unresolved), 4);
  CHECKEQ(statn("ip_ctl_frag"), 2);
  CHECKEQ(statn("ip_ctl_up"), 2);
  CHECKEQ(nexterr(fd), EHOSTUNREACH);
  CHECKEQ(nexterr(fd), 0);
}

static const struct test tests[] = {
  { test_tcp_quote_to_tcp, "tcp_quote_to_tcp" },
  { test_quote_stale_and_options, "quote_stale_and_options" },
  { test_quote_refused, "quote_refused" },
  { test_icmp_quote_unclaimed, "icmp_quote_unclaimed" },
  { test_arp_giveup_dispatch, "arp_giveup_dispatch" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
