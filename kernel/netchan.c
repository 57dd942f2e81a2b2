// Network channels: the exokernel's packet interface (ABI in netchan.h).
//
// A channel maps rings and a pool of page-sized buffers into one
// process. Received frames arrive in pages the device filled; netsync(),
// running in the owner's context, maps each such page in the place of a
// buffer the owner gave back (a page flip: the payload is never copied)
// and frees the page that was there. A buffer given back is unmapped at
// once but the TLB is flushed only when a frame is to be mapped in a
// slot given back since the last flush: one flush for many frames.
// Frames to send are checked (netguard.c) on a copy of their headers,
// which the device then reads from kernel memory, and their payload is
// read by the device straight from the owner's buffer, or, for a split
// frame, from the owner's payload cache (netcache.c).
//
// This file does not decide who gets a frame (netfilt.c) or whether a
// frame may be sent (netguard.c), and implements no protocol.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "proc.h"
#include "fs.h"
#include "file.h"
#include "defs.h"
#include "errno.h"
#include "poll.h"
#include "netvar.h"

#define MASK (NC_NSLOTS - 1)
#define NOBUF 0xffffffff
#define COOKIE_SPLIT 0x8000   // in a TX cookie, above the slot: the payload is in the cache

struct netchan chans[NNETCHAN];

static int rxready(struct netchan *c);

static uint64
bufva(int b)
{
  return NC_VA + NC_BUF_OFF + (uint64)b * NC_BUFSIZE;
}

// Pages of c's region, its payload cache included.
static uint64
regionpages(struct netchan *c)
{
  return NC_SIZE / PGSIZE + c->ncache;
}

// Count one event on the channel and on the interface.
static void
count(struct netchan *c, int what, uint64 n)
{
  if(c)
    c->st.v[what] += n;
  netif.st.v[what] += n;
}

void
netchan_init(void)
{
  netfilt_init();
  for(int i = 0; i < NNETCHAN; i++)
    chans[i].id = i;
  virtio_net_mac(netif.mac);
}

// Free every page a channel holds except those the device is still
// reading (after a timeout in release). Not mapped anywhere any more.
static void
freepages(struct netchan *c)
{
  for(int b = 0; b < NC_NBUFS; b++){
    if(c->page[b] && c->bstate[b] != B_TXFLIGHT)
      kfree(c->page[b]);
    c->page[b] = 0;
  }
  // the device may still read a header copy, or the cache (frames in
  // flight after the wait in release): those go when it is done.
  for(int i = 0; i < NELEM(c->hdrcopy); i++){
    if(c->hdrcopy[i])
      netcache_orphan(c->hdrcopy[i]);
    c->hdrcopy[i] = 0;
  }
  netcache_free(c);
  if(c->txpay)
    kfree(c->txpay);
  c->txpay = 0;
  if(c->scratch)
    kfree(c->scratch);
  c->scratch = 0;
  if(c->info)
    kfree(c->info);
  if(c->rx)
    kfree((char*)c->rx);
  if(c->tx)
    kfree((char*)c->tx);
  c->info = 0;
  c->rx = c->tx = 0;
}

// Allocate the region's pages. Returns 0 or -ENOMEM (pages freed).
static int
allocpages(struct netchan *c)
{
  memset(c->page, 0, sizeof(c->page));
  memset(c->hdrcopy, 0, sizeof(c->hdrcopy));
  c->info = kalloc();
  c->rx = (struct nc_ring*)kalloc();
  c->tx = (struct nc_ring*)kalloc();
  c->scratch = kalloc();
  c->txpay = kalloc();
  if(c->info == 0 || c->rx == 0 || c->tx == 0 || c->scratch == 0 || c->txpay == 0)
    goto bad;
  for(int i = 0; i < NELEM(c->hdrcopy); i++)
    if((c->hdrcopy[i] = kalloc()) == 0)
      goto bad;
  // The first NC_NSLOTS buffers start in RX slots, unmapped: the first
  // frame in each brings its own page, so they need none until given
  // back. NC_KBUF never has one (the process sees scratch there).
  for(int b = NC_NSLOTS; b < NC_NBUFS; b++){
    if(b != NC_KBUF && (c->page[b] = kalloc()) == 0)
      goto bad;
    c->bstate[b] = B_USER;
  }
  c->bstate[NC_KBUF] = B_KERNEL;
  return 0;

 bad:
  freepages(c);
  return -ENOMEM;
}

// Map the region into pagetable at NC_VA. Returns 0 or -ENOMEM, with
// nothing left mapped.
static int
mapregion(struct netchan *c, pagetable_t pt)
{
  if(mappages(pt, NC_VA + NC_INFO_OFF, PGSIZE, (uint64)c->info, PTE_R|PTE_U) < 0)
    goto bad;
  if(mappages(pt, NC_VA + NC_RX_OFF, PGSIZE, (uint64)c->rx, PTE_R|PTE_W|PTE_U) < 0)
    goto bad;
  if(mappages(pt, NC_VA + NC_TX_OFF, PGSIZE, (uint64)c->tx, PTE_R|PTE_W|PTE_U) < 0)
    goto bad;
  if(mappages(pt, NC_VA + NC_TXPAY_OFF, PGSIZE, (uint64)c->txpay, PTE_R|PTE_W|PTE_U) < 0)
    goto bad;
  if(netcache_map(c, pt) < 0)
    goto bad;
  for(int b = 0; b < NC_NBUFS; b++)
    if(c->bstate[b] == B_USER &&
       mappages(pt, bufva(b), PGSIZE, (uint64)c->page[b], PTE_R|PTE_W|PTE_U) < 0)
      goto bad;
  // the kernel's own buffer: what the process finds there is the scratch
  // page, which holds nothing but what it wrote itself.
  if(mappages(pt, bufva(NC_KBUF), PGSIZE, (uint64)c->scratch, PTE_R|PTE_W|PTE_U) < 0)
    goto bad;
  return 0;

 bad:
  uvmunmap(pt, NC_VA, regionpages(c), 0);
  return -ENOMEM;
}

// Fill in the info page and the rings' first state: every RX slot is
// the kernel's, holding buffers 0..NC_NSLOTS-1; all TX slots but the
// last are the process's, holding the next NC_NSLOTS-1 buffers; the
// last, the one the kernel always keeps, holds NC_KBUF; the rest of the
// pool belongs to the process, outside any ring.
static void
initrings(struct netchan *c)
{
  struct nc_info *ni = (struct nc_info*)c->info;

  memset(c->info, 0, PGSIZE);
  memset(c->rx, 0, PGSIZE);
  memset(c->tx, 0, PGSIZE);
  memset(c->txpay, 0, PGSIZE);
  ni->version = NC_VERSION;
  ni->nslots = NC_NSLOTS;
  ni->nbufs = NC_NBUFS;
  ni->bufsize = NC_BUFSIZE;
  ni->rx_off = NC_RX_OFF;
  ni->tx_off = NC_TX_OFF;
  ni->buf_off = NC_BUF_OFF;
  ni->mtu = NC_MTU;
  memmove(ni->mac, netif.mac, 6);
  ni->txpay_off = NC_TXPAY_OFF;
  ni->cache_off = NC_CACHE_OFF;
  ni->cache_size = c->ncache * PGSIZE;

  for(int s = 0; s < NC_NSLOTS; s++){
    c->rxbuf[s] = s;
    c->bstate[s] = B_RXSLOT;   // never mapped: ready at once (rxgen 0)
    c->rxgen[s] = 0;
    c->rx->slot[s].buf = s;
    c->txbuf[s] = s == NC_NSLOTS - 1 ? NC_KBUF : NC_NSLOTS + s;
    c->tx->slot[s].buf = c->txbuf[s];
    c->txstate[s] = T_DONE;
    c->txflags[s] = 0;
  }
  c->rxhead = c->rxtail = 0;
  c->rxnfreed = NC_NSLOTS;   // no RX slot's buffer has a page yet
  c->txhead = c->txcur = 0;
  c->txtail = NC_NSLOTS - 1;
  c->txown = 1;        // the slot before head, always the kernel's
  c->txnew = 0;
  c->tx->tail = c->txtail;
  c->pendr = c->pendw = 0;
  c->txinflight = 0;
  c->answered = 0;
  memset(c->fragid, 0, sizeof(c->fragid));
  c->fragnext = 0;
  memset(&c->st, 0, sizeof(c->st));
}

// Open a channel for the current process, with a payload cache of
// ncache pages, and map it at NC_VA. Returns a file descriptor, -EBUSY
// if the process has one already, -ENFILE if all channels are taken,
// -ENOMEM, or -EMFILE.
static int
netchan_open(int ncache)
{
  struct proc *p = myproc();
  struct netchan *c = 0;
  struct file *f;
  int fd;

  if(p->netchan)
    return -EBUSY;
  acquire(&netlock);
  for(int i = 0; i < NNETCHAN; i++)
    if(!chans[i].used && chans[i].proc == 0){
      c = &chans[i];
      c->proc = p;   // reserved; not used until the rings are ready
      break;
    }
  release(&netlock);
  if(c == 0)
    return -ENFILE;

  if(allocpages(c) < 0 || netcache_alloc(c, ncache) < 0){
    freepages(c);
    c->proc = 0;
    return -ENOMEM;
  }
  initrings(c);
  if(mapregion(c, p->pagetable) < 0){
    freepages(c);
    c->proc = 0;
    return -ENOMEM;
  }
  sfence_vma();
  ptchanged();
  p->tlbgen++;    // > every rxgen: the RX slots are ready
  if((f = filealloc()) == 0 || (fd = fdalloc(f)) < 0){
    if(f)
      fileclose(f);  // not FD_NETCHAN yet: closes nothing else
    uvmunmap(p->pagetable, NC_VA, regionpages(c), 0);
    freepages(c);
    c->proc = 0;
    return f ? -EMFILE : -ENFILE;
  }

  acquire(&netlock);
  c->gen++;
  static uint32 serials;
  if(++serials == PAGE_CLEAN)
    ++serials;
  c->serial = serials;
  c->used = 1;
  release(&netlock);
  p->netchan = c;

  f->type = FD_NETCHAN;
  f->readable = f->writable = 1;
  f->chan = c;
  f->chgen = c->gen;
  return fd;
}

// Close the current process's channel: drop its claims, wait (a while)
// for the device to finish with frames in flight, unmap and free it.
// Called by close() of its descriptor, exec and exit.
void
netchan_release(struct proc *p)
{
  struct netchan *c = p->netchan;
  uint64 until;

  if(c == 0)
    return;

  acquire(&netlock);
  c->used = 0;          // no more deliveries
  netfilt_release(c);
  release(&netlock);

  // the device may still read frames we handed it; give it a second.
  // The sleep is not interruptible: a killed process comes here too,
  // and an interruptible sleep would return at once, every time.
  // netchan_txdone wakes us as frames finish, netchan_timeout at until.
  until = ticks + HZ;
  acquire(&netlock);
  while(c->txinflight > 0 && ticks < until){
    if(virtio_net_txarm() > 0)
      continue;
    timer_deadline(until);
    c->waiting = 1;
    c->txwait = 1;
    sleep(c, &netlock);
    c->waiting = 0;
    c->txwait = 0;
  }
  while(c->pendr != c->pendw)
    kfree(c->pend[c->pendr++ % NC_NSLOTS]);
  // frames still in flight are orphans from now on: netchan_txdone
  // frees their buffers' pages (freepages leaves them), whether or not
  // the channel is opened again meanwhile.
  c->gen++;
  release(&netlock);

  uvmunmap(p->pagetable, NC_VA, regionpages(c), 0);
  sfence_vma();   // p may be running on this table: drop the old translations
  ptchanged();
  freepages(c);   // pages still in flight are freed by netchan_txdone
  p->netchan = 0;
  acquire(&netlock);
  c->proc = 0;
  release(&netlock);
}

// The channel behind a descriptor, if it is the caller's and still open.
static struct netchan *
chanof(struct file *f, uint gen)
{
  struct netchan *c = f->chan;
  if(c && c->used && c->gen == gen && c->proc == myproc())
    return c;
  return 0;
}

// The last reference to a channel's descriptor went away.
void
netchan_fileclose(struct netchan *c, uint gen)
{
  struct proc *p = myproc();

  if(c && c->used && c->gen == gen && c->proc == p)
    netchan_release(p);
}

// Queue a received frame (in a page of its own) for c. Returns 1 if c
// took the page, 0 if its queue is full (counted). netlock held.
int
netchan_enqueue(struct netchan *c, char *page, int len)
{
  if(!c->used || c->pendw - c->pendr >= NC_NSLOTS){
    count(c, NC_rx_drop_ringfull, 1);
    return 0;
  }
  c->pend[c->pendw % NC_NSLOTS] = page;
  c->pendlen[c->pendw % NC_NSLOTS] = len;
  c->pendw++;
  if(c->waiting)
    wakeup(c);
  count(c, NC_rx_frames, 1);
  count(c, NC_rx_bytes, len);
  return 1;
}

// Put page in buffer b's place in the owner's address space, and return
// the page that was there (a buffer the process holds: loopback gives
// the sender a fresh page for the one it sent). Must run in the owner's
// context, so that sfence.vma on this hart is all the TLB needs (a
// process runs on one hart at a time, and every hart flushes when it
// switches to it).
static char *
flip(struct netchan *c, int b, char *page)
{
  pte_t *pte = walk(c->proc->pagetable, bufva(b), 0);
  char *old = c->page[b];

  if(pte == 0 || (*pte & PTE_V) == 0 || PTE2PA(*pte) != (uint64)old)
    panic("netchan flip");
  *pte = PA2PTE(page) | PTE_V | PTE_R | PTE_W | PTE_U;
  sfence_vma_page(bufva(b));
  ptchanged();   // other harts that ran us must flush before they do again
  c->page[b] = page;
  return old;
}

// Unmap buffer b, just given back in RX slot s. Its page stays in
// c->page[b] until a frame takes its place (mapbuf), and this hart may
// still hold the translation: no flush here, mapbuf makes sure of one.
static void
unmapbuf(struct netchan *c, int s, int b)
{
  pte_t *pte = walk(c->proc->pagetable, bufva(b), 0);

  if(pte == 0 || (*pte & PTE_V) == 0 || PTE2PA(*pte) != (uint64)c->page[b])
    panic("netchan unmapbuf");
  *pte = 0;
  c->rxgen[s] = c->proc->tlbgen;
}

// Map page at buffer b, which is in RX slot s and unmapped (or on the
// scratch page), and return the page it held before. If this hart has
// not flushed its TLB since b was unmapped, flush it now: once for
// every slot given back until now. Owner's context, netlock held.
static char *
mapbuf(struct netchan *c, int s, int b, char *page)
{
  struct proc *p = c->proc;
  pte_t *pte = walk(p->pagetable, bufva(b), 0);
  char *old = c->page[b];

  if(pte == 0 || ((*pte & PTE_V) && PTE2PA(*pte) != (uint64)c->scratch))
    panic("netchan mapbuf");
  *pte = PA2PTE(page) | PTE_V | PTE_R | PTE_W | PTE_U;
  if(c->rxgen[s] >= p->tlbgen){
    sfence_vma();
    p->tlbgen++;
  }
  c->page[b] = page;
  return old;
}

// A page fault at va in the current process. Within the channel's
// buffers it is either a buffer the process gave back to an RX slot
// (unmapped: from now on it reaches the channel's scratch page, which
// holds nothing but what the process wrote there), or a translation
// made valid without a flush that this hart had not seen yet. Returns
// 1 if the access may be retried, 0 if the process must die.
int
netchan_fault(uint64 va)
{
  struct proc *p = myproc();
  struct netchan *c = p->netchan;
  pte_t *pte;
  int b, r = 0;

  if(c == 0 || va < NC_VA + NC_BUF_OFF || va >= NC_VA + NC_SIZE)
    return 0;
  b = (va - NC_VA - NC_BUF_OFF) / NC_BUFSIZE;
  acquire(&netlock);
  if(c->used && (pte = walk(p->pagetable, bufva(b), 0)) != 0){
    if(*pte & PTE_V){
      sfence_vma_page(bufva(b));
      r = 1;
    } else if(c->bstate[b] == B_RXSLOT){
      *pte = PA2PTE(c->scratch) | PTE_V | PTE_R | PTE_W | PTE_U;
      // a valid translation now: mapbuf must flush before replacing it.
      for(int s = 0; s < NC_NSLOTS; s++)
        if(c->rxbuf[s] == b)
          c->rxgen[s] = p->tlbgen;
      r = 1;
    }
  }
  release(&netlock);
  return r;
}

// Take back the RX slots the process returned: each must hold a buffer
// the process owns, which is unmapped until a frame fills it. netlock held.
static void
rxreclaim(struct netchan *c)
{
  uint32 uhead = c->rx->head;

  if(uhead >= NC_NSLOTS || ((uhead - c->rxhead) & MASK) > ((c->rxtail - c->rxhead) & MASK)){
    count(c, NC_rx_reject_badindex, 1);
    return;
  }
  for(uint32 s = c->rxhead; s != uhead; s = (s + 1) & MASK){
    uint32 b = c->rx->slot[s].buf;
    if(b >= NC_NBUFS || c->bstate[b] != B_USER){
      count(c, NC_rx_reject_badbuf, 1);
      // fall back on the buffer we delivered in this slot, if still the process's
      b = c->rxbuf[s];
      if(b == NOBUF || c->bstate[b] != B_USER){
        c->rxbuf[s] = NOBUF;
        continue;
      }
    }
    c->rxbuf[s] = b;
    c->bstate[b] = B_RXSLOT;
    unmapbuf(c, s, b);
  }
  c->rxhead = uhead;
}

// Move queued frames into free RX slots, mapping their pages in place of
// the buffers' old ones. Returns the number delivered. Owner's context,
// netlock held.
static int
rxdeliver(struct netchan *c)
{
  int n = 0;

  while(c->pendr != c->pendw && ((c->rxtail + 1) & MASK) != c->rxhead){
    uint32 s = c->rxtail;
    uint32 b = c->rxbuf[s];
    struct nc_slot *sl = &c->rx->slot[s];

    if(b == NOBUF){
      // the process gave this slot back without a buffer: skip it.
      sl->buf = NC_NBUFS;
      sl->len = 0;
      sl->flags = 0;
    } else {
      char *page = c->pend[c->pendr % NC_NSLOTS];
      int len = c->pendlen[c->pendr % NC_NSLOTS];
      c->pendr++;
      // past the frame the page holds what its last owner left there
      // (kalloc_rx): if that was another channel, wipe it first.
      uint32 tag = pagetag(page);
      if(tag != PAGE_CLEAN && tag != c->serial){
        memset(page + len, KJUNK, PGSIZE - len);
        count(c, NC_wipe_bytes, PGSIZE - len);
      }
      char *old = mapbuf(c, s, b, page);
      if(old)
        kfree_rx(old, c->serial);   // (none if rxfree got to it, or netchan_open gave it none)
      c->bstate[b] = B_USER;
      sl->buf = b;
      sl->len = len;
      sl->flags = 0;
      n++;
    }
    c->rxtail = (s + 1) & MASK;
    if(c->rxnfreed > 0)
      c->rxnfreed--;
  }
  c->rx->tail = c->rxtail;
  return n;
}

// Free the pages of buffers given back in RX slots, oldest first, as
// soon as it is safe: once the hart running the owner has flushed its
// TLB since the buffer was unmapped (the rule mapbuf follows before it
// frees a page). So a channel holds pages only for frames its process
// holds or has queued, not a ring's worth of old ones. The slots from
// rxtail were given back in ring order, so their rxgen only grows: stop
// at the first not yet flushed. Owner's context, netlock held.
static void
rxfree(struct netchan *c)
{
  int kown = NC_NSLOTS - rxready(c);   // slots the kernel owns, from rxtail

  while(c->rxnfreed < kown){
    uint32 s = (c->rxtail + c->rxnfreed) & MASK;
    uint32 b = c->rxbuf[s];
    if(b != NOBUF){
      if(c->rxgen[s] >= c->proc->tlbgen)
        break;
      if(c->page[b]){
        kfree_rx(c->page[b], c->serial);
        c->page[b] = 0;
      }
    }
    c->rxnfreed++;
  }
}

// Refuse the frame in TX slot s, for the counter why. Returns 0 (the
// slot is dealt with), as txslot.
static int
refuse(struct netchan *c, uint32 s, int why)
{
  count(c, why, 1);
  c->txflags[s] = NCS_REJECTED;
  return 0;
}

// The device's answer r to the frame in TX slot s, whose buffer buf
// holds its hlen bytes of header (copied to hdr) and which is bytes long
// in all: -ENOBUFS (no room: try again later), refused, or in flight with
// its header copy held, buf in state bstate. Returns as txslot.
static int
txqueued(struct netchan *c, uint32 s, int buf, int bstate, uint8 *hdr, int hlen, int bytes, int r)
{
  if(r == -ENOBUFS)
    return r;
  if(r < 0)
    return refuse(c, s, NC_tx_reject_nodev);
  netcache_hold((uint64)hdr);
  count(c, NC_copy_bytes, hlen);
  count(c, NC_tx_frames, 1);
  count(c, NC_tx_bytes, bytes);
  c->bstate[buf] = bstate;
  c->txstate[s] = T_FLIGHT;
  c->txinflight++;
  c->txtime = r_time();
  return 1;
}

// A split frame to a local destination: the receiver gets a page of
// its own with headers and payload copied in (the cache page cannot
// move to it), the only CPU copy of payload there is. Returns 0.
// netlock held.
static int
txsplitlocal(struct netchan *c, uint32 s, struct nc_slot sl, struct nc_txpay tp)
{
  char *page = kalloc_filled();
  int len = sl.len + tp.len;

  if(page == 0)
    return refuse(c, s, NC_tx_reject_nomem);
  memmove(page, c->page[sl.buf], sl.len);
  for(int n = 0, k; n < tp.len; n += k){
    uint32 off = tp.off + n;
    k = PGSIZE - off % PGSIZE;
    if(k > tp.len - n)
      k = tp.len - n;
    memmove(page + sl.len + n, c->cache[off / PGSIZE] + off % PGSIZE, k);
  }
  count(c, NC_copy_bytes, sl.len);
  count(c, NC_copy_payload_bytes, tp.len);
  count(c, NC_tx_frames, 1);
  count(c, NC_tx_bytes, len);
  count(c, NC_tx_loopback, 1);
  if(netfilt_deliver(page, len) == 0)
    kfree(page);
  return 0;
}

// Send the split frame (NCS_PAYLOAD) in TX slot s, or refuse it: its
// headers, sl.len bytes in its buffer, are checked and copied to hdr;
// its payload, txpay[s] in this channel's cache, the device reads in
// place, in one or two pieces (the cache's pages are not contiguous in
// memory). Each page the device reads is held (netcache_hold) until it
// is done, so a close meanwhile frees none of them early. Returns as
// txslot. netlock held.
static int
txsplit(struct netchan *c, uint32 s, struct nc_slot sl, uint8 *hdr)
{
  struct nc_txpay tp = ((struct nc_txpay*)c->txpay)[s];   // one read of untrusted memory
  uint8 *f = (uint8*)c->page[sl.buf];
  uint64 pa[2] = { 0, 0 }, cookie;
  int len[2] = { 0, 0 }, why, r;

  if(c->ncache == 0)
    why = NC_tx_reject_nocache;
  else if(tp.len == 0 || tp.reserved != 0 || (uint64)tp.off + tp.len > (uint64)c->ncache * PGSIZE)
    why = NC_tx_reject_badpay;
  else if(sl.len < NC_FRAMEMIN || sl.len > NC_HDRCOPY - NC_HDRROOM || sl.len + tp.len > NC_FRAMEMAX)
    why = NC_tx_reject_splitlen;
  else
    why = netguard_txsplit(c, f, sl.len, tp.len);
  if(why < 0 && netfilt_islocal(f, sl.len))
    return txsplitlocal(c, s, sl, tp);
  if(why < 0 && !virtio_net_up())
    why = NC_tx_reject_nodev;
  if(why >= 0)
    return refuse(c, s, why);

  // the whole header, checked or not, goes from the copy: the device
  // reads nothing of the buffer.
  memmove(hdr, f, sl.len);
  pa[0] = (uint64)c->cache[tp.off / PGSIZE] + tp.off % PGSIZE;
  len[0] = PGSIZE - tp.off % PGSIZE;
  if(len[0] >= tp.len){
    len[0] = tp.len;
  } else {
    pa[1] = (uint64)c->cache[tp.off / PGSIZE + 1];
    len[1] = tp.len - len[0];
  }
  cookie = ((uint64)c->gen << 32) | (c->id << 16) | COOKIE_SPLIT | s;
  r = virtio_net_txv(hdr, sl.len, pa, len, cookie);
  if((r = txqueued(c, s, sl.buf, B_TXHDR, hdr, sl.len, sl.len + tp.len, r)) <= 0)
    return r;
  netcache_hold(pa[0]);
  if(pa[1])
    netcache_hold(pa[1]);
  count(c, NC_tx_split_frames, 1);
  return 1;
}

// Send the frame in TX slot s, or refuse it. Returns 1 if it is queued
// for the device, 0 if the slot is dealt with otherwise (looped back or
// rejected), -ENOBUFS if the device has no room (try again later).
// netlock held.
static int
txslot(struct netchan *c, uint32 s)
{
  struct nc_slot sl = c->tx->slot[s];   // one read of untrusted memory
  // room for the device's 12-byte header first (virtio_net_tx)
  uint8 *hdr = (uint8*)c->hdrcopy[s * NC_HDRCOPY / PGSIZE] + (s * NC_HDRCOPY) % PGSIZE + NC_HDRROOM;
  int why = -1, hlen, r;

  c->txbuf[s] = sl.buf;
  c->txflags[s] = 0;
  c->txstate[s] = T_DONE;

  if(sl.buf >= NC_NBUFS)
    why = NC_tx_reject_badbuf;
  else if(c->bstate[sl.buf] != B_USER)
    why = NC_tx_reject_notowned;
  else if(sl.flags == NCS_PAYLOAD)
    return txsplit(c, s, sl, hdr);
  else if(sl.flags != 0)
    why = NC_tx_reject_badflags;
  else if(sl.len < NC_FRAMEMIN || sl.len > NC_FRAMEMAX)
    why = NC_tx_reject_badlen;
  // Check the frame in place: the page is the process's alone, and the
  // process is in this system call, so nothing changes it meanwhile.
  // What goes to the device is a copy of exactly the bytes checked, made
  // below, so the process cannot change them before the device reads.
  if(why < 0)
    why = netguard_tx(c, (uint8*)c->page[sl.buf], sl.len, &hlen);
  if(why >= 0)
    return refuse(c, s, why);

  if(netfilt_islocal((uint8*)c->page[sl.buf], sl.len)){
    // loopback: the page itself moves to the receiver; the sender's
    // buffer gets a fresh page in its place. The receiver sees no more
    // than a wire would show: the rest of the page, which may hold the
    // sender's earlier frames, is wiped first.
    char *fresh = kalloc_filled();
    if(fresh == 0)
      return refuse(c, s, NC_tx_reject_nomem);
    char *page = flip(c, sl.buf, fresh);
    memset(page + sl.len, KJUNK, PGSIZE - sl.len);
    pagetag_set(page, PAGE_CLEAN);
    count(c, NC_wipe_bytes, PGSIZE - sl.len);
    count(c, NC_tx_frames, 1);
    count(c, NC_tx_bytes, sl.len);
    count(c, NC_tx_loopback, 1);
    if(netfilt_deliver(page, sl.len) == 0)
      kfree(page);
    return 0;
  }

  if(!virtio_net_up())
    return refuse(c, s, NC_tx_reject_nodev);
  if(hlen > NC_HDRCOPY - NC_HDRROOM)
    panic("txslot: header copy");
  memmove(hdr, c->page[sl.buf], hlen);
  uint64 cookie = ((uint64)c->gen << 32) | (c->id << 16) | s;
  uint64 paypa = (uint64)c->page[sl.buf] + hlen;
  r = virtio_net_tx(hdr, hlen, paypa, sl.len - hlen, cookie);
  return txqueued(c, s, sl.buf, B_TXFLIGHT, hdr, hlen, sl.len, r);
}

// May the slot at txtail go back? The slot after it must have been
// examined and be finished: its buffer goes back in txtail's place, and
// it becomes the slot the kernel keeps, holding NC_KBUF. netlock held.
static int
txreturnable(struct netchan *c)
{
  return c->txown - c->txnew > 1 && c->txstate[(c->txtail + 1) & MASK] == T_DONE;
}

// Take the process's new TX slots, send what can be sent, and hand back
// finished slots. Returns the number of slots handed back. netlock held.
//
// Indices alone cannot tell "the process handed over every slot" from
// "nothing handed over" (head == tail either way), so the kernel counts:
// txown slots are its own, from txtail on, and the first txown - txnew
// of them have been examined. It always keeps one (netchan.h), the slot
// at txtail, which holds NC_KBUF.
static int
txsync(struct netchan *c)
{
  uint32 uhead = c->tx->head, d;
  int n = 0, queued = 0, r;

  d = (uhead - c->txhead) & MASK;
  if(uhead >= NC_NSLOTS || d > NC_NSLOTS - c->txown){
    count(c, NC_tx_reject_badindex, 1);
  } else {
    c->txhead = uhead;
    c->txown += d;
    c->txnew += d;
  }

  while(c->txnew > 0){
    if((r = txslot(c, c->txcur)) < 0)
      break;
    c->txcur = (c->txcur + 1) & MASK;
    c->txnew--;
    // Start the device on the batch's first frame: it sends that while
    // the rest are checked and queued behind it (without a kick: it
    // does not want one while busy).
    if(r > 0 && queued++ == 0){
      virtio_net_quiet();   // we will poll for the answers (netspin)
      virtio_net_txkick();
    }
  }
  if(queued > 1)
    virtio_net_txkick();   // the rest, in case the device went idle meanwhile

  // Frames the device finished since the last interrupt (none is asked
  // for a lone frame): their slots can go back now. Taken after the
  // batch is queued, so an idle device is not kept waiting for this.
  if(c->txinflight > 0)
    virtio_net_txreap();

  // hand back finished slots, oldest first, each with the buffer (and
  // flags) of the slot after it: every buffer sent comes back, and the
  // kernel's NC_KBUF moves on to the slot it keeps.
  while(txreturnable(c)){
    uint32 t = c->txtail, u = (t + 1) & MASK;
    struct nc_slot *sl = &c->tx->slot[t];
    sl->buf = c->txbuf[u];
    sl->flags = c->txflags[u];
    c->txbuf[u] = NC_KBUF;
    c->txflags[u] = 0;
    c->txtail = u;
    c->txown--;
    n++;
  }
  c->tx->tail = c->txtail;
  return n;
}

// Does c wait for TX slots the device holds, or for room in the device
// for the frames it handed over (txnew: another channel's frames may
// fill the device)? Then it wants an interrupt when frames finish;
// otherwise they come back with the next interrupt or transmission, and
// a lone frame (a reply) costs no interrupt of its own.
static int
txwanted(struct netchan *c)
{
  return (c->txinflight > 0 || c->txnew > 0) && c->txown > NC_NSLOTS / 2;
}

_Static_assert(NNETCHAN <= 32, "netchan_txdone keeps a bit per channel");

// The device is done with n frames (virtio_net.c, from its interrupt or
// from a later virtio_net_tx; netlock may already be held by this hart).
// One lock, and one wakeup per channel, for the lot.
//
// Only a sleeper that asked for TX completions (txwait: it had no free
// TX slot) is woken; one waiting for frames with slots to spare gets
// its slots back at its next netsync, and is not woken for them. Such a
// sleeper is woken by its own frames finishing, and also by anyone's if
// it has frames queued that found the device full: the room they free
// is what those frames wait for (it may hold none in the device at all).
void
netchan_txdone(uint64 *cookie, uint64 (*pa)[3], int n)
{
  int locked = holding(&netlock);
  uint32 mine = 0;   // channels that had frames finish, a bit per id

  if(!locked)
    acquire(&netlock);
  for(int i = 0; i < n; i++){
    struct netchan *c = &chans[(cookie[i] >> 16) & 0xffff];
    uint32 s = cookie[i] & MASK;
    int split = (cookie[i] & COOKIE_SPLIT) != 0;
    // pa: the header copy, then the payload's pieces
    netcache_drop(pa[i][0]);
    if(split){
      netcache_drop(pa[i][1]);
      if(pa[i][2])
        netcache_drop(pa[i][2]);
    }
    if(c->gen != (uint32)(cookie[i] >> 32) || c->txstate[s] != T_FLIGHT){
      // the channel closed without waiting for this frame: the page of
      // its buffer was left for us to free (a split frame's was not:
      // the device never read it).
      if(!split)
        kfree((void*)PGROUNDDOWN(pa[i][1]));
      continue;
    }
    c->txstate[s] = T_DONE;
    c->bstate[c->txbuf[s]] = B_USER;
    c->txinflight--;
    mine |= 1 << c->id;
  }
  for(struct netchan *c = chans; n > 0 && c < &chans[NNETCHAN]; c++)
    if(c->waiting && c->txwait && ((mine & (1 << c->id)) || c->txnew > 0))
      wakeup(c);
  if(!locked)
    release(&netlock);
  pollwakeup();
}

// Number of received frames the process owns. netlock held.
static int
rxready(struct netchan *c)
{
  return (c->rxtail - c->rxhead) & MASK;
}

// Before a wait sleeps: if c's frames are in the device or went to it
// lately, and its last answer came quickly, another is likely soon, so
// poll the device a while (virtio_net_spin says why). Otherwise, or if
// the poll finds nothing, RX interrupts are turned back on, as the wait
// needs them. Returns 1 if a frame came or a send finished meanwhile:
// look again before sleeping. netlock held; dropped meanwhile.
static int
netspin(struct netchan *c)
{
  uint64 spin = NETSPIN_US * (TIMEBASE / 1000000);
  int r;

  release(&netlock);
  // An answer slower than a poll (a ping slirp hands to the host's own
  // stack) would find the poll over, and the poll would have taken a
  // host CPU the answer needed.
  if(c->answered <= spin && (c->txinflight > 0 || r_time() - c->txtime <= 2 * spin))
    r = virtio_net_spin(NETSPIN_US, c->txinflight > 0);
  else
    r = virtio_net_loud();
  acquire(&netlock);
  return r;
}

// netsync(fd, timeout_ms): send what the process queued, take back the
// slots it returned, deliver what arrived. If nothing came of it and
// timeout_ms != 0, wait until something does (a frame, or a TX slot
// back) or the timeout passes (< 0: forever). Returns the number of
// received frames the process owns, or -EINTR.
//
// The wait sleeps on the channel itself, under netlock, so only frames
// for this channel (netchan_enqueue), its deadline (netchan_timeout)
// and, if it has no free TX slot, TX completions (netchan_txdone) wake
// it: a busy neighbour costs it nothing, and a process that waits with
// its whole TX ring handed over is back as soon as slots are.
static int
netchan_sync(struct netchan *c, int timeout_ms)
{
  uint64 until = 0, looped, waited = 0;   // waited: r_time() when this call began to wait
  int rx, moved, r;

  if(timeout_ms > 0)
    until = ticks + ((uint64)timeout_ms * HZ + 999) / 1000;
  acquire(&netlock);
  for(;;){
    looped = c->st.v[NC_tx_loopback];
    moved = txsync(c);
    looped = c->st.v[NC_tx_loopback] - looped;
    // what the device received since the last interrupt (or, quiet,
    // since the last look): for us or not, it is handed on now.
    release(&netlock);
    virtio_net_rxpoll();
    acquire(&netlock);
    rxreclaim(c);
    moved += rxdeliver(c);
    rxfree(c);
    rx = rxready(c);
    if(looped){
      // a local receiver may be waiting in poll().
      release(&netlock);
      pollwakeup();
      acquire(&netlock);
    }
    if(rx > 0 || moved > 0 || timeout_ms == 0){
      if(waited && rx > 0)
        c->answered = r_time() - waited;
      r = rx;
      break;
    }
    if(timeout_ms > 0 && ticks >= until){
      r = rx;
      break;
    }
    if(killed(myproc())){
      r = -EINTR;
      break;
    }
    if(waited == 0)
      waited = r_time();
    if(netspin(c))
      continue;
    // short of TX slots: have the device interrupt as they finish (and
    // look again if some already have).
    if(txwanted(c) && virtio_net_txarm() > 0)
      continue;
    if(timeout_ms > 0)
      timer_deadline(until);
    c->waiting = 1;
    c->txwait = c->txown == NC_NSLOTS;   // no free TX slot: completions wake us
    sleepintr(c, &netlock);
    c->waiting = 0;
    c->txwait = 0;
  }
  release(&netlock);
  return r;
}

// A timed sleeper's deadline may have come: wake every channel waiting
// in netsync; each checks its own clock. From the timer interrupt.
void
netchan_timeout(void)
{
  acquire(&netlock);
  // (a closing channel, no longer used, may wait too: netchan_release)
  for(struct netchan *c = chans; c < &chans[NNETCHAN]; c++)
    if(c->waiting)
      wakeup(c);
  release(&netlock);
}

// Readable when frames wait (in the ring or queued for it); writable
// when the process has free TX slots, or finished ones wait to return,
// or frames it handed over wait for room the device now has: in each
// case a netsync makes progress. netchan_txdone wakes pollers.
int
netchan_poll(struct netchan *c, uint gen, int events)
{
  int r = 0;

  // a poller may sleep next, and does not poll the device itself.
  virtio_net_loud();
  acquire(&netlock);
  if(!c || !c->used || c->gen != gen || c->proc != myproc()){
    release(&netlock);
    return POLLNVAL;
  }
  if((events & POLLOUT) && txwanted(c))
    virtio_net_txarm();
  if(c->pendr != c->pendw || c->rx->tail != c->rx->head)
    r |= POLLIN;
  if(c->tx->tail != c->tx->head || txreturnable(c) || (c->txnew > 0 && virtio_net_txroom()))
    r |= POLLOUT;
  release(&netlock);
  return r & events;
}

// The channel behind descriptor fd of the current process, or 0.
static struct netchan *
argchan(int fd)
{
  struct proc *p = myproc();
  struct file *f;

  if(fd < 0 || fd >= NOFILE || (f = p->ofile[fd]) == 0 || f->type != FD_NETCHAN)
    return 0;
  return chanof(f, f->chgen);
}

// int netopen(int flags): flags are 0, or NC_OPEN_CACHE(npages) for a
// payload cache of 1 to NC_CACHEMAX pages.
uint64
sys_netopen(void)
{
  int flags, ncache;

  argint(0, &flags);
  ncache = (uint32)flags >> 16;
  // (the bound first: a shift of a larger count back would overflow)
  if(ncache > NC_CACHEMAX || flags != NC_OPEN_CACHE(ncache))
    return -EINVAL;
  return netchan_open(ncache);
}

// int netsync(int fd, int timeout_ms)
uint64
sys_netsync(void)
{
  int fd, timeout;
  struct netchan *c;

  argint(0, &fd);
  argint(1, &timeout);
  if((c = argchan(fd)) == 0)
    return -EBADF;
  return netchan_sync(c, timeout);
}

// int netclaim(int fd, int proto, int port): returns the port claimed.
uint64
sys_netclaim(void)
{
  int fd, proto, port, r;
  struct netchan *c;

  argint(0, &fd);
  argint(1, &proto);
  argint(2, &port);
  if((c = argchan(fd)) == 0)
    return -EBADF;
  acquire(&netlock);
  if(proto & NC_RELEASE)
    r = netfilt_unclaim(c, proto & ~NC_RELEASE, port);
  else
    r = netfilt_claim(c, proto, port);
  release(&netlock);
  return r;
}

// int netstat(int fd, struct nc_stats *st): the interface's counters
// for fd < 0, else the channel's.
uint64
sys_netstat(void)
{
  int fd;
  uint64 addr;
  struct nc_stats st;
  struct netchan *c = 0;

  argint(0, &fd);
  argaddr(1, &addr);
  if(fd >= 0 && (c = argchan(fd)) == 0)
    return -EBADF;
  acquire(&netlock);
  st = c ? c->st : netif.st;
  release(&netlock);
  if(c == 0)
    virtio_net_stats(&st);
  if(copyout(myproc()->pagetable, addr, (char*)&st, sizeof(st)) < 0)
    return -EFAULT;
  return 0;
}

// Replace the interface's configuration with cfg (nc_ipcfg in netchan.h).
// The mask must be contiguous, the address not 0.0.0.0 (the kernel
// would then take any frame from 0.0.0.0 as the interface's own), the
// gateway 0 or on the subnet; a static configuration has no lease.
// Channels are told (cfggen) only if the addresses changed: a renewed
// lease leaves every stack alone. Returns 0 or -EINVAL.
static int
ipset(struct nc_ipcfg *cfg)
{
  uint32 m = cfg->mask;
  int changed;

  if((~m & (~m + 1)) != 0)   // not of the form 1...10...0
    return -EINVAL;
  if(cfg->ip == 0 || (cfg->gw != 0 && (cfg->gw & m) != (cfg->ip & m)))
    return -EINVAL;
  if(cfg->flags != 0 || cfg->reserved[0] != 0 || cfg->reserved[1] != 0)
    return -EINVAL;
  if((cfg->server == 0) != (cfg->lease == 0))
    return -EINVAL;
  acquire(&netlock);
  changed = netif.ip != cfg->ip || netif.mask != cfg->mask || netif.gw != cfg->gw;
  netif.ip = cfg->ip;
  netif.mask = cfg->mask;
  netif.gw = cfg->gw;
  netif.server = cfg->server;
  if(cfg->lease == 0)
    netif.leaseend = 0;
  else if(cfg->lease == NC_LEASE_INF)
    netif.leaseend = ~0ULL;
  else
    netif.leaseend = ticks + (uint64)cfg->lease * HZ;
  // tell every channel: their stacks re-read the address (libnet's
  // net_poll looks at cfggen on each turn).
  for(struct netchan *c = chans; changed && c < &chans[NNETCHAN]; c++)
    if(c->used)
      ((struct nc_info*)c->info)->cfggen++;
  release(&netlock);
  if(changed)
    pollwakeup();
  return 0;
}

// The configuration now, the lease as seconds left.
static void
ipget(struct nc_ipcfg *cfg)
{
  memset(cfg, 0, sizeof(*cfg));
  acquire(&netlock);
  cfg->ip = netif.ip;
  cfg->mask = netif.mask;
  cfg->gw = netif.gw;
  cfg->server = netif.server;
  cfg->flags = netif.flags;
  if(netif.leaseend == ~0ULL)
    cfg->lease = NC_LEASE_INF;
  else if(netif.leaseend > ticks)
    cfg->lease = (netif.leaseend - ticks + HZ - 1) / HZ;
  release(&netlock);
}

// int setipaddr(uint32 ip, uint32 mask, uint32 gw), host byte order:
// a static configuration.
uint64
sys_setipaddr(void)
{
  struct nc_ipcfg cfg;
  int ip, mask, gw;

  argint(0, &ip);
  argint(1, &mask);
  argint(2, &gw);
  memset(&cfg, 0, sizeof(cfg));
  cfg.ip = ip;
  cfg.mask = mask;
  cfg.gw = gw;
  return ipset(&cfg);
}

// int getipaddr(uint32 *ip, uint32 *mask, uint32 *gw): any may be 0.
uint64
sys_getipaddr(void)
{
  uint64 a[3];
  struct nc_ipcfg cfg;
  uint32 v[3];
  pagetable_t pt = myproc()->pagetable;

  argaddr(0, &a[0]);
  argaddr(1, &a[1]);
  argaddr(2, &a[2]);
  ipget(&cfg);
  v[0] = cfg.ip;
  v[1] = cfg.mask;
  v[2] = cfg.gw;
  for(int i = 0; i < 3; i++)
    if(a[i] && copyout(pt, a[i], (char*)&v[i], sizeof(v[i])) < 0)
      return -EFAULT;
  return 0;
}

// int setipcfg(const struct nc_ipcfg *cfg)
uint64
sys_setipcfg(void)
{
  struct nc_ipcfg cfg;
  uint64 a;

  argaddr(0, &a);
  if(copyin(myproc()->pagetable, (char*)&cfg, a, sizeof(cfg)) < 0)
    return -EFAULT;
  return ipset(&cfg);
}

// int getipcfg(struct nc_ipcfg *cfg)
uint64
sys_getipcfg(void)
{
  struct nc_ipcfg cfg;
  uint64 a;

  argaddr(0, &a);
  ipget(&cfg);
  if(copyout(myproc()->pagetable, a, (char*)&cfg, sizeof(cfg)) < 0)
    return -EFAULT;
  return 0;
}
