# System call stubs. Each puts its number (kernel/syscall.h) in a7 and
# traps; the kernel leaves the result in a0, which is already where the
# C caller looks for it. Errors come back as -E*, untouched here.
#include "kernel/syscall.h"

#define SYSCALL(name)   \
  .global name;         \
  name:                 \
    li a7, SYS_##name;  \
    ecall;              \
    ret

SYSCALL(fork)
SYSCALL(wait)
SYSCALL(pipe)
SYSCALL(read)
SYSCALL(kill)
SYSCALL(exec)
SYSCALL(fstat)
SYSCALL(chdir)
SYSCALL(dup)
SYSCALL(getpid)
SYSCALL(sbrk)
SYSCALL(sleep)
SYSCALL(uptime)
SYSCALL(open)
SYSCALL(write)
SYSCALL(mknod)
SYSCALL(unlink)
SYSCALL(link)
SYSCALL(mkdir)
SYSCALL(close)
SYSCALL(poll)
SYSCALL(getprocs)
SYSCALL(freemem)
SYSCALL(halt)
SYSCALL(fscrash)
SYSCALL(setipaddr)
SYSCALL(getipaddr)
SYSCALL(setipcfg)
SYSCALL(getipcfg)
SYSCALL(netopen)
SYSCALL(netsync)
SYSCALL(netclaim)
SYSCALL(netstat)
SYSCALL(getrandom)
SYSCALL(prof)
SYSCALL(lseek)
SYSCALL(statfs)
SYSCALL(fsgen)

# The raw exit: no atexit handlers (ulib.c's exit runs them, then this).
.global _exit
_exit:
  li a7, SYS_exit
  ecall
  ret
