// loop.c: an in-memory device, so the whole stack runs in host tests.
// Frames the stack sends are kept for the test to take (loop_take);
// frames the test injects (loop_inject) are what the stack receives.
// Claims are recorded as the kernel would: exclusive, port 0 = ephemeral.
// A test may make TX buffers scarce (loop_txlimit), as a ring whose
// slots the kernel has not finished with, and read back how long each
// sync was allowed to wait (loop_synclog). It may give the device a
// payload cache (loop_setcache): a split frame is then put together here,
// as the device would read it, and counted (loop_splits). It always has
// the ring room TCP's send rings go in (net.h), as a channel has, so
// bulk segments are split frames here too.
#include "net.h"
#include "kernel/netchan.h"

#define LOOPQ 256
#define LOOP_CACHEMAX (2 << 20)
#define LOOP_RINGSIZE (NET_RINGPAGES * 4096)

static struct {
  uint8_t f[LOOPQ][NET_FRAMEMAX];
  int len[LOOPQ];
  int r, w;
} rxq, txq;

static uint8_t txframe[NET_FRAMEMAX];
static struct netdev loopdev;
static struct { int proto, port; } claims[64];
static int nextport = 49152;
static int txlimit = -1;      // frames pushed between syncs before txbuf says none; -1: no limit
static int inflight;          // frames pushed since the last sync
#define NSYNCLOG 64
static int synclog[NSYNCLOG]; // timeout_ms of each sync since loop_synclog last read them
static int nsync;

static uint8_t *
ltxbuf(struct netdev *d)
{
  if(txq.w - txq.r >= LOOPQ || (txlimit >= 0 && inflight >= txlimit))
    return 0;
  return txframe;
}

static void
ltxpush(struct netdev *d, int len)
{
  memmove(txq.f[txq.w % LOOPQ], txframe, len);
  txq.len[txq.w % LOOPQ] = len;
  txq.w++;
  inflight++;
}

static uint8_t *
lrxframe(struct netdev *d, int *len)
{
  if(rxq.r == rxq.w)
    return 0;
  *len = rxq.len[rxq.r % LOOPQ];
  return rxq.f[rxq.r % LOOPQ];
}

static void
lrxpop(struct netdev *d)
{
  rxq.r++;
}

// Tests drive time themselves: never wait, only log how long we might
// have. Like a real ring, a sync gives back the TX buffers it sent.
static uint8_t loopcache[LOOP_CACHEMAX + LOOP_RINGSIZE];   // the cache, then the ring room
static int nsplit;            // split frames since loop_reset

static void
ltxsplit(struct netdev *d, int hdrlen, uint32_t payoff, int paylen)
{
  memmove(txframe + hdrlen, loopcache + payoff, paylen);
  ltxpush(d, hdrlen + paylen);
  nsplit++;
}

static int
lsync(struct netdev *d, int timeout_ms)
{
  if(nsync < NSYNCLOG)
    synclog[nsync] = timeout_ms;
  nsync++;
  inflight = 0;
  return rxq.w - rxq.r;
}

static int
lclaim(struct netdev *d, int proto, int port)
{
  int release = proto & NC_RELEASE;
  proto &= ~NC_RELEASE;
  for(int i = 0; i < 64; i++)
    if(claims[i].port && claims[i].proto == proto && claims[i].port == port){
      if(release){
        claims[i].port = 0;
        return 0;
      }
      return -EADDRINUSE;
    }
  if(release)
    return -ENOENT;
  if(proto == 0)
    return 0;   // the default responder
  if(port == 0)
    port = nextport++;
  for(int i = 0; i < 64; i++)
    if(claims[i].port == 0){
      claims[i].proto = proto;
      claims[i].port = port;
      return port;
    }
  return -ENOBUFS;
}

// The ring room (net.h), always there; split frames are put together
// by ltxsplit, from it as from the cache.
static void
loopring(void)
{
  loopdev.ring = loopcache + LOOP_CACHEMAX;
  loopdev.ringoff = LOOP_CACHEMAX;
  loopdev.ringsize = LOOP_RINGSIZE;
  loopdev.txsplit = ltxsplit;
}

struct netdev *
loop_netdev(void)
{
  static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

  memmove(loopdev.mac, mac, 6);
  loopdev.fd = -1;
  loopdev.txbuf = ltxbuf;
  loopdev.txpush = ltxpush;
  loopdev.rxframe = lrxframe;
  loopdev.rxpop = lrxpop;
  loopdev.sync = lsync;
  loopdev.claim = lclaim;
  loopring();
  return &loopdev;
}

// Give the stack a frame to receive at its next poll. 0 or -ENOBUFS.
int
loop_inject(const uint8_t *f, int len)
{
  if(rxq.w - rxq.r >= LOOPQ || len > NET_FRAMEMAX)
    return -ENOBUFS;
  memmove(rxq.f[rxq.w % LOOPQ], f, len);
  rxq.len[rxq.w % LOOPQ] = len;
  rxq.w++;
  return 0;
}

// Take the oldest frame the stack sent into buf. Returns its length, or
// 0 if it sent none.
int
loop_take(uint8_t *buf, int max)
{
  int len;

  if(txq.r == txq.w)
    return 0;
  len = txq.len[txq.r % LOOPQ];
  if(len > max)
    len = max;
  memmove(buf, txq.f[txq.r % LOOPQ], len);
  txq.r++;
  return len;
}

// Lend at most n TX buffers between syncs (n < 0: as many as the queue
// holds), as a ring of n slots would.
void
loop_txlimit(int n)
{
  txlimit = n;
  inflight = 0;
}

// How many syncs ran since the last call (or loop_reset); the timeouts
// of the first max of them go in t. Starts a new log.
int
loop_synclog(int *t, int max)
{
  int i, n = nsync;

  for(i = 0; i < n && i < max && i < NSYNCLOG; i++)
    t[i] = synclog[i];
  nsync = 0;
  return n;
}

// Give the device a payload cache of size bytes (0: none), zeroed.
void
loop_setcache(uint32_t size)
{
  if(size > LOOP_CACHEMAX)
    size = LOOP_CACHEMAX;
  memset(loopcache, 0, LOOP_CACHEMAX);
  loopdev.cache = size ? loopcache : 0;
  loopdev.cachesize = size;
}

int
loop_splits(void)
{
  return nsplit;
}

void
loop_reset(void)
{
  nsplit = 0;
  loopdev.cache = 0;
  loopdev.cachesize = 0;
  loopring();
  rxq.r = rxq.w = txq.r = txq.w = 0;
  memset(claims, 0, sizeof(claims));
  nextport = 49152;
  txlimit = -1;
  inflight = 0;
  nsync = 0;
}

int
net_autoinit(void)
{
  if(netif.dev)
    return 0;
  return net_init(loop_netdev());
}
