// netstat: print the network interface's counters and addresses.
// The counter names come from NC_STATS in kernel/netchan.h, the same
// table the kernel counts with, so the tests can parse the output by
// name. It does not show per-channel counters (only a channel's owner
// may read those).
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/chan.h"

static const char *names[] = {
#define NC_NAME(name, desc) #name,
  NC_STATS(NC_NAME)
#undef NC_NAME
};

static const char *descs[] = {
#define NC_DESC(name, desc) desc,
  NC_STATS(NC_DESC)
#undef NC_DESC
};

static void
printip(const char *what, uint32 a)
{
  printf("%-20s %d.%d.%d.%d\n", what, (a >> 24) & 0xff, (a >> 16) & 0xff,
         (a >> 8) & 0xff, a & 0xff);
}

// The MAC is only on a channel's info page: open one for a moment.
// A machine with every channel taken still gets its counters.
static void
printmac(void)
{
  struct chan ch;
  uint8 *m;
  int r;

  if((r = chan_open(&ch)) < 0){
    printf("%-20s unknown (%s)\n", "mac", strerror(-r));
    return;
  }
  m = ch.info->mac;
  printf("%-20s %02x:%02x:%02x:%02x:%02x:%02x\n", "mac", m[0], m[1], m[2], m[3], m[4], m[5]);
  chan_close(&ch);
}

// netstat: show network interface counters
// usage: netstat [-z] [-v]
//   -z  only the counters that are not zero
//   -v  each counter's meaning after its value
int
main(int argc, char *argv[])
{
  struct nc_stats st;
  uint32 ip, mask, gw;
  int c, nonzero = 0, verbose = 0, r;

  while((c = getopt(argc, argv, "zv")) != -1){
    switch(c){
    case 'z':
      nonzero = 1;
      break;
    case 'v':
      verbose = 1;
      break;
    default:
      fprintf(2, "usage: netstat [-z] [-v]\n");
      exit(1);
    }
  }
  if((r = netstat(-1, &st)) < 0){
    fprintf(2, "netstat: %s\n", strerror(-r));
    exit(1);
  }
  for(int i = 0; i < NC_NSTATS; i++){
    if(nonzero && st.v[i] == 0)
      continue;
    if(verbose)
      printf("%-20s %lu  %s\n", names[i], st.v[i], descs[i]);
    else
      printf("%-20s %lu\n", names[i], st.v[i]);
  }
  printmac();
  if((r = getipaddr(&ip, &mask, &gw)) < 0){
    fprintf(2, "netstat: getipaddr: %s\n", strerror(-r));
    exit(1);
  }
  printip("ip", ip);
  printip("mask", mask);
  printip("gw", gw);
  exit(0);
}
