// rawudp: send and receive UDP datagrams as raw Ethernet frames on a
// network channel, for the wire tests. It builds and parses just
// Ethernet, IPv4 (no options sent, none needed on receipt) and UDP; it
// does no ARP (the destination MAC is given or the gateway's), no
// fragments, no retransmission. libnet's stack is not used on purpose:
// this tool tests the channel, not the stack.
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/chan.h"
#include "libnet/wire.h"

#define HDRS     (ETH_HLEN + IPV4_HLEN + UDP_HLEN)

// QEMU's user networking answers for the gateway with this MAC; over
// NET=dgram nobody checks it.
static uint8 dmac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static int dmacset;       // -m given
static int hexout;        // -x: print whole payloads in hex
static int timeout = -1;  // -t: give up after this many ms (-1: never)
static uint32 srcip;      // -s: send from this address, not ours (the kernel should refuse)
static int srcset;
static int srcport;       // -p: send from this port, claimed if it is free
static struct chan ch;

// Write an Ethernet + IPv4 + UDP frame carrying plen bytes of pay into
// f (room for HDRS + plen). Returns the frame's length.
static int
udpemit(uint8 *f, uint32 sip, uint32 dip, int sport, int dport, const char *pay, int plen)
{
  static uint16 id;
  uint8 *ip = f + ETH_HLEN, *u = ip + IPV4_HLEN, ph[12];
  uint16 sum;

  memmove(f, dmac, 6);
  memmove(f + 6, ch.info->mac, 6);
  put16(f + 12, 0x0800);
  ip[0] = 0x45;
  ip[1] = 0;
  put16(ip + 2, IPV4_HLEN + UDP_HLEN + plen);
  put16(ip + 4, ++id);
  put16(ip + 6, 0x4000);   // DF: we never fragment
  ip[8] = 64;
  ip[9] = 17;
  put16(ip + 10, 0);
  put32(ip + 12, sip);
  put32(ip + 16, dip);
  put16(ip + 10, cksum_fold(cksum_add(0, ip, IPV4_HLEN)));

  put16(u, sport);
  put16(u + 2, dport);
  put16(u + 4, UDP_HLEN + plen);
  put16(u + 6, 0);
  memmove(u + UDP_HLEN, pay, plen);
  // RFC 768: the checksum covers a pseudo-header of the addresses,
  // protocol and UDP length; a computed 0 is sent as all ones.
  put32(ph, sip);
  put32(ph + 4, dip);
  ph[8] = 0;
  ph[9] = 17;
  put16(ph + 10, UDP_HLEN + plen);
  sum = cksum_fold(cksum_add(cksum_add(0, ph, 12), u, UDP_HLEN + plen));
  put16(u + 6, sum ? sum : 0xffff);
  return HDRS + plen;
}

static int
parsemac(const char *s, uint8 *m)
{
  char *end;

  for(int i = 0; i < 6; i++){
    unsigned long v = strtoul(s, &end, 16);
    if(end == s || v > 255 || (i < 5 && *end != ':') || (i == 5 && *end))
      return -1;
    m[i] = v;
    s = end + 1;
  }
  return 0;
}

static void
die(const char *what, int r)
{
  fprintf(2, "rawudp: %s: %s\n", what, strerror(-r));
  exit(1);
}

// Print one received UDP datagram for port, if the frame is one.
// Returns 1 if it was, 0 for anything else (ARP reaches every channel).
static int
show(const uint8 *f, int len, int port)
{
  const uint8 *ip = f + ETH_HLEN, *u;
  int hl, tot, ulen;

  if(len < ETH_HLEN + IPV4_HLEN || get16(f + 12) != 0x0800 || (ip[0] >> 4) != 4)
    return 0;
  hl = (ip[0] & 0xf) * 4;
  tot = get16(ip + 2);
  if(hl < IPV4_HLEN || ip[9] != 17 || tot > len - ETH_HLEN || tot < hl + UDP_HLEN)
    return 0;
  u = ip + hl;
  ulen = get16(u + 4);
  if(get16(u + 2) != port || ulen < UDP_HLEN || ulen > tot - hl)
    return 0;
  uint32 src = get32(ip + 12);
  int plen = ulen - UDP_HLEN;
  const uint8 *pay = u + UDP_HLEN;
  printf("rawudp: got %d bytes from %d.%d.%d.%d:%d payload ", plen, src >> 24,
         (src >> 16) & 0xff, (src >> 8) & 0xff, src & 0xff, get16(u));
  if(hexout){
    for(int i = 0; i < plen; i++)
      printf("%02x", pay[i]);
  } else {
    char s[33];
    int n = plen < 32 ? plen : 32;
    for(int i = 0; i < n; i++)
      s[i] = isprint(pay[i]) ? pay[i] : '.';
    s[n] = 0;
    printf("%s", s);
  }
  printf("\n");
  return 1;
}

static int
recvmain(int port, int n)
{
  int r, got = 0, len;
  uint64 t0 = clock();
  uint8 *f;

  if((r = chan_claim(&ch, NC_PROTO_UDP, port)) < 0)
    die("claim", r);
  printf("rawudp: listening on %d\n", port);
  while(got < n){
    int left = -1;
    if(timeout >= 0){
      left = timeout - (int)((clock() - t0) / 1000);
      if(left <= 0){
        printf("rawudp: timeout after %d ms, got %d of %d\n", timeout, got, n);
        return 1;
      }
    }
    if((r = chan_sync(&ch, left)) < 0)
      die("sync", r);
    while(got < n && (f = chan_rxframe(&ch, &len)) != 0){
      got += show(f, len, port);
      chan_rxpop(&ch);
    }
  }
  return 0;
}

static const char *names[] = {
#define NC_NAME(name, desc) #name,
  NC_STATS(NC_NAME)
#undef NC_NAME
};

static int
sendmain(uint32 dip, int dport, const char *msg, int count)
{
  struct nc_stats st;
  uint32 sip;
  int sport, r, plen = strlen(msg);
  uint8 *b;

  if(plen > NC_MTU - IPV4_HLEN - UDP_HLEN){
    fprintf(2, "rawudp: message longer than %d bytes\n", NC_MTU - IPV4_HLEN - UDP_HLEN);
    return 1;
  }
  if(srcport){
    // another's port is sent from all the same: the kernel must refuse.
    if((r = chan_claim(&ch, NC_PROTO_UDP, srcport)) < 0)
      fprintf(2, "rawudp: claim %d: %s, sending anyway\n", srcport, strerror(-r));
    sport = srcport;
  } else if((sport = chan_claim(&ch, NC_PROTO_UDP, 0)) < 0)
    die("claim", sport);
  if((r = getipaddr(&sip, 0, 0)) < 0)
    die("getipaddr", r);
  if(srcset)
    sip = srcip;
  // A frame to ourselves must carry our MAC too, or the loopback path
  // drops it as not for us.
  if(!dmacset && (dip == sip || (dip >> 24) == 127))
    memmove(dmac, ch.info->mac, 6);
  for(int i = 0; i < count; i++){
    if((b = chan_txwait(&ch, &r)) == 0)
      die("sync", r);
    chan_txpush(&ch, udpemit(b, sip, dip, sport, dport, msg, plen));
  }
  // A slot comes back with the buffer and flags of the slot after it
  // (netchan.h), so the outcome is read from the channel's counters.
  if((r = chan_txsettle(&ch, count, &st, 2000)) < 0)
    die("sync", r);
  printf("rawudp: sent %lu of %d to %d.%d.%d.%d:%d from port %d\n", st.v[NC_tx_frames], count,
         dip >> 24, (dip >> 16) & 0xff, (dip >> 8) & 0xff, dip & 0xff, dport, sport);
  r = st.v[NC_tx_frames] == count ? 0 : 1;
  for(int i = NC_tx_reject_badindex; i <= NC_tx_reject_nodev; i++)
    if(st.v[i])
      printf("rawudp: rejected %lu (%s)\n", st.v[i], names[i]);
  return r;
}

static void
usage(void)
{
  fprintf(2, "usage: rawudp [-x] [-t ms] recv port [n]\n"
             "       rawudp [-m mac] [-s srcip] [-p srcport] send dstip dstport msg [count]\n");
  exit(1);
}

// rawudp: send or receive raw UDP frames on a network channel
// usage: rawudp [-x] [-t ms] recv port [n]
//        rawudp [-m mac] [-s srcip] [-p srcport] send dstip dstport msg [count]
// recv claims UDP port and prints the first n (1) datagrams to it, in
// hex with -x, giving up after ms milliseconds with -t. send claims an
// ephemeral port and sends msg count (1) times to dstip:dstport, in
// frames to MAC mac (by default the gateway's, 52:55:0a:00:02:02, or
// our own for our address and 127/8). -s and -p send from another
// address or a given port (claimed if free), to try the kernel's checks.
int
main(int argc, char *argv[])
{
  int c, r;

  while((c = getopt(argc, argv, "xt:m:s:p:")) != -1){
    switch(c){
    case 'x':
      hexout = 1;
      break;
    case 't':
      timeout = atoi(optarg);
      break;
    case 'm':
      if(parsemac(optarg, dmac) < 0)
        usage();
      dmacset = 1;
      break;
    case 's':
      if(!ip_aton(optarg, &srcip))
        usage();
      srcset = 1;
      break;
    case 'p':
      if((srcport = atoi(optarg)) <= 0 || srcport > 65535)
        usage();
      break;
    default:
      usage();
    }
  }
  argc -= optind;
  argv += optind;
  if(argc < 1)
    usage();
  if((r = chan_open(&ch)) < 0)
    die("netopen", r);
  if(strcmp(argv[0], "recv") == 0 && (argc == 2 || argc == 3)){
    int port = atoi(argv[1]), n = argc == 3 ? atoi(argv[2]) : 1;
    if(port <= 0 || port > 65535 || n <= 0)
      usage();
    exit(recvmain(port, n));
  }
  if(strcmp(argv[0], "send") == 0 && (argc == 4 || argc == 5)){
    uint32 dip = 0;
    if(!ip_aton(argv[1], &dip))
      dip = 0;
    int dport = atoi(argv[2]), count = argc == 5 ? atoi(argv[4]) : 1;
    if(dip == 0 || dport <= 0 || dport > 65535 || count <= 0)
      usage();
    exit(sendmain(dip, dport, argv[3], count));
  }
  usage();
  return 1;
}
