// Traps: system calls, faults and interrupts from user space (usertrap)
// and from the kernel (kerneltrap), the timer, and the clock.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"
#include "prof.h"

struct spinlock tickslock;
volatile uint64 ticks;          // timer ticks since boot, HZ per second
static uint64 next_deadline;    // earliest tick a timed sleeper waits for
static int cputicks[NCPU];      // timer interrupts per hart, for time slices

#define SLICE 10                // ticks a process runs before it must yield

extern char trampoline[], uservec[], userret[];

// in kernelvec.S, calls kerneltrap().
void kernelvec();

extern int devintr();

void
trapinit(void)
{
  initlock(&tickslock, "time");
  next_deadline = ~0ULL;
}

// This hart's kernel trap vector.
void
trapinithart(void)
{
  w_stvec((uint64)kernelvec);
}

uint64
clock_us(void)
{
  return r_time() / (TIMEBASE / 1000000);
}

// A timed sleeper (sys_sleep, poll) asks to be woken at tick t: on that
// tick the clock wakes everyone sleeping on &ticks and every poller.
void
timer_deadline(uint64 t)
{
  acquire(&tickslock);
  if(t < next_deadline)
    next_deadline = t;
  release(&tickslock);
}

static char *
causename(uint64 scause)
{
  static char *names[] = {
    [0] "instruction address misaligned",
    [1] "instruction access fault",
    [2] "illegal instruction",
    [3] "breakpoint",
    [4] "load address misaligned",
    [5] "load access fault",
    [6] "store address misaligned",
    [7] "store access fault",
    [12] "instruction page fault",
    [13] "load page fault",
    [15] "store page fault",
  };
  if(scause < NELEM(names) && names[scause])
    return names[scause];
  return "unknown exception";
}

// A trap from user space, via uservec in trampoline.S.
void
usertrap(void)
{
  int which_dev = 0;

  if((r_sstatus() & SSTATUS_SPP) != 0)
    panic("usertrap: not from user mode");

  // we are in the kernel now: traps go to kerneltrap().
  w_stvec((uint64)kernelvec);

  struct proc *p = myproc();

  // save user program counter.
  p->trapframe->epc = r_sepc();

  uint64 scause = r_scause();
  if(scause == 8){
    // system call
    if(killed(p))
      kexit(-1);

    // return to the instruction after ecall.
    p->trapframe->epc += 4;
    profcount(PROF_SYSCALL);

    // an interrupt will change sepc, scause and sstatus,
    // so enable only now that we are done with those registers.
    intr_on();

    syscall();
  } else if((which_dev = devintr()) != 0){
    // ok
  } else if((scause == 13 || scause == 15) && netchan_fault(r_stval())){
    profcount(PROF_FAULT);
    // a channel buffer given back, or just mapped: retry the access.
  } else {
    // any exception the process caused kills it, with one line
    // saying who, why and where.
    printf("pid %d %s: killed: %s at 0x%lx pc 0x%lx\n", p->pid, p->name,
           causename(scause), r_stval(), r_sepc());
    setkilled(p);
  }

  if(killed(p))
    kexit(-1);

  // give up the CPU at the end of a time slice.
  if(which_dev == 2)
    yield();

  usertrapret();
}

// Return to user space through userret in trampoline.S.
void
usertrapret(void)
{
  struct proc *p = myproc();

  // traps will go to uservec again once we are in user space; no
  // interrupts until then, since kerneltrap would mishandle them.
  intr_off();

  uint64 trampoline_uservec = TRAMPOLINE + (uservec - trampoline);
  w_stvec(trampoline_uservec);

  // what uservec needs the next time the process traps.
  p->trapframe->kernel_sp = p->kstack + PGSIZE;
  p->trapframe->kernel_trap = (uint64)usertrap;
  p->trapframe->kernel_hartid = r_tp();

  // sret goes to user mode, with interrupts on.
  unsigned long x = r_sstatus();
  x &= ~SSTATUS_SPP;
  x |= SSTATUS_SPIE;
  w_sstatus(x);

  w_sepc(p->trapframe->epc);

  uint64 trampoline_userret = TRAMPOLINE + (userret - trampoline);
  ((void (*)(void))trampoline_userret)();
}

// Interrupts and exceptions from kernel code come here via kernelvec,
// on the current kernel stack.
void
kerneltrap()
{
  int which_dev = 0;
  uint64 sepc = r_sepc();
  uint64 sstatus = r_sstatus();
  uint64 scause = r_scause();

  if((sstatus & SSTATUS_SPP) == 0)
    panic("kerneltrap: not from supervisor mode");
  if(intr_get() != 0)
    panic("kerneltrap: interrupts enabled");

  if((which_dev = devintr()) == 0){
    printf("kerneltrap: %s (scause 0x%lx) sepc 0x%lx stval 0x%lx\n",
           causename(scause), scause, sepc, r_stval());
    panic("kerneltrap");
  }

  // give up the CPU at the end of a time slice.
  if(which_dev == 2 && myproc() != 0)
    yield();

  // yield() may have caused traps that changed these.
  w_sepc(sepc);
  w_sstatus(sstatus);
}

// The timer interrupt: count a tick (on hart 0), wake timed sleepers
// whose deadline came, and arm the next interrupt. Returns 1 when the
// running process's time slice is over.
static int
clockintr()
{
  int wake = 0;

  // first: prof.c reads who took the last spinlock, and we take one below.
  profsample(r_sepc(), (r_sstatus() & SSTATUS_SPP) == 0);
  if(cpuid() == 0){
    acquire(&tickslock);
    ticks++;
    if(ticks >= next_deadline){
      next_deadline = ~0ULL;
      wake = 1;
    }
    release(&tickslock);
    if(wake){
      wakeup((void*)&ticks);
      pollwakeup();
      netchan_timeout();
    }
    virtio_net_tick();   // received frames no interrupt announced
  }

  // Sstc: writing stimecmp also clears the pending interrupt.
  w_stimecmp(r_time() + TIMEBASE / HZ);

  // charge the tick to whoever was running, in user or kernel mode.
  struct proc *p = myproc();
  if(p)
    p->cputicks++;

  return ++cputicks[cpuid()] % SLICE == 0;
}

// Serve a device or timer interrupt. Returns 2 if the time slice is
// over, 1 for another device interrupt, 0 if this was not one.
int
devintr()
{
  uint64 scause = r_scause();

  if(scause == 0x8000000000000009L){
    // a supervisor external interrupt, via the PLIC.
    int irq = plic_claim();

    profcount(irq == VIRTIO1_IRQ ? PROF_NETINTR : PROF_DEVINTR);
    if(irq == UART0_IRQ){
      uartintr();
    } else if(irq == VIRTIO0_IRQ){
      virtio_disk_intr();
    } else if(irq == VIRTIO1_IRQ){
      virtio_net_intr();
    } else if(irq == VIRTIO2_IRQ){
      virtio_rng_intr();
    } else if(irq){
      printf("unexpected interrupt irq=%d\n", irq);
    }

    // the PLIC allows each device to raise at most one interrupt at a
    // time; tell it this one is served.
    if(irq)
      plic_complete(irq);

    return 1;
  } else if(scause == 0x8000000000000005L){
    // the supervisor timer (Sstc).
    profcount(PROF_TIMER);
    return clockintr() ? 2 : 1;
  } else {
    return 0;
  }
}
