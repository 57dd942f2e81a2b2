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

void
initlock(struct spinlock *lk, char *name)
{
  lk->name = name;
  lk->locked = 0;
  lk->cpu = 0;
}

// Spin until the lock is ours.
void
acquire(struct spinlock *lk)
{
  push_off();
  if(mycpu()->noff == 1)
    mycpu()->offpc = (uint64)__builtin_return_address(0);
  if(holding(lk)){
    printf("lock %s\n", lk->name);
    panic("acquire: already held");
  }

  // amoswap.w.aq: atomically set locked and get the old value.
  while(__sync_lock_test_and_set(&lk->locked, 1) != 0)
    ;

  // keep the critical section's loads and stores after the acquire
  // (a fence instruction).
  __sync_synchronize();

  lk->cpu = mycpu();
}

void
release(struct spinlock *lk)
{
  if(!holding(lk)){
    printf("lock %s\n", lk->name);
    panic("release: not held");
  }
  lk->cpu = 0;

  // make the critical section's stores visible before the lock is free.
  __sync_synchronize();

  // amoswap.w zero: a plain store might not be atomic in C's model.
  __sync_lock_release(&lk->locked);

  pop_off();
}

// Is this cpu holding the lock? Interrupts must be off.
int
holding(struct spinlock *lk)
{
  return lk->locked && lk->cpu == mycpu();
}

// push_off/pop_off are intr_off/intr_on that nest: two push_off()s need
// two pop_off()s, and interrupts come back on only if they were on
// before the first push_off().
//
// Under QEMU's TCG every CSR access, a read included, ends the
// translated block and goes back to the CPU loop. So push_off() writes
// sstatus only if interrupts were on, and xv6's check that pop_off()
// finds them off is gone (a read per release). push_off() must still
// read sstatus first: until interrupts are off, a timer interrupt may
// move us to another hart, and mycpu()->noff could be that hart's.
void
push_off(void)
{
  int old = intr_get();

  if(old)
    intr_off();
  if(mycpu()->noff == 0)
    mycpu()->intena = old;
  mycpu()->noff += 1;
}

void
pop_off(void)
{
  struct cpu *c = mycpu();
  if(c->noff < 1)
    panic("pop_off: not pushed");
  c->noff -= 1;
  if(c->noff == 0 && c->intena)
    intr_on();
}
