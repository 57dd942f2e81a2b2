// Process, memory and time system calls.
#include "types.h"
#include "riscv.h"
#include "defs.h"
#include "param.h"
#include "memlayout.h"
#include "spinlock.h"
#include "proc.h"
#include "errno.h"

uint64
sys_exit(void)
{
  int n;
  argint(0, &n);
  kexit(n);
  return 0;  // not reached
}

uint64
sys_getpid(void)
{
  return myproc()->pid;
}

uint64
sys_fork(void)
{
  return kfork();
}

uint64
sys_wait(void)
{
  uint64 p;
  argaddr(0, &p);
  return kwait(p);
}

// Returns the old break, or a negative errno.
uint64
sys_sbrk(void)
{
  uint64 addr;
  int n, r;

  argint(0, &n);
  addr = myproc()->sz;
  if((r = growproc(n)) < 0)
    return r;
  return addr;
}

// Sleep for n milliseconds. Returns 0, -EINVAL for n < 0, or -EINTR if
// killed meanwhile.
uint64
sys_sleep(void)
{
  int n;
  uint64 until;

  argint(0, &n);
  if(n < 0)
    return -EINVAL;
  until = ticks + ((uint64)n * HZ + 999) / 1000;
  for(;;){
    timer_deadline(until);
    acquire(&tickslock);
    if(ticks >= until)
      break;
    if(killed(myproc())){
      release(&tickslock);
      return -EINTR;
    }
    sleepintr((void*)&ticks, &tickslock);
    release(&tickslock);
  }
  release(&tickslock);
  return 0;
}

uint64
sys_kill(void)
{
  int pid;

  argint(0, &pid);
  return kkill(pid);
}

// Milliseconds since boot.
uint64
sys_uptime(void)
{
  return clock_us() / 1000;
}

// Microseconds since boot, from the time CSR.
uint64
sys_clock(void)
{
  return clock_us();
}

uint64
sys_getprocs(void)
{
  uint64 addr;
  int n;

  argaddr(0, &addr);
  argint(1, &n);
  if(n < 0)
    return -EINVAL;
  return procinfo(addr, n);
}

uint64
sys_freemem(void)
{
  return kfreecount();
}

uint64
sys_halt(void)
{
  printf("halt: powering off\n");
  poweroff(0);
}
