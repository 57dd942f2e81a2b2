// prof: drive the kernel's sampling profiler (kernel/prof.c).
//   prof start       forget old samples, start taking them
//   prof stop        stop
//   prof [-n N]      stop, then print the N (default 1000) most often
//                    interrupted addresses: "count pid name pc", one per line,
//                    hottest first; pid 0 is the kernel (and idle harts).
// scripts/prof.py turns that into functions with the build's symbols.
#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/procinfo.h"
#include "kernel/prof.h"
#include "apps/user.h"

#define NSAMPLE PROF_NSAMPLE
static const char *countnames[PROF_NCOUNT] = PROF_COUNTNAMES;

static uint64 s[NSAMPLE];
static struct procinfo procs[NPROC];
static struct { uint64 key; int n; } hot[NSAMPLE];

static void
sort64(uint64 *a, int n)   // shell sort: no recursion, no allocation
{
  for(int gap = n / 2; gap > 0; gap = gap == 2 ? 1 : gap * 5 / 11)
    for(int i = gap; i < n; i++){
      uint64 v = a[i];
      int j;
      for(j = i; j >= gap && a[j - gap] > v; j -= gap)
        a[j] = a[j - gap];
      a[j] = v;
    }
}

static const char *
pidname(int pid, int nprocs)
{
  if(pid == 0)
    return "kernel";
  for(int i = 0; i < nprocs; i++)
    if(procs[i].pid == pid)
      return procs[i].name;
  return "?";
}

// prof: the sampling profiler
// usage: prof [start|stop] [-n lines]
int
main(int argc, char *argv[])
{
  int total, n, nhot = 0, lines = 1000, nprocs, kernel = 0;

  if(argc == 2 && strcmp(argv[1], "start") == 0)
    return prof(PROF_START, 0, 0) < 0;
  if(argc == 2 && strcmp(argv[1], "stop") == 0)
    return prof(PROF_STOP, 0, 0) < 0;
  if(argc == 3 && strcmp(argv[1], "-n") == 0)
    lines = atoi(argv[2]);
  else if(argc != 1){
    fprintf(2, "usage: prof [start|stop] [-n lines]\n");
    return 1;
  }
  prof(PROF_STOP, 0, 0);
  if((total = prof(PROF_READ, s, NSAMPLE)) < 0){
    fprintf(2, "prof: %s\n", strerror(-total));
    return 1;
  }
  n = total < NSAMPLE ? total : NSAMPLE;
  nprocs = getprocs(procs, NPROC);
  sort64(s, n);
  for(int i = 0; i < n; i++){
    if(nhot > 0 && hot[nhot - 1].key == s[i])
      hot[nhot - 1].n++;
    else {
      hot[nhot].key = s[i];
      hot[nhot++].n = 1;
    }
    kernel += (s[i] >> 40) == 0;
  }
  // hottest first: sort by count in the high bits, index in the low
  for(int i = 0; i < nhot; i++)
    s[i] = (uint64)hot[i].n << 32 | i;
  sort64(s, nhot);
  printf("prof: %d samples, %d dropped, %d in the kernel\n", n, total - n, kernel);
  uint64 c[PROF_NCOUNT];
  if(prof(PROF_COUNTS, c, PROF_NCOUNT) == PROF_NCOUNT){
    printf("prof: events");
    for(int i = 0; i < PROF_NCOUNT; i++)
      printf(" %s %lu", countnames[i], (unsigned long)c[i]);
    printf("\n");
  }
  for(int i = nhot - 1; i >= 0 && i >= nhot - lines; i--){
    int h = s[i] & 0xffffffff, pid = hot[h].key >> 40;
    printf("%d %d %s %lx\n", hot[h].n, pid, pidname(pid, nprocs),
           (unsigned long)(hot[h].key & ((1ULL << 40) - 1)));
  }
  return 0;
}
