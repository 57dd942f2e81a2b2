// arp.c: the neighbour cache (RFC 826) and the packets waiting for it.
//
// Each process keeps its own cache: the kernel shows every ARP frame to
// every channel. Only the default responder (netd) answers requests for
// our address, so the host answers once however many programs run.
// A packet to a neighbour we do not know yet is queued, never dropped,
// while we ask; after ARP_TRIES unanswered requests it is dropped and
// ipv4_ctlinput tells its transport the host is unreachable.
#include "net.h"

enum { A_FREE, A_PENDING, A_OK };

static struct arpent {
  int state;
  uint32_t ip;
  uint8_t mac[6];
  uint64_t expire;     // A_OK: when the entry goes stale
  uint64_t retry;      // A_PENDING: when to ask again
  int tries;           // A_PENDING: requests sent so far
} cache[ARP_NENTRY];

static struct arpq {
  int used;
  uint32_t nexthop;
  int len;
  uint8_t *pkt;        // an IPv4 packet, header first (malloc)
} queue[ARP_QMAX];
static int nqueued;               // entries of queue[] in use

static struct arpent *lasthit;   // most lookups are for the last neighbour again

static struct arpent *
find(uint32_t ip)
{
  if(lasthit && lasthit->state != A_FREE && lasthit->ip == ip)
    return lasthit;
  for(struct arpent *a = cache; a < &cache[ARP_NENTRY]; a++)
    if(a->state != A_FREE && a->ip == ip)
      return lasthit = a;
  return 0;
}

// A free entry, or else the one closest to going stale.
static struct arpent *
alloc(uint32_t ip)
{
  struct arpent *victim = 0;

  for(struct arpent *a = cache; a < &cache[ARP_NENTRY]; a++){
    if(a->state == A_FREE){
      victim = a;
      break;
    }
    if(a->state == A_OK && (victim == 0 || a->expire < victim->expire))
      victim = a;
  }
  if(victim == 0)
    victim = &cache[0];
  memset(victim, 0, sizeof(*victim));
  victim->ip = ip;
  return victim;
}

int
arp_lookup(uint32_t ip, uint8_t mac[6])
{
  struct arpent *a = find(ip);

  if(a == 0 || a->state != A_OK)
    return 0;
  if(a->expire <= ln_now_ms()){
    a->state = A_FREE;
    return 0;
  }
  memmove(mac, a->mac, 6);
  return 1;
}

// Send what waited for ip, now that we know where it lives. A packet
// that finds no TX buffer is dropped (arp_queue_nobuf, and
// eth_tx_nobuf): its sender was told it went, as UDP allows, and waiting
// here would stall the whole stack. net_txbuf syncs once for the lot.
static void
flushq(uint32_t ip)
{
  for(struct arpq *q = queue; q < &queue[ARP_QMAX]; q++)
    if(q->used && q->nexthop == ip){
      q->used = 0;
      nqueued--;
      // resolved now, so sent or dropped: never queued again.
      if(eth_output_ip(ip, q->pkt, q->len) == 0){
        LNSTAT(arp_queue_sent);
        LNSTAT(ip_tx);
      } else {
        LNSTAT(arp_queue_nobuf);
      }
      free(q->pkt);
    }
}

void
arp_update(uint32_t ip, const uint8_t mac[6])
{
  struct arpent *a = find(ip);

  if(a == 0)
    a = alloc(ip);
  a->state = A_OK;
  memmove(a->mac, mac, 6);
  a->expire = ln_now_ms() + ARP_TTL_MS;
  flushq(ip);
}

static int
arpsend(int op, const uint8_t *ethdst, const uint8_t *tha, uint32_t tpa)
{
  struct arp_repr r;
  struct eth_repr e;
  uint8_t *f = net_txbuf();

  if(f == 0){
    LNSTAT(eth_tx_nobuf);
    return -ENOBUFS;
  }
  memmove(e.dst, ethdst, 6);
  memmove(e.src, netif.mac, 6);
  e.type = ETH_TYPE_ARP;
  eth_emit(f, ETH_HLEN, &e);
  r.op = op;
  memmove(r.sha, netif.mac, 6);
  r.spa = netif.ip;
  memmove(r.tha, tha, 6);
  r.tpa = tpa;
  arp_emit(f + ETH_HLEN, ARP_LEN, &r);
  net_txpush(f, ETH_HLEN + ARP_LEN);
  // counted here, once a buffer was found: a request or reply that had
  // none was not sent (eth_tx_nobuf says so), and a request is sent
  // again at the next retry.
  if(op == ARP_REQUEST)
    LNSTAT(arp_req_tx);
  else
    LNSTAT(arp_reply_tx);
  return 0;
}

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static int asking;   // some entry may be A_PENDING (cleared when the timer finds none)
static const uint8_t zero[6];

int
arp_request(uint32_t ip)
{
  struct arpent *a = find(ip);

  if(a == 0)
    a = alloc(ip);
  if(a->state != A_PENDING){
    a->state = A_PENDING;
    a->tries = 0;
  }
  a->tries++;
  a->retry = ln_now_ms() + ARP_RETRY_MS;
  asking = 1;
  return arpsend(ARP_REQUEST, bcast, zero, ip);
}

// An announcement of our address (RFC 5227 2.3): a request for
// ourselves, so neighbours update stale entries.
int
arp_gratuitous(void)
{
  return arpsend(ARP_REQUEST, bcast, zero, netif.ip);
}

// Hold pkt until nexthop answers; ask it if we are not asking already.
// Returns 0, or -ENOBUFS if the queue is full (the packet is dropped).
// A held packet leaves as arp_queue_sent, arp_queue_nobuf or
// arp_unresolved.
int
arp_enqueue(uint32_t nexthop, const uint8_t *pkt, int len)
{
  struct arpq *q;
  struct arpent *a;

  for(q = queue; q < &queue[ARP_QMAX]; q++)
    if(!q->used)
      break;
  if(q == &queue[ARP_QMAX] || (q->pkt = malloc(len)) == 0){
    LNSTAT(arp_queue_full);
    return -ENOBUFS;
  }
  memmove(q->pkt, pkt, len);
  q->len = len;
  q->nexthop = nexthop;
  q->used = 1;
  nqueued++;
  a = find(nexthop);
  if(a == 0 || a->state != A_PENDING)
    arp_request(nexthop);
  return 0;
}

// RFC 826's packet reception: merge what the sender tells us about
// itself if we already know it, or if the message is for us.
void
arp_input(const struct eth_repr *eth, const uint8_t *p, int len)
{
  struct arp_repr r;
  int merged = 0;

  (void)eth;
  LNSTAT(arp_rx);
  if(arp_parse(p, len, &r) < 0 || r.spa == 0 || memcmp(r.sha, bcast, 6) == 0){
    LNSTAT(arp_drop_bad);
    return;
  }
  if(find(r.spa)){
    arp_update(r.spa, r.sha);
    merged = 1;
  }
  if(r.tpa != netif.ip || netif.ip == 0)
    return;
  if(!merged)
    arp_update(r.spa, r.sha);
  if(r.op == ARP_REQUEST && netif.isdefault)
    arpsend(ARP_REPLY, r.sha, r.sha, r.spa);
}

// The neighbour never answered: drop what waited for it, and pass each
// packet to ipv4_ctlinput as a host unreachable, as a router's ICMP
// error would come, so its sender hears EHOSTUNREACH. Nothing here
// reads the packet.
static void
giveup(uint32_t ip)
{
  struct ctlmsg m;

  memset(&m, 0, sizeof m);
  m.type = ICMP_UNREACH;
  m.code = ICMP_UNREACH_HOST;
  m.err = EHOSTUNREACH;
  for(struct arpq *q = queue; q < &queue[ARP_QMAX]; q++){
    if(!q->used || q->nexthop != ip)
      continue;
    q->used = 0;
    nqueued--;
    LNSTAT(arp_unresolved);
    ipv4_ctlinput(&m, q->pkt, q->len);
    free(q->pkt);
  }
}

void
arp_timer(uint64_t now)
{
  int pending = 0;

  for(struct arpent *a = cache; a < &cache[ARP_NENTRY]; a++){
    if(a->state == A_PENDING)
      pending = 1;
    if(a->state == A_OK && a->expire <= now)
      a->state = A_FREE;
    if(a->state != A_PENDING || a->retry > now)
      continue;
    if(a->tries >= ARP_TRIES){
      a->state = A_FREE;
      giveup(a->ip);
    } else {
      arp_request(a->ip);
    }
  }
  asking = pending;
}

// The earliest retry. Every turn of the event loop asks, so the common
// answer (nothing pending) does not walk the table.
uint64_t
arp_nexttimer(void)
{
  uint64_t t = ~0ULL;

  if(nqueued == 0 && !asking)
    return t;
  for(struct arpent *a = cache; a < &cache[ARP_NENTRY]; a++)
    if(a->state == A_PENDING && a->retry < t)
      t = a->retry;
  if(t == ~0ULL)
    asking = 0;
  return t;
}

void
arp_flush(void)
{
  for(struct arpent *a = cache; a < &cache[ARP_NENTRY]; a++)
    a->state = A_FREE;
}
