// Host tests for ipv4.c's input checks and output on loop.c's device:
// each malformed header dropped and counted by its cause, TTL, packets
// for others, options, broadcasts, protocols we do not speak, and
// fragmentation on send (reassembly has test_reasm.c).
#include "libnet/test/stack.h"
#include "libnet/test/frames.h"

enum { IP = ETH_HLEN };

// Recompute the header checksum of the IP header at f + IP.
static void
fixsum(uint8_t *f)
{
  int hl = (f[IP] & 0xf) * 4;

  put16(f + IP + 10, 0);
  put16(f + IP + 10, cksum_fold(cksum_add(0, f + IP, hl)));
}

// How many datagrams wait on fd, taking them.
static int
queued(int fd)
{
  uint8_t b[2048];
  int n = 0;

  while(ln_recv(fd, b, sizeof b, MSG_DONTWAIT) >= 0)
    n++;
  return n;
}

// A frame of udp_odd (10.0.2.2:5000 -> :7 "hello") broken by one edit
// reaches no socket and counts once under its cause.
static void
test_header_checks(void)
{
  static const struct {
    int off, val;     // byte of the IP header to set, or -1: cut the frame to val bytes
    int fix;          // recompute the checksum after
    int stat;
  } cases[] = {
    { -1, ETH_HLEN + 10, 0, LN_ip_drop_short },
    { -1, ETH_HLEN + 19, 0, LN_ip_drop_short },
    { 0, 0x65, 1, LN_ip_drop_version },
    { 0, 0x44, 1, LN_ip_drop_hlen },
    { 0, 0x4f, 1, LN_ip_drop_hlen },      // 60 bytes of header in a 33-byte packet
    { 3, 200, 1, LN_ip_drop_len },        // total length past the frame
    { 3, 19, 1, LN_ip_drop_len },         // total length inside the header
    { 10, 0x00, 0, LN_ip_drop_cksum },
    { 12, 0x0b, 0, LN_ip_drop_cksum },    // a changed source, checksum left
  };
  uint8_t f[FMAX];
  size_t i;
  int fd, n;

  stack_reset();
  fd = stack_udpsock(7);
  stack_input(udp_odd, sizeof udp_odd);
  CHECKEQ(queued(fd), 1);              // the frame as captured is fine
  for(i = 0; i < NELEM(cases); i++){
    memset(lnstat, 0, sizeof(lnstat));
    memcpy(f, udp_odd, sizeof udp_odd);
    n = sizeof udp_odd;
    if(cases[i].off < 0)
      n = cases[i].val;
    else
      f[IP + cases[i].off] = cases[i].val;
    if(cases[i].fix)
      fixsum(f);
    stack_input(f, n);
    if(lnstat[cases[i].stat] != 1)
      printf("%s: case %zu: %s is %llu, wanted 1\n", test_name, i,
             lnstat_names[cases[i].stat], (unsigned long long)lnstat[cases[i].stat]);
    CHECKEQ(lnstat[cases[i].stat], 1);
    CHECKEQ(STAT(ip_rx), 1);
    CHECKEQ(STAT(udp_rx), 0);
    CHECKEQ(queued(fd), 0);
  }
  CHECKEQ(stack_drain(), 0);
}

// A host does not check TTL on what it receives (a TTL of 1 arrives
// like any other) and sends with IP_TTL.
static void
test_ttl(void)
{
  uint8_t f[FMAX];
  struct sockaddr_in to;
  struct eth_repr e;
  struct ipv4_repr ip;
  int fd, n;

  stack_reset();
  fd = stack_udpsock(7);
  memcpy(f, udp_odd, sizeof udp_odd);
  f[IP + 8] = 1;
  fixsum(f);
  stack_input(f, sizeof udp_odd);
  n = ln_recv(fd, f, sizeof f, MSG_DONTWAIT);
  CHECKEQ(n, 5);
  CHECKMEM(f, "hello", 5);
  stack_learn(PEER, peermac);
  stack_sin(&to, PEER, 7);
  CHECKEQ(ln_sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof to), 1);
  CHECK(stack_takeip(f, &e, &ip) > 0);
  CHECKEQ(ip.ttl, IP_TTL);
  CHECKEQ(ip.src, ME);
  CHECKEQ(ip.frag & IPV4_DF, 0);     // no PMTU discovery, so never DF
}

// For another address of the subnet, even sent to our MAC: dropped.
static void
test_not_for_us(void)
{
  uint8_t f[FMAX];
  int fd;

  stack_reset();
  net_become_default();
  fd = stack_udpsock(7);
  stack_input(f, stack_udpframe(f, PEER, 5000, PEER2, 7, "hi", 2));
  CHECKEQ(STAT(ip_drop_notforus), 1);
  CHECKEQ(STAT(udp_rx), 0);
  CHECKEQ(queued(fd), 0);
  CHECKEQ(stack_drain(), 0);          // and no error about it
}

// Options are skipped, not refused: the captured Router Alert datagram
// reaches port 7 with its two bytes.
static void
test_options(void)
{
  uint8_t b[16];
  struct sockaddr_in from;
  socklen_t fl = sizeof from;
  int fd;

  stack_reset();
  fd = stack_udpsock(7);
  stack_input(ip_opts, sizeof ip_opts);
  CHECKEQ(ln_recvfrom(fd, b, sizeof b, MSG_DONTWAIT, (struct sockaddr *)&from, &fl), 2);
  CHECKMEM(b, "ra", 2);
  CHECKEQ(ln_htonl(from.sin_addr.s_addr), GW);
  CHECKEQ(ln_htons(from.sin_port), 5000);
}

// Datagrams to the limited and the subnet broadcast reach a socket
// bound to the port; nothing answers them.
static void
test_broadcast(void)
{
  uint8_t f[FMAX];
  int fd;

  stack_reset();
  net_become_default();
  fd = stack_udpsock(67);
  stack_input(f, stack_udpframe(f, PEER, 68, 0xffffffff, 67, "dhcp", 4));
  stack_input(f, stack_udpframe(f, PEER, 68, SUBNETBC, 67, "dhcp", 4));
  CHECKEQ(queued(fd), 2);
  // To a port no one holds: dropped, and no port unreachable (RFC 1122 4.1.3.1).
  stack_input(f, stack_udpframe(f, PEER, 68, SUBNETBC, 69, "dhcp", 4));
  CHECKEQ(STAT(udp_drop_noport), 1);
  CHECKEQ(stack_drain(), 0);
}

// A protocol we do not speak: dropped, and the default responder says
// protocol unreachable (RFC 1122 3.2.2.1), quoting the packet.
static void
test_unknown_proto(void)
{
  uint8_t f[FMAX];
  struct ipv4_repr ip = { .proto = 99, .src = PEER, .dst = ME, .id = 5 };
  struct eth_repr e;
  struct ipv4_repr r;
  struct icmp_repr ic;
  int n, off;

  stack_reset();
  stack_learn(PEER, peermac);
  n = stack_ipframe(f, mymac, &ip, (const uint8_t *)"whatever", 8);
  stack_input(f, n);
  CHECKEQ(STAT(ip_drop_proto), 1);
  CHECKEQ(stack_drain(), 0);
  net_become_default();
  stack_input(f, n);
  off = stack_takeip(f, &e, &r);
  CHECK(off > 0);
  if(off < 0)
    return;
  CHECKEQ(r.proto, IP_PROTO_ICMP);
  CHECKEQ(icmp_parse(f + off, r.totlen - r.hlen, &ic), ICMP_HLEN);
  CHECKEQ(ic.type, ICMP_UNREACH);
  CHECKEQ(ic.code, ICMP_UNREACH_PROTO);
  CHECKEQ(r.totlen - r.hlen, ICMP_HLEN + IPV4_HLEN + 8);
  CHECKEQ(f[off + ICMP_HLEN + 9], 99);
  CHECKMEM(f + off + ICMP_HLEN + IPV4_HLEN, "whatever", 8);
}

// Take the fragments of one datagram and put it back together.
// Returns its payload length, or -1 if they do not make one.
static int
takefrags(uint8_t *dgram, int *nfrag, uint32_t dst)
{
  uint8_t f[FMAX];
  struct eth_repr e;
  struct ipv4_repr ip;
  int off, end = -1, got = 0, id = -1;

  *nfrag = 0;
  while((off = stack_takeip(f, &e, &ip)) > 0){
    int o = (ip.frag & IPV4_OFFMASK) * 8, len = ip.totlen - ip.hlen;
    if(ip.dst != dst || (id >= 0 && ip.id != id) || (ip.frag & IPV4_DF))
      return -1;
    id = ip.id;
    // RFC 791: every fragment but the last carries a multiple of 8.
    if((ip.frag & IPV4_MF) && len % 8 != 0)
      return -1;
    if(!(ip.frag & IPV4_MF))
      end = o + len;
    memcpy(dgram + o, f + off, len);
    got += len;
    (*nfrag)++;
    if(ETH_HLEN + ip.totlen > NET_FRAMEMAX)
      return -1;
  }
  return got == end ? end : -1;
}

// A 4000-byte datagram leaves as three fragments (1480, 1480, 1048
// payload bytes at offsets 0, 185 and 370 eights, MF on the first two),
// which reassemble to the datagram, UDP checksum and all.
static void
test_fragment_out(void)
{
  static uint8_t data[4000], dgram[8192];
  uint8_t f[FMAX];
  struct eth_repr e;
  struct ipv4_repr ip;
  struct udp_repr u;
  struct sockaddr_in to;
  int fd, i, n, nfrag, off;

  stack_reset();
  stack_learn(PEER, peermac);
  for(i = 0; i < (int)sizeof data; i++)
    data[i] = i * 7 + (i >> 8);
  fd = stack_udpsock(5000);
  stack_sin(&to, PEER, 9);
  CHECKEQ(ln_sendto(fd, data, sizeof data, 0, (struct sockaddr *)&to, sizeof to), sizeof data);
  CHECKEQ(STAT(ip_frag_out), 3);
  CHECKEQ(STAT(udp_tx), 1);
  // The headers one by one first.
  static const int want[3][2] = { { 0, 1 }, { 185, 1 }, { 370, 0 } };
  static const int wlen[3] = { 1480, 1480, 1048 };
  for(i = 0; i < 3; i++){
    off = stack_takeip(f, &e, &ip);
    CHECK(off > 0);
    CHECKEQ(ip.frag & IPV4_OFFMASK, want[i][0]);
    CHECKEQ((ip.frag & IPV4_MF) != 0, want[i][1]);
    CHECKEQ(ip.totlen - ip.hlen, wlen[i]);
    CHECKMEM(e.dst, peermac, 6);
  }
  CHECKEQ(stack_drain(), 0);
  // Then the whole, again.
  CHECKEQ(ln_sendto(fd, data, sizeof data, 0, (struct sockaddr *)&to, sizeof to), sizeof data);
  n = takefrags(dgram, &nfrag, PEER);
  CHECKEQ(n, UDP_HLEN + sizeof data);
  CHECKEQ(nfrag, 3);
  if(n < 0)
    return;
  CHECKEQ(udp_parse(dgram, n, ME, PEER, &u), UDP_HLEN);
  CHECKEQ(u.len, n);
  CHECKEQ(u.sport, 5000);
  CHECKEQ(u.dport, 9);
  CHECKMEM(dgram + UDP_HLEN, data, sizeof data);
}

// Fragments for a neighbour not yet known wait together behind one
// request, and leave in order when it answers.
static void
test_fragment_arp(void)
{
  static uint8_t data[3000], dgram[8192];
  uint8_t f[FMAX];
  struct udp_repr u;
  struct sockaddr_in to;
  int fd, n, nfrag;

  stack_reset();
  memset(data, 0x5a, sizeof data);
  fd = stack_udpsock(5000);
  stack_sin(&to, PEER, 9);
  CHECKEQ(ln_sendto(fd, data, sizeof data, 0, (struct sockaddr *)&to, sizeof to), sizeof data);
  CHECKEQ(STAT(arp_req_tx), 1);
  CHECKEQ(stack_drain(), 1);
  stack_input(f, stack_arpframe(f, ARP_REPLY, peermac, PEER, ME));
  n = takefrags(dgram, &nfrag, PEER);
  CHECKEQ(nfrag, 3);
  CHECKEQ(n, UDP_HLEN + sizeof data);
  if(n > 0)
    CHECKEQ(udp_parse(dgram, n, ME, PEER, &u), UDP_HLEN);
}

// The largest UDP payload fits in 65535; one more byte does not.
static void
test_fragment_max(void)
{
  static uint8_t data[65508];
  struct sockaddr_in to;
  int fd;

  stack_reset();
  stack_learn(PEER, peermac);
  fd = stack_udpsock(5000);
  stack_sin(&to, PEER, 9);
  CHECKEQ(ln_sendto(fd, data, 65507, 0, (struct sockaddr *)&to, sizeof to), 65507);
  CHECKEQ(STAT(ip_frag_out), 45);
  CHECKEQ(stack_drain(), 45);
  errno = 0;
  CHECKEQ(ln_sendto(fd, data, 65508, 0, (struct sockaddr *)&to, sizeof to), -1);
  CHECKEQ(errno, EMSGSIZE);
  CHECKEQ(stack_drain(), 0);
}

static const struct test tests[] = {
  { test_header_checks, "header_checks" },
  { test_ttl, "ttl" },
  { test_not_for_us, "not_for_us" },
  { test_options, "options" },
  { test_broadcast, "broadcast" },
  { test_unknown_proto, "unknown_proto" },
  { test_fragment_out, "fragment_out" },
  { test_fragment_arp, "fragment_arp" },
  { test_fragment_max, "fragment_max" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
