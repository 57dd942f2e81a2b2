// loop.c: an in-memory device, so the whole stack runs in host tests.
// Frames the stack sends are kept for the test to take (loop_take);
// frames the test injects (loop_inject) are what the stack receives.
// Claims are recorded as the kernel would: exclusive, port 0 = ephemeral.
#include "net.h"
#include "kernel/netchan.h"

#define LOOPQ 256

static struct {
  uint8_t f[LOOPQ][NET_FRAMEMAX];
  int len[LOOPQ];
  int r, w;
} rxq, txq;

static uint8_t txframe[NET_FRAMEMAX];
static struct netdev loopdev;
static struct { int proto, port; } claims[64];
static int nextport = 49152;

static uint8_t *
ltxbuf(struct netdev *d)
{
  return txq.w - txq.r < LOOPQ ? txframe : 0;
}

static void
ltxpush(struct netdev *d, int len)
{
  memmove(txq.f[txq.w % LOOPQ], txframe, len);
  txq.len[txq.w % LOOPQ] = len;
  txq.w++;
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

static int
lsync(struct netdev *d, int timeout_ms)
{
  return rxq.w - rxq.r;   // tests drive time themselves: never wait
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

void
loop_reset(void)
{
  rxq.r = rxq.w = txq.r = txq.w = 0;
  memset(claims, 0, sizeof(claims));
  nextport = 49152;
}

int
net_autoinit(void)
{
  if(netif.dev)
    return 0;
  return net_init(loop_netdev());
}
