// twostack.c: the two-stack harness (twostack.h): the tables of each
// copy's functions, the virtual clock, the link emulator and the pump.
// It makes no checks of its own: tests do, with test.h.
#include "libnet/test/twostack.h"

#define TWO_T0 (1000ULL * 1000 * 1000)      // the clock starts at 1000 s, not at 0
#define TWO_IDLEMS (10 * 60 * 1000)         // two_reset's wait for timers: beyond 2 MSL at its longest
#define TWO_SETTLEMAX 1000                  // rounds of one instant, beyond any sane exchange

// The one clock, read by both copies through sys.h.
uint64_t ln_vclock_us = TWO_T0;

// Each copy's functions and data, renamed by the Makefile. The
// functions are weak references, so the harness links against a libnet
// that lacks some (TCP's, while it is written): two_missing names them.
#define TWO_DECL_A(ret, fn, args) ret A_##fn args __attribute__((weak));
#define TWO_DECL_B(ret, fn, args) ret B_##fn args __attribute__((weak));
TWO_CALLS(TWO_DECL_A)
TWO_CALLS(TWO_DECL_B)
extern uint64_t A_lnstat[LN_NSTATS], B_lnstat[LN_NSTATS];
extern struct netif A_netif, B_netif;

#define TWO_INIT_A(ret, fn, args) .fn = A_##fn,
#define TWO_INIT_B(ret, fn, args) .fn = B_##fn,
static struct stack sa = {
  .name = "A", .ip = TWO_IPA, .mac = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0a },
  .stat = A_lnstat, .netif = &A_netif,
  TWO_CALLS(TWO_INIT_A)
};
static struct stack sb = {
  .name = "B", .ip = TWO_IPB, .mac = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x0b },
  .stat = B_lnstat, .netif = &B_netif,
  TWO_CALLS(TWO_INIT_B)
};
struct stack *A = &sa, *B = &sb;

static struct link ab, ba;
struct link *AB = &ab, *BA = &ba;

static uint64_t rng;
static FILE *pcap;        // TWO_PCAP=file: every frame as it enters the link
static int tracing;       // TWO_TRACE=1: a line per frame and what the link did with it

// xorshift64* (Vigna): small, and the same sequence on every host.
uint32_t
two_random(uint32_t n)
{
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (uint32_t)((rng * 0x2545f4914f6cdd1dULL) >> 32) % n;
}

static int
chance(int pct)
{
  return pct > 0 && (int)two_random(100) < pct;
}

const char *
two_missing(void)
{
#define TWO_HAS(ret, fn, args) if(sa.fn == 0 || sb.fn == 0) return #fn;
  TWO_CALLS(TWO_HAS)
#undef TWO_HAS
  return 0;
}

uint64_t
two_now_ms(void)
{
  return ln_vclock_us / 1000;
}

// ---- watching the link -------------------------------------------------------------

// libpcap's file format, LINKTYPE_ETHERNET, written in host order (the
// magic number tells readers which); timestamps are the virtual clock.
static void
pcap_open(const char *path)
{
  uint32_t h[6] = { 0xa1b2c3d4, 2 | 4 << 16, 0, 0, 65535, 1 };

  if((pcap = fopen(path, "w")) != 0)
    fwrite(h, sizeof h, 1, pcap);
}

static void
pcap_write(const uint8_t *f, int len)
{
  uint32_t h[4] = { ln_vclock_us / 1000000, ln_vclock_us % 1000000, len, len };

  fwrite(h, sizeof h, 1, pcap);
  fwrite(f, len, 1, pcap);
  fflush(pcap);
}

// One line about frame f, tcpdump's way, into buf.
static void
summary(const uint8_t *f, int len, char *buf, int n)
{
  struct eth_repr e;
  struct arp_repr a;
  struct ipv4_repr ip;
  struct tcp_repr t;
  struct udp_repr u;
  char s[16], d[16], fl[8], *p = fl;
  int hl, plen;

  if(eth_parse(f, len, &e) < 0){
    snprintf(buf, n, "runt, %d bytes", len);
  } else if(e.type == ETH_TYPE_ARP && arp_parse(f + ETH_HLEN, len - ETH_HLEN, &a) >= 0){
    ip_ntoa(a.tpa, d);
    ip_ntoa(a.spa, s);
    if(a.op == ARP_REQUEST)
      snprintf(buf, n, "arp who-has %s tell %s", d, s);
    else
      snprintf(buf, n, "arp reply %s is-at %02x:%02x:%02x:%02x:%02x:%02x", s,
               a.sha[0], a.sha[1], a.sha[2], a.sha[3], a.sha[4], a.sha[5]);
  } else if(e.type != ETH_TYPE_IPV4 || (hl = ipv4_parse(f + ETH_HLEN, len - ETH_HLEN, &ip)) < 0){
    snprintf(buf, n, "ethertype 0x%04x, %d bytes", e.type, len);
  } else if((plen = two_tcpseg(f, len, &ip, &t)) >= 0){
    for(int i = 0; i < 5; i++)
      if(t.flags & (1 << i))
        *p++ = "FSRP."[i];
    *p = 0;
    snprintf(buf, n, "%s:%u > %s:%u [%s] seq %u ack %u win %u len %d",
             ip_ntoa(ip.src, s), t.sport, ip_ntoa(ip.dst, d), t.dport, fl, t.seq, t.ack, t.win, plen);
  } else if(ip.proto == IP_PROTO_UDP &&
            udp_parse(f + ETH_HLEN + hl, ip.totlen - hl, ip.src, ip.dst, &u) >= 0){
    snprintf(buf, n, "%s:%u > %s:%u udp len %d",
             ip_ntoa(ip.src, s), u.sport, ip_ntoa(ip.dst, d), u.dport, u.len - UDP_HLEN);
  } else {
    snprintf(buf, n, "%s > %s proto %d len %d",
             ip_ntoa(ip.src, s), ip_ntoa(ip.dst, d), ip.proto, ip.totlen);
  }
}

// A frame entered link l and fate ("" for none) befell it.
static void
watch(struct link *l, const uint8_t *f, int len, const char *fate)
{
  char what[128];

  if(pcap)
    pcap_write(f, len);
  if(!tracing)
    return;
  summary(f, len, what, sizeof what);
  printf("%8llu.%03llu %s %s%s%s\n", (unsigned long long)(ln_vclock_us / 1000000),
         (unsigned long long)(ln_vclock_us / 1000 % 1000), l->name, what, *fate ? ": " : "", fate);
}

// ---- the link -----------------------------------------------------------------

// Put a frame in flight, due at due. Frames leave in the order they entered.
static void
link_enqueue(struct link *l, const uint8_t *f, int len, uint64_t due)
{
  struct linkframe *q;

  if(l->qw - l->qr >= LINK_QMAX){
    l->full++;
    return;
  }
  q = &l->q[l->qw++ % LINK_QMAX];
  q->due = due;
  q->len = len;
  memmove(q->f, f, len);
}

// A frame the sender handed over: through the hook and the dice, then in flight.
static void
link_send(struct link *l, uint8_t *f, int len)
{
  uint64_t due;
  int n, copy;

  l->in++;
  if(l->hook && l->hook(l, f, &len) == LINK_DROP){
    l->hooked++;
    watch(l, f, len, "dropped by hook");
    return;
  }
  if(chance(l->loss)){
    l->lost++;
    watch(l, f, len, "lost");
    return;
  }
  n = 1;
  if(chance(l->dup)){
    l->duped++;
    n = 2;
  }
  due = ln_vclock_us + (uint64_t)l->delay_ms * 1000;
  for(copy = 0; copy < n; copy++){
    if(l->held){
      // this frame overtakes the held one, which follows it at once.
      watch(l, f, len, "overtakes the held one");
      link_enqueue(l, f, len, due);
      link_enqueue(l, l->hold.f, l->hold.len, due);
      l->held = 0;
      l->reordered++;
    } else if(chance(l->reorder)){
      watch(l, f, len, "held");
      l->held = 1;
      l->hold.due = due;
      l->hold.len = len;
      memmove(l->hold.f, f, len);
      l->holdtill = ln_vclock_us + LINK_HOLDMS * 1000;
    } else {
      watch(l, f, len, copy ? "duplicate" : "");
      link_enqueue(l, f, len, due);
    }
  }
}

// Take what the sender sent into the link. Returns frames taken.
static int
link_collect(struct link *l)
{
  static uint8_t f[NET_FRAMEMAX];
  int len, n = 0;

  while((len = l->from->loop_take(f, sizeof f)) > 0){
    link_send(l, f, len);
    n++;
  }
  return n;
}

// Hand the receiver every frame due by now. A held frame nobody
// overtook goes in flight at its hold's end, LINK_HOLDMS late. If the
// receiver's queue is full the rest wait for the next round.
// Returns frames handed over.
static int
link_deliver(struct link *l)
{
  struct linkframe *q;
  int n = 0;

  if(l->held && l->holdtill <= ln_vclock_us){
    link_enqueue(l, l->hold.f, l->hold.len, l->hold.due + LINK_HOLDMS * 1000);
    l->held = 0;
  }
  while(l->qr != l->qw){
    q = &l->q[l->qr % LINK_QMAX];
    if(q->due > ln_vclock_us || l->to->loop_inject(q->f, q->len) < 0)
      break;
    l->qr++;
    l->delivered++;
    n++;
  }
  return n;
}

// When the link next has something to do, in virtual us; ~0 if never.
static uint64_t
link_next(struct link *l)
{
  uint64_t t = ~0ULL;

  if(l->qr != l->qw)
    t = l->q[l->qr % LINK_QMAX].due;
  if(l->held && l->holdtill < t)
    t = l->holdtill;
  return t;
}

static void
link_clear(struct link *l, const char *name, struct stack *from, struct stack *to)
{
  memset(l, 0, sizeof(*l));
  l->name = name;
  l->from = from;
  l->to = to;
}

// ---- the pump ------------------------------------------------------------------

// Everything that can happen at this instant: frames sent are taken
// into the link, frames due are delivered, both stacks run; again,
// until nothing moves. Returns 1 if something moved.
static int
settle(void)
{
  int i, moved, any = 0;

  for(i = 0; i < TWO_SETTLEMAX; i++){
    moved = link_collect(AB) + link_collect(BA);
    moved += link_deliver(AB) + link_deliver(BA);
    A->net_poll(0);
    B->net_poll(0);
    moved += link_collect(AB) + link_collect(BA);
    if(moved == 0)
      return any;
    any = 1;
  }
  return any;
}

// The next timer of s in virtual us, ~0 if none.
static uint64_t
timer_us(struct stack *s)
{
  uint64_t t = s->net_nexttimer();

  return t == ~0ULL ? t : t * 1000;
}

// Progress: if something can move at this instant (the application sent,
// say), it moves and the clock stays, so a condition is seen at the
// time it came true. Otherwise the clock jumps to the next event. An
// application that sends at every step cannot hold the clock for ever:
// after TWO_SETTLEMAX steps in one instant, time moves on.
uint64_t
two_step(uint64_t until_ms)
{
  static int stalls;
  uint64_t next, until = until_ms * 1000, t;

  if(settle() && ++stalls < TWO_SETTLEMAX)
    return two_now_ms();
  stalls = 0;
  next = timer_us(A);
  if((t = timer_us(B)) < next)
    next = t;
  if((t = link_next(AB)) < next)
    next = t;
  if((t = link_next(BA)) < next)
    next = t;
  // a timer that did not move after its stack ran (or a frame the
  // receiver had no room for) gets a millisecond, not a busy loop.
  if(next <= ln_vclock_us)
    next = ln_vclock_us + 1000;
  if(next > until)
    next = until;
  if(next > ln_vclock_us)
    ln_vclock_us = next;
  settle();
  return two_now_ms();
}

void
pump(int ms)
{
  uint64_t end = two_now_ms() + ms;

  while(two_now_ms() < end)
    two_step(end);
}

// Both stacks idle: no timer, nothing in flight.
static int
idle(void)
{
  return A->net_nexttimer() == ~0ULL && B->net_nexttimer() == ~0ULL &&
         link_next(AB) == ~0ULL && link_next(BA) == ~0ULL;
}

static void
stack_up(struct stack *s)
{
  struct netdev *d = s->loop_netdev();

  memmove(d->mac, s->mac, 6);
  s->net_init(d);
}

static void
stack_clear(struct stack *s)
{
  s->arp_flush();
  s->net_setaddr(s->ip, TWO_MASK, TWO_GW);
  s->net_become_default();   // each stack is a whole host: it answers ARP, sends resets
  s->loop_reset();
  memset(s->stat, 0, LN_NSTATS * sizeof(s->stat[0]));
}

static void
stack_closeall(struct stack *s)
{
  for(int fd = SOCK_FDBASE; fd < SOCK_FDBASE + NSOCK; fd++)
    if(s->ln_issock(fd))
      s->ln_close(fd);
}

void
two_reset(void)
{
  static int up;
  uint64_t end;
  const char *env;

  if(!up){
    if((env = getenv("TWO_PCAP")) != 0)
      pcap_open(env);
    tracing = getenv("TWO_TRACE") != 0;
    stack_up(A);
    stack_up(B);
    link_clear(AB, "A->B", A, B);
    link_clear(BA, "B->A", B, A);
    up = 1;
  }
  stack_closeall(A);
  stack_closeall(B);
  // closing connections finish over a clean link.
  AB->loss = AB->dup = AB->reorder = AB->delay_ms = 0;
  BA->loss = BA->dup = BA->reorder = BA->delay_ms = 0;
  AB->hook = BA->hook = 0;
  end = two_now_ms() + TWO_IDLEMS;
  while(!idle() && two_now_ms() < end)
    two_step(end);
  stack_clear(A);
  stack_clear(B);
  link_clear(AB, "A->B", A, B);
  link_clear(BA, "B->A", B, A);
  env = getenv("TWO_SEED");
  rng = env ? strtoull(env, 0, 0) : 1;
  if(rng == 0)
    rng = 1;   // xorshift's one fixed point
}

// ---- helpers ---------------------------------------------------------------------

void
two_sin(struct sockaddr_in *a, uint32_t ip, uint16_t port)
{
  memset(a, 0, sizeof(*a));
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = ln_htonl(ip);
  a->sin_port = ln_htons(port);
}

int
two_socket(struct stack *s, int type, uint16_t port)
{
  struct sockaddr_in a;
  int fd, err;

  if((fd = s->ln_socket(AF_INET, type, 0)) < 0)
    return -1;
  two_sin(&a, 0, port);
  if(s->ln_fcntl(fd, F_SETFL, O_NONBLOCK) < 0 ||
     (port && s->ln_bind(fd, (struct sockaddr *)&a, sizeof a) < 0)){
    err = errno;
    s->ln_close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

int
two_tcpseg(const uint8_t *f, int len, struct ipv4_repr *ip, struct tcp_repr *t)
{
  struct eth_repr e;
  int hl, off;

  if(eth_parse(f, len, &e) < 0 || e.type != ETH_TYPE_IPV4)
    return -1;
  if((hl = ipv4_parse(f + ETH_HLEN, len - ETH_HLEN, ip)) < 0 || ip->proto != IP_PROTO_TCP)
    return -1;
  if((off = tcp_parse(f + ETH_HLEN + hl, ip->totlen - hl, ip->src, ip->dst, t)) < 0)
    return -1;
  return ip->totlen - hl - off;
}

int
hook_dropnthdata(struct link *l, uint8_t *f, int *len)
{
  struct ipv4_repr ip;
  struct tcp_repr t;
  int *n = l->arg;

  if(*n > 0 && two_tcpseg(f, *len, &ip, &t) > 0 && --*n == 0)
    return LINK_DROP;
  return LINK_PASS;
}
