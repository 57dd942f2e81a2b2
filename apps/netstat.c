// netstat: print the network interface's counters and addresses.
// The counter names come from NC_STATS in kernel/netchan.h, the same
// table the kernel counts with, so the tests can parse the output by
// name. It does not show per-channel counters (only a channel's owner
// may read those). With -l it prints instead the libnet counters of
// netd, the host's default responder (LN_STATS in libnet/net.h), which
// netd sends on request over the loopback.
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/chan.h"
#include "libnet/net.h"
#include "libnet/socket.h"

static const char *lndescs[] = {
#define LN_DESC(name, desc) desc,
  LN_STATS(LN_DESC)
#undef LN_DESC
};

// Ask netd (or the program serving port) for its libnet counters and
// print them as the kernel's are. Returns 0, or -1 after saying why not.
static int
netdstats(int port, int nonzero, int verbose)
{
  static uint8 in[4 + sizeof(lnstat)];
  struct sockaddr_in a;
  struct timeval tv = { 2, 0 };
  uint64 v[LN_NSTATS];
  uint32 n;
  int fd, r;

  if((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0){
    fprintf(2, "netstat: socket: %s\n", strerror(errno));
    return -1;
  }
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(netif.ip);
  if(sendto(fd, "?", 1, 0, (struct sockaddr *)&a, sizeof(a)) < 0 ||
     (r = recv(fd, in, sizeof(in), 0)) < 0){
    fprintf(2, "netstat: netd's counters: %s\n", strerror(errno));
    close(fd);
    return -1;
  }
  close(fd);
  memmove(&n, in, 4);
  if(r != sizeof(in) || n != LN_NSTATS){
    fprintf(2, "netstat: netd sent %d bytes for %d counters, wanted %d for %d\n",
            r, (int)n, (int)sizeof(in), LN_NSTATS);
    return -1;
  }
  memmove(v, in + 4, sizeof(v));
  for(int i = 0; i < LN_NSTATS; i++){
    if(nonzero && v[i] == 0)
      continue;
    if(verbose)
      printf("%-20s %lu  %s\n", lnstat_names[i], v[i], lndescs[i]);
    else
      printf("%-20s %lu\n", lnstat_names[i], v[i]);
  }
  return 0;
}

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
// usage: netstat [-l [-p port]] [-z] [-v]
//   -l  netd's libnet counters instead (what the host answered, and why not)
//   -p  with -l: the counters of the program serving port instead of netd's
//       (echoserver -s port)
//   -z  only the counters that are not zero
//   -v  each counter's meaning after its value
int
main(int argc, char *argv[])
{
  struct nc_stats st;
  uint32 ip, mask, gw;
  int c, nonzero = 0, verbose = 0, lib = 0, port = NET_STATPORT, r;

  while((c = getopt(argc, argv, "lp:zv")) != -1){
    switch(c){
    case 'l':
      lib = 1;
      break;
    case 'p':
      port = atoi(optarg);
      break;
    case 'z':
      nonzero = 1;
      break;
    case 'v':
      verbose = 1;
      break;
    default:
      fprintf(2, "usage: netstat [-l [-p port]] [-z] [-v]\n");
      exit(1);
    }
  }
  if(lib)
    exit(netdstats(port, nonzero, verbose) < 0 ? 1 : 0);
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
