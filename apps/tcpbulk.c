// tcpbulk: one bulk TCP transfer, either way, for measuring the stack
// and checking it against another: a server that takes one connection,
// a client that makes one. What is sent is a fixed pattern (pattern()
// below, period 65521 bytes, a prime, so no segment or buffer size
// lines up with it), and either end prints the SHA-256 of every byte it
// sent or received, so the peer's digest, or one computed apart, can
// be compared with it.
// The sender ends with shutdown(SHUT_WR) and waits for the receiver to
// close in turn: its time then counts delivery, not only the writes.
// With -x a client leaves its connection to exit(), which must deliver
// what was written and then close it (libnet's tcp_exit).
// Not done: more than one connection per run.
#include "kernel/types.h"
#include "apps/user.h"
#include "apps/sha256.h"
#include "libnet/socket.h"
#include "libnet/net.h"

#define PERIOD  65521    // pattern period: the largest prime below 2^16
#define CHUNK   16384    // bytes per read or write
#define MAXN    (1ULL << 40)

static int quick;        // -x: exit once the last byte is written
static int verbose;      // -v: print libnet's TCP counters at the end

// Print this process's libnet counters whose names start "tcp_" and
// are not zero: how the stack fared (retransmissions, recoveries...).
static void
tcpstats(void)
{
  for(int i = 0; i < LN_NSTATS; i++)
    if(lnstat[i] && strncmp(lnstat_names[i], "tcp_", 4) == 0)
      printf("tcpbulk: %s %lu\n", lnstat_names[i], (unsigned long)lnstat[i]);
}

// SHA-256 (FIPS 180-4), enough of it for one stream.
// Byte i of the stream is pat[i % PERIOD]: the top byte of a
// multiplicative hash of i % PERIOD (Knuth's 2654435761).
static uint8 pat[PERIOD + CHUNK];

static void
pattern_init(void)
{
  for(uint32 k = 0; k < sizeof(pat); k++)
    pat[k] = (uint8)(((k % PERIOD) * 2654435761U) >> 24);
}

static void
usage(void)
{
  fprintf(2, "usage: tcpbulk -s [-v] [-S bytes] port\n"
             "       tcpbulk -c [-vx] [-r | -n bytes] host port\n");
  exit(1);
}

static void
die(const char *what)
{
  fprintf(2, "tcpbulk: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint64
parsenum(const char *s, uint64 lo, uint64 hi)
{
  char *end;
  unsigned long v = strtoul(s, &end, 10);

  if(*s == 0 || *end != 0 || v < lo || v > hi){
    fprintf(2, "tcpbulk: bad number %s (%lu to %lu)\n", s, (unsigned long)lo, (unsigned long)hi);
    usage();
  }
  return v;
}

// Write n bytes of the pattern to s, hashing them. Returns 0, or -1
// with errno set.
static int
source(int s, uint64 n, struct sha256 *h)
{
  uint64 off = 0;
  int k, w;

  while(off < n){
    k = n - off < CHUNK ? n - off : CHUNK;
    if((w = write(s, pat + off % PERIOD, k)) < 0)
      return -1;
    sha256_update(h, pat + off % PERIOD, w);
    off += w;
  }
  return 0;
}

// Read s until end of file, hashing what comes; *n counts it. Returns
// 0, or -1 with errno set.
static int
sink(int s, uint64 *n, struct sha256 *h)
{
  static uint8 buf[CHUNK];
  int r;

  while((r = read(s, buf, sizeof(buf))) > 0){
    if(h)
      sha256_update(h, buf, r);
    *n += r;
  }
  return r;
}

// Move the bytes: n of them out, or (n == 0) in until end of file;
// then report. A sender shuts down its side and waits for the
// receiver's end of file, which must come with no more data.
static int
transfer(int s, uint64 n)
{
  struct sha256 h;
  uint64 t0, us, got = 0, extra = 0;
  char hex[65];

  sha256_init(&h);
  t0 = clock();
  if(n > 0){
    if(source(s, n, &h) < 0)
      die("write");
    if(quick){
      sha256_hex(&h, hex);
      printf("tcpbulk: wrote %lu bytes, sha256 %s; exiting\n", (unsigned long)n, hex);
      exit(0);
    }
    if(shutdown(s, SHUT_WR) < 0)
      die("shutdown");
    if(sink(s, &extra, 0) < 0)
      die("read after shutdown");
    if(extra > 0){
      fprintf(2, "tcpbulk: the receiver sent %lu bytes back\n", (unsigned long)extra);
      exit(1);
    }
    got = n;
  } else if(sink(s, &got, &h) < 0){
    die("read");
  }
  us = clock() - t0;
  if(us == 0)
    us = 1;
  close(s);
  sha256_hex(&h, hex);
  // MB are 10^6 bytes; bytes per microsecond is MB/s.
  printf("tcpbulk: %s %lu bytes in %lu.%03lu s, %lu.%02lu MB/s, sha256 %s\n",
         n > 0 ? "sent" : "received", (unsigned long)got,
         (unsigned long)(us / 1000000), (unsigned long)(us / 1000 % 1000),
         (unsigned long)(got / us), (unsigned long)(got * 100 / us % 100), hex);
  if(verbose)
    tcpstats();
  return 0;
}

static int
serve(int port, uint64 n)
{
  struct sockaddr_in a;
  socklen_t len = sizeof(a);
  int ls, s, one = 1;

  if((ls = socket(AF_INET, SOCK_STREAM, 0)) < 0)
    die("socket");
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if(bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0)
    die("bind");
  if(listen(ls, 1) < 0)
    die("listen");
  printf("tcpbulk: listening on port %d\n", port);
  if((s = accept(ls, (struct sockaddr *)&a, &len)) < 0)
    die("accept");
  close(ls);
  printf("tcpbulk: %s:%d connected\n", inet_ntoa(a.sin_addr), ntohs(a.sin_port));
  return transfer(s, n);
}

static int
dial(const char *host, int port, uint64 n)
{
  struct sockaddr_in a;
  int s;

  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if(!inet_aton(host, &a.sin_addr)){
    fprintf(2, "tcpbulk: %s: not an IPv4 address\n", host);
    exit(1);
  }
  if((s = socket(AF_INET, SOCK_STREAM, 0)) < 0)
    die("socket");
  if(connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
    die("connect");
  return transfer(s, n);
}

// tcpbulk: send or receive one stream of a known pattern
// usage: tcpbulk -s [-v] [-S bytes] port
//        tcpbulk -c [-vx] [-r | -n bytes] host port
//   -s  accept one connection on port; receive until end of file, or
//       with -S send bytes of the pattern
//   -c  connect to host:port; send -n bytes of the pattern (default
//       1048576), or with -r receive until end of file
//   -v  then print libnet's TCP counters that are not zero
//   -x  with -n: exit as soon as the last byte is written, no close
// Prints "tcpbulk: sent|received N bytes in S s, R MB/s, sha256 HEX"
// (MB: 10^6 bytes). Exit status 0 after a whole transfer, 1 otherwise.
int
main(int argc, char *argv[])
{
  int c, server = 0, client = 0, in = 0, port;
  uint64 n = 1 << 20, srcn = 0;

  while((c = getopt(argc, argv, "scrxvn:S:")) != -1){
    switch(c){
    case 's':
      server = 1;
      break;
    case 'c':
      client = 1;
      break;
    case 'r':
      in = 1;
      break;
    case 'x':
      quick = 1;
      break;
    case 'v':
      verbose = 1;
      break;
    case 'n':
      n = parsenum(optarg, 1, MAXN);
      break;
    case 'S':
      srcn = parsenum(optarg, 1, MAXN);
      break;
    default:
      usage();
    }
  }
  if(server == client || argc - optind != (server ? 1 : 2))
    usage();
  port = parsenum(argv[argc - 1], 1, 65535);
  pattern_init();
  if(server)
    return serve(port, srcn);
  return dial(argv[optind], port, in ? 0 : n);
}
