// chan.c: open, sync and use a network channel. The only file in
// libnet that touches the kernel's rings.
#include "kernel/types.h"
#include "kernel/errno.h"
#include "apps/user.h"
#include "chan.h"

int
chan_open(struct chan *ch)
{
  return chan_opencache(ch, 0);
}

int
chan_opencache(struct chan *ch, int npages)
{
  int fd;

  if(npages < 0 || npages > NC_CACHEMAX)
    return -EINVAL;
  if((fd = netopen(NC_OPEN_CACHE(npages))) < 0)
    return fd;
  ch->fd = fd;
  ch->info = (struct nc_info *)(NC_VA + NC_INFO_OFF);
  if(ch->info->version != NC_VERSION || ch->info->nslots != NC_NSLOTS ||
     ch->info->nbufs != NC_NBUFS || ch->info->bufsize != NC_BUFSIZE){
    close(fd);
    return -EPROTO;
  }
  ch->rx = (struct nc_ring *)(NC_VA + ch->info->rx_off);
  ch->tx = (struct nc_ring *)(NC_VA + ch->info->tx_off);
  ch->bufs = (uint8_t *)(NC_VA + ch->info->buf_off);
  ch->txpay = (struct nc_txpay *)(NC_VA + ch->info->txpay_off);
  ch->cachesize = ch->info->cache_size;
  ch->cache = ch->cachesize ? (uint8_t *)(NC_VA + ch->info->cache_off) : 0;
  return 0;
}

int
chan_claim(struct chan *ch, int proto, int port)
{
  return netclaim(ch->fd, proto, port);
}

int
chan_sync(struct chan *ch, int timeout_ms)
{
  return netsync(ch->fd, timeout_ms);
}

int
chan_close(struct chan *ch)
{
  int r = close(ch->fd);
  ch->fd = -1;
  return r;
}

uint8_t *
chan_txbuf(struct chan *ch)
{
  if(nc_ring_space(ch->tx) == 0)
    return 0;
  return chan_buf(ch, ch->tx->slot[ch->tx->head].buf);
}

void
chan_txpush(struct chan *ch, int len)
{
  struct nc_slot *s = &ch->tx->slot[ch->tx->head];

  s->len = len;
  s->flags = 0;
  ch->tx->head = nc_next(ch->tx->head);
}

void
chan_txsplit(struct chan *ch, int hdrlen, uint32_t payoff, uint16_t paylen)
{
  uint32_t h = ch->tx->head;
  struct nc_slot *s = &ch->tx->slot[h];

  ch->txpay[h].off = payoff;
  ch->txpay[h].len = paylen;
  ch->txpay[h].reserved = 0;
  s->len = hdrlen;
  s->flags = NCS_PAYLOAD;
  ch->tx->head = nc_next(h);
}

// Sync, throwing away what arrived. 0 or -E*.
static int
syncdrop(struct chan *ch, int timeout_ms)
{
  int r, len;

  if((r = chan_sync(ch, timeout_ms)) < 0)
    return r;
  while(chan_rxframe(ch, &len))
    chan_rxpop(ch);
  return 0;
}

uint8_t *
chan_txwait(struct chan *ch, int *err)
{
  uint8_t *b;

  while((b = chan_txbuf(ch)) == 0)
    if((*err = syncdrop(ch, 100)) < 0)
      return 0;
  return b;
}

// Frames sent or refused; a refused slot comes back with the buffer and
// flags of the slot after it (netchan.h), so the counters tell. badindex
// is about the ring, not a slot: it hands no slot back.
uint64_t
chan_txdealt(struct nc_stats *st)
{
  uint64_t n = st->v[NC_tx_frames];

  for(int i = NC_tx_reject_badbuf; i <= NC_tx_reject_splithdr; i++)
    n += st->v[i];
  return n;
}

int
chan_txsettle(struct chan *ch, uint64_t n, struct nc_stats *st, int ms)
{
  uint64 t0 = clock();
  int r;

  for(;;){
    if((r = syncdrop(ch, 10)) < 0 || (r = netstat(ch->fd, st)) < 0)
      return r;
    if(chan_txdealt(st) >= n || clock() - t0 > (uint64)ms * 1000)
      return 0;
  }
}

int
chan_send(struct chan *ch, const void *frame, int len)
{
  uint8_t *b = chan_txbuf(ch);

  if(b == 0)
    return -ENOBUFS;
  memmove(b, frame, len);
  chan_txpush(ch, len);
  return 0;
}

uint8_t *
chan_rxframe(struct chan *ch, int *len)
{
  struct nc_slot *s;

  if(nc_ring_space(ch->rx) == 0)
    return 0;
  s = &ch->rx->slot[ch->rx->head];
  *len = s->len;
  return chan_buf(ch, s->buf);
}

void
chan_rxpop(struct chan *ch)
{
  ch->rx->head = nc_next(ch->rx->head);
}

// ---- the channel as libnet's device (net.h's struct netdev) ----------------

#include "net.h"

static struct chan thechan;
static struct netdev chandev;
static int cachewant;   // pages of payload cache to open thechan with

static uint8_t *
dtxbuf(struct netdev *d)
{
  return chan_txbuf(&thechan);
}

static void
dtxpush(struct netdev *d, int len)
{
  chan_txpush(&thechan, len);
}

static void
dtxsplit(struct netdev *d, int hdrlen, uint32_t payoff, int paylen)
{
  chan_txsplit(&thechan, hdrlen, payoff, paylen);
}

static uint8_t *
drxframe(struct netdev *d, int *len)
{
  return chan_rxframe(&thechan, len);
}

static void
drxpop(struct netdev *d)
{
  chan_rxpop(&thechan);
}

static int
dsync(struct netdev *d, int timeout_ms)
{
  return chan_sync(&thechan, timeout_ms);
}

static int
dclaim(struct netdev *d, int proto, int port)
{
  return chan_claim(&thechan, proto, port);
}

static uint32_t
dcfggen(struct netdev *d)
{
  return thechan.info->cfggen;
}

static int
dgetaddr(struct netdev *d, uint32_t *ip, uint32_t *mask, uint32_t *gw)
{
  return getipaddr(ip, mask, gw);
}

// Open this process's channel (once) and describe it as a netdev.
// Returns 0 if the kernel gives no channel.
struct netdev *
chan_netdev(void)
{
  int ring = NET_RINGPAGES;

  if(chandev.txbuf)
    return &chandev;
  // the cache the application asked for, and after it room for TCP's
  // send rings, which the device then reads in place (tcp_sndbufinit);
  // without memory for that room, only what was asked for.
  if(cachewant + ring > NC_CACHEMAX || chan_opencache(&thechan, cachewant + ring) < 0){
    ring = 0;
    if(chan_opencache(&thechan, cachewant) < 0)
      return 0;
  }
  memmove(chandev.mac, thechan.info->mac, 6);
  chandev.fd = thechan.fd;
  chandev.txbuf = dtxbuf;
  chandev.txpush = dtxpush;
  chandev.rxframe = drxframe;
  chandev.rxpop = drxpop;
  chandev.sync = dsync;
  chandev.claim = dclaim;
  chandev.cfggen = dcfggen;
  chandev.getaddr = dgetaddr;
  if(thechan.cache){
    if(cachewant > 0){
      chandev.cache = thechan.cache;
      chandev.cachesize = (uint32_t)cachewant * NC_BUFSIZE;
    }
    chandev.ring = ring ? thechan.cache + (uint32_t)cachewant * NC_BUFSIZE : 0;
    chandev.ringoff = (uint32_t)cachewant * NC_BUFSIZE;
    chandev.ringsize = (uint32_t)ring * NC_BUFSIZE;
    chandev.txsplit = dtxsplit;
  }
  return &chandev;
}

void
chan_wantcache(int npages)
{
  cachewant = npages;
}

struct chan *
chan_stack(void)
{
  return chandev.txbuf ? &thechan : 0;
}

// The socket layer's first call brings the stack up on the channel.
int
net_autoinit(void)
{
  struct netdev *d;

  if(netif.dev)
    return 0;
  if((d = chan_netdev()) == 0)
    return -ENETDOWN;
  // what a process wrote to a TCP connection goes out, FIN included,
  // before it ends (tcp_exit bounds the wait)
  atexit(tcp_exit);
  return net_init(d);
}
