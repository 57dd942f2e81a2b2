// netif.c: the interface. Our addresses and routes, Ethernet in and out,
// the event loop that drives every layer, and the counters.
// It knows nothing of the protocols above IPv4 and ARP, and nothing of
// the device beyond struct netdev.
#include "net.h"

struct netif netif;
uint64_t lnstat[LN_NSTATS];
const char *lnstat_names[LN_NSTATS] = {
#define LN_NAME(name, desc) #name,
  LN_STATS(LN_NAME)
#undef LN_NAME
};
int64_t ln_clock_offset_ms;
uint64_t net_rundeadline = ~0ULL;

static int txpending;   // frames pushed since the last sync
#define NET_TXBATCH 32   // frames pushed that make a sync (txpushed)
static int txdry;       // the device lent no TX buffer even after a sync, and none has run since

static const uint8_t bcastmac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

int
net_init(struct netdev *dev)
{
  uint32_t ip = 0x0a00020f, mask = 0xffffff00, gw = 0x0a000202;

  netif.dev = dev;
  memmove(netif.mac, dev->mac, 6);
  // the kernel holds the interface's configuration; it checks every
  // frame we send against it.
  if(dev->getaddr){
    netif.cfggen = dev->cfggen(dev);
    dev->getaddr(dev, &ip, &mask, &gw);
  }
  net_setaddr(ip, mask, gw);
  return 0;
}

// Someone ran ifconfig: take the new addresses, and if we answer for
// the host, announce the new one.
static void
recheckaddr(void)
{
  struct netdev *d = netif.dev;
  uint32_t ip, mask, gw, gen;

  if(d->cfggen == 0 || (gen = d->cfggen(d)) == netif.cfggen)
    return;
  netif.cfggen = gen;
  if(d->getaddr(d, &ip, &mask, &gw) < 0)
    return;
  if(ip != netif.ip || mask != netif.mask || gw != netif.gw){
    net_setaddr(ip, mask, gw);
    if(netif.isdefault)
      arp_gratuitous();
  }
}

// New addresses: the connected route and the default route follow.
void
net_setaddr(uint32_t ip, uint32_t mask, uint32_t gw)
{
  netif.ip = ip;
  netif.mask = mask;
  netif.gw = gw;
  memset(netif.routes, 0, sizeof(netif.routes));
  route_add(ip & mask, mask, 0, 0);
  if(gw)
    route_add(0, 0, gw, 10);
}

// Take the default responder's role (netd): the kernel sends us what no
// one else claims, and we answer ARP and ping for the host.
int
net_become_default(void)
{
  int r = netif.dev->claim(netif.dev, 0, 0);
  if(r < 0)
    return r;
  netif.isdefault = 1;
  return 0;
}

int
route_add(uint32_t net, uint32_t mask, uint32_t gw, int metric)
{
  struct route *r;

  for(r = netif.routes; r < &netif.routes[NROUTE]; r++)
    if(!r->used){
      r->used = 1;
      r->net = net & mask;
      r->mask = mask;
      r->gw = gw;
      r->metric = metric;
      return 0;
    }
  return -ENOBUFS;
}

int
route_del(uint32_t net, uint32_t mask)
{
  for(struct route *r = netif.routes; r < &netif.routes[NROUTE]; r++)
    if(r->used && r->net == (net & mask) && r->mask == mask){
      r->used = 0;
      return 0;
    }
  return -ESRCH;
}

int
net_isbcast(uint32_t dst)
{
  return dst == 0xffffffff || (netif.mask != 0xffffffff && dst == (netif.ip | ~netif.mask));
}

// Could src be one host's address? RFC 1122 3.2.1.3 says a datagram
// from "this network" (0/8), loopback from outside (127/8, unless it is
// our own looped back), a class D or E address, or a broadcast must be
// silently discarded: answering any of them answers many, or no one.
int
net_isvalidsrc(uint32_t src)
{
  if((src >> 24) == 0 || src >= 0xe0000000 || net_isbcast(src))
    return 0;
  if((src >> 24) == 127)
    return 0;
  return 1;
}

int
net_isours(uint32_t dst)
{
  return dst == netif.ip || net_isbcast(dst) || (dst >> 24) == 127;
}

// The next hop for dst: the longest matching prefix, then the lowest
// metric (RFC 1812 5.2.4.3). Netmasks are contiguous, so the longer
// prefix is the larger mask. Ourselves and broadcasts are their own next
// hop. Returns 0 or -ENETUNREACH.
int
net_route(uint32_t dst, uint32_t *nexthop)
{
  struct route *best = 0;

  if(net_isours(dst)){
    *nexthop = dst;
    return 0;
  }
  for(struct route *r = netif.routes; r < &netif.routes[NROUTE]; r++){
    if(!r->used || (dst & r->mask) != r->net)
      continue;
    if(best == 0 || r->mask > best->mask ||
       (r->mask == best->mask && r->metric < best->metric))
      best = r;
  }
  if(best == 0)
    return -ENETUNREACH;
  *nexthop = best->gw ? best->gw : dst;
  return 0;
}

// The MAC for a next hop, if we know it without asking.
static int
resolve(uint32_t nexthop, uint8_t mac[6])
{
  if(net_isbcast(nexthop)){
    memmove(mac, bcastmac, 6);
    return 1;
  }
  if(nexthop == netif.ip || (nexthop >> 24) == 127){
    // the kernel loops frames to our own address back without the wire.
    memmove(mac, netif.mac, 6);
    return 1;
  }
  return arp_lookup(nexthop, mac);
}

// Move frames between us and the device, waiting up to timeout_ms if
// nothing is waiting: what we pushed leaves, the TX buffers the device
// finished come back. Every sync goes through here, so txpending and
// txdry stay true.
static int
devsync(int timeout_ms)
{
  struct netdev *d = netif.dev;
  int n;

  n = d->sync(d, timeout_ms);
  txpending = 0;
  txdry = 0;
  return n;
}

// A TX buffer, or 0 at once. Never waits: a full ring must not stall
// the stack (netd answers everyone from one loop), and a blocking
// socket call waits in its own loop, running the stack. If the device
// holds every buffer, one sync that does not wait gets back what it has
// finished; not again until some other sync has run, since a ring
// changes only at a sync, so the fragments of one datagram or a flushed
// ARP queue cost one system call, not one each. Counts nothing: the
// zero-copy path asks again on its slow path, so the caller that drops
// the frame counts eth_tx_nobuf.
uint8_t *
net_txbuf(void)
{
  struct netdev *d = netif.dev;
  uint8_t *f = d->txbuf(d);

  if(f == 0 && !txdry){
    devsync(0);
    f = d->txbuf(d);
  }
  txdry = f == 0;
  return f;
}

int
net_txroom(void)
{
  struct netdev *d = netif.dev;

  return d && d->txbuf(d) != 0;
}

// A frame was pushed. Every NET_TXBATCH of them go to the device at
// once, not only at the next sync: the device starts on them while we
// build the rest. Under QEMU's TCG it sends a burst holding the global
// lock that each of our system calls needs, so a whole window handed
// over in one sync leaves us idle for the burst and the device idle
// while we then build the next window; in batches, each burst overlaps
// the building of the next batch.
static void
txpushed(void)
{
  if(++txpending >= NET_TXBATCH)
    devsync(0);
}

// Hand a built frame to the device, padded to Ethernet's minimum.
void
net_txpush(uint8_t *f, int len)
{
  if(len < ETH_MINFRAME){
    memset(f + len, 0, ETH_MINFRAME - len);
    len = ETH_MINFRAME;
  }
  netif.dev->txpush(netif.dev, len);
  LNSTAT(eth_tx);
  txpushed();
}

void
net_txsplit(uint8_t *f, int hdrlen, uint32_t payoff, int paylen)
{
  netif.dev->txsplit(netif.dev, hdrlen, payoff, paylen);
  LNSTAT(eth_tx);
  txpushed();
}

static void
ethhdr(uint8_t *f, const uint8_t *dst, int type)
{
  struct eth_repr e;

  memmove(e.dst, dst, 6);
  memmove(e.src, netif.mac, 6);
  e.type = type;
  eth_emit(f, ETH_HLEN, &e);
}

uint8_t *
eth_txbegin(uint32_t nexthop, const uint8_t **macp)
{
  static uint8_t mac[6];
  uint8_t *f;

  if(!resolve(nexthop, mac))
    return 0;
  if((f = net_txbuf()) == 0)
    return 0;
  *macp = mac;
  return f;
}

void
eth_txfinish(uint8_t *f, const uint8_t *mac, int iplen)
{
  ethhdr(f, mac, ETH_TYPE_IPV4);
  net_txpush(f, ETH_HLEN + iplen);
}

// A frame whose IPv4 packet is iphdr bytes in f and paylen bytes of the
// payload cache from payoff. Never short: headers and payload both.
void
eth_txsplit(uint8_t *f, const uint8_t *mac, int iphdr, uint32_t payoff, int paylen)
{
  ethhdr(f, mac, ETH_TYPE_IPV4);
  net_txsplit(f, ETH_HLEN + iphdr, payoff, paylen);
}

int
eth_output_ip(uint32_t nexthop, const uint8_t *pkt, int len)
{
  uint8_t mac[6], *f;
  int rc;

  if(len > NET_MTU)
    return -EMSGSIZE;
  if(!resolve(nexthop, mac)){
    if((rc = arp_enqueue(nexthop, pkt, len)) < 0)
      return rc;
    return ETH_QUEUED;
  }
  if((f = net_txbuf()) == 0){
    LNSTAT(eth_tx_nobuf);
    return -ENOBUFS;
  }
  memmove(f + ETH_HLEN, pkt, len);
  eth_txfinish(f, mac, len);
  return 0;
}

// One received frame through every layer. The frame stays valid only
// for the call.
void
net_input(const uint8_t *f, int len)
{
  struct eth_repr e;

  LNSTAT(eth_rx);
  if(eth_parse(f, len, &e) < 0){
    LNSTAT(eth_drop_short);
    return;
  }
  if(memcmp(e.dst, netif.mac, 6) != 0 && memcmp(e.dst, bcastmac, 6) != 0){
    LNSTAT(eth_drop_notforus);
    return;
  }
  switch(e.type){
  case ETH_TYPE_ARP:
    arp_input(&e, f + ETH_HLEN, len - ETH_HLEN);
    break;
  case ETH_TYPE_IPV4:
    ipv4_input(&e, f + ETH_HLEN, len - ETH_HLEN);
    break;
  default:
    LNSTAT(eth_drop_type);
    break;
  }
}

uint64_t
net_nexttimer(void)
{
  uint64_t a = arp_nexttimer(), b = ipv4_nexttimer(), c = tcp_nexttimer();
  if(b < a)
    a = b;
  return c < a ? c : a;
}

// Feed every waiting frame to the stack. Returns how many.
static int
drain(void)
{
  struct netdev *d = netif.dev;
  uint8_t *f;
  int len, n = 0;

  while((f = d->rxframe(d, &len)) != 0){
    net_input(f, len);
    d->rxpop(d);
    n++;
  }
  return n;
}

static void
timers(void)
{
  uint64_t now = ln_now_ms();

  if(net_nexttimer() <= now){
    arp_timer(now);
    ipv4_timer(now);
    tcp_timer(now);
  }
}

// One turn of the stack without waiting: whatever the last sync left
// in the ring goes through the layers, then due timers. Returns frames.
static int
turn(void)
{
  int n;

  recheckaddr();
  n = drain();
  tcp_turnend();
  timers();
  return n;
}

// How long the device may sleep: until deadline or the next timer.
static int
waitms(uint64_t deadline)
{
  uint64_t now = ln_now_ms(), until = net_nexttimer();

  if(deadline < until)
    until = deadline;
  if(until == ~0ULL)
    return -1;
  return until > now ? (int)(until - now) : 0;
}

// Run the stack: take in what arrived, run due timers, send what is
// queued. If nothing arrived, wait up to timeout_ms (-1: forever) for
// something to. Returns the number of frames taken in. Each sync both
// sends and receives, so a reply and the next wait share one call.
int
net_poll(int timeout_ms)
{
  uint64_t deadline = timeout_ms < 0 ? ~0ULL : ln_now_ms() + timeout_ms;
  int n;

  // with nothing in the ring, a caller that may wait asks the kernel
  // once, in the waiting sync below (it returns at once if frames
  // came): a sync to look and then one to wait cost two system calls
  // where one does, and under TCG each takes QEMU's lock
  if((n = turn()) == 0 && timeout_ms == 0){
    devsync(0);
    n = turn();
  }
  for(;;){
    if(n > 0 || timeout_ms == 0 || ln_now_ms() >= deadline){
      // replies and timer output go out now, not at the next call.
      if(txpending)
        devsync(0);
      return n;
    }
    devsync(waitms(deadline));
    n = turn();
  }
}

// One turn over what the last sync left in the ring, without asking the
// kernel for more; what the turn queued goes out. For a caller that
// waits in a sync next if nothing is ready (ln_poll). Returns frames.
int
net_poll_ring(void)
{
  int n = turn();

  if(txpending)
    devsync(0);
  return n;
}

// Run the stack for ever, as a daemon does: what a turn sends leaves
// with the next wait's sync, one system call per turn. each, if not 0,
// runs after every turn, to serve the daemon's own sockets.
void
net_run(void (*each)(void))
{
  for(;;){
    turn();
    if(each)
      each();
    devsync(waitms(net_rundeadline));
  }
}
