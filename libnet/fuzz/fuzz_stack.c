// Fuzz the whole stack above the device: each input is one or more
// received frames for net_input() (through loop.c), on a stack that
// speaks for the host (netd's role), so every reply path runs, with a
// few sockets open so datagrams, echo replies and errors have somewhere
// to go. Whatever the stack sends in answer must be well formed: each
// frame it emits is parsed and checked.
//
// Input: a control byte, then the frames.
//   bits 0-2  frames - 1; one frame is the rest of the input, several
//             are each a 2-byte big-endian length and that many bytes
//   bit 3     repair checksums (IP header, and UDP, TCP or ICMP of an
//             unfragmented packet) so the fuzzer gets past them
//   bits 4-5  then move the clock on: not, past an ARP retry, past a
//             reassembly's lifetime, past an ARP entry's lifetime
//   bit 6     not the default responder for this input
//   bit 7     first send a 3000-byte datagram to an unknown neighbour
//             (fragmented, queued behind ARP)
// Each input starts from the same state: the previous one's timers run
// out, the neighbour cache holds only the gateway, queues are emptied.
#define LIBNET_NO_MACROS
#include "libnet/fuzz/fuzz.h"
#include "libnet/net.h"
#include "libnet/socket.h"

enum { ME = 0x0a00020f, GW = 0x0a000202, PEER = 0x0a000203 };

static int udpfd, connfd, pingfd;
static uint8_t big[3000];
static const uint8_t gwmac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

static void
setup(void)
{
  struct sockaddr_in a;
  uint8_t echo[ICMP_HLEN];
  struct icmp_repr r = { .type = ICMP_ECHO, .id = 0x1c46, .seq = 1 };

  FUZZ_CHECK(net_init(loop_netdev()) == 0);
  FUZZ_CHECK(net_become_default() == 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = ln_htons(7);
  udpfd = ln_socket(AF_INET, SOCK_DGRAM, 0);
  FUZZ_CHECK(ln_bind(udpfd, (struct sockaddr *)&a, sizeof a) == 0);
  connfd = ln_socket(AF_INET, SOCK_DGRAM, 0);
  a.sin_addr.s_addr = ln_htonl(GW);
  a.sin_port = ln_htons(9);
  FUZZ_CHECK(ln_connect(connfd, (struct sockaddr *)&a, sizeof a) == 0);
  // The id of Linux's ping in the seed frames, so its replies are ours.
  pingfd = ln_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  icmp_emit(echo, sizeof echo, &r, 0);
  arp_update(GW, gwmac);
  FUZZ_CHECK(ln_sendto(pingfd, echo, sizeof echo, 0, (struct sockaddr *)&a, sizeof a) == sizeof echo);
  memset(big, 'b', sizeof big);
}

// Back to the state every input starts from.
static void
reset(void)
{
  uint8_t b[NET_FRAMEMAX];
  int fds[3] = { udpfd, connfd, pingfd };

  for(int i = 0; i <= ARP_TRIES + 1; i++){
    ln_clock_offset_ms += REASM_TIMEOUT_MS + 1;
    net_poll(0);
  }
  // The gateway is known, so answers to it go out (and are checked)
  // at once; PEER is not, so what goes to it waits for ARP.
  arp_flush();
  arp_update(GW, gwmac);
  while(loop_take(b, sizeof b) > 0)
    ;
  for(int i = 0; i < 3; i++)
    while(ln_recvfrom(fds[i], b, sizeof b, MSG_DONTWAIT, 0, 0) >= 0 || errno != EAGAIN)
      ;
  netif.isdefault = 1;
}

// Make the checksums of the packet in frame f (len bytes) right.
static void
repair(uint8_t *f, int len)
{
  uint8_t *ip = f + ETH_HLEN, *p;
  int hl, tot, plen;
  uint32_t src, dst;

  if(len < ETH_HLEN + IPV4_HLEN || get16(f + 12) != ETH_TYPE_IPV4)
    return;
  hl = (ip[0] & 0xf) * 4;
  if(hl < IPV4_HLEN || ETH_HLEN + hl > len)
    return;
  put16(ip + 10, 0);
  put16(ip + 10, cksum_fold(cksum_add(0, ip, hl)));
  tot = get16(ip + 2);
  if(tot < hl || ETH_HLEN + tot > len || (get16(ip + 6) & (IPV4_MF | IPV4_OFFMASK)))
    return;
  p = ip + hl;
  plen = tot - hl;
  src = get32(ip + 12);
  dst = get32(ip + 16);
  switch(ip[9]){
  case IP_PROTO_ICMP:
    if(plen >= ICMP_HLEN){
      put16(p + 2, 0);
      put16(p + 2, cksum_fold(cksum_add(0, p, plen)));
    }
    break;
  case IP_PROTO_UDP:
    if(plen >= UDP_HLEN && get16(p + 4) >= UDP_HLEN && get16(p + 4) <= plen){
      put16(p + 6, 0);
      put16(p + 6, cksum_fold(cksum_add(cksum_pseudo(src, dst, IP_PROTO_UDP, get16(p + 4)),
                                        p, get16(p + 4))));
    }
    break;
  case IP_PROTO_TCP:
    if(plen >= TCP_HLEN){
      put16(p + 16, 0);
      put16(p + 16, cksum_fold(cksum_add(cksum_pseudo(src, dst, IP_PROTO_TCP, plen), p, plen)));
    }
    break;
  }
}

static int
unicast(uint32_t a)
{
  return a != 0 && (a >> 24) != 0 && (a >> 24) != 127 && (a >> 28) < 14 &&
         a != 0xffffffff && !net_isbcast(a);
}

// Every frame the stack sent is one it may send: a whole Ethernet
// header from our MAC, and an ARP message or an IPv4 packet from us
// whose checksums verify and that fits the MTU.
static void
checkout(void)
{
  uint8_t f[NET_FRAMEMAX];
  struct eth_repr e;
  struct arp_repr a;
  struct ipv4_repr ip;
  struct udp_repr u;
  struct tcp_repr t;
  struct icmp_repr ic;
  int n, hl, plen;

  while((n = loop_take(f, sizeof f)) > 0){
    FUZZ_CHECK(n >= ETH_MINFRAME && n <= NET_FRAMEMAX);
    FUZZ_CHECK(eth_parse(f, n, &e) == ETH_HLEN);
    FUZZ_CHECK(memcmp(e.src, netif.mac, 6) == 0);
    if(e.type == ETH_TYPE_ARP){
      FUZZ_CHECK(arp_parse(f + ETH_HLEN, n - ETH_HLEN, &a) == ARP_LEN);
      FUZZ_CHECK(a.spa == ME && memcmp(a.sha, netif.mac, 6) == 0);
      continue;
    }
    FUZZ_CHECK(e.type == ETH_TYPE_IPV4);
    hl = ipv4_parse(f + ETH_HLEN, n - ETH_HLEN, &ip);
    FUZZ_CHECK(hl == IPV4_HLEN);
    FUZZ_CHECK(ip.src == ME && ip.ttl == IP_TTL && ip.totlen <= NET_MTU);
    // We answer only unicast sources (RFC 1122 3.2.1.3: a datagram from
    // a broadcast, multicast, 0 or loopback source MUST be discarded),
    // and the only datagram we send on our own is to PEER.
    FUZZ_CHECK(unicast(ip.dst));
    FUZZ_CHECK(memcmp(e.dst, "\xff\xff\xff\xff\xff\xff", 6) != 0);
    if(ip.frag & (IPV4_MF | IPV4_OFFMASK))
      continue;
    plen = ip.totlen - hl;
    switch(ip.proto){
    case IP_PROTO_ICMP:
      FUZZ_CHECK(icmp_parse(f + ETH_HLEN + hl, plen, &ic) == ICMP_HLEN);
      break;
    case IP_PROTO_UDP:
      FUZZ_CHECK(udp_parse(f + ETH_HLEN + hl, plen, ip.src, ip.dst, &u) == UDP_HLEN);
      break;
    case IP_PROTO_TCP:
      FUZZ_CHECK(tcp_parse(f + ETH_HLEN + hl, plen, ip.src, ip.dst, &t) >= TCP_HLEN);
      FUZZ_CHECK(t.flags & TCP_RST);
      break;
    default:
      FUZZ_CHECK(0);
    }
  }
}

static void
inject(const uint8_t *p, size_t len, int fix)
{
  uint8_t *f;

  if(len > NET_FRAMEMAX)
    len = NET_FRAMEMAX;
  f = fuzz_dup(p, len);
  if(fix)
    repair(f, len);
  FUZZ_CHECK(loop_inject(f, len) == 0);
  free(f);
  net_poll(0);
  checkout();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static int ready;
  static const int64_t step[4] = { 0, ARP_RETRY_MS + 1, REASM_TIMEOUT_MS + 1, ARP_TTL_MS + 1 };
  struct sockaddr_in to;
  int ctl, n, fix;
  size_t len;

  if(!ready){
    setup();
    ready = 1;
  }
  reset();
  if(size < 1)
    return 0;
  ctl = data[0];
  data++;
  size--;
  n = (ctl & 7) + 1;
  fix = (ctl >> 3) & 1;
  if(ctl & 0x40)
    netif.isdefault = 0;
  if(ctl & 0x80){
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = ln_htonl(PEER);
    to.sin_port = ln_htons(4000);
    FUZZ_CHECK(ln_sendto(udpfd, big, sizeof big, 0, (struct sockaddr *)&to, sizeof to) == sizeof big);
    checkout();
  }
  if(n == 1){
    inject(data, size, fix);
  } else {
    for(int i = 0; i < n && size >= 2; i++){
      len = get16(data);
      data += 2;
      size -= 2;
      if(len > size)
        len = size;
      inject(data, len, fix);
      data += len;
      size -= len;
    }
  }
  if(step[(ctl >> 4) & 3]){
    ln_clock_offset_ms += step[(ctl >> 4) & 3];
    net_poll(0);
    checkout();
  }
  return 0;
}
