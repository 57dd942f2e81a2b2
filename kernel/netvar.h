// Kernel-private network state, shared by netchan.c, netfilt.c and
// netguard.c (as OpenBSD keeps tcp_var.h beside tcp.h). The ABI is in
// netchan.h; nothing here is visible to processes.
#include "netchan.h"

#define NNETCHAN   16    // channels open at once, system-wide
#define NCLAIM    (NNETCHAN * NC_CLAIMQUOTA)  // claims, system-wide: every quota at once
#define NCLAIMHASH 4096  // hash chains for finding a claim, a power of two
#define NC_HDRCOPY 128   // bytes per TX slot for the checked header copy
#define NC_HDRROOM  16   // of which the first are room for the virtio-net header

// Who holds each buffer of a channel's pool. The kernel's record, never
// the process's rings, decides.
// B_KERNEL is NC_KBUF alone: the buffer in the TX slot the kernel keeps.
// B_TXHDR: in the TX slot of a split frame in flight; the device reads
// the kernel's copy of its headers, not the buffer, which is freed with
// the channel like any other.
enum { B_USER, B_RXSLOT, B_TXFLIGHT, B_KERNEL, B_TXHDR };
#define NC_KBUF (NC_NBUFS - 1)

// First fragments a channel sent lately (netguard.c): it may send the
// later fragments of these datagrams, and no other channel may send a
// first fragment with the same (destination, id, protocol) meanwhile.
#define NFRAGID 32
#define FRAGID_TICKS (5 * HZ)
struct fragid {
  uint32 dst;
  uint16 id;
  uint8 proto;
  uint64 when;               // tick it was sent; 0: free
};

// TX slot state while the kernel owns the slot.
enum { T_DONE, T_FLIGHT };

struct netchan {
  int used;                  // slot in use
  int id;                    // index in chans[]
  uint32 gen;                // bumped at each open: stale TX cookies are ignored
  uint32 serial;             // unique to this open, never PAGE_CLEAN: the pagetag of its pages
  struct proc *proc;         // owner; the region is mapped in its page table only
  char *info;                // kernel address of the nc_info page
  struct nc_ring *rx;        // kernel address of the RX ring page (process-writable)
  struct nc_ring *tx;        // kernel address of the TX ring page (process-writable)
  char *page[NC_NBUFS];      // physical page behind each buffer
  uint8 bstate[NC_NBUFS];    // B_* for each buffer

  // RX: kernel-owned slots are [rxtail, rxhead); rxbuf[] says which
  // buffer each of them holds, whatever the ring page says.
  uint32 rxhead;             // the process's head, as last checked
  uint32 rxtail;             // our tail, as published
  uint32 rxbuf[NC_NSLOTS];   // buffer in each kernel-owned RX slot
  // The buffer in a kernel-owned RX slot is unmapped when the process
  // gives it back, without a TLB flush: the flush comes before a frame
  // is mapped there, and covers every slot given back before it
  // (proc->tlbgen counts them). rxgen[s] is tlbgen when slot s's
  // buffer was unmapped; it is ready once tlbgen has moved past it.
  uint64 rxgen[NC_NSLOTS];
  int rxnfreed;              // kernel-owned RX slots from rxtail whose buffer has no page (rxfree)
  char *scratch;             // mapped where the process touches a buffer it gave back
  // frames received but not yet moved into the ring (interrupt -> netsync)
  char *pend[NC_NSLOTS];
  uint16 pendlen[NC_NSLOTS];
  uint32 pendr, pendw;       // read and write counts; pendw - pendr frames waiting

  // TX: the kernel owns txown slots from txtail (they end at txhead);
  // the last txnew of them, from txcur, were handed over but not yet
  // looked at (the device queue was full).
  uint32 txhead;             // the process's head, as last checked
  uint32 txcur;              // next handed-over slot to examine
  uint32 txtail;             // our tail, as published
  int txown;                 // slots the kernel owns, from txtail on (>= 1)
  int txnew;                 // of those, handed over but not yet examined (from txcur)
  uint8 txstate[NC_NSLOTS];  // T_* per kernel-owned slot
  uint32 txbuf[NC_NSLOTS];   // buffer per kernel-owned slot
  uint16 txflags[NC_NSLOTS]; // flags to hand back (NCS_REJECTED)
  int txinflight;            // frames the device still holds
  uint64 txtime;             // r_time() when a frame last went to the device
  uint64 answered;           // r_time() ticks the last netsync that waited took to get a frame
  char *hdrcopy[NC_NSLOTS * NC_HDRCOPY / PGSIZE]; // pages of NC_HDRCOPY-byte header copies, one per slot
  char *txpay;               // kernel address of the nc_txpay page (process-writable)

  // The payload cache (netcache.c): never moved, never flipped.
  int ncache;                // pages in it; 0: none
  char *cache[NC_CACHEMAX];  // physical page behind each

  struct fragid fragid[NFRAGID]; // first fragments sent lately, oldest replaced
  int fragnext;              // next fragid entry to replace
  uint16 claims;             // first of this channel's claims (netfilt.c), or 0xffff
  int nclaims;               // claims held, at most NC_CLAIMQUOTA

  int waiting;               // the owner sleeps in netsync() on this channel
  int txwait;                // ...and wants TX completions: it had no free TX slot (or it is closing)
  struct nc_stats st;        // this channel's counters
};

// The interface: its addresses and counters. Guarded by netlock.
struct netif {
  uint8 mac[6];
  uint32 ip, mask, gw;       // host byte order
  uint32 server;             // the DHCP server that leased ip, or 0: static
  uint64 leaseend;           // tick the lease ends, ~0 never; 0 with server 0
  uint32 flags;              // NCI_* (netchan.h)
  struct nc_stats st;
};

extern struct spinlock netlock;   // guards every channel, the claims and netif
extern struct netif netif;
extern struct netchan chans[NNETCHAN];

static inline uint16
get16(const uint8 *p)
{
  return (p[0] << 8) | p[1];
}

static inline uint32
get32(const uint8 *p)
{
  return ((uint32)p[0] << 24) | ((uint32)p[1] << 16) | ((uint32)p[2] << 8) | p[3];
}

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP  0x0806
#define ICMP_ECHOREPLY 0
#define ICMP_ECHO      8

// netchan.c
int  netchan_enqueue(struct netchan *c, char *page, int len);
// netfilt.c
int  netfilt_deliver(char *page, int len);
struct netchan *netfilt_owner(int proto, int port);
int  netfilt_claim(struct netchan *c, int proto, int port);
int  netfilt_unclaim(struct netchan *c, int proto, int port);
void netfilt_release(struct netchan *c);
int  netfilt_isdefault(struct netchan *c);
int  netfilt_islocal(const uint8 *f, int len);
// netguard.c
int  netguard_tx(struct netchan *c, const uint8 *f, int len, int *hlen);
int  netguard_txsplit(struct netchan *c, const uint8 *f, int hdrlen, int paylen);
// netcache.c
int  netcache_alloc(struct netchan *c, int npages);
int  netcache_map(struct netchan *c, pagetable_t pt);
void netcache_free(struct netchan *c);
void netcache_hold(uint64 pa);
void netcache_drop(uint64 pa);
void netcache_orphan(char *page);
