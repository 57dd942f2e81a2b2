// tcp_sndq.c: a connection's send stream, from snd_una. Usually it is
// the send ring alone: bytes the application wrote, copied in. Once the
// application queues a reference (ln_sendref: bytes of the payload cache
// it keeps, netref.h), the stream becomes a short list of extents, each
// either a run of the ring's bytes or a range of a reference, and stays
// so until everything queued is acknowledged. TCP's sequence logic sees
// none of it: only tcp_send_seg asks where the bytes of a segment are,
// and a segment never spans two extents (tcp_sndclip), so its payload is
// either in the ring or in one place of the cache.
#include "tcp.h"

static struct tcpsx *
sxat(struct tcpcb *tp, int i)
{
  return &tp->sx[(tp->sxhead + i) % TCP_NSX];
}

// Append up to len bytes to the ring. Returns the bytes taken: 0 when
// the ring is full, or when the stream holds references and there is no
// extent left to describe the bytes.
int
tcp_sndput(struct tcpcb *tp, const uint8_t *buf, int len)
{
  int n = tp->sndq.cap - tp->sndq.len;
  struct tcpsx *x;

  if(n > len)
    n = len;
  if(n <= 0)
    return 0;
  if(tp->nsx > 0){
    x = sxat(tp, tp->nsx - 1);
    if(x->ref != 0){
      if(tp->nsx == TCP_NSX)
        return 0;
      x = sxat(tp, tp->nsx++);
      x->ref = 0;
      x->off = x->len = 0;
    }
    x->len += n;
  }
  tcpbuf_put(&tp->sndq, tp->sndq.len, buf, n);
  tp->sndq.len += n;
  return n;
}

// Append bytes [off, off+len) of r's range. 0, or -EAGAIN when the
// extents are all taken (they come back as the peer acknowledges).
int
tcp_sndref(struct tcpcb *tp, struct netref *r, uint32_t off, uint32_t len)
{
  struct tcpsx *x;

  if(len == 0)
    return 0;
  if(tp->nsx == 0){
    tp->sxhead = 0;
    if(tp->sndq.len > 0){
      // what the ring holds already becomes the first extent
      x = sxat(tp, tp->nsx++);
      x->ref = 0;
      x->off = 0;
      x->len = tp->sndq.len;
    }
  } else {
    x = sxat(tp, tp->nsx - 1);
    if(x->ref == r && x->off + x->len == off){
      x->len += len;       // the rest of what the last call queued
      tp->sxbytes += len;
      return 0;
    }
  }
  if(tp->nsx == TCP_NSX)
    return -EAGAIN;
  x = sxat(tp, tp->nsx++);
  x->ref = r;
  x->off = off;
  x->len = len;
  r->refs++;
  tp->sxbytes += len;
  return 0;
}

// The peer has n more bytes: off the front, references let go of as
// their last byte leaves.
void
tcp_snddrop(struct tcpcb *tp, int n)
{
  if(tp->nsx == 0){
    if(n > 0)
      tcpbuf_consume(&tp->sndq, n);
    return;
  }
  while(n > 0 && tp->nsx > 0){
    struct tcpsx *x = sxat(tp, 0);
    uint32_t k = (uint32_t)n < x->len ? (uint32_t)n : x->len;
    if(x->ref == 0)
      tcpbuf_consume(&tp->sndq, k);
    else
      tp->sxbytes -= k;
    x->off += k;
    x->len -= k;
    n -= k;
    if(x->len == 0){
      if(x->ref)
        x->ref->refs--;
      tp->sxhead = (tp->sxhead + 1) % TCP_NSX;
      tp->nsx--;
    }
  }
}

// The connection is done with its queue: every reference let go of.
void
tcp_sndfree(struct tcpcb *tp)
{
  for(int i = 0; i < tp->nsx; i++)
    if(sxat(tp, i)->ref)
      sxat(tp, i)->ref->refs--;
  tp->nsx = 0;
  tp->sxbytes = 0;
  tcp_buffree(&tp->sndq);
}

// Where the segment at stream offset data (from snd_una) finds its
// bytes, and how many of the len asked for it may carry: no more than
// the rest of the extent, nor past the end of a reference's chunk (so a
// whole chunk goes as one segment with its sum ready). *rp is the
// reference, *at the offset in its range; or *rp 0 and *at the offset
// in the ring.
int
tcp_sndclip(struct tcpcb *tp, uint32_t data, int len, struct netref **rp, uint32_t *at)
{
  uint32_t ring = 0;

  *rp = 0;
  if(tp->nsx == 0){
    *at = data;
    return len;
  }
  for(int i = 0; i < tp->nsx; i++){
    struct tcpsx *x = sxat(tp, i);
    if(data < x->len){
      uint32_t room = x->len - data;
      if(x->ref == 0){
        *at = ring + data;
      } else {
        uint32_t o = x->off + data, c = x->ref->chunk;
        *rp = x->ref;
        *at = o;
        if(c > 0 && c - o % c < room)
          room = c - o % c;
      }
      return (uint32_t)len < room ? len : (int)room;
    }
    data -= x->len;
    if(x->ref == 0)
      ring += x->len;
  }
  *at = ring;
  return 0;
}
