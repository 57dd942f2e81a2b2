// zcsend: send UDP datagrams whose payload the device reads from the
// channel's payload cache (kernel/netchan.h, NCS_PAYLOAD), for the wire
// tests of the zero-copy send path. It fills a cache with a pattern
// once, sums the payload once, and then builds only headers per
// datagram: the same cache bytes go out in every frame, many in flight
// at once. With -b it sends frames the kernel must refuse instead.
// Like rawudp it does no ARP and uses no libnet stack.
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/chan.h"
#include "libnet/wire.h"

#define HDRS (ETH_HLEN + IPV4_HLEN + UDP_HLEN)

static uint8 dmac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };  // slirp's gateway
static struct chan ch;

// The bad frames -b sends, and how each is made wrong.
enum { B_NONE, B_PAST, B_WRAP, B_IPLEN, B_BIG, B_NOCACHE, B_ZERO, B_RESERVED,
       B_ICMP, B_FRAG, B_SRCPORT, B_HDRLONG };
static const char *badnames[] = {
  [B_PAST] "past", [B_WRAP] "wrap", [B_IPLEN] "iplen", [B_BIG] "big",
  [B_NOCACHE] "nocache", [B_ZERO] "zero", [B_RESERVED] "reserved",
  [B_ICMP] "icmp", [B_FRAG] "frag", [B_SRCPORT] "srcport", [B_HDRLONG] "hdrlong",
};

static const char *names[] = {
#define NC_NAME(name, desc) #name,
  NC_STATS(NC_NAME)
#undef NC_NAME
};

// The cache's byte at offset i for seed: it changes every byte, and
// differently in every 256-byte run and every page, so a piece from
// the wrong place or the wrong page shows.
static uint8
pattern(uint32 i, int seed)
{
  return i + 7 * (i >> 8) + 29 * (i >> 12) + seed;
}

static void
die(const char *what, int r)
{
  fprintf(2, "zcsend: %s: %s\n", what, strerror(-r));
  exit(1);
}

// Write the Ethernet, IPv4 and UDP headers of a datagram carrying plen
// payload bytes whose partial sum is paysum into f. The IPv4 total
// length is iplen (the right one unless -b iplen). Returns HDRS.
static int
hdremit(uint8 *f, uint32 sip, uint32 dip, int sport, int dport, int plen, uint32 paysum,
        int iplen, int proto, int fragoff)
{
  static uint16 id;
  uint8 *ip = f + ETH_HLEN, *u = ip + IPV4_HLEN;
  uint32 sum;

  memmove(f, dmac, 6);
  memmove(f + 6, ch.info->mac, 6);
  put16(f + 12, 0x0800);
  ip[0] = 0x45;
  ip[1] = 0;
  put16(ip + 2, iplen);
  put16(ip + 4, ++id);
  put16(ip + 6, fragoff);
  ip[8] = 64;
  ip[9] = proto;
  put16(ip + 10, 0);
  put32(ip + 12, sip);
  put32(ip + 16, dip);
  put16(ip + 10, cksum_fold(cksum_add(0, ip, IPV4_HLEN)));

  put16(u, sport);
  put16(u + 2, dport);
  put16(u + 4, UDP_HLEN + plen);
  put16(u + 6, 0);
  // RFC 768: pseudo-header, header, payload. The header is 8 bytes, so
  // the payload's own sum adds on as it is.
  sum = cksum_pseudo(sip, dip, 17, UDP_HLEN + plen) + cksum_add(0, u, UDP_HLEN) + paysum;
  sum = cksum_fold(sum);
  put16(u + 6, sum ? sum : 0xffff);
  return HDRS;
}

// Queue one split frame (or the bad kind of one) of plen cache bytes
// from off.
static void
queue(uint32 sip, uint32 dip, int sport, int dport, uint32 off, int plen, uint32 paysum, int bad)
{
  uint8 *b;
  int r, iplen = IPV4_HLEN + UDP_HLEN + plen, proto = 17, frag = 0x4000, hlen = HDRS;
  uint32 h;

  if((b = chan_txwait(&ch, &r)) == 0)
    die("sync", r);
  h = ch.tx->head;
  if(bad == B_IPLEN)
    iplen++;
  if(bad == B_ICMP)
    proto = 1;
  if(bad == B_FRAG)
    frag = 0x2000;   // MF: a first fragment
  if(bad == B_SRCPORT)
    sport ^= 1;
  hdremit(b, sip, dip, sport, dport, plen, paysum, iplen, proto, frag);
  if(bad == B_HDRLONG){
    // 120 bytes of headers (IPv4 options), more than the kernel copies
    b[ETH_HLEN] = 0x4f;
    hlen = 120;
    put16(b + ETH_HLEN + 2, hlen - ETH_HLEN + plen);
  }
  chan_txsplit(&ch, hlen, off, plen);
  if(bad == B_RESERVED)
    ch.txpay[h].reserved = 1;
}

// Send count datagrams of plen cache bytes from off, to dip:dport.
// With pause, stop once they are handed over and wait to be killed.
static int
sendmain(uint32 dip, int dport, uint32 off, int plen, int count, int bad, int pause)
{
  struct nc_stats st;
  uint32 sip, paysum = 0;
  int sport, r;

  if((sport = chan_claim(&ch, NC_PROTO_UDP, 0)) < 0)
    die("claim", sport);
  if((r = getipaddr(&sip, 0, 0)) < 0)
    die("getipaddr", r);
  if(dip == sip || (dip >> 24) == 127)
    memmove(dmac, ch.info->mac, 6);
  if(ch.cache && bad == B_NONE)
    paysum = cksum_add(0, ch.cache + off, plen);
  for(int i = 0; i < count; i++)
    queue(sip, dip, sport, dport, off, plen, paysum, bad);
  if(pause){
    if((r = chan_sync(&ch, 0)) < 0)
      die("sync", r);
    printf("zcsend: %d handed over, pausing\n", count);
    for(;;)
      sleep(100);
  }
  if((r = chan_txsettle(&ch, count, &st, 5000)) < 0)
    die("sync", r);
  printf("zcsend: sent %lu of %d, %d bytes from cache offset %u, from port %d\n",
         st.v[NC_tx_frames], count, plen, off, sport);
  printf("zcsend: split %lu copy_bytes %lu copy_payload_bytes %lu\n",
         st.v[NC_tx_split_frames], st.v[NC_copy_bytes], st.v[NC_copy_payload_bytes]);
  for(int i = NC_tx_reject_badindex; i <= NC_tx_reject_splithdr; i++)
    if(st.v[i])
      printf("zcsend: rejected %lu (%s)\n", st.v[i], names[i]);
  return st.v[NC_tx_frames] == count ? 0 : 1;
}

static void
usage(void)
{
  fprintf(2, "usage: zcsend [-p] [-k pages] [-f seed] [-o off] [-l len] [-n count] [-b bad]\n"
             "              dstip dstport\n");
  exit(1);
}

// zcsend: send UDP datagrams with their payload from a payload cache
// usage: zcsend [-p] [-k pages] [-f seed] [-o off] [-l len] [-n count] [-b bad]
//               dstip dstport
// Opens a channel with a cache of pages (4) pages, fills it with the
// pattern for seed (0): byte i is i + 7(i >> 8) + 29(i >> 12) + seed,
// mod 256, and sends count (1) datagrams of len (1024) bytes from cache
// offset off (0) to dstip:dstport, through the gateway's MAC (our own
// for our address and 127/8). It prints what was sent, what the kernel
// copied, and every rejection. -p: stop once the frames are handed
// over, and wait to be killed. -b sends frames the kernel must refuse:
// past (beyond the cache), wrap (offset + length wraps 32 bits), iplen
// (IPv4 length off by one), big (over 1514 bytes), nocache (a channel
// without one), zero (no payload), reserved (the reference's reserved
// bits set), icmp, frag (a first fragment), srcport (a port not
// claimed), hdrlong (120 bytes of headers).
int
main(int argc, char *argv[])
{
  int c, r, pages = 4, seed = 0, plen = 1024, count = 1, bad = B_NONE, pause = 0;
  uint32 off = 0, dip = 0;

  while((c = getopt(argc, argv, "pk:f:o:l:n:b:")) != -1){
    switch(c){
    case 'p':
      pause = 1;
      break;
    case 'k':
      pages = atoi(optarg);
      break;
    case 'f':
      seed = atoi(optarg);
      break;
    case 'o':
      off = strtoul(optarg, 0, 0);
      break;
    case 'l':
      plen = atoi(optarg);
      break;
    case 'n':
      count = atoi(optarg);
      break;
    case 'b':
      for(bad = B_PAST; bad <= B_HDRLONG; bad++)
        if(strcmp(optarg, badnames[bad]) == 0)
          break;
      if(bad > B_HDRLONG){
        fprintf(2, "zcsend: unknown bad frame kind %s\n", optarg);
        usage();
      }
      break;
    default:
      usage();
    }
  }
  argc -= optind;
  argv += optind;
  if(argc != 2 || !ip_aton(argv[0], &dip) || dip == 0)
    usage();
  int dport = atoi(argv[1]);
  if(dport <= 0 || dport > 65535 || count <= 0 || plen < 0 || plen > 65535 || pages < 0)
    usage();
  if(bad == B_NOCACHE)
    pages = 0;
  if((r = chan_opencache(&ch, pages)) < 0)
    die("netopen", r);
  for(uint32 i = 0; i < ch.cachesize; i++)
    ch.cache[i] = pattern(i, seed);
  if(bad == B_NONE && (uint64)off + plen > ch.cachesize){
    fprintf(2, "zcsend: %d bytes from offset %u do not fit a cache of %u bytes\n",
            plen, off, ch.cachesize);
    exit(1);
  }
  switch(bad){
  case B_PAST:
    off = ch.cachesize - plen + 1;
    break;
  case B_WRAP:
    off = 0xffffff00;
    plen = 0x200;
    break;
  case B_BIG:
    plen = NC_FRAMEMAX - HDRS + 1;
    break;
  case B_ZERO:
    plen = 0;
    break;
  }
  exit(sendmain(dip, dport, off, plen, count, bad, pause));
}
