// Driver for the virtio network device in virtio-mmio slot 1
// (virtio 1.2 sections, as in virtio.h: 5.1 network device, 2.7 split
// virtqueues, 4.2 mmio).
// It moves whole Ethernet frames and nothing else: every received frame
// goes to netfilt_rx() in a page of its own, and every frame to send
// comes from netchan as a header piece and up to two payload pieces,
// which the device reads in place. No protocol is implemented here.
// A page that goes back to the device after a frame nobody took is
// wiped first, as far as the frame reached: the next, shorter frame in
// it must not carry the old one's bytes to another process.
// Does not do: checksum or segmentation offloads, merged RX buffers,
// the control queue, or several queue pairs. TX uses indirect
// descriptors when the device offers them.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "errno.h"
#include "virtio.h"
#include "defs.h"
#include "prof.h"
#include "netchan.h"

// the address of virtio mmio register r.
#define R(r) ((volatile uint32 *)(VIRTIO1 + (r)))

// 5.1.4 Device configuration layout, offsets from VIRTIO_MMIO_CONFIG.
#define VIRTIO_NET_CONFIG_MAC    0  // 6 bytes, if VIRTIO_NET_F_MAC
#define VIRTIO_NET_CONFIG_STATUS 6  // le16, if VIRTIO_NET_F_STATUS
#define VIRTIO_NET_S_LINK_UP     1

// 5.1.6 virtio_net_hdr.flags: the device left the checksum to us.
// We did not negotiate the offloads that allow it, so it marks a bad header.
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1

#define ETHHDR 14     // shortest frame we pass on: an Ethernet header
#define QMAX 256      // we use at most this many descriptors per queue
#define TXBATCH 32    // TX completions reported per lock hold (on the kernel stack)
#define TXSEG 3       // descriptors per TX frame at most: header, two payload pieces (netchan_txdone's pa[][3])

// The receive and transmit queues (5.1.2).
#define RXQ 0
#define TXQ 1

// RX buffer slot states.
#define RX_EMPTY  0   // no page: kalloc failed, refill later
#define RX_POSTED 1   // in the available ring, the device's
#define RX_BUSY   2   // taken off the used ring, being handed on

// One split virtqueue (2.7), as the driver keeps it.
struct netq {
  // one page each, so each is aligned far beyond what 2.7.2 asks for.
  struct virtq_desc *desc;   // num descriptors
  struct virtq_avail *avail; // chain heads we hand to the device
  struct virtq_used *used;   // chain heads the device hands back
  uint16 num;                // queue size, a power of two <= QMAX
  uint16 used_idx;           // how far we have read used->ring
  uint16 kick_idx;           // avail->idx when we last considered a notify
};

static struct net {
  struct spinlock lock;
  int present;               // device found and DRIVER_OK set
  int linkup;                // config status says link up (1 without F_STATUS)
  uint64 features;           // what we negotiated (6, 5.1.3)
  int event_idx;             // VIRTIO_F_RING_EVENT_IDX negotiated
  int txarmed;               // a TX interrupt was asked for (virtio_net_txarm)
  int rxquiet;               // RX interrupts off: a waiter polls the ring (virtio_net_spin)
  uint64 spintick;           // ticks when a waiter last polled
  int indirect;              // VIRTIO_F_RING_INDIRECT_DESC negotiated
  uint8 mac[6];              // from config space

  struct netq rx;            // queue 0, receiveq1
  struct netq tx;            // queue 1, transmitq1

  // RX buffer slot i is always descriptors 2i (header) and 2i+1 (page),
  // so receiving never allocates descriptors; num/2 slots are in use.
  struct virtio_net_hdr rxhdr[QMAX/2]; // device writes the header here
  char *rxpage[QMAX/2];      // slot's page; the frame lands at offset 0
  char rxstate[QMAX/2];      // RX_* above
  int rxempty;               // slots in RX_EMPTY

  // TX chains are [virtio header + caller's header][payload][payload],
  // 1 to TXSEG descriptors; the virtio header goes in the caller's 12
  // bytes of room.
  uint16 txfree[QMAX];       // stack of free TX descriptors
  int ntxfree;               // entries in txfree
  int txbusy;                // chains the device has not given back
  struct {
    uint64 cookie;           // for netchan_txdone
    uint64 pa[TXSEG];        // the header's and the payload pieces' addresses, for netchan_txdone
    char busy;               // chain outstanding
  } txinfo[QMAX];            // per chain head
  // With INDIRECT_DESC a frame takes one queue entry, pointing at its
  // own table here (2.7.5.3): a full queue is QMAX frames.
  struct virtq_desc txind[QMAX][TXSEG];

  // counters, reported as netstat's dev_* (virtio_net_stats)
  uint64 rx_frames;          // frames the device gave us, good or bad
  uint64 rx_nobuf;           // RX refills that found no free page
  uint64 rx_drop_runt;       // frames shorter than an Ethernet header
  uint64 rx_drop_badhdr;     // header asks for an offload, or bad length
  uint64 rx_wipe_bytes;      // bytes wiped in pages of frames nobody took
  uint64 tx_frames;          // frames the device has finished sending
  uint64 tx_full;            // virtio_net_tx refused with -ENOBUFS
  uint64 rx_seen;            // ticks when we last took a frame from the device
  uint64 rx_rescued;         // harvests the timer did: frames waited with no interrupt
  uint64 rx_fresh;           // pages for the RX ring not recycled from a channel (filled)
  uint64 intrs;              // interrupts taken
  uint64 spins;              // virtio_net_spin calls
  uint64 spin_hits;          // ...that found the device had moved
} net;

// Does a 64-bit feature word have bit set? (6: bits 0-63, read from the
// device 32 at a time.)
static int
feature_has(uint64 features, int bit)
{
  return (features >> bit) & 1;
}

// With VIRTIO_F_RING_EVENT_IDX, used_event follows the available ring
// (2.7.6, read by the device, 2.7.7) and avail_event the used ring
// (2.7.8, read by us, 2.7.10).
static volatile uint16 *
used_event(struct netq *q)
{
  return &q->avail->ring[q->num];
}

static volatile uint16 *
avail_event(struct netq *q)
{
  return (volatile uint16 *)&q->used->ring[q->num];
}

// Give the device the chain starting at head (2.7.13): the ring entry
// first, then, after a barrier, idx. Caller holds net.lock.
static void
vq_post(struct netq *q, int head)
{
  q->avail->ring[q->avail->idx % q->num] = head;
  __sync_synchronize();
  q->avail->idx += 1;
}

// Notify the device of the chains posted since the last call, unless it
// told us it does not want to hear (2.7.13.4, 2.7.10: avail_event with
// EVENT_IDX, else the used ring's NO_NOTIFY flag). Caller holds net.lock.
static void
vq_kick(struct netq *q, int qid)
{
  uint16 new = q->avail->idx;
  uint16 old = q->kick_idx;

  q->kick_idx = new;
  if(new == old)
    return;
  // the device must see the new idx before we read its suppression.
  __sync_synchronize();
  if(net.event_idx){
    if((uint16)(new - *avail_event(q) - 1) >= (uint16)(new - old))
      return;
  } else if(q->used->flags & VIRTQ_USED_F_NO_NOTIFY){
    return;
  }
  // 4.2.3.3 Notifying the device
  uint64 t0 = r_time();
  *R(VIRTIO_MMIO_QUEUE_NOTIFY) = qid;
  profcountn(PROF_KICK, 1);
  profcountn(PROF_KICKTIME, r_time() - t0);
}

// Take the next entry off q's used ring into *id and *len. Returns 0 if
// the device has given back nothing new. Caller holds net.lock.
static int
vq_pop(struct netq *q, uint32 *id, uint32 *len)
{
  if(q->used_idx == q->used->idx)
    return 0;
  // read the entry only after seeing idx cover it (2.7.8).
  __sync_synchronize();
  *id = q->used->ring[q->used_idx % q->num].id;
  *len = q->used->ring[q->used_idx % q->num].len;
  q->used_idx += 1;
  return 1;
}

// With EVENT_IDX, ask for an interrupt at the next used entry; returns 1
// if one arrived meanwhile, so the caller must look again (2.7.7: the
// driver re-checks after moving used_event). Caller holds net.lock.
static int
vq_rearm(struct netq *q)
{
  if(!net.event_idx)
    return 0;
  *used_event(q) = q->used_idx;
  __sync_synchronize();
  return q->used_idx != q->used->idx;
}

// After taking what the RX used ring held: ask for an interrupt at the
// next frame (vq_rearm; returns 1 if one came meanwhile), or, while a
// waiter polls the ring itself (rxquiet), for none: used_event one
// behind used_idx is never crossed before the ring wraps. Caller holds
// net.lock.
static int
rx_arm(void)
{
  if(net.rxquiet && net.event_idx){
    *used_event(&net.rx) = net.rx.used_idx - 1;
    return 0;
  }
  return vq_rearm(&net.rx);
}

// Take a free TX descriptor; -1 if none. Caller holds net.lock.
static int
alloc_desc(void)
{
  if(net.ntxfree == 0)
    return -1;
  return net.txfree[--net.ntxfree];
}

// Return TX descriptor i to the free stack. Caller holds net.lock.
static void
free_desc(int i)
{
  if(i >= net.tx.num || net.ntxfree >= net.tx.num)
    panic("virtio_net free_desc");
  net.tx.desc[i].addr = 0;
  net.tx.desc[i].len = 0;
  net.tx.desc[i].flags = 0;
  net.tx.desc[i].next = 0;
  net.txfree[net.ntxfree++] = i;
}

// Free the TX chain that starts at descriptor i.
static void
free_chain(int i)
{
  for(;;){
    int flags = net.tx.desc[i].flags;
    int nxt = net.tx.desc[i].next;
    free_desc(i);
    if(!(flags & VIRTQ_DESC_F_NEXT))
      break;
    i = nxt;
  }
}

// Put page in RX slot i and hand the slot to the device (5.1.6.3). The
// caller kicks. Caller holds net.lock.
static void
rx_post(int i, char *page)
{
  struct virtq_desc *d = net.rx.desc;

  net.rxpage[i] = page;
  net.rxstate[i] = RX_POSTED;
  d[2*i].addr = (uint64)&net.rxhdr[i];
  d[2*i].len = sizeof(struct virtio_net_hdr);
  d[2*i].flags = VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT;
  d[2*i].next = 2*i + 1;
  d[2*i+1].addr = (uint64)page;
  d[2*i+1].len = PGSIZE;
  d[2*i+1].flags = VIRTQ_DESC_F_WRITE;
  d[2*i+1].next = 0;
  vq_post(&net.rx, 2*i);
}

// A page for an RX slot (kalloc_rx), counting refills that found none
// and pages that had to be filled first. Caller holds net.lock.
static char *
rx_page(void)
{
  int fresh;
  char *page = kalloc_rx(&fresh);

  if(page == 0)
    net.rx_nobuf++;
  else
    net.rx_fresh += fresh;
  return page;
}

// Give a fresh page to each empty RX slot, stopping at the first kalloc
// failure (counted; the next interrupt or transmit tries again).
// Caller holds net.lock.
static void
rx_refill(void)
{
  for(int i = 0; net.rxempty > 0 && i < net.rx.num/2; i++){
    if(net.rxstate[i] != RX_EMPTY)
      continue;
    char *page = rx_page();
    if(page == 0)
      break;
    rx_post(i, page);
    net.rxempty--;
  }
  vq_kick(&net.rx, RXQ);
}

// Is this received header one we can accept? We negotiated no offloads,
// so any GSO type or a checksum left to us is a device error (5.1.6.4).
static int
rx_hdrok(struct virtio_net_hdr *h)
{
  return h->gso_type == VIRTIO_NET_HDR_GSO_NONE &&
    (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) == 0;
}

// Hand on each received frame, and put a page back in its slot: the
// same one if netfilt_rx did not take it, else a fresh one. netfilt_rx
// is called without net.lock (it takes netlock and wakes pollers).
// Interrupts stay off throughout (push_off), so the several locks each
// frame takes do not each turn them off and on: under TCG every such
// CSR access ends a translated block.
static void
rx_harvest(void)
{
  uint32 id, len;

  push_off();
  acquire(&net.lock);
  for(;;){
    if(!vq_pop(&net.rx, &id, &len)){
      if(rx_arm())
        continue;
      break;
    }
    int i = id / 2;
    if((id & 1) || id >= net.rx.num || net.rxstate[i] != RX_POSTED)
      panic("virtio_net: bad RX used id");
    char *page = net.rxpage[i];
    net.rxstate[i] = RX_BUSY;
    net.rx_frames++;
    net.rx_seen = ticks;
    int taken = 0;
    // 5.1.6.4: len covers the header and the frame.
    if(len < sizeof(struct virtio_net_hdr) + ETHHDR){
      net.rx_drop_runt++;
      release(&net.lock);
      netfilt_rxbad();     // so netstat shows it, as rx_drop_malformed
      acquire(&net.lock);
    } else if(len > sizeof(struct virtio_net_hdr) + PGSIZE ||
              !rx_hdrok(&net.rxhdr[i])){
      net.rx_drop_badhdr++;
      release(&net.lock);
      netfilt_rxbad();
      acquire(&net.lock);
    } else {
      release(&net.lock);
      taken = netfilt_rx(page, len - sizeof(struct virtio_net_hdr));
      acquire(&net.lock);
    }
    if(!taken){
      // the page goes back to the device: wipe what this frame wrote.
      int dirty = len - sizeof(struct virtio_net_hdr);
      if(dirty > PGSIZE)
        dirty = PGSIZE;
      if(dirty > 0){
        memset(page, KJUNK, dirty);
        net.rx_wipe_bytes += dirty;
      }
    } else {
      // the page is netfilt's now; the slot needs a fresh one.
      page = rx_page();
      if(page == 0){
        net.rxpage[i] = 0;
        net.rxstate[i] = RX_EMPTY;
        net.rxempty++;
        continue;
      }
    }
    rx_post(i, page);
  }
  vq_kick(&net.rx, RXQ);
  release(&net.lock);
  pop_off();
}

// Take up to max finished TX chains off the used ring, free their
// descriptors and return their cookies and addresses. Caller holds net.lock.
static int
tx_pop(uint64 *cookie, uint64 (*pa)[TXSEG], int max)
{
  uint32 id, len;
  int n = 0;

  while(n < max && vq_pop(&net.tx, &id, &len)){
    if(id >= net.tx.num || !net.txinfo[id].busy)
      panic("virtio_net: bad TX used id");
    cookie[n] = net.txinfo[id].cookie;
    for(int j = 0; j < TXSEG; j++)
      pa[n][j] = net.txinfo[id].pa[j];
    net.txinfo[id].busy = 0;
    free_chain(id);
    net.txbusy--;
    net.tx_frames++;
    n++;
  }
  return n;
}

// Report finished TX chains to netchan_txdone, exactly once each,
// without net.lock held (netchan takes its own lock): every one, or with
// all == 0 only the next TXBATCH. Returns how many.
static int
tx_reap_some(int all)
{
  uint64 cookie[TXBATCH], pa[TXBATCH][TXSEG];
  int n, total = 0;

  do {
    acquire(&net.lock);
    n = tx_pop(cookie, pa, TXBATCH);
    release(&net.lock);
    if(n > 0)
      netchan_txdone(cookie, pa, n);
    total += n;
  } while(all && n == TXBATCH);
  return total;
}

static int
tx_reap(void)
{
  return tx_reap_some(1);
}

// Read the MAC and the link status from config space, again until the
// generation count is the same before and after, so that a change in
// between cannot give us half of each (2.5, 4.2.2).
// Caller holds net.lock, or is virtio_net_init.
static void
read_config(void)
{
  volatile uint8 *cfg = (volatile uint8 *)(VIRTIO1 + VIRTIO_MMIO_CONFIG);
  uint32 gen;

  do {
    gen = *R(VIRTIO_MMIO_CONFIG_GENERATION);
    if(feature_has(net.features, VIRTIO_NET_F_MAC)){
      for(int i = 0; i < 6; i++)
        net.mac[i] = cfg[VIRTIO_NET_CONFIG_MAC + i];
    }
    if(feature_has(net.features, VIRTIO_NET_F_STATUS))
      net.linkup = *(volatile uint16 *)(cfg + VIRTIO_NET_CONFIG_STATUS) & VIRTIO_NET_S_LINK_UP;
  } while(gen != *R(VIRTIO_MMIO_CONFIG_GENERATION));
}

// 4.2.3.2 Virtqueue Configuration for queue qid, as large as the device
// allows up to QMAX. Returns 0, or -1 if the queue is unusable.
static int
vq_init(struct netq *q, int qid)
{
  uint32 max;

  *R(VIRTIO_MMIO_QUEUE_SEL) = qid;
  if(*R(VIRTIO_MMIO_QUEUE_READY))
    return -1;
  max = *R(VIRTIO_MMIO_QUEUE_NUM_MAX);
  // a TX chain takes one to TXSEG descriptors (one with INDIRECT_DESC);
  // split queues are powers of two (2.7).
  q->num = QMAX;
  while(q->num > max)
    q->num /= 2;
  if(q->num < 4)
    return -1;

  q->desc = kalloc();
  q->avail = kalloc();
  q->used = kalloc();
  if(!q->desc || !q->avail || !q->used)
    panic("virtio net: out of memory for rings");
  memset(q->desc, 0, PGSIZE);
  memset(q->avail, 0, PGSIZE);
  memset(q->used, 0, PGSIZE);

  *R(VIRTIO_MMIO_QUEUE_NUM) = q->num;
  *R(VIRTIO_MMIO_QUEUE_DESC_LOW) = (uint64)q->desc;
  *R(VIRTIO_MMIO_QUEUE_DESC_HIGH) = (uint64)q->desc >> 32;
  *R(VIRTIO_MMIO_QUEUE_DRIVER_LOW) = (uint64)q->avail;
  *R(VIRTIO_MMIO_QUEUE_DRIVER_HIGH) = (uint64)q->avail >> 32;
  *R(VIRTIO_MMIO_QUEUE_DEVICE_LOW) = (uint64)q->used;
  *R(VIRTIO_MMIO_QUEUE_DEVICE_HIGH) = (uint64)q->used >> 32;
  *R(VIRTIO_MMIO_QUEUE_READY) = 1;
  return 0;
}

// Give up on the device (3.1.1: set FAILED); the network stays down.
static void
init_fail(char *why)
{
  *R(VIRTIO_MMIO_STATUS) = *R(VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FAILED;
  printf("virtio net: %s; network down\n", why);
}

// Bring the device up following 3.1.1 Driver Requirements: Device
// Initialization and 5.1.5 Device Initialization. Without a usable
// device, say so in one line and leave the network down.
void
virtio_net_init(void)
{
  uint32 status = 0;
  uint64 offered, want;

  initlock(&net.lock, "virtio_net");

  if(*R(VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC ||
     *R(VIRTIO_MMIO_VERSION) != 2 ||
     *R(VIRTIO_MMIO_DEVICE_ID) != VIRTIO_ID_NET){
    printf("virtio net: no modern network device in slot 1; network down\n");
    return;
  }

  // 1. reset the device.
  *R(VIRTIO_MMIO_STATUS) = status;
  // 2. we have noticed it; 3. we know how to drive it.
  status |= VIRTIO_STATUS_ACKNOWLEDGE;
  *R(VIRTIO_MMIO_STATUS) = status;
  status |= VIRTIO_STATUS_DRIVER;
  *R(VIRTIO_MMIO_STATUS) = status;

  // 4. accept VERSION_1 (required: it fixes the 12-byte header, 5.1.6),
  // MAC, STATUS and EVENT_IDX if offered; no offloads, no MRG_RXBUF,
  // so every frame fits one RX page and needs no checksum work.
  *R(VIRTIO_MMIO_DEVICE_FEATURES_SEL) = 0;
  offered = *R(VIRTIO_MMIO_DEVICE_FEATURES);
  *R(VIRTIO_MMIO_DEVICE_FEATURES_SEL) = 1;
  offered |= (uint64)*R(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
  if(!feature_has(offered, VIRTIO_F_VERSION_1)){
    init_fail("device does not offer VIRTIO_F_VERSION_1");
    return;
  }
  want = (1L << VIRTIO_F_VERSION_1) | (1L << VIRTIO_NET_F_MAC) |
    (1L << VIRTIO_NET_F_STATUS) | (1L << VIRTIO_F_RING_EVENT_IDX) |
    (1L << VIRTIO_F_RING_INDIRECT_DESC);
  net.features = offered & want;
  net.event_idx = feature_has(net.features, VIRTIO_F_RING_EVENT_IDX);
  net.indirect = feature_has(net.features, VIRTIO_F_RING_INDIRECT_DESC);
  *R(VIRTIO_MMIO_DRIVER_FEATURES_SEL) = 0;
  *R(VIRTIO_MMIO_DRIVER_FEATURES) = (uint32)net.features;
  *R(VIRTIO_MMIO_DRIVER_FEATURES_SEL) = 1;
  *R(VIRTIO_MMIO_DRIVER_FEATURES) = net.features >> 32;

  // 5. features are final; 6. the device must agree.
  status |= VIRTIO_STATUS_FEATURES_OK;
  *R(VIRTIO_MMIO_STATUS) = status;
  if(!(*R(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)){
    init_fail("device refused our features");
    return;
  }

  // 7. device-specific setup: the two queues (5.1.2), the TX free
  // stack, and the config space. 5.1.5: without F_STATUS the link is
  // assumed up; without F_MAC we use a fixed locally administered address.
  if(vq_init(&net.rx, RXQ) < 0 || vq_init(&net.tx, TXQ) < 0){
    init_fail("queue 0 or 1 missing, in use or too short");
    return;
  }
  for(int i = 0; i < net.tx.num; i++)
    net.txfree[net.ntxfree++] = i;
  net.rxempty = net.rx.num / 2;   // every slot RX_EMPTY, filled below
  net.linkup = 1;
  net.mac[0] = 0x02;
  net.mac[5] = 0x01;
  read_config();

  // 8. the driver is live.
  status |= VIRTIO_STATUS_DRIVER_OK;
  *R(VIRTIO_MMIO_STATUS) = status;
  net.present = 1;

  // 5.1.6.3 the device needs receive buffers; notifying is allowed
  // only now, after DRIVER_OK (3.1.1).
  acquire(&net.lock);
  rx_refill();
  release(&net.lock);

  // plic.c and trap.c route interrupt VIRTIO1_IRQ to virtio_net_intr().
}

// Queue one frame, without telling the device (virtio_net_txkick does):
// hdrlen bytes at hdr, then paylen bytes at physical address paypa (none
// if paylen is 0). The 12 bytes just before hdr are ours: the virtio-net
// header goes there. The device reads everything in place;
// netchan_txdone() gets the cookie and the addresses (hdr, paypa, 0)
// when it is done. Returns 0, -ENOBUFS if the TX queue is full (nothing
// queued), or -ENETDOWN without a device. Takes net.lock; interrupts on
// or off.
int
virtio_net_tx(void *hdr, int hdrlen, uint64 paypa, int paylen, uint64 cookie)
{
  uint64 pa[2] = { paypa, 0 };
  int len[2] = { paylen, 0 };

  return virtio_net_txv(hdr, hdrlen, pa, len, cookie);
}

// Fill in the descriptors of one frame in table t, at entries e[] in
// chain order: the virtio header and hdrlen bytes at vh, then the
// payload pieces that are not empty. Caller holds net.lock.
static void
tx_fill(struct virtq_desc *t, int *e, uint8 *vh, int hdrlen, uint64 *pa, int *len)
{
  int n = 0;

  t[e[0]].addr = (uint64)vh;
  t[e[0]].len = sizeof(struct virtio_net_hdr) + hdrlen;
  t[e[0]].flags = 0;
  t[e[0]].next = 0;
  for(int i = 0; i < TXSEG - 1; i++){
    if(len[i] == 0)
      continue;
    t[e[n]].flags = VIRTQ_DESC_F_NEXT;
    t[e[n]].next = e[n+1];
    n++;
    t[e[n]].addr = pa[i];
    t[e[n]].len = len[i];
    t[e[n]].flags = 0;
    t[e[n]].next = 0;
  }
}

// virtio_net_tx with the payload in two pieces, len[0] bytes at
// physical address pa[0] and len[1] at pa[1] (either may be 0 bytes):
// a payload that spans two pages not next to each other in memory.
// netchan_txdone() gets (hdr, pa[0], pa[1]).
int
virtio_net_txv(void *hdr, int hdrlen, uint64 *pa, int *len, uint64 cookie)
{
  int d[TXSEG], e[TXSEG];
  int n = 1 + (len[0] > 0) + (len[1] > 0);
  int ndesc = net.indirect ? 1 : n;

  if(!net.present)
    return -ENETDOWN;
  if(hdrlen <= 0 || len[0] < 0 || len[1] < 0)
    return -EINVAL;

  acquire(&net.lock);
  if(net.ntxfree < ndesc){
    // reap only when short, and only a few: the room they free is what
    // this frame needs, and the rest can wait until the device is busy
    // again with this batch (netchan's txsync reaps them after its kick).
    release(&net.lock);
    tx_reap_some(0);
    acquire(&net.lock);
  }
  if(net.rxempty > 0)
    rx_refill();
  if(net.ntxfree < ndesc){
    net.tx_full++;
    release(&net.lock);
    return -ENOBUFS;
  }
  for(int i = 0; i < ndesc; i++)
    d[i] = alloc_desc();

  // 5.1.6.2: the header the device reads first, all zero (no offloads),
  // in the caller's room just before hdr, so it and the checked headers
  // are one buffer; each payload piece is one more.
  uint8 *vh = (uint8 *)hdr - sizeof(struct virtio_net_hdr);
  memset(vh, 0, sizeof(struct virtio_net_hdr));
  struct virtq_desc *t = net.indirect ? net.txind[d[0]] : net.tx.desc;
  for(int i = 0; i < n; i++)
    e[i] = net.indirect ? i : d[i];
  tx_fill(t, e, vh, hdrlen, pa, len);
  if(net.indirect){
    net.tx.desc[d[0]].addr = (uint64)t;
    net.tx.desc[d[0]].len = n * sizeof(struct virtq_desc);
    net.tx.desc[d[0]].flags = VIRTQ_DESC_F_INDIRECT;
    net.tx.desc[d[0]].next = 0;
  }

  net.txinfo[d[0]].cookie = cookie;
  net.txinfo[d[0]].pa[0] = (uint64)hdr;
  net.txinfo[d[0]].pa[1] = pa[0];
  net.txinfo[d[0]].pa[2] = pa[1];
  net.txinfo[d[0]].busy = 1;
  net.txbusy++;

  // No interrupt is asked for here: finished frames are taken back at
  // the next interrupt or transmission, or when a sender that needs its
  // slots back is about to wait (virtio_net_txarm).
  vq_post(&net.tx, d[0]);
  release(&net.lock);
  return 0;
}

// Tell the device about the frames virtio_net_tx queued since the last
// call, if it wants to hear. The caller kicks after the first frame of
// a batch and again at its end, not per frame: while the device is busy
// it does not want to hear, and a kick per frame once cost a kick every
// 11 frames (the idle device woke for one frame, drained it and asked
// to be kicked again).
void
virtio_net_txkick(void)
{
  if(!net.present)
    return;
  acquire(&net.lock);
  vq_kick(&net.tx, TXQ);
  release(&net.lock);
}

// Report the TX frames the device has finished (a look at the used
// ring, no device access). Returns how many. netlock may be held.
int
virtio_net_txreap(void)
{
  if(!net.present)
    return 0;
  return tx_reap();
}

// Someone is about to wait for TX slots: ask for an interrupt when half
// of what is outstanding is done (2.7.7, EVENT_IDX; without it the
// device interrupts at every completion anyway), early enough that the
// sender refills the queue while the device sends the other half. (QEMU
// 7.2's TCG delivers it only when the device's burst ends: it sends
// holding the global lock that taking an interrupt needs.) Then report
// what is already done. Returns the number of frames reported:
// if any, the caller has slots back and need not wait. The caller may
// hold netlock (netchan_txdone takes it only if not).
int
virtio_net_txarm(void)
{
  int busy;

  if(!net.present)
    return 0;
  acquire(&net.lock);
  busy = net.txbusy;
  net.txarmed = busy > 0;
  if(busy > 0 && net.event_idx)
    *used_event(&net.tx) = net.tx.used_idx + (busy - 1) / 2;
  release(&net.lock);   // a fence: used_event is out before we look again
  return busy > 0 ? tx_reap() : 0;
}

// 1 if the TX queue has room for any frame now. Frames finished but not
// yet reported hold their descriptors: virtio_net_txarm reports them.
int
virtio_net_txroom(void)
{
  int r;

  if(!net.present)
    return 0;
  acquire(&net.lock);
  r = net.ntxfree >= (net.indirect ? 1 : TXSEG);
  release(&net.lock);
  return r;
}

// Take frames waiting in the RX used ring, if any, as an interrupt
// would (each netsync looks: with RX interrupts quiet, that is how a
// busy sender's answers come in). Returns 1 if there were some.
int
virtio_net_rxpoll(void)
{
  if(!net.present || *(volatile uint16 *)&net.rx.used->idx == net.rx.used_idx)
    return 0;
  rx_harvest();
  return 1;
}

// RX interrupts off while someone polls, or is about to: see
// virtio_net_spin. Caller holds net.lock.
static void
rx_quiet(void)
{
  net.spintick = ticks;
  if(!net.rxquiet){
    net.rxquiet = 1;
    rx_arm();
  }
}

// A sender just handed the device frames and will likely poll for the
// answers (virtio_net_spin): no RX interrupt meanwhile, or the first
// answer's would stop the sender before it polls, until the device has
// worked through the whole burst.
void
virtio_net_quiet(void)
{
  if(!net.present || !net.event_idx)
    return;
  acquire(&net.lock);
  rx_quiet();
  release(&net.lock);
}

// Turn RX interrupts back on after polling; if frames came meanwhile,
// take them. Returns 1 if it took any.
static int
rx_loud(void)
{
  int r;

  acquire(&net.lock);
  net.rxquiet = 0;
  r = vq_rearm(&net.rx);
  release(&net.lock);
  if(r)
    rx_harvest();
  return r;
}

// For a waiter that does not poll (poll(), netchan_poll, a netsync that
// does not spin): take what the RX ring holds and have interrupts
// announce the rest. Returns 1 if it took frames.
int
virtio_net_loud(void)
{
  if(net.present && net.rxquiet)
    return rx_loud();
  return virtio_net_rxpoll();
}

// Poll the device for a waiter that expects an answer soon (its frames
// are in flight or just went), instead of sleeping for an interrupt:
// for up to us microseconds, or until another process becomes runnable
// (wakeups moves) or the caller is killed; not at all if one already
// is. Takes what arrives (and, with tx, finished transmissions) and
// returns 1; 0 if nothing came, and then RX interrupts are on again,
// for the caller sleeps next.
//
// Why: under QEMU's TCG the device runs in the main loop holding the
// global lock, and taking an interrupt needs that lock, so an interrupt
// raised while the device works through a burst of our frames waits
// for the burst's end; the sender sleeps, the device then idles while
// the sender wakes and refills. Reading the used ring takes no lock, so
// a poller answers each frame as it lands and the queue never drains.
// RX interrupts stay off (rxquiet) while someone polls; the timer turns
// them back on after a tick without a poller (virtio_net_tick), and a
// poller that gives up turns them on before it sleeps.
int
virtio_net_spin(int us, int tx)
{
  volatile uint16 *rxidx, *txidx;
  uint64 end, w;

  if(!net.present || !net.event_idx)
    return 0;
  if(othersrunnable())
    return virtio_net_loud();   // gives way at once: the caller sleeps next
  rxidx = (volatile uint16 *)&net.rx.used->idx;
  txidx = (volatile uint16 *)&net.tx.used->idx;
  acquire(&net.lock);
  net.spins++;
  rx_quiet();
  release(&net.lock);
  end = r_time() + (uint64)us * (TIMEBASE / 1000000);
  w = wakeups;
  for(;;){
    if(*rxidx != net.rx.used_idx){
      rx_harvest();
      break;
    }
    if(tx && *txidx != net.tx.used_idx){
      tx_reap();
      break;
    }
    if(r_time() >= end || wakeups != w || killed(myproc()))
      return rx_loud();
  }
  net.spin_hits++;
  return 1;
}

// From the timer, on hart 0. Received frames can wait in the used ring
// with no interrupt coming for them: over slirp, 1 TCP transfer guest
// to host in 3 to 40 (32 MiB each) stopped for good with 52 frames
// there, used_event asking for an interrupt at the first of them, and
// the device's interrupt status clear (docs/performance.md). We did not
// find who loses it; frames that have waited two ticks are taken here.
void
virtio_net_tick(void)
{
  if(!net.present)
    return;
  if(net.rxquiet && ticks - net.spintick >= 2){
    // nobody polled for a tick: interrupts on again, and frames that
    // came meanwhile waited unannounced
    if(rx_loud())
      net.rx_rescued++;
    return;
  }
  if(net.rx.used->idx == net.rx.used_idx || ticks - net.rx_seen < 2)
    return;
  net.rx_rescued++;
  rx_harvest();
}

// Interrupt handler: hand on received frames, report finished
// transmissions, note link changes.
void
virtio_net_intr(void)
{
  int armed;

  if(!net.present)
    return;

  acquire(&net.lock);
  net.intrs++;
  // 4.2.2: acknowledge before reading the rings, so that a completion
  // arriving while we read raises a fresh interrupt rather than being lost.
  uint32 status = *R(VIRTIO_MMIO_INTERRUPT_STATUS);
  *R(VIRTIO_MMIO_INTERRUPT_ACK) = status & (VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG);
  if(status & VIRTIO_MMIO_INT_CONFIG)
    read_config();
  if(net.rxempty > 0)
    rx_refill();
  // TX completions matter now only if someone waits for them; the
  // others are taken at the next netsync or transmission. The request
  // stands until nothing is outstanding (a waiter re-arms anyway).
  armed = net.txarmed;
  release(&net.lock);

  rx_harvest();
  if(armed){
    tx_reap();
    acquire(&net.lock);
    if(net.txbusy == 0)
      net.txarmed = 0;
    release(&net.lock);
  }
}

// 1 if the device is running and its link is up.
int
virtio_net_up(void)
{
  return net.present && net.linkup;
}

void
virtio_net_mac(uint8 mac[6])
{
  for(int i = 0; i < 6; i++)
    mac[i] = net.mac[i];
}

// Fill in the device's counters, the dev_* of netstat.
void
virtio_net_stats(struct nc_stats *st)
{
  acquire(&net.lock);
  st->v[NC_dev_rx_frames] = net.rx_frames;
  st->v[NC_dev_rx_drop_runt] = net.rx_drop_runt;
  st->v[NC_dev_rx_drop_badhdr] = net.rx_drop_badhdr;
  st->v[NC_dev_rx_nobuf] = net.rx_nobuf;
  st->v[NC_dev_rx_wipe_bytes] = net.rx_wipe_bytes;
  st->v[NC_dev_tx_frames] = net.tx_frames;
  st->v[NC_dev_tx_full] = net.tx_full;
  st->v[NC_dev_intrs] = net.intrs;
  st->v[NC_dev_rx_rescued] = net.rx_rescued;
  st->v[NC_dev_rx_fresh] = net.rx_fresh;
  st->v[NC_dev_spins] = net.spins;
  st->v[NC_dev_spin_hits] = net.spin_hits;
  release(&net.lock);
}
