// spy: a hostile process for the trust-boundary tests. It looks for
// other processes' bytes where the channel must show it none, and tries
// to crowd other programs out of the port claims. It reads its own
// channel and nothing else: whatever it finds, the kernel gave it.
#include "kernel/types.h"
#include "kernel/errno.h"
#include "apps/user.h"
#include "libnet/chan.h"
#include "libnet/wire.h"

#define MARKER 0xa7   // the byte the tests fill other processes' frames with
#define MARKRUN 8     // this many in a row is a marker, not chance

static struct chan ch;

static void
die(const char *what, int r)
{
  fprintf(2, "spy: %s: %s\n", what, strerror(-r));
  exit(1);
}

// Is the UDP frame f (len bytes) for port?
static int
udpto(const uint8 *f, int len, int port)
{
  return len >= ETH_HLEN + IPV4_HLEN + UDP_HLEN && get16(f + 12) == 0x0800 &&
         (f[ETH_HLEN] >> 4) == 4 && f[ETH_HLEN + 9] == 17 &&
         get16(f + ETH_HLEN + (f[ETH_HLEN] & 0xf) * 4 + 2) == port;
}

// Does the buffer past the frame's end hold a run of the marker?
static int
markedtail(const uint8 *b, int len)
{
  int run = 0;

  for(int i = len; i < NC_BUFSIZE; i++){
    run = b[i] == MARKER ? run + 1 : 0;
    if(run >= MARKRUN)
      return 1;
  }
  return 0;
}

// Claim port and receive n UDP frames to it; count those whose buffer
// holds the marker past the frame's end. Exits 1 if any did.
static int
rxtail(int port, int n, int timeout)
{
  int r, got = 0, marked = 0, len;
  uint64 t0 = clock();
  uint8 *f;

  if((r = chan_claim(&ch, NC_PROTO_UDP, port)) < 0)
    die("claim", r);
  printf("spy: listening on %d\n", port);
  while(got < n){
    int left = timeout - (int)((clock() - t0) / 1000);
    if(left <= 0)
      break;
    if((r = chan_sync(&ch, left)) < 0)
      die("sync", r);
    while(got < n && (f = chan_rxframe(&ch, &len)) != 0){
      if(udpto(f, len, port)){
        got++;
        marked += markedtail(f, len);
      }
      chan_rxpop(&ch);
    }
  }
  printf("spy: %d frames, %d with another's bytes past their end\n", got, marked);
  return got == n && marked == 0 ? 0 : 1;
}

// Claim port and never sync: frames to it queue up in the kernel until
// its queue is full, and the rest are dropped. Runs until killed.
static void
hold(int port)
{
  int r;

  if((r = chan_claim(&ch, NC_PROTO_UDP, port)) < 0)
    die("claim", r);
  printf("spy: holding %d\n", port);
  for(;;)
    sleep(1000);
}

// Claim ephemeral UDP ports until the kernel refuses, and say why; then
// keep them until killed, so the tests can see who else can still claim.
static void
hog(void)
{
  int n = 0, r;

  while((r = chan_claim(&ch, NC_PROTO_UDP, 0)) > 0)
    n++;
  printf("spy: holding %d claims; the next was refused: %s\n", n, strerror(-r));
  for(;;)
    sleep(1000);
}

// Hold n claims, then time claim + release of one more port, rounds
// times: the cost of the claim table's lookup as it fills (docs).
static int
claimtime(int n, int rounds)
{
  uint64 t0;
  int r;

  for(int i = 0; i < n; i++)
    if((r = chan_claim(&ch, NC_PROTO_UDP, 0)) < 0)
      die("claim", r);
  t0 = clock();
  for(int i = 0; i < rounds; i++){
    if((r = chan_claim(&ch, NC_PROTO_UDP, 7399)) != 7399)
      die("claim 7399", r);
    if((r = chan_claim(&ch, NC_PROTO_UDP | NC_RELEASE, 7399)) != 0)
      die("release 7399", r);
  }
  t0 = clock() - t0;
  printf("spy: %d claims held: claim + release %lu.%02lu us\n", n, t0 / rounds,
         (t0 * 100 / rounds) % 100);
  return 0;
}

static void
usage(void)
{
  fprintf(2, "usage: spy rxtail port n [ms]\n"
             "       spy hold port\n"
             "       spy hog\n"
             "       spy claimtime n rounds\n");
  exit(1);
}

// spy: look for other processes' bytes in this process's channel
// usage: spy rxtail port n [ms] | spy hold port | spy hog | spy claimtime n rounds
// rxtail receives n UDP frames to port (waiting up to ms, default 10000)
// and counts those with the marker (0xa7 bytes) past their end; hold
// claims port and never syncs; hog claims ports until refused;
// claimtime holds n claims and times claim + release of one more.
int
main(int argc, char *argv[])
{
  int r;

  if(argc < 2)
    usage();
  if((r = chan_open(&ch)) < 0)
    die("netopen", r);
  if(strcmp(argv[1], "rxtail") == 0 && (argc == 4 || argc == 5))
    exit(rxtail(atoi(argv[2]), atoi(argv[3]), argc == 5 ? atoi(argv[4]) : 10000));
  if(strcmp(argv[1], "hold") == 0 && argc == 3)
    hold(atoi(argv[2]));
  if(strcmp(argv[1], "hog") == 0 && argc == 2)
    hog();
  if(strcmp(argv[1], "claimtime") == 0 && argc == 4)
    exit(claimtime(atoi(argv[2]), atoi(argv[3])));
  usage();
  return 1;
}
