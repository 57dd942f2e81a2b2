// Processes: the table, creation (fork, the first process), exit and
// wait, sleep and wakeup, kill, and the per-hart scheduler.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "sleeplock.h"
#include "fs.h"
#include "file.h"
#include "defs.h"
#include "errno.h"
#include "netchan.h"

struct cpu cpus[NCPU];
extern pagetable_t kernel_pagetable;

// Guards every cpu's pagetable and rootdead: which page tables harts
// have in satp, so that none is freed while loaded.
struct spinlock ptlock;

struct proc proc[NPROC];

struct proc *initproc;

int nextpid = 1;
struct spinlock pid_lock;

extern void forkret(void);
static void freeproc(struct proc *p);

extern char trampoline[]; // trampoline.S

// Guards parent pointers, so a child's exit wakeup is never lost by a
// parent in wait(). Always taken before any p->lock.
struct spinlock wait_lock;

// Map a kernel stack, with a guard page below it, for every slot of
// the process table.
void
proc_mapstacks(pagetable_t kpgtbl)
{
  struct proc *p;

  for(p = proc; p < &proc[NPROC]; p++) {
    char *pa = kalloc();
    if(pa == 0)
      panic("kalloc");
    uint64 va = KSTACK((int) (p - proc));
    kvmmap(kpgtbl, va, (uint64)pa, PGSIZE, PTE_R | PTE_W);
  }
}

void
procinit(void)
{
  struct proc *p;

  initlock(&pid_lock, "nextpid");
  initlock(&ptlock, "ptlock");
  initlock(&wait_lock, "wait_lock");
  for(p = proc; p < &proc[NPROC]; p++) {
    initlock(&p->lock, "proc");
    p->state = UNUSED;
    p->kstack = KSTACK((int) (p - proc));
  }
}

// Must be called with interrupts disabled, so the process cannot move
// to another CPU while the result is used.
int
cpuid()
{
  return r_tp();
}

// This CPU's cpu struct. Interrupts must be disabled.
struct cpu*
mycpu(void)
{
  return &cpus[cpuid()];
}

// The current process, or zero if none. On a process's kernel stack
// the stack itself says whose it is (KSTACK), which is cheaper than
// push_off(): no CSR access, and so no end of QEMU's translated block.
// Elsewhere (a hart's scheduler stack) ask the hart.
struct proc*
myproc(void)
{
  uint64 off = r_sp() - KSTACKBASE;

  if(off < 2 * NPROC * PGSIZE && off % (2 * PGSIZE) >= PGSIZE)
    return &proc[off / (2 * PGSIZE)];
  push_off();
  struct proc *p = mycpu()->proc;
  pop_off();
  return p;
}

static int
allocpid()
{
  int pid;

  acquire(&pid_lock);
  pid = nextpid++;
  release(&pid_lock);
  return pid;
}

// Find an UNUSED slot and set it up to run in the kernel at forkret.
// Returns with p->lock held, or 0 if the table is full or memory is out.
static struct proc*
allocproc(void)
{
  struct proc *p;

  for(p = proc; p < &proc[NPROC]; p++) {
    acquire(&p->lock);
    if(p->state == UNUSED)
      goto found;
    release(&p->lock);
  }
  return 0;

found:
  p->pid = allocpid();
  p->cputicks = 0;
  p->state = USED;

  if((p->trapframe = (struct trapframe *)kalloc()) == 0){
    freeproc(p);
    release(&p->lock);
    return 0;
  }
  if((p->pagetable = proc_pagetable(p)) == 0){
    freeproc(p);
    release(&p->lock);
    return 0;
  }

  // the new context starts executing at forkret, on the kernel stack.
  memset(&p->context, 0, sizeof(p->context));
  p->context.ra = (uint64)forkret;
  p->context.sp = p->kstack + PGSIZE;
  return p;
}

// Free a proc structure and everything hanging from it, user pages
// included. p->lock must be held.
static void
freeproc(struct proc *p)
{
  if(p->trapframe)
    kfree((void*)p->trapframe);
  p->trapframe = 0;
  if(p->pagetable)
    proc_freepagetable(p->pagetable, p->sz);
  p->pagetable = 0;
  p->sz = 0;
  p->stackbase = 0;
  p->pid = 0;
  p->parent = 0;
  p->name[0] = 0;
  p->chan = 0;
  p->killed = 0;
  p->xstate = 0;
  p->netchan = 0;
  p->lastcpu = 0;      // a new table: load it wherever it first runs
  p->state = UNUSED;
}

// A user page table with no user memory yet, only the trampoline and
// this process's trapframe. Returns 0 if out of memory.
pagetable_t
proc_pagetable(struct proc *p)
{
  pagetable_t pagetable;

  pagetable = uvmcreate();
  if(pagetable == 0)
    return 0;
  kvmshare(pagetable);

  // the trampoline is not PTE_U: only supervisor mode runs it,
  // on the way in and out of user space.
  if(mappages(pagetable, TRAMPOLINE, PGSIZE, (uint64)trampoline, PTE_R | PTE_X) < 0){
    kvmunshare(pagetable);
    uvmfree(pagetable, 0);
    return 0;
  }
  if(mappages(pagetable, TRAPFRAME, PGSIZE, (uint64)(p->trapframe), PTE_R | PTE_W) < 0){
    uvmunmap(pagetable, TRAMPOLINE, 1, 0);
    kvmunshare(pagetable);
    uvmfree(pagetable, 0);
    return 0;
  }
  return pagetable;
}

// Free a page table's root page, or, if some hart still has it in satp
// (the scheduler switches lazily), leave that to its next switch.
static void
rootfree(pagetable_t pt)
{
  int loaded = 0;

  acquire(&ptlock);
  for(struct cpu *c = cpus; c < &cpus[NCPU]; c++)
    if(c->pagetable == pt){
      c->rootdead = 1;
      loaded = 1;
    }
  release(&ptlock);
  if(!loaded){
    kvmunshare(pt);
    kfree(pt);
  }
}

// Free a process's page table and the user memory it maps.
void
proc_freepagetable(pagetable_t pagetable, uint64 sz)
{
  uvmunmap(pagetable, TRAMPOLINE, 1, 0);
  uvmunmap(pagetable, TRAPFRAME, 1, 0);
  uvmfreekeeproot(pagetable, sz);
  rootfree(pagetable);
}

// Put pt in this hart's satp and flush, noting gen (its owner's ptgen)
// as seen; free the old table's root if its process died meanwhile.
// Interrupts must be off.
void
loadpt(pagetable_t pt, uint64 gen)
{
  struct cpu *c = mycpu();
  pagetable_t old;
  int dead;

  acquire(&ptlock);
  old = c->pagetable;
  dead = c->rootdead && old != pt;
  c->pagetable = pt;
  c->ptgen = gen;
  c->rootdead = 0;
  w_satp(MAKE_SATP(pt));
  sfence_vma();
  // several harts may hold the dead root: the last to let go frees it.
  for(struct cpu *o = cpus; dead && o < &cpus[NCPU]; o++)
    if(o->pagetable == old)
      dead = 0;
  release(&ptlock);
  if(dead){
    kvmunshare(old);
    kfree(old);
  }
}

// The running process changed its own page table and flushed this
// hart's TLB of what changed: other harts must flush before running it.
void
ptchanged(void)
{
  struct proc *p = myproc();

  push_off();
  p->ptgen++;
  mycpu()->ptgen = p->ptgen;
  pop_off();
}

// The first process. It has no memory yet: its first run (forkret)
// mounts the file system and execs /init.
void
userinit(void)
{
  struct proc *p;

  p = allocproc();
  if(p == 0)
    panic("userinit");
  initproc = p;
  safestrcpy(p->name, "initcode", sizeof(p->name));
  p->state = RUNNABLE;
  release(&p->lock);
}

// Grow or shrink the heap by n bytes. The heap may not shrink into the
// stack. Returns 0 or a negative errno.
int
growproc(int n)
{
  uint64 sz, heapbase;
  struct proc *p = myproc();

  sz = p->sz;
  heapbase = p->stackbase + USERSTACK*PGSIZE;
  if(n > 0){
    if(sz + n > USERTOP)   // the heap stops below the kernel's RAM mapping
      return -ENOMEM;
    if((sz = uvmalloc(p->pagetable, sz, sz + n, PTE_W)) == 0)
      return -ENOMEM;
  } else if(n < 0){
    if(sz - heapbase < (uint64)-(long)n)
      return -EINVAL;
    sz = uvmdealloc(p->pagetable, sz, sz + n);
  }
  p->sz = sz;
  // we run on this page table: no stale translation may outlive a change.
  sfence_vma();
  ptchanged();
  return 0;
}

// Create a child that is a copy of the caller, returning to user space
// from fork() with 0. Returns the child's pid to the parent, or a
// negative errno.
int
kfork(void)
{
  int i, pid;
  struct proc *np;
  struct proc *p = myproc();

  if((np = allocproc()) == 0)
    return -EAGAIN;

  if(uvmcopy(p->pagetable, np->pagetable, p->sz) < 0){
    freeproc(np);
    release(&np->lock);
    return -ENOMEM;
  }
  np->sz = p->sz;
  np->stackbase = p->stackbase;

  *(np->trapframe) = *(p->trapframe);
  np->trapframe->a0 = 0;  // fork returns 0 in the child

  // a network channel is mapped in this address space only, so the
  // child does not inherit its descriptor.
  for(i = 0; i < NOFILE; i++)
    if(p->ofile[i] && p->ofile[i]->type != FD_NETCHAN)
      np->ofile[i] = filedup(p->ofile[i]);
  np->cwd = idup(p->cwd);

  safestrcpy(np->name, p->name, sizeof(p->name));

  pid = np->pid;
  release(&np->lock);

  acquire(&wait_lock);
  np->parent = p;
  release(&wait_lock);

  acquire(&np->lock);
  np->state = RUNNABLE;
  release(&np->lock);

  return pid;
}

// Give p's abandoned children to init. Caller holds wait_lock.
static void
reparent(struct proc *p)
{
  struct proc *pp;

  for(pp = proc; pp < &proc[NPROC]; pp++){
    if(pp->parent == p){
      pp->parent = initproc;
      wakeup(initproc);
    }
  }
}

// Exit the current process; never returns. It stays a zombie until its
// parent calls wait().
void
kexit(int status)
{
  struct proc *p = myproc();

  if(p == initproc)
    panic("init exiting");

  // before the files: the channel's pages are mapped in our page table.
  netchan_release(p);

  for(int fd = 0; fd < NOFILE; fd++){
    if(p->ofile[fd]){
      struct file *f = p->ofile[fd];
      fileclose(f);
      p->ofile[fd] = 0;
    }
  }

  begin_op();
  iput(p->cwd);
  end_op();
  p->cwd = 0;

  acquire(&wait_lock);
  reparent(p);
  // the parent might be asleep in wait().
  wakeup(p->parent);

  acquire(&p->lock);
  p->xstate = status;
  p->state = ZOMBIE;
  release(&wait_lock);

  // into the scheduler, never to return.
  sched();
  panic("zombie exit");
}

// Wait for a child to exit; copy its status to user address addr
// (unless 0). Returns its pid, -ECHILD with no children, -EFAULT for a
// bad addr, -EINTR if killed while waiting.
int
kwait(uint64 addr)
{
  struct proc *pp;
  int havekids, pid;
  struct proc *p = myproc();

  acquire(&wait_lock);

  for(;;){
    havekids = 0;
    for(pp = proc; pp < &proc[NPROC]; pp++){
      if(pp->parent == p){
        // make sure the child isn't still in exit() or swtch().
        acquire(&pp->lock);

        havekids = 1;
        if(pp->state == ZOMBIE){
          pid = pp->pid;
          if(addr != 0 && copyout(p->pagetable, addr, (char *)&pp->xstate,
                                  sizeof(pp->xstate)) < 0) {
            release(&pp->lock);
            release(&wait_lock);
            return -EFAULT;
          }
          freeproc(pp);
          release(&pp->lock);
          release(&wait_lock);
          return pid;
        }
        release(&pp->lock);
      }
    }

    if(!havekids){
      release(&wait_lock);
      return -ECHILD;
    }
    if(killed(p)){
      release(&wait_lock);
      return -EINTR;
    }

    // wait for a child to exit (see the wakeup in kexit).
    sleepintr(p, &wait_lock);
  }
}

// Per-hart scheduler, entered from main() and never left. It loops
// choosing a RUNNABLE process, swtch()es to it, and the process comes
// back here through sched().
void
scheduler(void)
{
  struct proc *p;
  struct cpu *c = mycpu();

  c->proc = 0;
  for(;;){
    // the most recent process may have had interrupts off; turn them
    // on so devices can wake someone, or we could deadlock.
    intr_on();
    intr_off();

    int found = 0;
    for(p = proc; p < &proc[NPROC]; p++) {
      // look before locking, as wakeup() does: an idle hart rescans
      // after every interrupt, and 64 lock pairs per scan add up.
      if(*(volatile enum procstate *)&p->state != RUNNABLE)
        continue;
      acquire(&p->lock);
      if(p->state == RUNNABLE) {
        // the process releases its lock and takes it again before
        // jumping back to us.
        p->state = RUNNING;
        c->proc = p;
        // the process runs, in user and kernel mode alike, on its own
        // page table (the kernel is mapped into it). Loading it flushes
        // the TLB, which under TCG is most of a switch's cost, so a hart
        // keeps the last table (idle, the scheduler needs only the
        // kernel's shared entries) and reloads only for another table,
        // or for one its owner changed elsewhere.
        // A process that ran elsewhere since it last ran here may have
        // unmapped pages without a flush on this hart (netchan.c flushes
        // lazily, on the hart the process runs on): reload then too.
        if(c->pagetable != p->pagetable || c->ptgen != p->ptgen || p->lastcpu != c){
          loadpt(p->pagetable, p->ptgen);
          p->tlbgen++;
        }
        p->lastcpu = c;
        swtch(&c->context, &p->context);

        // the process is done running for now.
        c->proc = 0;
        found = 1;
      }
      release(&p->lock);
    }
    if(found == 0) {
      // idle on a dead process's table: let its root go now, or a
      // count of free pages would miss it until this hart's next switch.
      if(c->rootdead)
        loadpt(kernel_pagetable, 0);
      // nothing to run: fill a page for the receive path, then look
      // again; with nothing left to do either, wait for an interrupt.
      intr_on();
      if(kalloc_idle())
        continue;
      asm volatile("wfi");
    }
  }
}

// Switch to the scheduler. Must hold only p->lock and have changed
// p->state. intena belongs to this kernel thread, not this CPU, so it
// is saved and restored around the switch.
void
sched(void)
{
  int intena;
  struct proc *p = myproc();

  if(!holding(&p->lock))
    panic("sched p->lock");
  if(mycpu()->noff != 1)
    panic("sched locks");
  if(p->state == RUNNING)
    panic("sched running");
  if(intr_get())
    panic("sched interruptible");

  intena = mycpu()->intena;
  swtch(&p->context, &mycpu()->context);
  mycpu()->intena = intena;
}

// Give up the CPU for one scheduling round.
void
yield(void)
{
  struct proc *p = myproc();
  acquire(&p->lock);
  p->state = RUNNABLE;
  sched();
  release(&p->lock);
}

// A new process's first scheduling lands here, then returns to user
// space. The first process also mounts the file system (which must
// sleep, so it cannot happen in main) and execs /init.
void
forkret(void)
{
  static int first = 1;
  struct proc *p = myproc();

  // still holding p->lock from scheduler.
  release(&p->lock);

  if(first){
    first = 0;
    fsinit(ROOTDEV);
    __sync_synchronize();

    p->cwd = namei("/");
    int r = kexec("/init", (char *[]){ "/init", 0 });
    if(r < 0)
      panic("forkret: cannot exec /init");
    p->trapframe->a0 = r;
  }

  usertrapret();
}

static void sleep1(void *chan, struct spinlock *lk, int intr);

// Atomically release lk and sleep on chan; reacquire lk when woken.
void
sleep(void *chan, struct spinlock *lk)
{
  sleep1(chan, lk, 0);
}

// sleep() for a caller that gives up when its process is killed, and
// looked at killed() under lk just before. kill() wakes only a process
// already asleep, so a kill landing between that look and the sleep
// would be lost: the process would sleep until its channel's next
// wakeup, for ever on a pipe nobody writes. This looks again under
// p->lock, which kill() holds, and then does not sleep at all (lk is
// still held, so the caller's look comes next).
void
sleepintr(void *chan, struct spinlock *lk)
{
  sleep1(chan, lk, 1);
}

static void
sleep1(void *chan, struct spinlock *lk, int intr)
{
  struct proc *p = myproc();

  // holding p->lock means no wakeup (which takes p->lock) can slip in
  // between releasing lk and going to sleep. chan and state are set
  // before lk is released, so a waker that takes lk next sees them
  // even without p->lock (wakeup() looks before it locks).
  acquire(&p->lock);
  if(intr && p->killed){
    release(&p->lock);
    return;
  }
  p->chan = chan;
  p->state = SLEEPING;
  release(lk);

  sched();

  p->chan = 0;

  release(&p->lock);
  acquire(lk);
}

// Processes woken so far: a poller (virtio_net_spin) stops when it moves.
volatile uint64 wakeups;

// 1 if a process other than the caller waits for a hart: a poller
// (virtio_net_spin) gives way to it. An unlocked look, a hint.
int
othersrunnable(void)
{
  struct proc *me = myproc();

  for(struct proc *p = proc; p < &proc[NPROC]; p++)
    if(p != me && *(volatile enum procstate *)&p->state == RUNNABLE)
      return 1;
  return 0;
}

// Wake every process sleeping on chan. Call without any p->lock held.
void
wakeup(void *chan)
{
  struct proc *p;

  for(p = proc; p < &proc[NPROC]; p++) {
    // an unlocked look first: taking 64 locks per wakeup is most of
    // the cost of a pipe round trip under TCG. See sleep() for why a
    // sleeper on chan is always seen.
    if(*(volatile enum procstate *)&p->state != SLEEPING || *(void * volatile *)&p->chan != chan)
      continue;
    if(p != myproc()){
      acquire(&p->lock);
      if(p->state == SLEEPING && p->chan == chan){
        p->state = RUNNABLE;
        wakeups++;
      }
      release(&p->lock);
    }
  }
}

// Kill the process with the given pid: it exits the next time it
// reaches user space, or wakes now if sleeping. Returns 0 or -ESRCH.
int
kkill(int pid)
{
  struct proc *p;

  for(p = proc; p < &proc[NPROC]; p++){
    acquire(&p->lock);
    if(p->pid == pid && p->state != UNUSED){
      p->killed = 1;
      if(p->state == SLEEPING)
        p->state = RUNNABLE;
      release(&p->lock);
      return 0;
    }
    release(&p->lock);
  }
  return -ESRCH;
}

void
setkilled(struct proc *p)
{
  acquire(&p->lock);
  p->killed = 1;
  release(&p->lock);
}

// killed only ever goes from 0 to 1, so a plain (atomic) read is as
// good as one under p->lock, and every system call asks twice.
int
killed(struct proc *p)
{
  return __atomic_load_n(&p->killed, __ATOMIC_ACQUIRE);
}

// Copy to a user address or a kernel address, as user_dst says.
// Returns 0, or -1 on a bad user address.
int
either_copyout(int user_dst, uint64 dst, void *src, uint64 len)
{
  struct proc *p = myproc();
  if(user_dst){
    return copyout(p->pagetable, dst, src, len);
  } else {
    memmove((char *)dst, src, len);
    return 0;
  }
}

// Copy from a user address or a kernel address, as user_src says.
// Returns 0, or -1 on a bad user address.
int
either_copyin(void *dst, int user_src, uint64 src, uint64 len)
{
  struct proc *p = myproc();
  if(user_src){
    return copyin(p->pagetable, dst, src, len);
  } else {
    memmove(dst, (char*)src, len);
    return 0;
  }
}

static char *states[] = {
  [UNUSED]    "unused",
  [USED]      "used",
  [SLEEPING]  "sleep ",
  [RUNNABLE]  "runble",
  [RUNNING]   "run   ",
  [ZOMBIE]    "zombie"
};

// List processes on the console (^P). No locks, so a wedged machine
// can still be inspected.
void
procdump(void)
{
  struct proc *p;
  char *state;

  printf("\n");
  for(p = proc; p < &proc[NPROC]; p++){
    if(p->state == UNUSED)
      continue;
    if(p->state >= 0 && p->state < NELEM(states) && states[p->state])
      state = states[p->state];
    else
      state = "???";
    printf("%d %s %s\n", p->pid, state, p->name);
  }
}

// Copy up to n procinfo records to user address addr.
// Returns the number copied, or -EFAULT.
int
procinfo(uint64 addr, int n)
{
  struct proc *p;
  struct procinfo pi;
  int k = 0;

  for(p = proc; p < &proc[NPROC] && k < n; p++){
    acquire(&wait_lock);
    acquire(&p->lock);
    if(p->state == UNUSED){
      release(&p->lock);
      release(&wait_lock);
      continue;
    }
    memset(&pi, 0, sizeof(pi));
    pi.pid = p->pid;
    pi.ppid = p->parent ? p->parent->pid : 0;
    pi.state = p->state;
    pi.sz = p->sz;
    pi.cputicks = p->cputicks;
    safestrcpy(pi.name, p->name, sizeof(pi.name));
    release(&p->lock);
    release(&wait_lock);
    if(copyout(myproc()->pagetable, addr + k*sizeof(pi), (char*)&pi, sizeof(pi)) < 0)
      return -EFAULT;
    k++;
  }
  return k;
}
