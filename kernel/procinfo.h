// getprocs() record, shared by kernel and user space (ps).
#ifndef PROCINFO_H
#define PROCINFO_H
enum procstate { UNUSED, USED, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };
struct procinfo {
  int pid;
  int ppid;
  int state;       // enum procstate
  uint64 sz;       // bytes of user memory
  uint64 cputicks; // CPU time, in timer ticks (1 ms)
  char name[16];
};
#endif
