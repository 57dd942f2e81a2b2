// The open-file table: files, pipes and devices behind one interface
// (read, write, stat, poll), shared by descriptors through dup and fork.
// Does not do: seeking (there is no lseek), file locks, O_APPEND.

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

  // Write a few blocks at a time so that no transaction exceeds
  // MAXOPBLOCKS: the inode, the indirect block, a bitmap block and
  // two blocks for a write that straddles a block boundary, per chunk.
  int max = ((MAXOPBLOCKS-1-1-2) / 2) * BSIZE;
  for(i = 0; i < n; i += r){
    int n1 = n - i;
    if(n1 > max)
      n1 = max;

    begin_op();
    ilock(f->ip);
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
