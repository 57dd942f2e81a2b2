// ping: send ICMP echo requests to a host and report the replies, in
// the shape of iputils' ping, over a raw ICMP socket (libnet). The echo
// identifier is our pid; the stack claims it from the kernel on the
// first sendto, so the replies come to us and to no one else.
// Names are looked up with getaddrinfo (libnet/resolv.c).
// Not done: record route, flood, broadcast pings.
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/socket.h"
#include "libnet/netdb.h"
#include "libnet/wire.h"

#define DEFCOUNT 4       // no signals to stop a ping forever: stop after 4
#define MAXCOUNT 100000
#define MAXSIZE 65000    // payload bytes; the stack fragments

enum { P_NONE, P_OUT, P_OK, P_ERR, P_LOST };

static struct probe {
  uint64 sent;           // clock() at sendto
  int state;             // P_*
} *probes;

static char *hostname;
static int size = 56;
static int sock;
static uint32 dst, ourip;
static uint16 echoid;
static int ntx, nrx, nerr;
static uint64 rttmin = ~0ULL, rttmax, rttsum, rttsq;   // microseconds

static void
usage(void)
{
  fprintf(2, "usage: ping [-c count] [-i interval_s] [-s size] [-W timeout_s] host\n");
  exit(2);
}

// Seconds with up to three decimals ("0.2", "5", "1.25") in ms, or -1.
static int
parsesec(const char *s)
{
  int ms = 0, scale = 100, any = 0;

  for(; isdigit(*s); s++, any = 1){
    ms = ms * 10 + (*s - '0');
    if(ms > 3600 * 1000)
      return -1;
  }
  ms *= 1000;
  if(*s == '.')
    for(s++; isdigit(*s); s++, scale /= 10){
      ms += (*s - '0') * scale;
      any = 1;
    }
  if(*s != 0 || !any)
    return -1;
  return ms;
}

static int
parseint(const char *s, int lo, int hi)
{
  char *end;
  long v = strtol(s, &end, 10);

  if(*s == 0 || *end != 0 || v < lo || v > hi)
    return -1;
  return v;
}

static char *
ntoa(uint32 a)
{
  static char buf[2][16];
  static int n;

  n ^= 1;
  return ip_ntoa(a, buf[n]);
}

// The largest r with r*r <= v (Newton's method on integers).
static uint64
isqrt(uint64 v)
{
  uint64 x, y;

  if(v < 2)
    return v;
  x = v;
  y = (x + 1) / 2;
  while(y < x){
    x = y;
    y = (x + v / x) / 2;
  }
  return x;
}

// Send echo request seq. The payload begins with the send time, so a
// reply carries its own timestamp; the rest is a counting pattern.
// Returns 0, or the errno sendto failed with.
static int
sendecho(int seq)
{
  static uint8 *buf;
  struct sockaddr_in to;
  struct icmp_repr r;
  uint64 now;
  int i;

  if(buf == 0 && (buf = malloc(ICMP_HLEN + size)) == 0){
    fprintf(2, "ping: out of memory\n");
    exit(2);
  }
  now = clock();
  for(i = 0; i < size; i++)
    buf[ICMP_HLEN + i] = i;
  if(size >= 8)
    for(i = 0; i < 8; i++)
      buf[ICMP_HLEN + i] = now >> (56 - 8 * i);
  r.type = ICMP_ECHO;
  r.code = 0;
  r.id = echoid;
  r.seq = seq;
  r.rest = 0;
  icmp_emit(buf, ICMP_HLEN + size, &r, size);
  memset(&to, 0, sizeof(to));
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(dst);
  probes[seq].sent = now;
  if(sendto(sock, buf, ICMP_HLEN + size, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
    return errno;
  probes[seq].state = P_OUT;
  return 0;
}

// Every probe still waiting was dropped by our own stack: ARP for the
// next hop was never answered (the stack reports it once, for all).
static void
unreachable(void)
{
  for(int i = 1; i <= ntx; i++)
    if(probes[i].state == P_OUT){
      probes[i].state = P_ERR;
      nerr++;
      printf("From %s icmp_seq=%d Destination Host Unreachable\n", ntoa(ourip), i);
    }
}

static const char *
errname(int type, int code)
{
  if(type == ICMP_TIMXCEED)
    return "Time to live exceeded";
  if(type == ICMP_PARAMPROB)
    return "Parameter problem";
  switch(code){
  case 0:
    return "Destination Net Unreachable";
  case 1:
    return "Destination Host Unreachable";
  case ICMP_UNREACH_PROTO:
    return "Destination Protocol Unreachable";
  case ICMP_UNREACH_PORT:
    return "Destination Port Unreachable";
  case 4:
    return "Frag needed and DF set";
  }
  return "Destination Unreachable";
}

// An ICMP error about one of our echoes: the quoted datagram (its IP
// header, then at least 8 bytes of our echo request) says which seq.
static void
goterror(uint32 from, const struct icmp_repr *ic, const uint8 *q, int qlen)
{
  int qhlen, seq;

  if(qlen < IPV4_HLEN || (q[0] >> 4) != 4)
    return;
  qhlen = (q[0] & 0xf) * 4;
  if(qhlen < IPV4_HLEN || qlen < qhlen + ICMP_HLEN || q[9] != IP_PROTO_ICMP)
    return;
  q += qhlen;
  if(q[0] != ICMP_ECHO || get16(q + 4) != echoid)
    return;
  seq = get16(q + 6);
  if(seq < 1 || seq > ntx)
    return;
  printf("From %s icmp_seq=%d %s\n", ntoa(from), seq, errname(ic->type, ic->code));
  if(probes[seq].state == P_OUT){
    probes[seq].state = P_ERR;
    nerr++;
  }
}

static void
gotreply(const struct ipv4_repr *ip, const struct icmp_repr *ic, const uint8 *data, int dlen)
{
  uint64 t0, rtt;
  int seq = ic->seq, dup;

  if(ic->id != echoid || seq < 1 || seq > ntx)
    return;
  dup = probes[seq].state == P_OK;
  t0 = probes[seq].sent;
  if(dlen >= 8){
    t0 = 0;
    for(int i = 0; i < 8; i++)
      t0 = t0 << 8 | data[i];
  }
  rtt = clock() - t0;
  if(!dup){
    probes[seq].state = P_OK;
    nrx++;
    if(rtt < rttmin)
      rttmin = rtt;
    if(rtt > rttmax)
      rttmax = rtt;
    rttsum += rtt;
    rttsq += rtt * rtt;
  }
  printf("%d bytes from %s: icmp_seq=%d ttl=%d", ICMP_HLEN + dlen, ntoa(ip->src), seq, ip->ttl);
  if(size >= 8)
    printf(" time=%d.%03d ms", (int)(rtt / 1000), (int)(rtt % 1000));
  printf("%s\n", dup ? " (DUP!)" : "");
}

// Take every message waiting on the socket.
static void
receive(void)
{
  static uint8 buf[MAXSIZE + 128];
  struct sockaddr_in from;
  struct ipv4_repr ip;
  struct icmp_repr ic;
  socklen_t fl;
  int n, hlen;

  for(;;){
    fl = sizeof(from);
    n = recvfrom(sock, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
    if(n < 0 && errno == EAGAIN)
      return;
    if(n < 0){
      // a pending error, reported once: the next call goes on.
      if(errno == EHOSTUNREACH)
        unreachable();
      else
        fprintf(2, "ping: recvfrom: %s\n", strerror(errno));
      continue;
    }
    if((hlen = ipv4_parse(buf, n, &ip)) < 0 || ip.proto != IP_PROTO_ICMP)
      continue;
    if(icmp_parse(buf + hlen, ip.totlen - hlen, &ic) < 0)
      continue;
    if(ic.type == ICMP_ECHOREPLY)
      gotreply(&ip, &ic, buf + hlen + ICMP_HLEN, ip.totlen - hlen - ICMP_HLEN);
    else if(ic.type == ICMP_UNREACH || ic.type == ICMP_TIMXCEED || ic.type == ICMP_PARAMPROB)
      goterror(ip.src, &ic, buf + hlen + ICMP_HLEN, ip.totlen - hlen - ICMP_HLEN);
  }
}

static void
summary(uint64 start)
{
  uint64 ms = (clock() - start) / 1000;

  printf("\n--- %s ping statistics ---\n", hostname);
  printf("%d packets transmitted, %d received, ", ntx, nrx);
  if(nerr)
    printf("+%d errors, ", nerr);
  printf("%d%% packet loss, time %dms\n", ntx ? (ntx - nrx) * 100 / ntx : 0, (int)ms);
  if(nrx > 0 && size >= 8){
    uint64 avg = rttsum / nrx;
    uint64 meansq = rttsq / nrx;
    uint64 mdev = isqrt(meansq > avg * avg ? meansq - avg * avg : 0);
    printf("rtt min/avg/max/mdev = %d.%03d/%d.%03d/%d.%03d/%d.%03d ms\n",
           (int)(rttmin / 1000), (int)(rttmin % 1000), (int)(avg / 1000), (int)(avg % 1000),
           (int)(rttmax / 1000), (int)(rttmax % 1000), (int)(mdev / 1000), (int)(mdev % 1000));
  }
}

// The address of host, a dotted address or a name; exits as Linux's
// ping does (status 2) if it has none.
static uint32
resolve(const char *host)
{
  struct addrinfo hints, *res;
  uint32 ip;
  int err;

  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_RAW;
  hints.ai_protocol = IPPROTO_ICMP;
  if((err = getaddrinfo(host, 0, &hints, &res)) != 0){
    fprintf(2, "ping: %s: %s\n", host, gai_strerror(err));
    exit(2);
  }
  ip = ntohl(((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr);
  freeaddrinfo(res);
  return ip;
}

// The main loop: send one probe every interval, count a probe lost if
// no answer came within timeout, stop when all are answered or lost.
static void
run(int count, int interval, int timeout)
{
  struct pollfd pfd;
  uint64 now, next, wake;
  int err, i;

  next = clock();
  for(;;){
    now = clock();
    if(ntx < count && now >= next){
      ntx++;
      if((err = sendecho(ntx)) == EHOSTUNREACH){
        // an earlier probe's failure, reported at this send: retry.
        unreachable();
        err = sendecho(ntx);
      }
      if(err){
        printf("ping: sendto: %s\n", strerror(err));
        probes[ntx].state = P_ERR;
        nerr++;
      }
      next += (uint64)interval * 1000;
    }
    wake = ntx < count ? next : ~0ULL;
    for(i = 1; i <= ntx; i++){
      if(probes[i].state != P_OUT)
        continue;
      if(now >= probes[i].sent + (uint64)timeout * 1000){
        probes[i].state = P_LOST;
        printf("Request timeout for icmp_seq %d\n", i);
      } else if(probes[i].sent + (uint64)timeout * 1000 < wake){
        wake = probes[i].sent + (uint64)timeout * 1000;
      }
    }
    if(wake == ~0ULL)
      return;
    pfd.fd = sock;
    pfd.events = POLLIN;
    now = clock();
    if(poll(&pfd, 1, wake > now ? (int)((wake - now + 999) / 1000) : 0) > 0)
      receive();
  }
}

// ping: send ICMP echo requests and print the replies
// usage: ping [-c count] [-i interval_s] [-s size] [-W timeout_s] host
//   -c  stop after count requests (default 4)
//   -i  seconds between requests, decimals allowed (default 1)
//   -s  payload bytes (default 56; 8 or more to get round-trip times)
//   -W  seconds to wait for each reply (default 5)
// Exit status 0 if any reply came, 1 if none, 2 on a usage or local error.
int
main(int argc, char *argv[])
{
  uint64 start;
  int c, count = DEFCOUNT, interval = 1000, timeout = 5000;

  while((c = getopt(argc, argv, "c:i:s:W:")) != -1){
    switch(c){
    case 'c':
      if((count = parseint(optarg, 1, MAXCOUNT)) < 0){
        fprintf(2, "ping: bad count %s (1 to %d)\n", optarg, MAXCOUNT);
        exit(2);
      }
      break;
    case 'i':
      if((interval = parsesec(optarg)) < 0){
        fprintf(2, "ping: bad interval %s\n", optarg);
        exit(2);
      }
      break;
    case 's':
      if((size = parseint(optarg, 0, MAXSIZE)) < 0){
        fprintf(2, "ping: bad size %s (0 to %d)\n", optarg, MAXSIZE);
        exit(2);
      }
      break;
    case 'W':
      if((timeout = parsesec(optarg)) <= 0){
        fprintf(2, "ping: bad timeout %s\n", optarg);
        exit(2);
      }
      break;
    default:
      usage();
    }
  }
  if(argc - optind != 1)
    usage();
  hostname = argv[optind];
  dst = resolve(hostname);
  getipaddr(&ourip, 0, 0);
  if((probes = calloc(count + 1, sizeof(*probes))) == 0){
    fprintf(2, "ping: out of memory\n");
    exit(2);
  }
  if((sock = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)) < 0){
    fprintf(2, "ping: socket: %s\n", strerror(errno));
    exit(2);
  }
  echoid = getpid() & 0xffff;
  printf("PING %s (%s) %d(%d) bytes of data.\n", hostname, ntoa(dst), size,
         size + ICMP_HLEN + IPV4_HLEN);
  start = clock();
  run(count, interval, timeout);
  summary(start);
  exit(nrx > 0 ? 0 : 1);
}
