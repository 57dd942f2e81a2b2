// Buffer cache: a fixed set of NBUF block buffers, each holding a copy
// of one disk block.
//
// Caching disk blocks saves reads, and gives every block one in-memory
// copy, which is the synchronization point for all its users: a buffer
// is used by one process at a time, under its sleeplock.
//
// Interface:
// * bread(dev, blockno) returns a locked buffer holding the block.
// * After changing buf->data, call bwrite (or, inside a transaction,
//   log_write) to send it to disk.
// * Call brelse when done; do not touch the buffer after that.
//
// Does not do: write-back caching. bwrite is synchronous, and only the
// log (log.c) calls it.

#include "types.h"
#include "param.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "riscv.h"
#include "defs.h"
#include "fs.h"
#include "buf.h"

struct {
  struct spinlock lock;   // protects the list, refcnt, dev and blockno
  struct buf buf[NBUF];

  // Doubly-linked circular list of all buffers through prev/next,
  // most recently released first: bget looks for a block from the
  // front and recycles from the back.
  struct buf head;
} bcache;

void
binit(void)
{
  struct buf *b;

  initlock(&bcache.lock, "bcache");

  bcache.head.prev = &bcache.head;
  bcache.head.next = &bcache.head;
  for(b = bcache.buf; b < bcache.buf+NBUF; b++){
    b->next = bcache.head.next;
    b->prev = &bcache.head;
    initsleeplock(&b->lock, "buffer");
    bcache.head.next->prev = b;
    bcache.head.next = b;
  }
}

// Find the buffer caching block blockno on dev, or recycle the least
// recently used unreferenced one for it. Returns it locked; valid says
// whether its data is already the block's.
static struct buf*
bget(uint dev, uint blockno)
{
  struct buf *b;

  acquire(&bcache.lock);

  for(b = bcache.head.next; b != &bcache.head; b = b->next){
    if(b->dev == dev && b->blockno == blockno){
      b->refcnt++;
      release(&bcache.lock);
      acquiresleep(&b->lock);
      return b;
    }
  }

  for(b = bcache.head.prev; b != &bcache.head; b = b->prev){
    if(b->refcnt == 0){
      b->dev = dev;
      b->blockno = blockno;
      b->valid = 0;
      b->refcnt = 1;
      release(&bcache.lock);
      acquiresleep(&b->lock);
      return b;
    }
  }
  // every buffer is in use: more blocks held at once than NBUF, which
  // cannot happen: the log pins at most LOGSIZE < NBUF, and an
  // operation holds only a few at once.
  panic("bget: no buffers");
}

// Return a locked buffer with the contents of the block.
struct buf*
bread(uint dev, uint blockno)
{
  struct buf *b;

  b = bget(dev, blockno);
  if(!b->valid){
    virtio_disk_rw(b, 0);
    b->valid = 1;
  }
  return b;
}

// Return a locked buffer for a block whose every byte the caller is
// about to overwrite (a log slot, a block being zeroed): reading it
// from disk first would be wasted. Nobody sees the stale contents: the
// caller holds the lock until it has written them all.
struct buf*
bfresh(uint dev, uint blockno)
{
  struct buf *b;

  b = bget(dev, blockno);
  b->valid = 1;
  return b;
}

// Write b's contents to disk. Caller holds b->lock.
void
bwrite(struct buf *b)
{
  if(!holdingsleep(&b->lock))
    panic("bwrite");
  virtio_disk_rw(b, 1);
}

// Release a locked buffer and make it the most recently used.
void
brelse(struct buf *b)
{
  if(!holdingsleep(&b->lock))
    panic("brelse");

  releasesleep(&b->lock);

  acquire(&bcache.lock);
  b->refcnt--;
  if(b->refcnt == 0){
    b->next->prev = b->prev;
    b->prev->next = b->next;
    b->next = bcache.head.next;
    b->prev = &bcache.head;
    bcache.head.next->prev = b;
    bcache.head.next = b;
  }
  release(&bcache.lock);
}

// Keep b in the cache (an extra reference) until the log has written
// it home; see log_write.
void
bpin(struct buf *b)
{
  acquire(&bcache.lock);
  b->refcnt++;
  release(&bcache.lock);
}

void
bunpin(struct buf *b)
{
  acquire(&bcache.lock);
  b->refcnt--;
  release(&bcache.lock);
}
