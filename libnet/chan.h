// chan: a process's view of its network channel (kernel/netchan.h), and
// the index arithmetic over its rings (as netmap keeps it in
// netmap_user.h). chan.c is the only file that touches the rings.
#ifndef LIBNET_CHAN_H
#define LIBNET_CHAN_H
#include <stdint.h>
#include "kernel/netchan.h"

struct chan {
  int fd;                  // the channel's descriptor (poll it for POLLIN/POLLOUT)
  struct nc_info *info;    // sizes, offsets, the interface's MAC
  struct nc_ring *rx;      // frames the kernel delivered: [head, tail) are ours
  struct nc_ring *tx;      // free slots: [head, tail) are ours
  uint8_t *bufs;           // buffer 0
  struct nc_txpay *txpay;  // the TX slots' payload references
  uint8_t *cache;          // the payload cache, or NULL if none
  uint32_t cachesize;      // its size in bytes
};

static inline uint32_t
nc_next(uint32_t i)
{
  return (i + 1) & (NC_NSLOTS - 1);
}

// Slots the process owns in ring r: frames to read (RX), free slots (TX).
static inline uint32_t
nc_ring_space(const struct nc_ring *r)
{
  return (r->tail - r->head) & (NC_NSLOTS - 1);
}

static inline uint8_t *
chan_buf(const struct chan *ch, uint32_t b)
{
  return ch->bufs + (uint64_t)b * NC_BUFSIZE;
}

int chan_open(struct chan *ch);          // 0 or -E*
// Open with a payload cache of npages pages (1..NC_CACHEMAX): 0, -EINVAL, -ENOMEM or -E*.
int chan_opencache(struct chan *ch, int npages);
int chan_claim(struct chan *ch, int proto, int port);  // the port, or -E*
int chan_sync(struct chan *ch, int timeout_ms);        // RX frames owned, or -E*
int chan_close(struct chan *ch);

// TX: fill the buffer chan_txbuf() returns (NULL if no slot is free),
// then chan_txpush() hands it to the kernel; chan_sync() sends.
uint8_t *chan_txbuf(struct chan *ch);
void chan_txpush(struct chan *ch, int len);
// Copy a frame into the next TX buffer and push it. 0 or -ENOBUFS.
int chan_send(struct chan *ch, const void *frame, int len);
// A split frame: write its headers (Ethernet, IPv4, UDP or TCP; at most
// 112 bytes) into chan_txbuf()'s buffer, their IPv4 total length
// counting the payload, then chan_txsplit() pushes it: the frame goes on
// with paylen bytes from byte payoff of ch->cache, which the device
// reads in place, with no copy. The cache bytes may be in any number of
// frames at once; rewriting them while in flight changes those frames.
// The kernel checks the reference: a bad one comes back NCS_REJECTED.
void chan_txsplit(struct chan *ch, int hdrlen, uint32_t payoff, uint16_t paylen);

// RX: the next received frame (NULL if none), then chan_rxpop() to give
// its slot back.
uint8_t *chan_rxframe(struct chan *ch, int *len);
void chan_rxpop(struct chan *ch);

// For programs that drive a channel by hand and receive nothing they
// keep (rawudp, zcsend, blast): a free TX buffer, syncing and throwing
// away what arrives until there is one (0 and *err on a failed sync);
// the frames counters st show dealt with (sent, or refused with their
// slot back); and the wait, up to ms, until n frames are, the channel's
// counters then in *st. 0 or -E*.
uint8_t *chan_txwait(struct chan *ch, int *err);
uint64_t chan_txdealt(struct nc_stats *st);
int chan_txsettle(struct chan *ch, uint64_t n, struct nc_stats *st, int ms);

// libnet's own channel (chan_netdev), opened at the first socket call:
// chan_wantcache(npages) before that gives it a payload cache;
// chan_stack() is the channel once open (NULL before), for a program
// that sends split frames beside the stack's own.
void chan_wantcache(int npages);
struct chan *chan_stack(void);
#endif
