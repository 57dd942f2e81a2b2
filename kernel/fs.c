// File system implementation, in five layers:
//   + Blocks: allocator for raw disk blocks.
//   + Log: crash recovery for multi-step updates (log.c).
//   + Files: inode allocator, reading, writing, metadata.
//   + Directories: inode with special contents (list of other inodes!)
//   + Names: paths like /usr/rtm/xv6/fs.c for convenient naming.
//
// This file holds the low-level routines; the system calls are in
// sysfile.c. Every routine here that changes the disk runs inside a
// transaction (begin_op/end_op) opened by its caller.
// Does not do: permissions, timestamps, symbolic links, more than one
// disk.

#include "types.h"
#include "riscv.h"
#include "defs.h"
#include "param.h"
#include "stat.h"
#include "errno.h"
#include "spinlock.h"
#include "proc.h"
#include "sleeplock.h"
#include "fs.h"
#include "buf.h"
#include "file.h"

#define min(a, b) ((a) < (b) ? (a) : (b))

// There is one superblock per disk device, but we run with only one
// device.
struct superblock sb;
static uint nbmap;    // bitmap blocks: one bit for each of sb.size blocks

// Read the super block.
static void
readsb(int dev, struct superblock *sb)
{
  struct buf *bp;

  bp = bread(dev, 1);
  memmove(sb, bp->data, sizeof(*sb));
  brelse(bp);
}

// Called by the first process, because it sleeps on the disk: read the
// superblock and replay the log.
void
fsinit(int dev)
{
  readsb(dev, &sb);
  if(sb.magic != FSMAGIC)
    panic("fsinit: bad superblock magic (is fs.img made by our mkfs?)");
  nbmap = (sb.size + BPB - 1) / BPB;
  // freeing a file writes each bitmap block it has bits in, all in one
  // transaction (itrunc): the log must hold every bitmap block.
  if(nbmap + 1 > MAXOPBLOCKS)
    panic("fsinit: file system too large for the log (mkfs refuses such sizes)");
  initlog(dev, &sb);
}

// Zero a block.
static void
bzero(int dev, int bno)
{
  struct buf *bp;

  bp = bfresh(dev, bno);
  memset(bp->data, 0, BSIZE);
  log_write(bp);
  brelse(bp);
}

// Blocks.

// Where balloc starts looking: past the block it last handed out, or
// at a block freed since, so that writing a large file does not scan
// the whole bitmap for each block. Read and written without a lock:
// it is only a hint. A stale value costs a longer search, never a
// wrong answer, since the bits themselves change under their buffer's
// lock.
static uint bhint;

// Allocate a zeroed disk block. Returns 0 if the disk is full.
// Visits every bitmap block once, the hint's first, and that one again
// from its start, for the bits before the hint.
static uint
balloc(uint dev)
{
  uint start, i, bb, bi, b;
  int m;
  struct buf *bp;

  start = bhint < sb.size ? bhint : 0;
  for(i = 0; i <= nbmap; i++){
    bb = (start / BPB + i) % nbmap;
    bp = bread(dev, sb.bmapstart + bb);
    for(bi = i == 0 ? start % BPB : 0; bi < BPB && bb*BPB + bi < sb.size; bi++){
      if(bp->data[bi/8] == 0xff){   // eight blocks in use: skip the byte
        bi |= 7;
        continue;
      }
      m = 1 << (bi % 8);
      if((bp->data[bi/8] & m) == 0){  // Is block free?
        bp->data[bi/8] |= m;  // Mark block in use.
        log_write(bp);
        brelse(bp);
        b = bb*BPB + bi;
        bzero(dev, b);
        bhint = b + 1;
        return b;
      }
    }
    brelse(bp);
  }
  return 0;
}

// Free a disk block.
static void
bfree(int dev, uint b)
{
  struct buf *bp;
  int bi, m;

  bp = bread(dev, BBLOCK(b, sb));
  bi = b % BPB;
  m = 1 << (bi % 8);
  if((bp->data[bi/8] & m) == 0)
    panic("freeing free block");
  bp->data[bi/8] &= ~m;
  log_write(bp);
  brelse(bp);
  if(b < bhint)
    bhint = b;
}

// Count the free blocks and inodes for statfs(). Reads the cached
// blocks, so it sees the operations in progress too.
void
fsstatfs(struct statfs *st)
{
  uint b, bi, inum;
  struct buf *bp;
  struct dinode *dip;

  st->bsize = BSIZE;
  st->blocks = sb.size;
  st->files = sb.ninodes - 1;   // inode 0 is never used
  st->bfree = 0;
  for(b = 0; b < sb.size; b += BPB){
    bp = bread(ROOTDEV, BBLOCK(b, sb));
    for(bi = 0; bi < BPB && b + bi < sb.size; bi++)
      if((bp->data[bi/8] & (1 << (bi % 8))) == 0)
        st->bfree++;
    brelse(bp);
  }
  st->ffree = 0;
  for(inum = 1; inum < sb.ninodes; inum++){
    bp = bread(ROOTDEV, IBLOCK(inum, sb));
    dip = (struct dinode*)bp->data + inum%IPB;
    if(dip->type == 0)
      st->ffree++;
    brelse(bp);
  }
}

// Inodes.
//
// An inode describes a single unnamed file: its type, size, link
// count and the blocks holding its content. Inodes sit in a contiguous
// area of the disk starting at sb.inodestart; each has a number, its
// position there.
//
// The kernel keeps a table of in-use inodes in memory (itable), so
// that processes sharing an inode synchronize on one copy, and so that
// an inode stays put while a process uses it.
//
// An inode goes through these states:
// * Allocation: type non-zero on disk. ialloc allocates; iput frees
//   when both the reference and link counts fall to zero.
// * Referenced in the table: ip->ref > 0. iget finds or creates the
//   entry and counts a reference; iput drops it.
// * Valid: the table entry holds the disk inode only once ilock has
//   read it (ip->valid).
// * Locked: only the holder of ip->lock may look at or change the
//   inode and its content.
//
// So the usual sequence is:
//   ip = iget(dev, inum)
//   ilock(ip)
//   ... examine and modify ip->xxx ...
//   iunlock(ip)
//   iput(ip)
//
// ilock is kept apart from iget so that a system call can hold a
// long-term reference (an open file, a cwd) and lock only for short
// periods, which avoids deadlock and races during path lookup.
//
// itable.lock protects the table's ref, dev and inum fields; each
// ip->lock (a sleeplock) protects the rest.

struct {
  struct spinlock lock;
  struct inode inode[NINODE];
} itable;

void
iinit()
{
  int i = 0;

  initlock(&itable.lock, "itable");
  for(i = 0; i < NINODE; i++)
    initsleeplock(&itable.inode[i].lock, "inode");
}

static struct inode* iget(uint dev, uint inum);
static uint64 igen;       // the last generation given (newgen)

// Allocate an inode on device dev, marked with type. Returns it
// unlocked but referenced, or 0 if there are no free inodes.
struct inode*
ialloc(uint dev, short type)
{
  int inum;
  struct buf *bp;
  struct dinode *dip;

  for(inum = 1; inum < sb.ninodes; inum++){
    bp = bread(dev, IBLOCK(inum, sb));
    dip = (struct dinode*)bp->data + inum%IPB;
    if(dip->type == 0){  // a free inode
      memset(dip, 0, sizeof(*dip));
      dip->type = type;
      log_write(bp);   // mark it allocated on the disk
      brelse(bp);
      return iget(dev, inum);
    }
    brelse(bp);
  }
  return 0;
}

// Copy a changed in-memory inode to disk. Call after every change to
// an ip->xxx field that lives on disk. Caller holds ip->lock.
void
iupdate(struct inode *ip)
{
  struct buf *bp;
  struct dinode *dip;

  bp = bread(ip->dev, IBLOCK(ip->inum, sb));
  dip = (struct dinode*)bp->data + ip->inum%IPB;
  dip->type = ip->type;
  dip->major = ip->major;
  dip->minor = ip->minor;
  dip->nlink = ip->nlink;
  dip->size = ip->size;
  memmove(dip->addrs, ip->addrs, sizeof(ip->addrs));
  log_write(bp);
  brelse(bp);
}

// Find inode inum on dev in the table, or take a free entry for it.
// Does not lock the inode and does not read it from disk.
static struct inode*
iget(uint dev, uint inum)
{
  static int hand;    // where the search for a slot to reuse starts
  struct inode *ip, *empty, *old;
  int i;

  acquire(&itable.lock);

  // An inode nobody holds stays in its slot, still valid, until the slot
  // is needed: stat-ing a file again (httpd asks before every response)
  // reads no disk and sees the same generation.
  empty = old = 0;
  for(ip = &itable.inode[0]; ip < &itable.inode[NINODE]; ip++){
    if(ip->dev == dev && ip->inum == inum && (ip->ref > 0 || ip->valid)){
      ip->ref++;
      release(&itable.lock);
      return ip;
    }
    if(empty == 0 && ip->ref == 0 && !ip->valid)    // Remember empty slot.
      empty = ip;
  }
  // else the next unheld valid one round from the hand, forgotten
  for(i = 0; empty == 0 && old == 0 && i < NINODE; i++){
    ip = &itable.inode[(hand + i) % NINODE];
    if(ip->ref == 0){
      old = ip;
      hand = (hand + i + 1) % NINODE;
    }
  }
  if(empty == 0)
    empty = old;

  // the table holds the inodes of every open file, cwd and lookup in
  // progress; running out means NINODE is too small.
  if(empty == 0)
    panic("iget: no inodes");

  ip = empty;
  ip->dev = dev;
  ip->inum = inum;
  ip->ref = 1;
  ip->valid = 0;
  release(&itable.lock);

  return ip;
}

// The file system's generation: the last one any inode was given. While
// it stays the same, no file changed (nor was any inode read in again),
// so a program caching files may skip asking after each one.
uint64
fsgen(void)
{
  return __atomic_load_n(&igen, __ATOMIC_RELAXED);
}

// A new generation: the file's bytes may differ from what a reader saw
// under any earlier one (stat's gen).
static void
newgen(struct inode *ip)
{
  ip->gen = __atomic_add_fetch(&igen, 1, __ATOMIC_RELAXED);
}

// Take another reference to ip; returns ip so one can write
// ip = idup(ip1).
struct inode*
idup(struct inode *ip)
{
  acquire(&itable.lock);
  ip->ref++;
  release(&itable.lock);
  return ip;
}

// Lock ip, reading it from disk if needed.
void
ilock(struct inode *ip)
{
  struct buf *bp;
  struct dinode *dip;

  if(ip == 0 || ip->ref < 1)
    panic("ilock");

  acquiresleep(&ip->lock);

  if(ip->valid == 0){
    newgen(ip);    // what happened to it while out of the table is not known
    bp = bread(ip->dev, IBLOCK(ip->inum, sb));
    dip = (struct dinode*)bp->data + ip->inum%IPB;
    ip->type = dip->type;
    ip->major = dip->major;
    ip->minor = dip->minor;
    ip->nlink = dip->nlink;
    ip->size = dip->size;
    memmove(ip->addrs, dip->addrs, sizeof(ip->addrs));
    brelse(bp);
    ip->valid = 1;
    if(ip->type == 0)
      panic("ilock: no type");
  }
}

void
iunlock(struct inode *ip)
{
  if(ip == 0 || !holdingsleep(&ip->lock) || ip->ref < 1)
    panic("iunlock");

  releasesleep(&ip->lock);
}

// Drop a reference to an in-memory inode. If it was the last reference
// and no directory entry names the inode any more, free the inode and
// its content on disk. Like every call that may write the disk, it must
// run inside a transaction.
void
iput(struct inode *ip)
{
  acquire(&itable.lock);

  if(ip->ref == 1 && ip->valid && ip->nlink == 0){
    // ref == 1 means no other process can have ip locked, so this
    // acquiresleep won't block (or deadlock).
    acquiresleep(&ip->lock);

    release(&itable.lock);

    itrunc(ip);
    ip->type = 0;
    iupdate(ip);
    ip->valid = 0;

    releasesleep(&ip->lock);

    acquire(&itable.lock);
  }

  ip->ref--;
  release(&itable.lock);
}

// Common idiom: unlock, then put.
void
iunlockput(struct inode *ip)
{
  iunlock(ip);
  iput(ip);
}

// Inode content
//
// The first NDIRECT block numbers are in ip->addrs[]; the next
// NINDIRECT are in the indirect block ip->addrs[NDIRECT]; the last
// NDINDIRECT are reached through the doubly-indirect block
// ip->addrs[NDIRECT+1], whose entry bn/NINDIRECT names the indirect
// block holding entry bn%NINDIRECT. A 0 anywhere on the way is a hole.

// *ap, a block number kept in the inode; if it is 0 and alloc, a new
// block is allocated first. Returns 0 for a hole or a full disk.
static uint
islot(struct inode *ip, uint *ap, int alloc)
{
  if(*ap == 0 && alloc)
    *ap = balloc(ip->dev);
  return *ap;
}

// Entry i of index block ib (0: a hole, giving 0); if the entry is 0
// and alloc, a new block is allocated first. Returns 0 for a hole or a
// full disk.
static uint
ibslot(struct inode *ip, uint ib, uint i, int alloc)
{
  uint addr, *a;
  struct buf *bp;

  if(ib == 0)
    return 0;
  bp = bread(ip->dev, ib);
  a = (uint*)bp->data;
  if((addr = a[i]) == 0 && alloc){
    addr = balloc(ip->dev);
    if(addr){
      a[i] = addr;
      log_write(bp);
    }
  }
  brelse(bp);
  return addr;
}

// The disk block holding block bn of ip. With alloc, any block missing
// on the way (index or data) is allocated, and 0 means the disk is
// full; without, 0 means bn is a hole. Caller holds ip->lock, and is
// inside a transaction if alloc.
static uint
bmap(struct inode *ip, uint bn, int alloc)
{
  uint ib;

  if(bn < NDIRECT)
    return islot(ip, &ip->addrs[bn], alloc);
  bn -= NDIRECT;
  if(bn < NINDIRECT){
    ib = islot(ip, &ip->addrs[NDIRECT], alloc);
    return ibslot(ip, ib, bn, alloc);
  }
  bn -= NINDIRECT;
  if(bn < NDINDIRECT){
    ib = islot(ip, &ip->addrs[NDIRECT+1], alloc);
    ib = ibslot(ip, ib, bn / NINDIRECT, alloc);
    return ibslot(ip, ib, bn % NINDIRECT, alloc);
  }
  panic("bmap: out of range");
}

// Free block b and, if it is an index block depth levels above the
// data, every block it names.
static void
bfreetree(struct inode *ip, uint b, int depth)
{
  struct buf *bp;
  uint *a;
  int i;

  if(depth > 0){
    bp = bread(ip->dev, b);
    a = (uint*)bp->data;
    for(i = 0; i < NINDIRECT; i++)
      if(a[i])
        bfreetree(ip, a[i], depth - 1);
    brelse(bp);
  }
  bfree(ip->dev, b);
}

// Free all of ip's blocks and make it empty. Caller holds ip->lock and
// is inside a transaction. However large the file, the transaction
// writes only the inode and bitmap blocks (the log absorbs repeated
// writes of one block), which is why fsinit bounds the bitmap.
void
itrunc(struct inode *ip)
{
  int i;

  for(i = 0; i < NDIRECT+2; i++){
    if(ip->addrs[i]){
      bfreetree(ip, ip->addrs[i], i < NDIRECT ? 0 : i - NDIRECT + 1);
      ip->addrs[i] = 0;
    }
  }
  ip->size = 0;
  iupdate(ip);
  newgen(ip);
}

// Copy stat information from inode. Caller holds ip->lock.
void
stati(struct inode *ip, struct stat *st)
{
  st->dev = ip->dev;
  st->ino = ip->inum;
  st->type = ip->type;
  st->nlink = ip->nlink;
  st->size = ip->size;
  st->gen = ip->gen;
}

// What a hole reads as.
static char zeroes[BSIZE];

// Read n bytes at off from ip into dst, a user virtual address if
// user_dst, else a kernel address. Caller holds ip->lock.
// Returns bytes read (short at end of file), or -EFAULT if dst is bad
// before any byte was copied. Holes read as zeros.
int
readi(struct inode *ip, int user_dst, uint64 dst, uint off, uint n)
{
  uint tot, m, addr;
  struct buf *bp;
  int r;

  if(off > ip->size || off + n < off)
    return 0;
  if(off + n > ip->size)
    n = ip->size - off;

  for(tot=0; tot<n; tot+=m, off+=m, dst+=m){
    addr = bmap(ip, off/BSIZE, 0);
    m = min(n - tot, BSIZE - off%BSIZE);
    if(addr == 0){
      r = either_copyout(user_dst, dst, zeroes, m);
    } else {
      bp = bread(ip->dev, addr);
      r = either_copyout(user_dst, dst, bp->data + (off % BSIZE), m);
      brelse(bp);
    }
    if(r == -1)
      return tot > 0 ? tot : -EFAULT;
  }
  return tot;
}

// Write n bytes from src (user virtual address if user_src) to ip at
// off. Caller holds ip->lock and is inside a transaction, which must
// have room for the blocks written (filewrite says how many).
// Returns bytes written, which is less than n only on error; if
// nothing was written, the error: -EFAULT (bad src), -ENOSPC (disk
// full), -EFBIG (off at or past MAXFILE blocks). A write that would
// cross MAXFILE is cut short there. The file grows by what was
// written, even when short; writing past the end leaves a hole between
// the old end and off, which takes no blocks and reads as zeros.
int
writei(struct inode *ip, int user_src, uint64 src, uint off, uint n)
{
  uint tot, m;
  int err = 0;
  struct buf *bp;

  if(off >= MAXFILE*BSIZE)
    return n > 0 ? -EFBIG : 0;
  if(n > MAXFILE*BSIZE - off)
    n = MAXFILE*BSIZE - off;

  for(tot=0; tot<n; tot+=m, off+=m, src+=m){
    uint addr = bmap(ip, off/BSIZE, 1);
    if(addr == 0){
      err = -ENOSPC;
      break;
    }
    bp = bread(ip->dev, addr);
    m = min(n - tot, BSIZE - off%BSIZE);
    if(either_copyin(bp->data + (off % BSIZE), user_src, src, m) == -1){
      brelse(bp);
      err = -EFAULT;
      break;
    }
    log_write(bp);
    brelse(bp);
  }

  // off is past what was written; a write that wrote nothing leaves
  // the size alone, even when it started past the end.
  if(tot > 0 && off > ip->size)
    ip->size = off;

  if(tot > 0)
    newgen(ip);
  // write the inode back even if the size didn't change, since bmap()
  // may have added a block to ip->addrs[].
  iupdate(ip);

  if(tot == 0 && err < 0)
    return err;
  return tot;
}

// Directories

int
namecmp(const char *s, const char *t)
{
  return strncmp(s, t, DIRSIZ);
}

// Look for a directory entry name in directory dp. If found, set *poff
// to the entry's byte offset (if poff) and return its inode, unlocked.
// Caller holds dp->lock.
struct inode*
dirlookup(struct inode *dp, char *name, uint *poff)
{
  uint off, inum;
  struct dirent de;

  if(dp->type != T_DIR)
    panic("dirlookup not DIR");

  for(off = 0; off < dp->size; off += sizeof(de)){
    if(readi(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
      panic("dirlookup read");
    if(de.inum == 0)
      continue;
    if(namecmp(name, de.name) == 0){
      // entry matches path element
      if(poff)
        *poff = off;
      inum = de.inum;
      return iget(dp->dev, inum);
    }
  }

  return 0;
}

// Add the entry (name, inum) to directory dp, reusing a free slot if
// there is one. Caller holds dp->lock. Returns 0, -EEXIST if the name
// is already there, or -ENOSPC if the directory cannot grow.
int
dirlink(struct inode *dp, char *name, uint inum)
{
  int off, r;
  struct dirent de;
  struct inode *ip;

  if((ip = dirlookup(dp, name, 0)) != 0){
    iput(ip);
    return -EEXIST;
  }

  for(off = 0; off < dp->size; off += sizeof(de)){
    if(readi(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
      panic("dirlink read");
    if(de.inum == 0)
      break;
  }

  strncpy(de.name, name, DIRSIZ);
  de.inum = inum;
  r = writei(dp, 0, (uint64)&de, off, sizeof(de));
  if(r != sizeof(de))
    return r < 0 ? r : -ENOSPC;
  return 0;
}

// Paths

// Copy the next path element from path into name and return the rest
// of path, with no leading slashes, so the caller can test *path == 0
// to see whether name is the last element. Returns 0 if there is no
// element. *len gets the element's full length: name holds at most
// DIRSIZ bytes of it, without a NUL if it is that long.
//
// Examples:
//   skipelem("a/bb/c", name) = "bb/c", setting name = "a"
//   skipelem("///a//bb", name) = "bb", setting name = "a"
//   skipelem("a", name) = "", setting name = "a"
//   skipelem("", name) = skipelem("////", name) = 0
static char*
skipelem(char *path, char *name, int *len)
{
  char *s;

  while(*path == '/')
    path++;
  if(*path == 0)
    return 0;
  s = path;
  while(*path != '/' && *path != 0)
    path++;
  *len = path - s;
  if(*len >= DIRSIZ)
    memmove(name, s, DIRSIZ);
  else {
    memmove(name, s, *len);
    name[*len] = 0;
  }
  while(*path == '/')
    path++;
  return path;
}

// Look up path and return its inode, referenced and unlocked; or, if
// parent, the inode of the directory holding the last element, whose
// name is copied into name (DIRSIZ bytes). Must be called inside a
// transaction, since it calls iput. On failure returns 0 with *err set:
// -ENOENT (missing element or empty path), -ENOTDIR (an element
// before the last is not a directory), -ENAMETOOLONG (an element
// longer than DIRSIZ), or -EINVAL (parent asked of "/").
struct inode*
namelookup(char *path, int parent, char *name, int *err)
{
  struct inode *ip, *next;
  int len;

  if(*path == 0){
    *err = -ENOENT;
    return 0;
  }
  if(*path == '/')
    ip = iget(ROOTDEV, ROOTINO);
  else
    ip = idup(myproc()->cwd);

  while((path = skipelem(path, name, &len)) != 0){
    if(len > DIRSIZ){
      iput(ip);
      *err = -ENAMETOOLONG;
      return 0;
    }
    ilock(ip);
    if(ip->type != T_DIR){
      iunlockput(ip);
      *err = -ENOTDIR;
      return 0;
    }
    if(parent && *path == '\0'){
      // Stop one level early.
      iunlock(ip);
      return ip;
    }
    if((next = dirlookup(ip, name, 0)) == 0){
      iunlockput(ip);
      *err = -ENOENT;
      return 0;
    }
    iunlockput(ip);
    ip = next;
  }
  if(parent){
    iput(ip);
    *err = -EINVAL;
    return 0;
  }
  return ip;
}

struct inode*
namei(char *path)
{
  char name[DIRSIZ];
  int err;

  return namelookup(path, 0, name, &err);
}

struct inode*
nameiparent(char *path, char *name)
{
  int err;

  return namelookup(path, 1, name, &err);
}
