// stack.h: what the host tests of libnet's stateful layers share: the
// whole stack brought up on loop.c's in-memory device, frames built from
// reprs for it to receive, the frames it sent taken back and parsed,
// and a reset between tests.
//
// The stack keeps its state in globals and has no teardown, so
// stack_reset() gets it back to a known state the way a long idle
// period would: it closes every socket, moves the clock on until every
// timer has fired (ARP gives up, partial datagrams expire, the ICMP
// rate limit refills), then forgets neighbours and counters.
// Host only. The tests use the ln_ names, not socket.h's macros, so
// that close(), read() and friends stay libc's.
#ifndef LIBNET_TEST_STACK_H
#define LIBNET_TEST_STACK_H
#define LIBNET_NO_MACROS
#include "libnet/net.h"
#include "libnet/socket.h"
#include "libnet/test/test.h"

// loop.c's host is 10.0.2.15/24 behind QEMU's slirp gateway, as in the guest.
enum {
  ME = 0x0a00020f,
  MASK = 0xffffff00,
  GW = 0x0a000202,
  PEER = 0x0a000203,      // on the link
  PEER2 = 0x0a000204,
  SUBNETBC = 0x0a0002ff,
  FAR = 0x08080808,       // beyond the gateway
};

#define STACK_FN static void __attribute__((unused))
#define STACK_INT static int __attribute__((unused))
#define STACK_LL static long long __attribute__((unused))

static const uint8_t __attribute__((unused)) mymac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t __attribute__((unused)) gwmac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t __attribute__((unused)) peermac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x03 };
static const uint8_t __attribute__((unused)) allmac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

// The biggest frame the stack sends or the tests build.
#define FMAX NET_FRAMEMAX

STACK_FN
stack_reset(void)
{
  int i;

  if(netif.dev == 0)
    net_init(loop_netdev());
  for(i = SOCK_FDBASE; i < SOCK_FDBASE + NSOCK; i++)
    if(ln_issock(i))
      ln_close(i);
  // One step per ARP retry and one more to give up; each step is
  // longer than a reassembly's lifetime and refills the ICMP bucket.
  for(i = 0; i <= ARP_TRIES + 1; i++){
    ln_clock_offset_ms += REASM_TIMEOUT_MS + 1;
    net_poll(0);
  }
  arp_flush();
  net_setaddr(ME, MASK, GW);
  netif.isdefault = 0;
  loop_reset();
  memset(lnstat, 0, sizeof(lnstat));
}

// Receive a frame, as if it came from the wire, and run the stack.
STACK_FN
stack_input(const uint8_t *f, int len)
{
  CHECKEQ(loop_inject(f, len), 0);
  net_poll(0);
}

// Frame an IPv4 packet from the peer's MAC to dmac: the header from ip
// (its totlen set here to 20 + plen), then plen bytes of payload.
// Returns the frame's length, padded as on the wire.
STACK_INT
stack_ipframe(uint8_t *f, const uint8_t *dmac, struct ipv4_repr *ip, const uint8_t *p, int plen)
{
  struct eth_repr e;
  int n;

  memmove(e.dst, dmac, 6);
  memmove(e.src, peermac, 6);
  e.type = ETH_TYPE_IPV4;
  eth_emit(f, ETH_HLEN, &e);
  if(ip->ttl == 0)
    ip->ttl = 64;
  ip->totlen = IPV4_HLEN + plen;
  ipv4_emit(f + ETH_HLEN, IPV4_HLEN, ip);
  memmove(f + ETH_HLEN + IPV4_HLEN, p, plen);
  n = ETH_HLEN + IPV4_HLEN + plen;
  for(; n < ETH_MINFRAME; n++)
    f[n] = 0;
  return n;
}

// A UDP datagram's frame from src:sport to dst:dport, checksummed.
STACK_INT
stack_udpframe(uint8_t *f, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
               const void *data, int len)
{
  static uint8_t seg[65536];
  struct ipv4_repr ip = { .proto = IP_PROTO_UDP, .src = src, .dst = dst, .id = 1 };
  struct udp_repr u = { .sport = sport, .dport = dport, .len = UDP_HLEN + len };

  memmove(seg + UDP_HLEN, data, len);
  udp_emit(seg, u.len, src, dst, &u);
  return stack_ipframe(f, dst == 0xffffffff || dst == SUBNETBC ? allmac : mymac,
                       &ip, seg, u.len);
}

// An ICMP message's frame from src to us: type, code, bytes 4..7 as
// id/seq (echo) or rest (errors), then len bytes of data.
STACK_INT
stack_icmpframe(uint8_t *f, uint32_t src, int type, int code, uint16_t id, uint16_t seq,
                uint32_t rest, const void *data, int len)
{
  uint8_t msg[ICMP_HLEN + 1500];
  struct icmp_repr r = { .type = type, .code = code, .id = id, .seq = seq, .rest = rest };
  struct ipv4_repr ip = { .proto = IP_PROTO_ICMP, .src = src, .dst = ME, .id = 2 };

  memmove(msg + ICMP_HLEN, data, len);
  icmp_emit(msg, ICMP_HLEN + len, &r, len);
  return stack_ipframe(f, mymac, &ip, msg, ICMP_HLEN + len);
}

// An ARP message from the peer (sha, spa) about tpa, broadcast if a request.
STACK_INT
stack_arpframe(uint8_t *f, int op, const uint8_t *sha, uint32_t spa, uint32_t tpa)
{
  struct eth_repr e;
  struct arp_repr a;

  memmove(e.dst, op == ARP_REQUEST ? allmac : mymac, 6);
  memmove(e.src, sha, 6);
  e.type = ETH_TYPE_ARP;
  eth_emit(f, ETH_HLEN, &e);
  a.op = op;
  memmove(a.sha, sha, 6);
  a.spa = spa;
  memset(a.tha, 0, 6);
  if(op == ARP_REPLY)
    memmove(a.tha, mymac, 6);
  a.tpa = tpa;
  arp_emit(f + ETH_HLEN, ARP_LEN, &a);
  memset(f + ETH_HLEN + ARP_LEN, 0, ETH_MINFRAME - ETH_HLEN - ARP_LEN);
  return ETH_MINFRAME;
}

// Take the next frame the stack sent and parse it as IPv4. Returns the
// offset of the IP payload in f, or -1 if nothing was sent or it is not
// an IPv4 packet (eth and ip are then undefined).
STACK_INT
stack_takeip(uint8_t *f, struct eth_repr *eth, struct ipv4_repr *ip)
{
  int n = loop_take(f, FMAX), hl;

  if(n == 0 || eth_parse(f, n, eth) < 0 || eth->type != ETH_TYPE_IPV4)
    return -1;
  if((hl = ipv4_parse(f + ETH_HLEN, n - ETH_HLEN, ip)) < 0)
    return -1;
  return ETH_HLEN + hl;
}

// How many frames the stack has sent and the test not taken; takes them.
STACK_INT
stack_drain(void)
{
  uint8_t f[FMAX];
  int n = 0;

  while(loop_take(f, sizeof f) > 0)
    n++;
  return n;
}

// Teach the stack a neighbour's MAC, as a reply to it would.
STACK_FN
stack_learn(uint32_t ip, const uint8_t *mac)
{
  arp_update(ip, mac);
}

// A UDP socket bound to port on any address; its descriptor.
STACK_INT
stack_udpsock(uint16_t port)
{
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = ln_htons(port) };
  int fd = ln_socket(AF_INET, SOCK_DGRAM, 0);

  CHECK(fd >= SOCK_FDBASE);
  CHECKEQ(ln_bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  return fd;
}

STACK_FN
stack_sin(struct sockaddr_in *a, uint32_t ip, uint16_t port)
{
  memset(a, 0, sizeof(*a));
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = ln_htonl(ip);
  a->sin_port = ln_htons(port);
}

#define STAT(name) ((long long)lnstat[LN_##name])

// A counter by the name netstat prints, or -1 if no counter has that
// name: a test of a counter a fix adds builds, and fails, before it.
STACK_LL
statn(const char *name)
{
  int i;

  for(i = 0; i < LN_NSTATS; i++)
    if(strcmp(lnstat_names[i], name) == 0)
      return (long long)lnstat[i];
  return -1;
}
#endif
