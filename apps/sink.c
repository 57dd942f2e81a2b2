// sink: receive UDP frames on a claimed port and count them, for the
// benchmark (blast is the other end). It reads only the EtherType of
// each frame (ARP reaches every channel and is not counted) and touches
// no payload byte, unless asked to check them (-v). With -k it holds on
// to the last keep frames it read before giving each back, so the
// kernel refills a buffer soon after it was given back (a test of the
// RX path's TLB handling: a stale translation would show an old frame).
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/chan.h"
#include "libnet/wire.h"

#define SILENCE 5000   // ms without a frame that end the run
#define MASK (NC_NSLOTS - 1)

static void
die(const char *what, int r)
{
  fprintf(2, "sink: %s: %s\n", what, strerror(-r));
  exit(1);
}

// Is the IPv4 frame f a good UDP datagram (libnet's parsers check the
// lengths and both checksums) whose payload is the test pattern: a
// 4-byte sequence number above the last one seen, then byte k =
// (seq * 7 + k) & 0xff?
static uint32 lastseq;

static int
pattern(const uint8 *f, int len)
{
  struct ipv4_repr ip;
  struct udp_repr u;
  const uint8 *d;
  int hl, dlen;
  uint32 seq;

  f += ETH_HLEN;
  len -= ETH_HLEN;
  if((hl = ipv4_parse(f, len, &ip)) < 0 || ip.proto != IP_PROTO_UDP ||
     udp_parse(f + hl, ip.totlen - hl, ip.src, ip.dst, &u) < 0)
    return 0;
  d = f + hl + UDP_HLEN;
  dlen = u.len - UDP_HLEN;
  if(dlen < 4 || (seq = get32(d)) <= lastseq)
    return 0;
  for(int k = 4; k < dlen; k++)
    if(d[k] != ((seq * 7 + k) & 0xff))
      return 0;
  lastseq = seq;
  return 1;
}

static void
usage(void)
{
  fprintf(2, "usage: sink [-v] [-k keep] n [port]\n");
  exit(1);
}

// sink: count received UDP frames
// usage: sink [-v] [-k keep] n [port]
// Claims UDP port (9000) and receives until n frames arrived or none
// came for 5 seconds; the time runs from the first frame to the last.
// -v checks each payload against the pattern above and counts the
// wrong ones (and reads the first byte of each frame as it gives it
// back); -k keeps the last keep frames (< NC_NSLOTS - 1) unreturned.
int
main(int argc, char *argv[])
{
  struct chan ch;
  struct nc_stats st;
  int n, port = 9000, r, len, got = 0, c, verify = 0, keep = 0, wrong = 0;
  uint64 bytes = 0, t0 = 0, t1 = 0, us, last;
  uint32 cur;
  uint8 *f;

  while((c = getopt(argc, argv, "vk:")) != -1){
    if(c == 'v')
      verify = 1;
    else if(c != 'k' || (keep = atoi(optarg)) < 0 || keep >= NC_NSLOTS - 1)
      usage();
  }
  argc -= optind;
  argv += optind;
  if(argc != 1 && argc != 2)
    usage();
  n = atoi(argv[0]);
  if(argc == 2)
    port = atoi(argv[1]);
  if(n <= 0 || port <= 0 || port > 65535)
    usage();
  if((r = chan_open(&ch)) < 0)
    die("netopen", r);
  if((r = chan_claim(&ch, NC_PROTO_UDP, port)) < 0)
    die("claim", r);
  printf("sink: listening on %d\n", port);
  cur = ch.rx->head;   // next frame to read; [head, cur) read and kept
  last = clock();
  while(got < n){
    // with -k we own frames even when nothing new came, and netsync
    // returns at once: the silence is timed here.
    if((r = chan_sync(&ch, SILENCE)) < 0)
      die("sync", r);
    if(cur == ch.rx->tail){
      if(clock() - last >= SILENCE * 1000ULL)
        break;
      continue;
    }
    last = clock();
    while(cur != ch.rx->tail){
      struct nc_slot *sl = &ch.rx->slot[cur];
      f = chan_buf(&ch, sl->buf);
      len = sl->len;
      if(len >= 14 && f[12] == 0x08 && f[13] == 0x00){
        if(got++ == 0)
          t0 = clock();
        bytes += len;
        if(verify && !pattern(f, len))
          wrong++;
      }
      cur = nc_next(cur);
      while(((cur - ch.rx->head) & MASK) > keep){
        // look at the oldest once more as it goes back, as a program
        // done with a frame might: its translation is fresh in the TLB.
        if(verify)
          (void)*(volatile uint8 *)chan_buf(&ch, ch.rx->slot[ch.rx->head].buf);
        chan_rxpop(&ch);
      }
    }
    t1 = clock();
  }
  us = t1 > t0 ? t1 - t0 : 1;
  printf("sink: %d frames %lu bytes in %lu us: %lu frames/s %lu.%lu Mbit/s\n", got, bytes, us,
         (uint64)got * 1000000 / us, bytes * 8 / us, bytes * 80 / us % 10);
  if(netstat(ch.fd, &st) == 0 && st.v[NC_rx_drop_ringfull])
    printf("sink: %lu frames dropped, queue full\n", st.v[NC_rx_drop_ringfull]);
  if(verify)
    printf("sink: %d frames with a wrong payload\n", wrong);
  exit(got == n && wrong == 0 ? 0 : 1);
}
