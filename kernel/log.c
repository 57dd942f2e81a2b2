// Write-ahead log, so that file-system operations survive a crash
// whole or not at all.
//
// A system call that changes the file system brackets its changes:
//   begin_op();
//   ...  bp = bread(...); change bp->data[]; log_write(bp); brelse(bp);
//   end_op();
// log_write only notes the block; nothing reaches its home location
// until the commit. Commit happens when the last outstanding operation
// ends (group commit), in four steps:
//   1. copy each noted block into the log area on disk;
//   2. write the log header with the count: this single-block write is
//      the commit point;
//   3. copy the blocks from the log to their home locations;
//   4. write the header with count 0, erasing the log.
// A crash before 2 loses the operations; after 2, recovery at boot
// (initlog) redoes step 3 and 4. So every operation is all-or-nothing.
//
// begin_op waits while a commit runs, or while the operations already
// admitted might fill the log (each may write MAXOPBLOCKS blocks).
// Does not do: checksums of the log blocks (the header write is
// assumed atomic, as a single sector-aligned block is on virtio-blk).

#include "types.h"
#include "param.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "riscv.h"
#include "defs.h"
#include "fs.h"
#include "buf.h"

// The log header, in the first log block on disk and in memory.
struct logheader {
  int n;                // blocks in the log
  int block[LOGSIZE];   // their home block numbers
};

struct log {
  struct spinlock lock;
  int start;        // block number of the header
  int size;         // log blocks, header included
  int outstanding;  // operations between begin_op and end_op
  int committing;   // in commit(), please wait
  int dev;
  struct logheader lh;
};
struct log log;

static void recover_from_log(void);
static void commit(void);

void
initlog(int dev, struct superblock *sb)
{
  if(sizeof(struct logheader) >= BSIZE)
    panic("initlog: too big logheader");
  if(sb->nlog < LOGSIZE + 1)
    panic("initlog: log on disk smaller than LOGSIZE");

  initlock(&log.lock, "log");
  log.start = sb->logstart;
  log.size = sb->nlog;
  log.dev = dev;
  recover_from_log();
}

// Copy the logged blocks to their home locations. At boot (recovering)
// they are read from the log; after a commit the cache still holds
// each, pinned, and it is written from there and unpinned.
static void
install_trans(int recovering)
{
  int tail;
  struct buf *lbuf, *dbuf;

  for(tail = 0; tail < log.lh.n; tail++){
    if(recovering){
      lbuf = bread(log.dev, log.start+tail+1);
      dbuf = bfresh(log.dev, log.lh.block[tail]);
      memmove(dbuf->data, lbuf->data, BSIZE);
      brelse(lbuf);
    } else {
      dbuf = bread(log.dev, log.lh.block[tail]);
    }
    bwrite(dbuf);
    if(recovering == 0)
      bunpin(dbuf);
    brelse(dbuf);
  }
}

// Read the on-disk header into log.lh.
static void
read_head(void)
{
  struct buf *buf = bread(log.dev, log.start);
  struct logheader *lh = (struct logheader *) (buf->data);
  int i;

  log.lh.n = lh->n;
  if(log.lh.n < 0 || log.lh.n > LOGSIZE)
    panic("read_head: corrupt log header");
  for(i = 0; i < log.lh.n; i++)
    log.lh.block[i] = lh->block[i];
  brelse(buf);
}

// Write log.lh to the on-disk header. With n > 0 this is the commit
// point; with n == 0 it empties the log.
static void
write_head(void)
{
  struct buf *buf = bread(log.dev, log.start);
  struct logheader *hb = (struct logheader *) (buf->data);
  int i;

  hb->n = log.lh.n;
  for(i = 0; i < log.lh.n; i++)
    hb->block[i] = log.lh.block[i];
  bwrite(buf);
  brelse(buf);
}

static void
recover_from_log(void)
{
  read_head();
  if(log.lh.n > 0)
    printf("log: recovering %d blocks\n", log.lh.n);
  install_trans(1);
  log.lh.n = 0;
  write_head();
}

// Called at the start of each file-system system call.
void
begin_op(void)
{
  acquire(&log.lock);
  for(;;){
    if(log.committing){
      sleep(&log, &log.lock);
    } else if(log.lh.n + (log.outstanding+1)*MAXOPBLOCKS > LOGSIZE){
      // this op might exhaust log space; wait for commit.
      sleep(&log, &log.lock);
    } else {
      log.outstanding += 1;
      release(&log.lock);
      break;
    }
  }
}

// Called at the end of each file-system system call.
// Commits if this was the last outstanding operation.
void
end_op(void)
{
  int do_commit = 0;

  acquire(&log.lock);
  log.outstanding -= 1;
  if(log.committing)
    panic("log.committing");
  if(log.outstanding == 0){
    do_commit = 1;
    log.committing = 1;
  } else {
    // begin_op() may be waiting for log space, and decrementing
    // log.outstanding has decreased the amount of reserved space.
    wakeup(&log);
  }
  release(&log.lock);

  if(do_commit){
    // commit without holding a lock: it sleeps on the disk.
    commit();
    acquire(&log.lock);
    log.committing = 0;
    wakeup(&log);
    release(&log.lock);
  }
}

// Copy modified blocks from the cache to the log area.
static void
write_log(void)
{
  int tail;

  for(tail = 0; tail < log.lh.n; tail++){
    // the slot's old contents do not matter: don't read them.
    struct buf *to = bfresh(log.dev, log.start+tail+1);
    struct buf *from = bread(log.dev, log.lh.block[tail]);
    memmove(to->data, from->data, BSIZE);
    bwrite(to);
    brelse(from);
    brelse(to);
  }
}

static void
commit(void)
{
  if(log.lh.n > 0){
    write_log();      // modified blocks from cache to log
    write_head();     // the commit point
    install_trans(0); // now install writes to home locations
    log.lh.n = 0;
    write_head();     // erase the transaction from the log
  }
}

// Note that b was modified and must be committed: it stays pinned in
// the cache until installed. Caller holds b (from bread) and will
// brelse it. A block written twice in one transaction takes one log
// slot (absorption).
void
log_write(struct buf *b)
{
  int i;

  acquire(&log.lock);
  if(log.lh.n >= LOGSIZE || log.lh.n >= log.size - 1)
    panic("too big a transaction");
  if(log.outstanding < 1)
    panic("log_write outside of trans");

  for(i = 0; i < log.lh.n; i++){
    if(log.lh.block[i] == b->blockno)
      break;
  }
  log.lh.block[i] = b->blockno;
  if(i == log.lh.n){  // a new block: pin it and take a slot
    bpin(b);
    log.lh.n++;
  }
  release(&log.lock);
}
