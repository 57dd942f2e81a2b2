// prof: a sampling profiler. While it runs, every timer interrupt on
// every hart records the program counter it interrupted, tagged with
// the process (0 for the kernel and for a hart with nothing to run).
// `prof start`, the work, then `prof` prints the hottest addresses for
// scripts/prof.py to name. At HZ 1000 that is one sample per
// millisecond per hart. Code that runs with interrupts off cannot be
// interrupted, so a tick that comes then is taken where they go back
// on: for a spinlock, in pop_off_on; such a sample is charged instead to
// the caller of the outermost acquire (marked with bit 39, which no
// kernel or Sv39 user address has). Interrupt handlers and the trap
// path are charged to wherever interrupts come on after them.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "errno.h"
#include "defs.h"
#include "prof.h"

#define POPOFF_SIZE 0x10   // bytes of pop_off_on's code, near enough (kernel.asm)

static struct spinlock proflock;
static uint64 samples[PROF_NSAMPLE];  // pid << 40 | pc; pc < 2^39 (Sv39, and the kernel at 0x80000000)
static int nsamples;
static int dropped;       // samples after the buffer filled
static volatile int on;
static uint64 counts[PROF_NCOUNT];  // events while on, by enum profcount (prof.h)

// Count one event (a system call, an interrupt, a device notify): the
// transitions that cost most under TCG, where each takes QEMU's big lock.
void
profcount(int what)
{
  profcountn(what, 1);
}

void
profcountn(int what, uint64 n)
{
  if(on)
    __atomic_fetch_add(&counts[what], n, __ATOMIC_RELAXED);
}

void
profinit(void)
{
  initlock(&proflock, "prof");
}

// The timer interrupted pc, in user mode if user: count it.
void
profsample(uint64 pc, int user)
{
  struct proc *p;
  uint64 pid = 0;

  if(!on)
    return;
  if(user && (p = myproc()) != 0)
    pid = p->pid;
  if(!user && pc - (uint64)pop_off_on < POPOFF_SIZE)
    pc = mycpu()->offpc | PROF_LOCKED;
  acquire(&proflock);
  if(nsamples < PROF_NSAMPLE)
    samples[nsamples++] = pid << 40 | (pc & ((1ULL << 40) - 1));
  else
    dropped++;
  release(&proflock);
}

// int prof(int cmd, uint64 *buf, int n)
//   PROF_START: forget the samples so far and start taking them.
//   PROF_STOP:  stop.
//   PROF_READ:  copy up to n samples to buf; returns the number of
//               ticks sampled, past PROF_NSAMPLE if some found the
//               buffer full and were dropped.
//   PROF_COUNTS: copy the PROF_NCOUNT event counters to buf.
uint64
sys_prof(void)
{
  int cmd, n, k;
  uint64 buf;

  argint(0, &cmd);
  argaddr(1, &buf);
  argint(2, &n);
  switch(cmd){
  case PROF_START:
    acquire(&proflock);
    nsamples = dropped = 0;
    memset(counts, 0, sizeof(counts));
    on = 1;
    release(&proflock);
    return 0;
  case PROF_STOP:
    on = 0;
    return 0;
  case PROF_READ:
    acquire(&proflock);
    k = nsamples;
    release(&proflock);
    if(n < 0)
      return -EINVAL;
    if(n > k)
      n = k;
    if(copyout(myproc()->pagetable, buf, (char *)samples, (uint64)n * sizeof(uint64)) < 0)
      return -EFAULT;
    return k + dropped;
  case PROF_COUNTS:
    if(n < PROF_NCOUNT)
      return -EINVAL;
    if(copyout(myproc()->pagetable, buf, (char *)counts, sizeof(counts)) < 0)
      return -EFAULT;
    return PROF_NCOUNT;
  }
  return -EINVAL;
}
