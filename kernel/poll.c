// poll(): wait until one of several descriptors is ready, or a timeout.
//
// One wait channel serves every poller: whatever can change a
// descriptor's readiness (console input, pipe reads, writes and
// closes, and later network channels) calls pollwakeup(), which bumps
// a sequence number and wakes all pollers; each re-checks its own
// descriptors. A poller samples the sequence before checking and
// sleeps only if it has not moved since, so no wakeup is lost. Timeouts
// ride on the clock: the poller registers its deadline tick and the
// timer interrupt calls pollwakeup() when it comes.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"
#include "errno.h"
#include "poll.h"

static struct spinlock pollock;
static uint64 pollseq;   // bumped by every pollwakeup(); guarded by pollock
static int npollers;     // processes asleep in pollsleep(); guarded by pollock

void
pollinit(void)
{
  initlock(&pollock, "poll");
}

// Something a poller may be waiting for happened. Callable from
// interrupt handlers and with other locks held (pollock is a leaf
// apart from the process locks wakeup() takes).
void
pollwakeup(void)
{
  acquire(&pollock);
  pollseq++;
  if(npollers > 0)
    wakeup(&pollseq);
  release(&pollock);
}

// The current wakeup sequence: take it before checking for readiness,
// and pass it to pollsleep() if nothing was ready.
uint64
pollsnap(void)
{
  uint64 seq;

  acquire(&pollock);
  seq = pollseq;
  release(&pollock);
  return seq;
}

// Sleep until a pollwakeup() since the snapshot seq, or until tick
// `until` (0: no timeout). Returns 0, or -EINTR if the process is
// killed. Anything that waits for descriptors or channels uses this.
int
pollsleep(uint64 seq, uint64 until)
{
  struct proc *p = myproc();

  if(killed(p))
    return -EINTR;
  if(until)
    timer_deadline(until);
  acquire(&pollock);
  if(pollseq == seq){
    npollers++;
    sleepintr(&pollseq, &pollock);
    npollers--;
  }
  release(&pollock);
  return 0;
}

// Fill in revents for each entry; return how many are ready.
static int
pollscan(struct pollfd *fds, int nfds)
{
  struct proc *p = myproc();
  int n = 0;

  for(int i = 0; i < nfds; i++){
    struct pollfd *pf = &fds[i];
    pf->revents = 0;
    if(pf->fd < 0)
      continue;
    if(pf->fd >= NOFILE || p->ofile[pf->fd] == 0)
      pf->revents = POLLNVAL;
    else
      pf->revents = filepoll(p->ofile[pf->fd], pf->events) &
                    (pf->events | POLLERR | POLLHUP | POLLNVAL);
    if(pf->revents)
      n++;
  }
  return n;
}

// Returns the number of ready entries (0 on timeout), -EINVAL for a
// bad nfds, -EFAULT for a bad array, -EINTR if killed while waiting.
// timeout_ms < 0 waits forever; 0 only checks.
int
kpoll(uint64 ufds, int nfds, int timeout_ms)
{
  struct pollfd fds[NPOLL];
  struct proc *p = myproc();
  uint64 seq, until = 0;
  int n;

  if(nfds < 0 || nfds > NPOLL)
    return -EINVAL;
  if(copyin(p->pagetable, (char*)fds, ufds, nfds * sizeof(fds[0])) < 0)
    return -EFAULT;
  if(timeout_ms > 0)
    until = ticks + ((uint64)timeout_ms * HZ + 999) / 1000;

  for(;;){
    seq = pollsnap();
    n = pollscan(fds, nfds);
    if(n > 0 || timeout_ms == 0)
      break;
    if(timeout_ms > 0 && ticks >= until)
      break;
    if(pollsleep(seq, until) < 0)
      return -EINTR;
  }

  if(copyout(p->pagetable, ufds, (char*)fds, nfds * sizeof(fds[0])) < 0)
    return -EFAULT;
  return n;
}

uint64
sys_poll(void)
{
  uint64 fds;
  int nfds, timeout;

  argaddr(0, &fds);
  argint(1, &nfds);
  argint(2, &timeout);
  return kpoll(fds, nfds, timeout);
}
