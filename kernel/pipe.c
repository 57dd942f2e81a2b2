// Pipes: a PIPESIZE-byte ring between a read file and a write file.
// Writers block while it is full, readers while it is empty; every
// change of readiness also calls pollwakeup() for processes in poll()
// (pollwakeup's lock is a leaf, so calling it under pi->lock is safe).
// Does not do: atomic writes of PIPE_BUF bytes, non-blocking mode.

#include "types.h"
#include "riscv.h"
#include "defs.h"
#include "param.h"
#include "errno.h"
#include "spinlock.h"
#include "proc.h"
#include "fs.h"
#include "sleeplock.h"
#include "file.h"
#include "poll.h"

// A power of two, so that nread and nwrite may wrap; the struct fits
// the one page pipealloc takes.
#define PIPESIZE 2048

struct pipe {
  struct spinlock lock;
  char data[PIPESIZE];
  uint nread;     // number of bytes read
  uint nwrite;    // number of bytes written
  int readopen;   // read fd is still open
  int writeopen;  // write fd is still open
};

_Static_assert(sizeof(struct pipe) <= PGSIZE, "a pipe fits the page pipealloc takes");

// Make a pipe and its two files. Returns 0, -ENFILE if the file table
// is full, or -ENOMEM.
int
pipealloc(struct file **f0, struct file **f1)
{
  struct pipe *pi;
  int err;

  pi = 0;
  *f0 = *f1 = 0;
  err = -ENFILE;
  if((*f0 = filealloc()) == 0 || (*f1 = filealloc()) == 0)
    goto bad;
  err = -ENOMEM;
  if((pi = (struct pipe*)kalloc()) == 0)
    goto bad;
  pi->readopen = 1;
  pi->writeopen = 1;
  pi->nwrite = 0;
  pi->nread = 0;
  initlock(&pi->lock, "pipe");
  (*f0)->type = FD_PIPE;
  (*f0)->readable = 1;
  (*f0)->writable = 0;
  (*f0)->pipe = pi;
  (*f1)->type = FD_PIPE;
  (*f1)->readable = 0;
  (*f1)->writable = 1;
  (*f1)->pipe = pi;
  return 0;

 bad:
  if(pi)
    kfree((char*)pi);
  if(*f0)
    fileclose(*f0);
  if(*f1)
    fileclose(*f1);
  return err;
}

// Close one end; free the pipe when both are closed.
void
pipeclose(struct pipe *pi, int writable)
{
  acquire(&pi->lock);
  if(writable){
    pi->writeopen = 0;
    wakeup(&pi->nread);
  } else {
    pi->readopen = 0;
    wakeup(&pi->nwrite);
  }
  pollwakeup();
  if(pi->readopen == 0 && pi->writeopen == 0){
    release(&pi->lock);
    kfree((char*)pi);
  } else {
    release(&pi->lock);
  }
}

// Write n bytes from user address addr, waiting for room as needed.
// Returns n, or fewer bytes (or, with none written, the error) if the
// reader closed (-EPIPE), the process was killed (-EINTR), or addr
// was bad (-EFAULT).
int
pipewrite(struct pipe *pi, uint64 addr, int n)
{
  int i = 0, err = 0;
  struct proc *pr = myproc();

  acquire(&pi->lock);
  while(i < n){
    if(pi->readopen == 0){
      err = -EPIPE;
      break;
    }
    if(killed(pr)){
      err = -EINTR;
      break;
    }
    if(pi->nwrite == pi->nread + PIPESIZE){
      // full: let readers drain it.
      wakeup(&pi->nread);
      pollwakeup();
      sleepintr(&pi->nwrite, &pi->lock);
    } else {
      // as much as fits before the ring's end, in one copy: a byte at
      // a time held pipes to about 1 MB/s under TCG
      uint off = pi->nwrite % PIPESIZE;
      uint k = PIPESIZE - (pi->nwrite - pi->nread);
      if(k > PIPESIZE - off)
        k = PIPESIZE - off;
      if(k > n - i)
        k = n - i;
      if(copyin(pr->pagetable, pi->data + off, addr + i, k) == -1){
        err = -EFAULT;
        break;
      }
      pi->nwrite += k;
      i += k;
    }
  }
  wakeup(&pi->nread);
  pollwakeup();
  release(&pi->lock);

  if(i == 0 && err < 0)
    return err;
  return i;
}

// Read up to n bytes into user address addr, waiting for at least one
// unless the write end is closed. Returns bytes read (0 at end of
// file), or -EINTR if killed while waiting, or -EFAULT if addr is bad.
int
piperead(struct pipe *pi, uint64 addr, int n)
{
  int i;
  struct proc *pr = myproc();

  acquire(&pi->lock);
  while(pi->nread == pi->nwrite && pi->writeopen){
    if(killed(pr)){
      release(&pi->lock);
      return -EINTR;
    }
    sleepintr(&pi->nread, &pi->lock);
  }
  for(i = 0; i < n && pi->nread != pi->nwrite; ){
    uint off = pi->nread % PIPESIZE;
    uint k = pi->nwrite - pi->nread;
    if(k > PIPESIZE - off)
      k = PIPESIZE - off;
    if(k > n - i)
      k = n - i;
    if(copyout(pr->pagetable, addr + i, pi->data + off, k) == -1){
      if(i == 0)
        i = -EFAULT;
      break;
    }
    pi->nread += k;
    i += k;
  }
  wakeup(&pi->nwrite);
  pollwakeup();
  release(&pi->lock);
  return i;
}

// Readiness of one end (writable says which) for poll():
// the read end is readable with data waiting, or at end of file
// (POLLHUP too); the write end is writable with room, or when the
// reader is gone (POLLERR too, since a write would fail with -EPIPE).
int
pipepoll(struct pipe *pi, int writable, int events)
{
  int r = 0;

  acquire(&pi->lock);
  if(writable){
    if(pi->nwrite != pi->nread + PIPESIZE)
      r |= POLLOUT;
    if(pi->readopen == 0)
      r |= POLLOUT | POLLERR;
  } else {
    if(pi->nread != pi->nwrite)
      r |= POLLIN;
    if(pi->writeopen == 0)
      r |= POLLIN | POLLHUP;
  }
  release(&pi->lock);
  return (r & events) | (r & (POLLHUP|POLLERR));
}
