// System call dispatch and argument fetching. Arguments arrive in
// a0..a5, the number in a7 (syscall.h); the result goes back in a0.
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "syscall.h"
#include "defs.h"
#include "errno.h"

// Fetch the uint64 at user address addr. Returns 0 or -1.
int
fetchaddr(uint64 addr, uint64 *ip)
{
  struct proc *p = myproc();
  if(copyin(p->pagetable, (char *)ip, addr, sizeof(*ip)) != 0)
    return -1;
  return 0;
}

// Fetch the NUL-terminated string at user address addr into buf.
// Returns its length, or -1 if it is unreadable or too long.
int
fetchstr(uint64 addr, char *buf, int max)
{
  struct proc *p = myproc();
  if(copyinstr(p->pagetable, buf, addr, max) < 0)
    return -1;
  return strlen(buf);
}

static uint64
argraw(int n)
{
  struct proc *p = myproc();
  switch (n) {
  case 0:
    return p->trapframe->a0;
  case 1:
    return p->trapframe->a1;
  case 2:
    return p->trapframe->a2;
  case 3:
    return p->trapframe->a3;
  case 4:
    return p->trapframe->a4;
  case 5:
    return p->trapframe->a5;
  }
  panic("argraw");
}

// The n'th argument as an int.
void
argint(int n, int *ip)
{
  *ip = argraw(n);
}

// The n'th argument as a user address. Not checked here: copyin and
// copyout check it when it is used.
void
argaddr(int n, uint64 *ip)
{
  *ip = argraw(n);
}

// The n'th argument as a string, copied into buf. Returns its length,
// or -1 if it is unreadable or longer than max-1.
int
argstr(int n, char *buf, int max)
{
  uint64 addr;
  argaddr(n, &addr);
  return fetchstr(addr, buf, max);
}

extern uint64 sys_fork(void);
extern uint64 sys_exit(void);
extern uint64 sys_wait(void);
extern uint64 sys_pipe(void);
extern uint64 sys_read(void);
extern uint64 sys_kill(void);
extern uint64 sys_exec(void);
extern uint64 sys_fstat(void);
extern uint64 sys_chdir(void);
extern uint64 sys_dup(void);
extern uint64 sys_getpid(void);
extern uint64 sys_sbrk(void);
extern uint64 sys_sleep(void);
extern uint64 sys_uptime(void);
extern uint64 sys_open(void);
extern uint64 sys_write(void);
extern uint64 sys_mknod(void);
extern uint64 sys_unlink(void);
extern uint64 sys_link(void);
extern uint64 sys_mkdir(void);
extern uint64 sys_close(void);
extern uint64 sys_poll(void);
extern uint64 sys_clock(void);
extern uint64 sys_getprocs(void);
extern uint64 sys_freemem(void);
extern uint64 sys_halt(void);
extern uint64 sys_fscrash(void);
extern uint64 sys_setipaddr(void);
extern uint64 sys_getipaddr(void);
extern uint64 sys_netopen(void);
extern uint64 sys_netsync(void);
extern uint64 sys_netclaim(void);
extern uint64 sys_netstat(void);
extern uint64 sys_getrandom(void);
extern uint64 sys_prof(void);
extern uint64 sys_setipcfg(void);
extern uint64 sys_getipcfg(void);
extern uint64 sys_lseek(void);
extern uint64 sys_statfs(void);
extern uint64 sys_fsgen(void);

static uint64 (*syscalls[])(void) = {
[SYS_fork]    sys_fork,
[SYS_exit]    sys_exit,
[SYS_wait]    sys_wait,
[SYS_pipe]    sys_pipe,
[SYS_read]    sys_read,
[SYS_kill]    sys_kill,
[SYS_exec]    sys_exec,
[SYS_fstat]   sys_fstat,
[SYS_chdir]   sys_chdir,
[SYS_dup]     sys_dup,
[SYS_getpid]  sys_getpid,
[SYS_sbrk]    sys_sbrk,
[SYS_sleep]   sys_sleep,
[SYS_uptime]  sys_uptime,
[SYS_open]    sys_open,
[SYS_write]   sys_write,
[SYS_mknod]   sys_mknod,
[SYS_unlink]  sys_unlink,
[SYS_link]    sys_link,
[SYS_mkdir]   sys_mkdir,
[SYS_close]   sys_close,
[SYS_poll]    sys_poll,
[SYS_clock]   sys_clock,
[SYS_getprocs] sys_getprocs,
[SYS_freemem] sys_freemem,
[SYS_halt]    sys_halt,
[SYS_fscrash] sys_fscrash,
[SYS_setipaddr] sys_setipaddr,
[SYS_getipaddr] sys_getipaddr,
[SYS_netopen] sys_netopen,
[SYS_netsync] sys_netsync,
[SYS_netclaim] sys_netclaim,
[SYS_netstat] sys_netstat,
[SYS_getrandom] sys_getrandom,
[SYS_prof]    sys_prof,
[SYS_setipcfg] sys_setipcfg,
[SYS_getipcfg] sys_getipcfg,
[SYS_lseek]   sys_lseek,
[SYS_statfs]  sys_statfs,
[SYS_fsgen]   sys_fsgen,
};

void
syscall(void)
{
  struct proc *p = myproc();
  uint64 num = p->trapframe->a7;

  if(num > 0 && num < NELEM(syscalls) && syscalls[num])
    p->trapframe->a0 = syscalls[num]();
  else
    p->trapframe->a0 = -ENOSYS;
}
