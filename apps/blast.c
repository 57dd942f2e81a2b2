// blast: send UDP frames through a network channel's TX ring as fast as
// it will take them, for the benchmark. Each batch fills every free TX
// slot and hands them over with one netsync. Only the 42 bytes of
// headers are written per frame; the payload is whatever the buffer
// holds (its UDP checksum is 0, "none", RFC 768). It does no ARP: frames
// to our own address carry our MAC and loop back, others go to the
// gateway's MAC.
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/chan.h"
#include "libnet/wire.h"

#define HDRS 42    // Ethernet 14 + IPv4 20 + UDP 8

static struct chan ch;

// The headers every frame starts with: len bytes in all.
static void
template(uint8 *t, uint32 sip, uint32 dip, int sport, int dport, int len)
{
  static const uint8 gwmac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
  uint8 *ip = t + 14, *u = ip + 20;

  memmove(t, dip == sip || (dip >> 24) == 127 ? ch.info->mac : gwmac, 6);
  memmove(t + 6, ch.info->mac, 6);
  put16(t + 12, 0x0800);
  memset(ip, 0, 20);
  ip[0] = 0x45;
  put16(ip + 2, len - 14);
  put16(ip + 6, 0x4000);
  ip[8] = 64;
  ip[9] = 17;
  put32(ip + 12, sip);
  put32(ip + 16, dip);
  put16(ip + 10, cksum_fold(cksum_add(0, ip, IPV4_HLEN)));
  put16(u, sport);
  put16(u + 2, dport);
  put16(u + 4, len - 34);
  put16(u + 6, 0);
}

static void
die(const char *what, int r)
{
  fprintf(2, "blast: %s: %s\n", what, strerror(-r));
  exit(1);
}

static void
drainrx(void)
{
  int len;

  while(chan_rxframe(&ch, &len))
    chan_rxpop(&ch);
}

static void
usage(void)
{
  fprintf(2, "usage: blast [-k] [-b batch] n len [dstip dstport]; 60 <= len <= %d\n",
          NC_FRAMEMAX);
  exit(1);
}

// blast: send UDP frames as fast as possible
// usage: blast [-k] [-b batch] n len [dstip dstport]
// Sends n frames of len bytes (60..1514, headers included) to
// dstip:dstport (10.0.2.15:9000, where sink listens, by default),
// handing over at most batch (all free) slots per netsync; -k keeps
// one free slot back, never handing over the whole ring (a kernel that
// cannot tell a full ring from an empty one stalls otherwise).
int
main(int argc, char *argv[])
{
  uint8 tmpl[HDRS], *b;
  struct nc_stats st;
  uint32 sip, dip = 0x0a00020f;
  int n, len, dport = 9000, sport, r, c, pushed = 0, batch = NC_NSLOTS, keep = 0, k;
  uint64 t0, us, bytes, stuck;

  while((c = getopt(argc, argv, "b:k")) != -1){
    if(c == 'k')
      keep = 1;
    else if(c != 'b' || (batch = atoi(optarg)) <= 0)
      usage();
  }
  argc -= optind;
  argv += optind;
  if(argc != 2 && argc != 4)
    usage();
  n = atoi(argv[0]);
  len = atoi(argv[1]);
  if(argc == 4){
    if(!ip_aton(argv[2], &dip))
      dip = 0;
    dport = atoi(argv[3]);
  }
  if(n <= 0 || len < 60 || len > NC_FRAMEMAX || dip == 0 || dport <= 0 || dport > 65535)
    usage();
  if((r = chan_open(&ch)) < 0)
    die("netopen", r);
  if((sport = chan_claim(&ch, NC_PROTO_UDP, 0)) < 0)
    die("claim", sport);
  if((r = getipaddr(&sip, 0, 0)) < 0)
    die("getipaddr", r);
  template(tmpl, sip, dip, sport, dport, len);

  t0 = stuck = clock();
  while(pushed < n){
    for(k = 0; k < batch && pushed < n && nc_ring_space(ch.tx) > keep &&
        (b = chan_txbuf(&ch)) != 0; k++){
      memmove(b, tmpl, HDRS);
      chan_txpush(&ch, len);
      pushed++;
    }
    if((r = chan_sync(&ch, 0)) < 0)
      die("sync", r);
    // no slot came back: wait for the device (or a timeout) instead of spinning.
    if(nc_ring_space(ch.tx) == 0 && (r = chan_sync(&ch, 100)) < 0)
      die("sync", r);
    drainrx();
    if(nc_ring_space(ch.tx) > 0)
      stuck = clock();
    else if(clock() - stuck > 2000000){
      printf("blast: no TX slot came back in 2 s after %d frames (head %d tail %d)\n",
             pushed, ch.tx->head, ch.tx->tail);
      exit(1);
    }
  }
  // wait until the kernel has looked at every frame (5 s and 1 ms a
  // frame from the start at most).
  uint64 spent = (clock() - t0) / 1000, budget = 5000 + (uint64)n;
  if((r = chan_txsettle(&ch, n, &st, spent < budget ? budget - spent : 0)) < 0)
    die("sync", r);
  us = clock() - t0;
  if(us == 0)
    us = 1;
  bytes = st.v[NC_tx_bytes];
  printf("blast: %lu frames %d bytes in %lu us: %lu frames/s %lu.%lu Mbit/s copied %lu bytes\n",
         st.v[NC_tx_frames], len, us, st.v[NC_tx_frames] * 1000000 / us,
         bytes * 8 / us, bytes * 80 / us % 10, st.v[NC_copy_payload_bytes]);
  printf("blast: copy_bytes %lu, %lu.%lu per frame; %lu looped back\n", st.v[NC_copy_bytes],
         st.v[NC_copy_bytes] / n, st.v[NC_copy_bytes] * 10 / n % 10, st.v[NC_tx_loopback]);
  if(chan_txdealt(&st) > st.v[NC_tx_frames])
    printf("blast: %lu frames rejected\n", chan_txdealt(&st) - st.v[NC_tx_frames]);
  exit(st.v[NC_tx_frames] == n ? 0 : 1);
}
