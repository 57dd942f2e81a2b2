// The open-file table: files, pipes and devices behind one interface
// (read, write, stat, poll), shared by descriptors through dup and fork.
// Does not do: file locks, O_APPEND.

#include "types.h"
#include "riscv.h"
#include "defs.h"
#include "param.h"
#include "errno.h"
#include "fs.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "file.h"
#include "stat.h"
#include "poll.h"
#include "fcntl.h"
#include "proc.h"

struct devsw devsw[NDEV];
struct {
  struct spinlock lock;
  struct file file[NFILE];
} ftable;

void
fileinit(void)
{
  initlock(&ftable.lock, "ftable");
}

// Allocate a file structure, or return 0 if the table is full.
struct file*
filealloc(void)
{
  struct file *f;

  acquire(&ftable.lock);
  for(f = ftable.file; f < ftable.file + NFILE; f++){
    if(f->ref == 0){
      f->ref = 1;
      release(&ftable.lock);
      return f;
    }
  }
  release(&ftable.lock);
  return 0;
}

// Increment ref count for file f.
struct file*
filedup(struct file *f)
{
  acquire(&ftable.lock);
  if(f->ref < 1)
    panic("filedup");
  f->ref++;
  release(&ftable.lock);
  return f;
}

// Drop a reference to f; close the pipe end or inode with the last.
void
fileclose(struct file *f)
{
  struct file ff;

  acquire(&ftable.lock);
  if(f->ref < 1)
    panic("fileclose");
  if(--f->ref > 0){
    release(&ftable.lock);
    return;
  }
  // copy out what the close needs: the slot is reusable once released.
  ff = *f;
  f->ref = 0;
  f->type = FD_NONE;
  release(&ftable.lock);

  if(ff.type == FD_PIPE){
    pipeclose(ff.pipe, ff.writable);
  } else if(ff.type == FD_NETCHAN){
    netchan_fileclose(ff.chan, ff.chgen);
  } else if(ff.type == FD_INODE || ff.type == FD_DEVICE){
    begin_op();
    iput(ff.ip);
    end_op();
  }
}

// Copy f's metadata to the struct stat at user address addr.
// Returns 0, -EBADF if f has no inode, or -EFAULT.
int
filestat(struct file *f, uint64 addr)
{
  struct proc *p = myproc();
  struct stat st;

  if(f->type != FD_INODE && f->type != FD_DEVICE)
    return -EBADF;
  ilock(f->ip);
  stati(f->ip, &st);
  iunlock(f->ip);
  if(copyout(p->pagetable, addr, (char *)&st, sizeof(st)) < 0)
    return -EFAULT;
  return 0;
}

// Read up to n bytes from f into user address addr.
// Returns bytes read, 0 at end of file, or -E*.
int
fileread(struct file *f, uint64 addr, int n)
{
  int r = 0;

  if(f->readable == 0)
    return -EBADF;

  switch(f->type){
  case FD_PIPE:
    r = piperead(f->pipe, addr, n);
    break;
  case FD_DEVICE:
    if(f->major < 0 || f->major >= NDEV || !devsw[f->major].read)
      return -ENODEV;
    r = devsw[f->major].read(1, addr, n);
    break;
  case FD_INODE:
    ilock(f->ip);
    if((r = readi(f->ip, 1, addr, f->off, n)) > 0)
      f->off += r;
    iunlock(f->ip);
    break;
  case FD_NETCHAN:
    // frames move through the mapped rings and netsync(), not read().
    return -EINVAL;
  default:
    panic("fileread");
  }

  return r;
}

// Write n bytes from user address addr to f.
// Returns n, fewer if an error stopped the write part way, or -E* if
// nothing was written.
int
filewrite(struct file *f, uint64 addr, int n)
{
  int r, i;

  if(f->writable == 0)
    return -EBADF;

  switch(f->type){
  case FD_PIPE:
    return pipewrite(f->pipe, addr, n);
  case FD_DEVICE:
    if(f->major < 0 || f->major >= NDEV || !devsw[f->major].write)
      return -ENODEV;
    return devsw[f->major].write(1, addr, n);
  case FD_INODE:
    break;
  case FD_NETCHAN:
    return -EINVAL;
  default:
    panic("filewrite");
  }

  // Write WBLOCKS blocks at a time, each chunk in its own transaction,
  // so that none writes more than MAXOPBLOCKS blocks: the data blocks,
  // the inode, at most three index blocks (from the indirect block into
  // the doubly-indirect one and one of its indirect blocks, or two of
  // those and the doubly-indirect block), and a bitmap block for each
  // block allocated, counted as if each were a different one. A chunk
  // ends on a block boundary, so it touches at most WBLOCKS blocks.
  // Each chunk is atomic; a crash can leave a long write partly done.
  enum { WBLOCKS = (MAXOPBLOCKS - 1 - 3 - 3) / 2 };
  for(i = 0; i < n; i += r){
    int n1 = n - i;

    begin_op();
    ilock(f->ip);
    // f->off is stable only under the lock (another process may share f).
    if(n1 > WBLOCKS*BSIZE - f->off % BSIZE)
      n1 = WBLOCKS*BSIZE - f->off % BSIZE;
    if((r = writei(f->ip, 1, addr + i, f->off, n1)) > 0)
      f->off += r;
    iunlock(f->ip);
    end_op();

    if(r < 0)
      return i > 0 ? i : r;
    if(r != n1)
      return i + r;  // short: writei hit an error after r bytes
  }
  return n;
}

// Move f's offset: to off (SEEK_SET), off past it (SEEK_CUR) or off
// past the end of the file (SEEK_END). Returns the new offset, -ESPIPE
// if f is a pipe, device or channel, or -EINVAL for another whence or
// a result below 0 or past the largest file. Seeking past the end is
// allowed: a write there leaves a hole that reads as zeros.
long
filelseek(struct file *f, long off, int whence)
{
  long base;

  if(f->type != FD_INODE)
    return -ESPIPE;
  ilock(f->ip);
  switch(whence){
  case SEEK_SET:
    base = 0;
    break;
  case SEEK_CUR:
    base = f->off;
    break;
  case SEEK_END:
    base = f->ip->size;
    break;
  default:
    iunlock(f->ip);
    return -EINVAL;
  }
  // off is checked on its own first, so base + off cannot overflow.
  if(off < -(long)MAXFILE*BSIZE || off > (long)MAXFILE*BSIZE ||
     base + off < 0 || base + off > (long)MAXFILE*BSIZE){
    iunlock(f->ip);
    return -EINVAL;
  }
  f->off = base + off;
  iunlock(f->ip);
  return base + off;
}

// Which of events (POLLIN, POLLOUT) f can do now without blocking,
// plus POLLHUP/POLLERR for a pipe whose other end is closed.
int
filepoll(struct file *f, int events)
{
  if(f == 0 || f->ref < 1)
    return POLLNVAL;

  switch(f->type){
  case FD_PIPE:
    return pipepoll(f->pipe, f->writable, events);
  case FD_DEVICE:
    if(f->major >= 0 && f->major < NDEV && devsw[f->major].poll)
      return devsw[f->major].poll(events);
    return (POLLIN|POLLOUT) & events;
  case FD_INODE:
    // a disk file never makes its reader or writer wait for another
    // process, so it is always ready.
    return (POLLIN|POLLOUT) & events;
  case FD_NETCHAN:
    return netchan_poll(f->chan, f->chgen, events);
  default:
    return POLLNVAL;
  }
}
