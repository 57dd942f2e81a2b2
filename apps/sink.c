// sink: receive UDP frames on a claimed port and count them, for the
// benchmark (blast is the other end). It reads only the EtherType of
// each frame (ARP reaches every channel and is not counted) and touches
// no payload byte.
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/chan.h"

#define SILENCE 5000   // ms without a frame that end the run

static void
die(const char *what, int r)
{
  fprintf(2, "sink: %s: %s\n", what, strerror(-r));
  exit(1);
}

// sink: count received UDP frames
// usage: sink n [port]
// Claims UDP port (9000) and receives until n frames arrived or none
// came for 5 seconds; the time runs from the first frame to the last.
int
main(int argc, char *argv[])
{
  struct chan ch;
  struct nc_stats st;
  int n, port = 9000, r, len, got = 0;
  uint64 bytes = 0, t0 = 0, t1 = 0, us;
  uint8 *f;

  if(argc != 2 && argc != 3){
    fprintf(2, "usage: sink n [port]\n");
    exit(1);
  }
  n = atoi(argv[1]);
  if(argc == 3)
    port = atoi(argv[2]);
  if(n <= 0 || port <= 0 || port > 65535){
    fprintf(2, "usage: sink n [port]\n");
    exit(1);
  }
  if((r = chan_open(&ch)) < 0)
    die("netopen", r);
  if((r = chan_claim(&ch, NC_PROTO_UDP, port)) < 0)
    die("claim", r);
  printf("sink: listening on %d\n", port);
  while(got < n){
    if((r = chan_sync(&ch, SILENCE)) < 0)
      die("sync", r);
    if(r == 0)
      break;
    while((f = chan_rxframe(&ch, &len)) != 0){
      if(len >= 14 && f[12] == 0x08 && f[13] == 0x00){
        if(got++ == 0)
          t0 = clock();
        bytes += len;
      }
      chan_rxpop(&ch);
    }
    t1 = clock();
  }
  us = t1 > t0 ? t1 - t0 : 1;
  printf("sink: %d frames %lu bytes in %lu us: %lu frames/s %lu.%lu Mbit/s\n", got, bytes, us,
         (uint64)got * 1000000 / us, bytes * 8 / us, bytes * 80 / us % 10);
  if(netstat(ch.fd, &st) == 0 && st.v[NC_rx_drop_ringfull])
    printf("sink: %lu frames dropped, queue full\n", st.v[NC_rx_drop_ringfull]);
  exit(got == n ? 0 : 1);
}
