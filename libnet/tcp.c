// tcp.c: TCP's control blocks: allocation and lookup by 4-tuple, the
// ports they hold, initial sequence numbers, RTT and RTO, the timers,
// the byte rings, and ICMP errors about our segments. Segment arrival
// is tcp_in.c, output tcp_out.c, the application's calls tcp_usr.c.
#include "tcp.h"
#include "kernel/netchan.h"

const char *tcp_statenames[TCP_NSTATES] = {
  [TCP_CLOSED] = "CLOSED", [TCP_LISTEN] = "LISTEN", [TCP_SYN_SENT] = "SYN-SENT",
  [TCP_SYN_RECEIVED] = "SYN-RECEIVED", [TCP_ESTABLISHED] = "ESTABLISHED",
  [TCP_FIN_WAIT_1] = "FIN-WAIT-1", [TCP_FIN_WAIT_2] = "FIN-WAIT-2",
  [TCP_CLOSE_WAIT] = "CLOSE-WAIT", [TCP_CLOSING] = "CLOSING",
  [TCP_LAST_ACK] = "LAST-ACK", [TCP_TIME_WAIT] = "TIME-WAIT",
};

int tcp_msl_ms = 30 * 1000;
struct tcpcb *tcb_list;
int tcp_nblocked;                 // control blocks with TF_BLOCKED

#define TCP_NHASH 256
static struct tcpcb *hashtab[TCP_NHASH];
static uint64_t nexttimer = ~0ULL;   // no timer is due before this

uint64_t
tcp_now(void)
{
  return ln_now_ms();
}

// ---- randomness: ISNs (RFC 6528), ports (RFC 6056), timestamps ----------

static uint64_t secret[2];
static int haveseed;

static void
seed(void)
{
  if(haveseed)
    return;
  ln_random(secret, sizeof(secret));
  haveseed = 1;
}

uint32_t
tcp_random(void)
{
  uint32_t r;

  ln_random(&r, sizeof(r));
  return r;
}

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

static void
sipround(uint64_t v[4])
{
  v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
  v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
  v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
  v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
}

// SipHash-2-4 of two words under the process's secret: the keyed
// function RFC 6528 3 asks for, so no one outside can predict an ISN.
static uint64_t
siphash(uint64_t a, uint64_t b)
{
  uint64_t v[4] = {
    secret[0] ^ 0x736f6d6570736575ULL, secret[1] ^ 0x646f72616e646f6dULL,
    secret[0] ^ 0x6c7967656e657261ULL, secret[1] ^ 0x7465646279746573ULL,
  };
  uint64_t m[3] = { a, b, (uint64_t)16 << 56 };

  for(int i = 0; i < 3; i++){
    v[3] ^= m[i];
    sipround(v);
    sipround(v);
    v[0] ^= m[i];
  }
  v[2] ^= 0xff;
  for(int i = 0; i < 4; i++)
    sipround(v);
  return v[0] ^ v[1] ^ v[2] ^ v[3];
}

// RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
// M a 4-microsecond clock. The timestamp clock gets its own offset per
// connection in the same way (RFC 7323 7.1).
uint32_t
tcp_newiss(struct tcpcb *tp)
{
  uint64_t h;

  seed();
  h = siphash((uint64_t)tp->laddr << 32 | tp->raddr, (uint64_t)tp->lport << 16 | tp->rport);
  tp->ts_offset = h >> 32;
  return (uint32_t)h + (uint32_t)(ln_now_us() / 4);
}

// ---- control blocks ---------------------------------------------------------

struct tcpcb *
tcp_alloc(void)
{
  struct tcpcb *tp = malloc(sizeof(*tp));

  if(tp == 0)
    return 0;
  memset(tp, 0, sizeof(*tp));
  tp->state = TCP_CLOSED;
  tp->mss = TCP_MSS_DEFAULT;
  tp->rto_ms = TCP_RTO_INIT_MS;
  tp->sndbufsize = TCP_BUF_DEFAULT;
  tp->rcvbufsize = TCP_BUF_DEFAULT;
  tp->cc = &tcp_newreno;
  tp->next = tcb_list;
  tcb_list = tp;
  return tp;
}

static int
hashof(uint32_t raddr, uint16_t lport, uint16_t rport)
{
  return (raddr ^ (raddr >> 16) ^ lport ^ (rport << 3)) % TCP_NHASH;
}

void
tcp_hash(struct tcpcb *tp)
{
  int h = hashof(tp->raddr, tp->lport, tp->rport);

  tp->hnext = hashtab[h];
  hashtab[h] = tp;
}

void
tcp_unhash(struct tcpcb *tp)
{
  struct tcpcb **pp = &hashtab[hashof(tp->raddr, tp->lport, tp->rport)];

  for(; *pp; pp = &(*pp)->hnext)
    if(*pp == tp){
      *pp = tp->hnext;
      tp->hnext = 0;
      return;
    }
}

// The connection a segment belongs to: the exact 4-tuple, else a
// listener on the port (hashed with raddr and rport 0).
struct tcpcb *
tcp_lookup(uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
  struct tcpcb *tp;

  for(tp = hashtab[hashof(raddr, lport, rport)]; tp; tp = tp->hnext)
    if(tp->lport == lport && tp->rport == rport && tp->raddr == raddr &&
       (tp->laddr == laddr || tp->laddr == 0))
      return tp;
  for(tp = hashtab[hashof(0, lport, 0)]; tp; tp = tp->hnext)
    if(tp->state == TCP_LISTEN && tp->lport == lport &&
       (tp->laddr == 0 || tp->laddr == laddr))
      return tp;
  return 0;
}

static void turnforget(struct tcpcb *tp);

void
tcp_free(struct tcpcb *tp)
{
  struct tcpcb **pp;

  tcp_unhash(tp);
  turnforget(tp);
  if(tp->flags & TF_BLOCKED)
    tcp_nblocked--;
  for(pp = &tcb_list; *pp; pp = &(*pp)->next)
    if(*pp == tp){
      *pp = tp->next;
      break;
    }
  if(tp->lport)
    tcp_port_drop(tp->lport);
  tcp_sndfree(tp);
  tcp_buffree(&tp->rcvq);
  free(tp);
}

void
tcp_setstate(struct tcpcb *tp, int state)
{
  tp->state = state;
}

// The connection is over without a graceful close (reset, timeout,
// ICMP during the handshake): the socket learns err, an orphan goes.
void
tcp_drop(struct tcpcb *tp, int err)
{
  if(err)
    tp->error = err;
  tcp_close(tp);
}

// CLOSED: nothing more goes out or is accepted. A half-open connection
// leaves its listener's queue; an orphan is freed now, a socket's
// block when the socket closes.
void
tcp_close(struct tcpcb *tp)
{
  struct tcpcb *l = tp->parent, **pp;
  int old = tp->state;

  tp->state = TCP_CLOSED;
  tp->t_rexmt = tp->t_delack = tp->t_keep = tp->t_2msl = 0;
  tcp_unhash(tp);
  if(l){
    for(pp = (struct tcpcb **)&l->qnext; *pp; pp = &(*pp)->qnext)
      if(*pp == tp){
        *pp = tp->qnext;
        break;
      }
    if(old == TCP_SYN_RECEIVED)
      l->q0len--;
    else
      l->qlen--;
    tp->parent = 0;
    tcp_free(tp);
    return;
  }
  if(tp->flags & TF_ORPHAN)
    tcp_free(tp);
}

// TIME-WAIT (RFC 9293 3.10.7.4): two MSLs, holding no buffers.
void
tcp_timewait(struct tcpcb *tp)
{
  tcp_setstate(tp, TCP_TIME_WAIT);
  tp->t_rexmt = tp->t_delack = tp->t_keep = 0;
  tp->t_2msl = tcp_now() + 2 * (uint64_t)tcp_msl_ms;
  if(tp->t_2msl < nexttimer)
    nexttimer = tp->t_2msl;
  if(tp->flags & TF_ORPHAN){
    tcp_sndfree(tp);
    tcp_buffree(&tp->rcvq);
  }
}

// ---- the ports our connections hold --------------------------------------
// A listener and every connection it accepted share one claim of the
// kernel's filter; an active open claims its own. Claims are counted,
// and given back when the last holder (TIME-WAIT included) goes.

struct portref {
  struct portref *next;
  uint16_t port;
  int refs;
};
static struct portref *ports[64];

static struct portref *
portfind(uint16_t port)
{
  for(struct portref *p = ports[port % 64]; p; p = p->next)
    if(p->port == port)
      return p;
  return 0;
}

// Hold port (0: a random free one, RFC 6056 3.3.1's first algorithm).
// A port held already is shared only when reuse allows it: SO_REUSEADDR
// over connections that remain, not over a listener. Returns the port or -E*.
int
tcp_port_hold(uint16_t port, int reuse)
{
  struct portref *p;
  int r, tries;

  if(port){
    if((p = portfind(port)) != 0){
      if(!reuse)
        return -EADDRINUSE;
      for(struct tcpcb *tp = tcb_list; tp; tp = tp->next)
        if(tp->lport == port && tp->state == TCP_LISTEN)
          return -EADDRINUSE;
      p->refs++;
      return port;
    }
    if((r = netif.dev->claim(netif.dev, IP_PROTO_TCP, port)) < 0)
      return r;
  } else {
    r = -EADDRINUSE;
    for(tries = 0; tries < 64 && r < 0; tries++){
      port = 49152 + tcp_random() % 16384;
      if(portfind(port) == 0)
        r = netif.dev->claim(netif.dev, IP_PROTO_TCP, port);
      if(r < 0 && r != -EADDRINUSE)
        return r;
    }
    if(r < 0 && (r = netif.dev->claim(netif.dev, IP_PROTO_TCP, 0)) < 0)
      return r;
    port = r;
  }
  if((p = malloc(sizeof(*p))) == 0){
    netif.dev->claim(netif.dev, IP_PROTO_TCP | NC_RELEASE, port);
    return -ENOMEM;
  }
  p->port = port;
  p->refs = 1;
  p->next = ports[port % 64];
  ports[port % 64] = p;
  return port;
}

// One more holder of a port held already: a connection its listener accepted.
void
tcp_port_ref(uint16_t port)
{
  struct portref *p = portfind(port);

  if(p)
    p->refs++;
}

int
tcp_port_held(uint16_t port)
{
  return portfind(port) != 0;
}

void
tcp_port_drop(uint16_t port)
{
  struct portref **pp, *p;

  for(pp = &ports[port % 64]; (p = *pp) != 0; pp = &p->next)
    if(p->port == port){
      if(--p->refs > 0)
        return;
      *pp = p->next;
      free(p);
      netif.dev->claim(netif.dev, IP_PROTO_TCP | NC_RELEASE, port);
      return;
    }
}

// ---- byte rings ---------------------------------------------------------------

int
tcp_bufinit(struct tcpbuf *b, int cap)
{
  if(b->b)
    return 0;
  if((b->b = malloc(cap)) == 0)
    return -ENOMEM;
  b->cap = cap;
  b->off = b->len = 0;
  return 0;
}

// Send rings in the device's ring room (netdev.ring): the device reads
// a segment's bytes there in place, so tcp_send_seg builds only its
// headers, as for a reference (netref.h). Slots of TCP_BUF_DEFAULT
// bytes, a bit each; connections past them, or with a larger SO_SNDBUF,
// get their ring from malloc and copy.
#define RINGSLOTS 32
static uint32_t ringused;   // a bit per slot

int
tcp_sndbufinit(struct tcpbuf *b, int cap)
{
  struct netdev *d = netif.dev;
  int n = d && d->ring ? d->ringsize / TCP_BUF_DEFAULT : 0;

  if(b->b)
    return 0;
  if(cap > TCP_BUF_DEFAULT)
    n = 0;            // a slot is too small: from malloc
  else if(n > RINGSLOTS)
    n = RINGSLOTS;
  for(int i = 0; i < n; i++)
    if(!(ringused & (1u << i))){
      ringused |= 1u << i;
      b->b = d->ring + (uint32_t)i * TCP_BUF_DEFAULT;
      b->slot = i + 1;
      b->cap = cap;
      b->off = b->len = 0;
      return 0;
    }
  return tcp_bufinit(b, cap);
}

// The n bytes at offset at (past off) of a ring in ring room, if they
// are in one piece: where they are, and in *payoff where the device
// finds them (a txsplit payoff). 0 if not: they are to be copied.
uint8_t *
tcp_bufinplace(struct tcpbuf *b, int at, int n, uint32_t *payoff)
{
  int i = (b->off + at) % b->cap;

  if(b->slot == 0 || i + n > b->cap)
    return 0;
  *payoff = netif.dev->ringoff + (b->b - netif.dev->ring) + i;
  return b->b + i;
}

void
tcp_buffree(struct tcpbuf *b)
{
  if(b->slot)
    ringused &= ~(1u << (b->slot - 1));
  else
    free(b->b);
  b->b = 0;
  b->slot = 0;
  b->cap = b->off = b->len = 0;
}

// Copy n bytes in at offset at past the ring's start; the caller has
// checked they fit in cap. Does not change len.
int
tcpbuf_put(struct tcpbuf *b, int at, const uint8_t *p, int n)
{
  int i = (b->off + at) % b->cap, k = b->cap - i < n ? b->cap - i : n;

  memmove(b->b + i, p, k);
  memmove(b->b, p + k, n - k);
  return n;
}

int
tcpbuf_get(struct tcpbuf *b, int at, uint8_t *p, int n)
{
  int i = (b->off + at) % b->cap, k = b->cap - i < n ? b->cap - i : n;

  memmove(p, b->b + i, k);
  memmove(p + k, b->b, n - k);
  return n;
}

void
tcpbuf_consume(struct tcpbuf *b, int n)
{
  b->off = (b->off + n) % b->cap;
  b->len -= n;
}

// The window we can offer: free room in the receive ring (RFC 9293 3.8.6.2.2).
int
tcp_rcvwin(struct tcpcb *tp)
{
  int cap = tp->rcvq.b ? tp->rcvq.cap : tp->rcvbufsize;
  return cap - tp->rcvq.len;
}

// ---- RTT and RTO (RFC 6298) ------------------------------------------------------

void
tcp_rtt_sample(struct tcpcb *tp, int64_t us)
{
  int64_t rto;

  if(us < 1)
    us = 1;
  if(tp->srtt_us == 0){
    // 2.2: the first measurement
    tp->srtt_us = us;
    tp->rttvar_us = us / 2;
  } else {
    // 2.3: beta 1/4, alpha 1/8
    int64_t d = tp->srtt_us - us;
    tp->rttvar_us += ((d < 0 ? -d : d) - tp->rttvar_us) / 4;
    tp->srtt_us += (us - tp->srtt_us) / 8;
  }
  rto = (tp->srtt_us + (4 * tp->rttvar_us > 1000 ? 4 * tp->rttvar_us : 1000)) / 1000;
  if(rto < TCP_RTO_MIN_MS)
    rto = TCP_RTO_MIN_MS;
  if(rto > TCP_RTO_MAX_MS)
    rto = TCP_RTO_MAX_MS;
  tp->rto_ms = rto;
  tp->rxtshift = 0;
}

static int
backoff(int ms, int shift)
{
  int64_t t = (int64_t)ms << (shift > 16 ? 16 : shift);
  return t > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : (int)t;
}

// (Re)start the retransmit timer: RFC 6298 5.1, 5.3.
void
tcp_setrexmt(struct tcpcb *tp)
{
  tp->t_rexmt = tcp_now() + backoff(tp->rto_ms, tp->rxtshift);
  if(tp->t_rexmt < nexttimer)
    nexttimer = tp->t_rexmt;
}

void
tcp_settimer(uint64_t *t, uint64_t when)
{
  *t = when;
  if(when < nexttimer)
    nexttimer = when;
}

// ---- timers --------------------------------------------------------------------

// The retransmit timer (RFC 6298 5.4-5.7), or the persist timer when
// the peer's window is shut (RFC 9293 3.8.6.1). Returns 1 if the
// connection was dropped (and tp maybe freed).
static int
rexmt_fire(struct tcpcb *tp)
{
  int max = tp->state == TCP_SYN_SENT || tp->state == TCP_SYN_RECEIVED ? TCP_SYNRXT : TCP_MAXRXT;

  if(tp->flags & TF_PERSIST){
    // Probe the zero window with one byte (or a bare ACK when nothing
    // is queued); the connection never gives up while the peer answers.
    int n = tcp_sndlen(tp) > 0 ? 1 : 0;
    LNSTAT(tcp_persist_probe);
    tp->persist_shift++;
    if(tcp_send_seg(tp, tp->snd_una, n, TCP_ACK) > 0 && SEQ_LT(tp->snd_max, tp->snd_una + 1))
      tp->snd_max = tp->snd_nxt = tp->snd_una + 1;   // the probe's byte may be accepted
    tcp_settimer(&tp->t_rexmt, tcp_now() + backoff(tp->rto_ms < TCP_PERSIST_MIN_MS ? TCP_PERSIST_MIN_MS : tp->rto_ms,
                                                   tp->persist_shift));
    return 0;
  }
  if(++tp->rxtshift > max){
    LNSTAT(tcp_drop_timeout);
    tcp_drop(tp, tp->softerror ? tp->softerror : ETIMEDOUT);
    return 1;
  }
  LNSTAT(tcp_rexmt_timeout);
  tp->cc->timeout(tp);
  tp->flags &= ~(TF_RECOVERY | TF_RTTING);   // Karn: no sample from a retransmission
  tp->dupacks = 0;
  tp->nsacked = 0;                            // RFC 2018 8: the peer may renege
  tp->snd_high_rxt = tp->snd_una;
  tp->snd_nxt = tp->snd_una;                  // go back N: resend from the first unacked byte
  tcp_setrexmt(tp);
  tcp_output(tp);
  return 0;
}

// Keepalive (RFC 1122 4.2.3.6), off unless SO_KEEPALIVE: after an idle
// time, probe with an old sequence number to draw an ACK.
static void
keep_fire(struct tcpcb *tp, uint64_t now)
{
  if(now - tp->idle_ms < TCP_KEEPIDLE_MS)
    tp->keep_probes = 0;
  else if(tp->keep_probes >= TCP_KEEPCNT){
    LNSTAT(tcp_drop_keepalive);
    tcp_drop(tp, ETIMEDOUT);
    return;
  } else {
    tp->keep_probes++;
    tcp_send_seg(tp, tp->snd_una - 1, 0, TCP_ACK);
  }
  tcp_settimer(&tp->t_keep, now + (tp->keep_probes ? TCP_KEEPINTVL_MS : TCP_KEEPIDLE_MS));
}

void
tcp_timer(uint64_t now)
{
  struct tcpcb *tp, *next;

  if(now < nexttimer)
    return;
  nexttimer = ~0ULL;
  for(tp = tcb_list; tp; tp = next){
    next = tp->next;
    if(tp->t_2msl && now >= tp->t_2msl){
      tcp_close(tp);
      continue;
    }
    if(tp->t_delack && now >= tp->t_delack){
      tp->t_delack = 0;
      tp->flags |= TF_ACKNOW;
      tcp_output(tp);
    }
    if(tp->t_rexmt && now >= tp->t_rexmt){
      tp->t_rexmt = 0;
      if(rexmt_fire(tp))
        continue;       // dropped, and freed if an orphan: next was saved
    }
    if(tp->t_keep && now >= tp->t_keep){
      tp->t_keep = 0;
      keep_fire(tp, now);
    }
  }
  // the earliest deadline left (a freed block's timers went with it)
  for(tp = tcb_list; tp; tp = tp->next){
    uint64_t t[4] = { tp->t_2msl, tp->t_delack, tp->t_rexmt, tp->t_keep };
    for(int i = 0; i < 4; i++)
      if(t[i] && t[i] < nexttimer)
        nexttimer = t[i];
  }
}

uint64_t
tcp_nexttimer(void)
{
  return nexttimer;
}

int
net_txblocked(void)
{
  return tcp_nblocked > 0;
}

// The control blocks owed something at the end of this turn of the
// loop: an ACK (TF_ACKTURN), or output that stopped for want of a TX
// buffer (TF_BLOCKED). tcp_turnend serves them without walking every
// connection; past TURNQ in one turn it walks them all. tcp_free takes
// a freed block out of both lists.
#define TURNQ 64
static struct tcpcb *turnq[TURNQ], *turnrun[TURNQ];
static int nturnq, nturnrun, turnall;

void
tcp_turnq(struct tcpcb *tp)
{
  if(nturnq < TURNQ)
    turnq[nturnq++] = tp;
  else
    turnall = 1;
}

static void
turnforget(struct tcpcb *tp)
{
  for(int i = 0; i < nturnq; i++)
    if(turnq[i] == tp)
      turnq[i] = 0;
  for(int i = 0; i < nturnrun; i++)
    if(turnrun[i] == tp)
      turnrun[i] = 0;
}

// Owe tp's peer an ACK at the end of this turn (tcp_turnend).
void
tcp_ackturn(struct tcpcb *tp)
{
  if(!(tp->flags & TF_ACKTURN)){
    tp->flags |= TF_ACKTURN;
    tcp_turnq(tp);
  }
}

static void
turnserve(struct tcpcb *tp)
{
  if(tp->flags & TF_ACKTURN){
    tp->flags &= ~TF_ACKTURN;
    if(tp->segs_unacked > 0)
      tp->flags |= TF_ACKNOW;    // unless an ACK went meanwhile
    tcp_output(tp);
  } else if(tp->flags & TF_BLOCKED){
    tcp_output(tp);
  }
}

// The end of a turn of the loop, every frame of the last sync taken
// in: the ACKs owed go (one per connection however many segments came),
// and output that stopped for want of a TX buffer goes on. Blocks that
// block again queue themselves for the next turn.
void
tcp_turnend(void)
{
  if(nturnq == 0 && !turnall)
    return;
  if(turnall){
    turnall = nturnq = 0;
    for(struct tcpcb *tp = tcb_list; tp; tp = tp->next)
      turnserve(tp);
    return;
  }
  memmove(turnrun, turnq, nturnq * sizeof(turnq[0]));
  nturnrun = nturnq;
  nturnq = 0;
  for(int i = 0; i < nturnrun; i++)
    if(turnrun[i])
      turnserve(turnrun[i]);
  nturnrun = 0;
}

// ---- errors about our segments (ICMP, or ARP giving up) --------------------------

// RFC 1122 4.2.3.9 and RFC 5927: a protocol or port unreachable
// during the handshake aborts it; any other error, and every error on
// a synchronized connection, is soft: remembered, and reported only
// if the connection times out. The quoted sequence number must be
// one we have sent and not had acknowledged, or the message is forged.
void
tcp_ctlinput(const struct ctlmsg *m, const struct ipv4_repr *qip, const uint8_t *qp, int qlen)
{
  struct tcpcb *tp;
  uint32_t seq;

  if(qlen < 8){
    LNSTAT(tcp_ctl_drop);
    return;
  }
  tp = tcp_lookup(qip->src, get16(qp), qip->dst, get16(qp + 2));
  seq = get32(qp + 4);
  if(tp == 0 || tp->state == TCP_LISTEN || SEQ_LT(seq, tp->snd_una) || SEQ_GT(seq, tp->snd_max)){
    LNSTAT(tcp_ctl_drop);
    return;
  }
  if(m->type == ICMP_UNREACH && m->code == 4 /* fragmentation needed */){
    // RFC 1191: a smaller path MTU (the "rest" word's low half)
    int mtu = m->rest & 0xffff;
    if(mtu >= 68 + 40 && mtu - IPV4_HLEN - TCP_HLEN < tp->mss){
      tp->mss = mtu - IPV4_HLEN - TCP_HLEN;
      LNSTAT(tcp_ctl_pmtu);
      tp->snd_nxt = tp->snd_una;
      tcp_output(tp);
    }
    return;
  }
  if(tp->state == TCP_SYN_SENT && m->type == ICMP_UNREACH &&
     (m->code == ICMP_UNREACH_PROTO || m->code == ICMP_UNREACH_PORT)){
    LNSTAT(tcp_ctl_abort);
    tcp_drop(tp, m->err);
    return;
  }
  LNSTAT(tcp_ctl_soft);
  tp->softerror = m->err;
}
