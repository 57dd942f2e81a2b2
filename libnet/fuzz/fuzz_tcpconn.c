// Fuzz TCP's state machine on live connections: each input starts from
// the stack on loop.c with four endpoints set up by the BSD calls, then
// becomes a sequence of segments from the peer, built by tcp_emit (so
// checksums are right and each reaches tcp_input's state code), with
// application calls and clock steps between them so timers fire. After
// each step every control block must keep its invariants, and every
// frame the stack sent must parse.
//
//   conn 0  accepted by the listener on port 80, ESTABLISHED
//   conn 1  our active open to the peer, ESTABLISHED, 3000 bytes queued
//   conn 2  accepted, then shut for writing: FIN-WAIT-1, data and FIN unacked
//   conn 3  new to the listener (its port 40003): SYNs and strays
// Every connection agreed on MSS 1000, window scale, SACK and timestamps,
// with small rings so that full windows are within reach.
//
// Input: records of a 12-byte header, SACK blocks, then payload:
//   0     bits 0-1 conn; bits 2-7 the flags FIN SYN RST PSH ACK URG
//   1     bit 0 timestamps; bits 1-2 SACK blocks; bit 3 offsets x4096;
//         bits 4-6 the application first: 3 sendref, 4 send, 5 recv,
//         6 shutdown SHUT_WR, 7 close; bit 7 a SYN carries MSS, WS and
//         SACK-permitted. sendref queues bytes of a range of the loop
//         device's payload cache (chunks of 700 with their sums; the
//         offset and length from bytes 11 and 10), so segments of
//         references, split at chunks, are sent and checked too
//   2-3   SEQ - RCV.NXT (int16, big-endian)
//   4-5   ACK - SND.UNA (int16)
//   6-7   window
//   8     TSval - TS.Recent (int8; x2^24 with bit 3)
//   9     then move the clock: (v & 63) << (4 * (v >> 6)) ms
//   10    payload bytes (at most what is left of the input)
//   11    with sendref, the offset in the range / 64
//   then  4 bytes a SACK block: start - SND.UNA (int16), length (uint16)
// Each input starts from the same four connections; the last input's
// are closed and freed at its end.
#define LIBNET_NO_MACROS
#include "libnet/fuzz/fuzz.h"
#include "libnet/net.h"
#include "libnet/socket.h"
#include "libnet/tcp.h"

enum { ME = 0x0a00020f, MASK = 0xffffff00, GW = 0x0a000202, PEER = 0x0a000203 };
enum { LPORT = 80, APORT = 5000, PPORT = 6000, NCONN = 4, HDR = 12 };

uint64_t ln_vclock_us = 1000ULL * 1000 * 1000;

static const uint8_t mymac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t peermac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x03 };

static int lfd, fds[NCONN];
static uint16_t lports[NCONN] = { LPORT, APORT, LPORT, LPORT };
static uint16_t rports[NCONN] = { 40000, PPORT, 40002, 40003 };
static uint32_t peerseq[NCONN], peerack[NCONN];   // when the connection is gone
static uint8_t pattern[8192];
enum { REFLEN = 16384, REFCHUNK = 700 };
static struct netref ref;
static uint32_t refsums[REFLEN / REFCHUNK + 1];

// Receive segment t with len bytes of data from the peer, and run the stack.
static void
inject(const struct tcp_repr *t, const uint8_t *data, int len)
{
  static uint8_t f[NET_FRAMEMAX + TCP_MAXHLEN];
  struct eth_repr e;
  struct ipv4_repr ip;
  int hlen = tcp_hdrlen(t);

  if(len > NET_MTU - IPV4_HLEN - hlen)
    len = NET_MTU - IPV4_HLEN - hlen;
  memset(&ip, 0, sizeof ip);
  memcpy(e.dst, mymac, 6);
  memcpy(e.src, peermac, 6);
  e.type = ETH_TYPE_IPV4;
  eth_emit(f, ETH_HLEN, &e);
  ip.ttl = 64;
  ip.proto = IP_PROTO_TCP;
  ip.src = PEER;
  ip.dst = ME;
  ip.id = 1;
  ip.totlen = IPV4_HLEN + hlen + len;
  FUZZ_CHECK(ipv4_emit(f + ETH_HLEN, IPV4_HLEN, &ip) == IPV4_HLEN);
  if(len > 0)
    memcpy(f + ETH_HLEN + IPV4_HLEN + hlen, data, len);
  FUZZ_CHECK(tcp_emit(f + ETH_HLEN + IPV4_HLEN, hlen + len, PEER, ME, t, len) == hlen);
  len += ETH_HLEN + IPV4_HLEN + hlen;
  for(; len < ETH_MINFRAME; len++)
    f[len] = 0;
  FUZZ_CHECK(loop_inject(f, len) == 0);
  net_poll(0);
}

// Take the next segment the stack sent (passing over ARP); its data
// length, or -1 if none.
static int
take(struct tcp_repr *t)
{
  uint8_t f[NET_FRAMEMAX];
  struct eth_repr e;
  struct ipv4_repr ip;
  int n, hl, off;

  while((n = loop_take(f, sizeof f)) > 0){
    FUZZ_CHECK(eth_parse(f, n, &e) == ETH_HLEN);
    if(e.type != ETH_TYPE_IPV4)
      continue;
    FUZZ_CHECK((hl = ipv4_parse(f + ETH_HLEN, n - ETH_HLEN, &ip)) == IPV4_HLEN);
    FUZZ_CHECK(ip.src == ME && ip.totlen <= NET_MTU);
    if(ip.proto != IP_PROTO_TCP)
      continue;
    off = tcp_parse(f + ETH_HLEN + hl, ip.totlen - hl, ip.src, ip.dst, t);
    FUZZ_CHECK(off >= TCP_HLEN);
    return ip.totlen - hl - off;
  }
  return -1;
}

// Whatever the stack sent is well formed, and no segment is larger than
// our MSS.
static void
checkout(void)
{
  struct tcp_repr t;
  int n;

  while((n = take(&t)) >= 0)
    FUZZ_CHECK(n <= TCP_MSS_OURS);
}

static struct tcp_repr
peerseg(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, int flags)
{
  struct tcp_repr t;

  memset(&t, 0, sizeof t);
  t.sport = sport;
  t.dport = dport;
  t.seq = seq;
  t.ack = ack;
  t.flags = flags;
  t.win = 65535;
  t.wscale = -1;
  t.tsok = 1;
  t.tsval = 100;
  if(flags & TCP_SYN){
    t.mss = 1000;
    t.wscale = 2;
    t.sackok = 1;
  }
  return t;
}

static void
setbufs(int fd, int size)
{
  FUZZ_CHECK(ln_setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size) == 0);
  FUZZ_CHECK(ln_setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) == 0);
}

// The peer opens conn i to our listener; accept it.
static void
accepted(int i)
{
  struct tcp_repr t, s;

  t = peerseg(rports[i], LPORT, 0x1000, 0, TCP_SYN);
  inject(&t, 0, 0);
  FUZZ_CHECK(take(&s) == 0 && s.flags == (TCP_SYN | TCP_ACK));
  t = peerseg(rports[i], LPORT, 0x1001, s.seq + 1, TCP_ACK);
  t.tsecr = s.tsval;
  inject(&t, 0, 0);
  fds[i] = ln_accept(lfd, 0, 0);
  FUZZ_CHECK(fds[i] >= 0);
  FUZZ_CHECK(ln_fcntl(fds[i], F_SETFL, O_NONBLOCK) == 0);
}

static void
setup(void)
{
  struct sockaddr_in a;
  struct tcp_repr t, s;

  arp_flush();
  arp_update(PEER, peermac);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = ln_htons(LPORT);
  lfd = ln_socket(AF_INET, SOCK_STREAM, 0);
  FUZZ_CHECK(ln_fcntl(lfd, F_SETFL, O_NONBLOCK) == 0);
  setbufs(lfd, 4096);
  FUZZ_CHECK(ln_bind(lfd, (struct sockaddr *)&a, sizeof a) == 0);
  FUZZ_CHECK(ln_listen(lfd, 4) == 0);
  accepted(0);
  // conn 1: an active open, with data queued beyond the window
  fds[1] = ln_socket(AF_INET, SOCK_STREAM, 0);
  FUZZ_CHECK(ln_fcntl(fds[1], F_SETFL, O_NONBLOCK) == 0);
  setbufs(fds[1], 8192);
  a.sin_port = ln_htons(APORT);
  FUZZ_CHECK(ln_bind(fds[1], (struct sockaddr *)&a, sizeof a) == 0);
  a.sin_addr.s_addr = ln_htonl(PEER);
  a.sin_port = ln_htons(PPORT);
  FUZZ_CHECK(ln_connect(fds[1], (struct sockaddr *)&a, sizeof a) < 0 && errno == EINPROGRESS);
  FUZZ_CHECK(take(&s) == 0 && s.flags == TCP_SYN);
  t = peerseg(PPORT, APORT, 0x2000, s.seq + 1, TCP_SYN | TCP_ACK);
  t.tsecr = s.tsval;
  inject(&t, 0, 0);
  FUZZ_CHECK(ln_send(fds[1], pattern, 3000, MSG_DONTWAIT) == 3000);
  checkout();
  // conn 2: data and FIN sent, nothing acknowledged
  accepted(2);
  FUZZ_CHECK(ln_send(fds[2], pattern, 100, MSG_DONTWAIT) == 100);
  FUZZ_CHECK(ln_shutdown(fds[2], SHUT_WR) == 0);
  fds[3] = -1;
  checkout();
  for(int i = 0; i < NCONN; i++){
    peerseq[i] = 0x1001;
    peerack[i] = 0;
  }
}

// Close everything; free what closing leaves (orphans in any state).
static void
teardown(void)
{
  for(int i = 0; i < NCONN; i++)
    if(fds[i] >= 0 && ln_issock(fds[i]))
      ln_close(fds[i]);
  ln_close(lfd);
  while(tcb_list){
    tcb_list->flags |= TF_ORPHAN;
    tcb_list->sock = 0;
    tcp_close(tcb_list);
  }
  checkout();
  FUZZ_CHECK(ref.refs == 0);     // every queue let go of the range
}

static void
checkring(const struct tcpbuf *b)
{
  FUZZ_CHECK(b->len >= 0);
  if(b->b == 0){
    FUZZ_CHECK(b->len == 0);
    return;
  }
  FUZZ_CHECK(b->len <= b->cap);
  FUZZ_CHECK(b->off >= 0 && b->off < b->cap);
}

// The send stream's extents (tcp_sndq.c) describe exactly the ring's
// bytes and the references' bytes.
static void
checkextents(struct tcpcb *tp)
{
  uint32_t ring = 0, refd = 0;

  FUZZ_CHECK(tp->nsx >= 0 && tp->nsx <= TCP_NSX);
  if(tp->nsx == 0){
    FUZZ_CHECK(tp->sxbytes == 0);
    return;
  }
  for(int i = 0; i < tp->nsx; i++){
    struct tcpsx *x = &tp->sx[(tp->sxhead + i) % TCP_NSX];
    FUZZ_CHECK(x->len > 0);
    if(x->ref){
      FUZZ_CHECK(x->ref == &ref && x->off + x->len <= ref.len);
      refd += x->len;
    } else {
      ring += x->len;
    }
  }
  FUZZ_CHECK(ring == (uint32_t)tp->sndq.len);
  FUZZ_CHECK(refd == tp->sxbytes);
}

// What every control block keeps, whatever arrived.
static void
invariants(void)
{
  for(struct tcpcb *tp = tcb_list; tp; tp = tp->next){
    FUZZ_CHECK(tp->state >= TCP_CLOSED && tp->state < TCP_NSTATES);
    checkring(&tp->sndq);
    checkring(&tp->rcvq);
    checkextents(tp);
    if(tp->state == TCP_LISTEN || tp->state == TCP_CLOSED)
      continue;
    // RFC 9293 3.3.1: SND.UNA <= SND.NXT <= the highest sent
    FUZZ_CHECK(SEQ_LEQ(tp->snd_una, tp->snd_nxt));
    FUZZ_CHECK(SEQ_LEQ(tp->snd_nxt, tp->snd_max));
    // nothing is in flight that the send stream (plus SYN and FIN) does not hold
    FUZZ_CHECK(tp->snd_max - tp->snd_una <= (uint32_t)tcp_sndlen(tp) + 2);
    // the receive window is never negative
    FUZZ_CHECK(tcp_rcvwin(tp) >= 0);
    // out-of-order data lies past RCV.NXT and inside the ring
    FUZZ_CHECK(tp->nooo >= 0 && tp->nooo <= TCP_NOOO);
    for(int i = 0; i < tp->nooo; i++){
      FUZZ_CHECK(SEQ_GT(tp->ooo[i][0], tp->rcv_nxt));
      FUZZ_CHECK(SEQ_LT(tp->ooo[i][0], tp->ooo[i][1]));
      FUZZ_CHECK(tp->rcvq.b && tp->ooo[i][1] - tp->rcv_nxt <= (uint32_t)(tp->rcvq.cap - tp->rcvq.len));
    }
    // the SACK scoreboard: sorted, disjoint, within what is unacknowledged
    FUZZ_CHECK(tp->nsacked >= 0 && tp->nsacked <= TCP_NSACKHOLE);
    for(int i = 0; i < tp->nsacked; i++){
      FUZZ_CHECK(SEQ_GEQ(tp->sacked[i][0], tp->snd_una));
      FUZZ_CHECK(SEQ_LT(tp->sacked[i][0], tp->sacked[i][1]));
      FUZZ_CHECK(SEQ_LEQ(tp->sacked[i][1], tp->snd_max));
      if(i > 0)
        FUZZ_CHECK(SEQ_LT(tp->sacked[i - 1][1], tp->sacked[i][0]));
    }
    FUZZ_CHECK(tp->mss >= 64 && tp->mss <= TCP_MSS_OURS);
    if(tp->parent)
      FUZZ_CHECK(tp->parent->state == TCP_LISTEN);
  }
}

static void
appcall(int i, int what, const uint8_t *d)
{
  static uint8_t b[16384];
  uint32_t off = d[11] * 64 % REFLEN;

  if(fds[i] < 0 || !ln_issock(fds[i]))
    return;
  switch(what){
  case 3:
    ln_sendref(fds[i], &ref, off, d[10] * 97 % (REFLEN - off) + 1);
    break;
  case 4:
    ln_send(fds[i], pattern, 1500, MSG_DONTWAIT);
    break;
  case 5:
    ln_recv(fds[i], b, sizeof b, MSG_DONTWAIT);
    break;
  case 6:
    ln_shutdown(fds[i], SHUT_WR);
    break;
  case 7:
    ln_close(fds[i]);
    fds[i] = -1;
    break;
  }
}

// One record: the application's call, the segment, the clock. Returns
// the bytes it used.
static size_t
step(const uint8_t *d, size_t size)
{
  struct tcp_repr t;
  struct tcpcb *tp;
  int i, ctl, nsack, plen, scale;
  size_t used;

  if(size < HDR)
    return size;
  i = d[0] & 3;
  ctl = d[1];
  nsack = (ctl >> 1) & 3;
  scale = (ctl & 8) ? 4096 : 1;
  used = HDR + 4 * nsack;
  if(size < used)
    return size;
  appcall(i, (ctl >> 4) & 7, d);
  tp = tcp_lookup(ME, lports[i], PEER, rports[i]);
  if(tp && tp->state != TCP_LISTEN){
    peerseq[i] = tp->rcv_nxt;
    peerack[i] = tp->snd_una;
  }
  t = peerseg(rports[i], lports[i], peerseq[i] + (int16_t)get16(d + 2) * scale,
              peerack[i] + (int16_t)get16(d + 4) * scale, d[0] >> 2);
  if(!(ctl & 0x80) || !(t.flags & TCP_SYN)){
    t.mss = 0;
    t.wscale = -1;
    t.sackok = 0;
  }
  t.win = get16(d + 6);
  t.tsok = ctl & 1;
  t.tsval = (tp ? tp->ts_recent : 100) + (int8_t)d[8] * ((ctl & 8) ? 1 << 24 : 1);
  t.tsecr = tp ? (uint32_t)tcp_now() + tp->ts_offset : 0;
  t.nsack = t.tsok && nsack > 3 ? 3 : nsack;
  for(int k = 0; k < t.nsack; k++){
    t.sack[k][0] = peerack[i] + (int16_t)get16(d + HDR + 4 * k);
    t.sack[k][1] = t.sack[k][0] + get16(d + HDR + 4 * k + 2);
  }
  while(t.nsack > 0 && tcp_hdrlen(&t) > TCP_MAXHLEN)
    t.nsack--;     // beside a SYN's options fewer blocks fit
  plen = d[10];
  if((size_t)plen > size - used)
    plen = size - used;
  inject(&t, d + used, plen);
  invariants();
  checkout();
  if(d[9]){
    ln_vclock_us += (uint64_t)((d[9] & 63) << (4 * (d[9] >> 6))) * 1000;
    arp_update(PEER, peermac);
    net_poll(0);
    invariants();
    checkout();
  }
  return used + plen;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static int ready;
  int n;

  if(!ready){
    FUZZ_CHECK(net_init(loop_netdev()) == 0);
    net_setaddr(ME, MASK, GW);
    memset(pattern, 'p', sizeof pattern);
    // a payload cache, its first REFLEN bytes one range with chunk sums
    loop_setcache(2 * REFLEN);
    uint32_t csize;
    uint8_t *cache = ln_cache(&csize);
    FUZZ_CHECK(cache != 0 && csize == 2 * REFLEN);
    for(int k = 0; k < REFLEN; k++)
      cache[k] = k * 7 + (k >> 8);
    ref.off = 0;
    ref.len = REFLEN;
    ref.chunk = REFCHUNK;
    ref.sums = refsums;
    for(uint32_t k = 0; k * REFCHUNK < REFLEN; k++)
      refsums[k] = cksum_add(0, cache + k * REFCHUNK, REFLEN - k * REFCHUNK < REFCHUNK ? REFLEN - k * REFCHUNK : REFCHUNK);
    ready = 1;
  }
  setup();
  invariants();
  for(n = 0; n < 64 && size > 0; n++){
    size_t k = step(data, size);
    data += k;
    size -= k;
  }
  teardown();
  return 0;
}
