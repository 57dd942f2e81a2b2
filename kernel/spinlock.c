// Spin locks. Interrupts stay off on a hart while it holds any spin lock,
// so an interrupt handler can never deadlock against the code it
// interrupted.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "spinlock.h"
#include "riscv.h"
#include "proc.h"
#include "defs.h"

// mycpu(), inline: under QEMU's TCG every function return is an
// indirect jump that looks up the next translated block, and a lock
// pair asked for the hart's struct cpu five times.
static inline struct cpu *
thiscpu(void)
{
  return &cpus[r_tp()];
}

void
initlock(struct spinlock *lk, char *name)
{
  lk->name = name;
  lk->locked = 0;
  lk->cpu = 0;
}

// push_off/pop_off are intr_off/intr_on that nest: two push_off()s need
// two pop_off()s, and interrupts come back on only if they were on
// before the first push_off().
//
// Under QEMU's TCG every CSR access, a read included, ends the
// translated block and goes back to the CPU loop, and every function
// return (an indirect jump) looks up the next block. So push_off()
// reads and clears sstatus.SIE in one instruction, xv6's check that
// pop_off() finds interrupts off is gone (a read per release), and
// acquire() and release() have them inline. push_off() must still
// touch sstatus before thiscpu(): until interrupts are off, a timer
// interrupt may move us to another hart.
static inline void
pushoff(void)
{
  int old = intr_swapoff();
  struct cpu *c = thiscpu();

  if(c->noff == 0)
    c->intena = old;
  c->noff += 1;
}

// The one place a spinlock turns interrupts back on. A tick that was
// held off meanwhile is taken here, and prof.c charges it to whoever
// took the outermost lock (cpu.offpc).
void __attribute__((noinline))
pop_off_on(void)
{
  intr_on();
}

static inline void
popoff(void)
{
  struct cpu *c = thiscpu();

  if(c->noff < 1)
    panic("pop_off: not pushed");
  c->noff -= 1;
  if(c->noff == 0 && c->intena)
    pop_off_on();
}

void
push_off(void)
{
  pushoff();
}

void
pop_off(void)
{
  popoff();
}

static inline int
held(struct spinlock *lk, struct cpu *c)
{
  return lk->locked && lk->cpu == c;
}

// Is this cpu holding the lock? Interrupts must be off.
int
holding(struct spinlock *lk)
{
  return held(lk, thiscpu());
}

// Spin until the lock is ours.
void
acquire(struct spinlock *lk)
{
  pushoff();
  struct cpu *c = thiscpu();
  if(c->noff == 1)
    c->offpc = (uint64)__builtin_return_address(0);
  if(held(lk, c)){
    printf("lock %s\n", lk->name);
    panic("acquire: already held");
  }

  // amoswap.w.aq: atomically set locked and get the old value.
  while(__sync_lock_test_and_set(&lk->locked, 1) != 0)
    ;

  // keep the critical section's loads and stores after the acquire
  // (a fence instruction).
  __sync_synchronize();

  lk->cpu = c;
}

void
release(struct spinlock *lk)
{
  if(!held(lk, thiscpu())){
    printf("lock %s\n", lk->name);
    panic("release: not held");
  }
  lk->cpu = 0;

  // make the critical section's stores visible before the lock is free.
  __sync_synchronize();

  // amoswap.w zero: a plain store might not be atomic in C's model.
  __sync_lock_release(&lk->locked);

  popoff();
}
