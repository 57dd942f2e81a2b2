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
int chan_claim(struct chan *ch, int proto, int port);  // the port, or -E*
int chan_sync(struct chan *ch, int timeout_ms);        // RX frames owned, or -E*
int chan_close(struct chan *ch);

// TX: fill the buffer chan_txbuf() returns (NULL if no slot is free),
// then chan_txpush() hands it to the kernel; chan_sync() sends.
uint8_t *chan_txbuf(struct chan *ch);
void chan_txpush(struct chan *ch, int len);
// Copy a frame into the next TX buffer and push it. 0 or -ENOBUFS.
int chan_send(struct chan *ch, const void *frame, int len);

// RX: the next received frame (NULL if none), then chan_rxpop() to give
// its slot back.
uint8_t *chan_rxframe(struct chan *ch, int *len);
void chan_rxpop(struct chan *ch);
#endif
