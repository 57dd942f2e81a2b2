// ps: list processes: pid, parent pid, state, memory size in bytes, CPU
// time in ms and name, one line each, from the kernel's getprocs().
#include "apps/user.h"
#include "kernel/param.h"

// Indexed by enum procstate (kernel/procinfo.h).
static const char *states[] = {
  [UNUSED]   "unused",
  [USED]     "used",
  [SLEEPING] "sleep",
  [RUNNABLE] "runble",
  [RUNNING]  "run",
  [ZOMBIE]   "zombie",
};

static struct procinfo procs[NPROC];

// ps: report process status
// usage: ps
int
main(void)
{
  const char *state;
  int i, n;

  if((n = getprocs(procs, NPROC)) < 0){
    fprintf(2, "ps: %s\n", strerror(-n));
    return 1;
  }
  printf("PID PPID STATE  SIZE     TIME   NAME\n");
  for(i = 0; i < n && i < NPROC; i++){
    if(procs[i].state >= 0 && procs[i].state < (int)(sizeof(states)/sizeof(states[0])))
      state = states[procs[i].state];
    else
      state = "???";
    printf("%-3d %-4d %-6s %-8lu %-6lu %.*s\n", procs[i].pid, procs[i].ppid, state,
           (unsigned long)procs[i].sz, (unsigned long)procs[i].cputicks,
           (int)sizeof(procs[i].name), procs[i].name);
  }
  return 0;
}
