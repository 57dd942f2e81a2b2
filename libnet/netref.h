// netref.h: sending from the payload cache without copying (zero copy).
//
// A process that opened its channel with a payload cache
// (chan_wantcache(n) before its first socket call) finds it at
// ln_cache(): memory it fills itself, which the device reads in place.
// It describes a range of it it keeps as a struct netref and queues
// bytes of that range on a TCP connection with ln_sendref(). The
// connection's send queue then holds a reference, not a copy: every
// segment of those bytes, first sent or sent again, is a frame whose
// headers libnet builds and whose payload the device reads from the
// cache. With the sums of each chunk-sized piece given, the checksum of
// a segment that is one chunk needs no pass over its bytes at all.
//
// The range must not change while refs is above zero: libnet counts in
// refs the send queues still naming it, and drops the count as the
// peer acknowledges the bytes or the connection ends. Changing it
// anyway only corrupts the process's own segments (the kernel checks
// every header it sends, and the payload belongs to the sender).
#ifndef LIBNET_NETREF_H
#define LIBNET_NETREF_H
#include <stdint.h>

struct netref {
  uint32_t off, len;         // the range, in bytes from the cache's start
  uint32_t chunk;            // sums[i] is the partial sum of bytes [i*chunk, (i+1)*chunk); 0: no sums
  const uint32_t *sums;      // ln_cksum() of each chunk (the last may be shorter), or 0
  int refs;                  // send queues naming the range; libnet's to change
};

uint8_t *ln_cache(uint32_t *size);   // the payload cache and its size, or 0 (none)
uint32_t ln_cksum(const void *p, uint32_t len);   // a chunk's partial sum, for netref.sums
// Queue bytes [off, off+len) of r on stream socket fd. Returns len
// (all of it, or -1 with errno as send(): EAGAIN when the connection's
// queue of references is full and the socket is non-blocking).
long ln_sendref(int fd, struct netref *r, uint32_t off, uint32_t len);
#endif
