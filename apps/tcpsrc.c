// tcpsrc: a TCP bulk source or sink for the benchmark, shaped like the
// Linux peer's tcp/5001 and tcp/5002 services (../shared/linux-peer/
// init.c), so that the host runs the same client against both. As a
// sink it reads each connection to its end and answers "OK <bytes>\n";
// as a source (-S) it first waits up to a second for an optional line
// "<MiB>\n", then writes that many MiB (or -S bytes), then closes.
// After each connection it prints its guest-side rate and the libnet
// counters that moved (this process's own stack: netstat -l shows
// netd's, not ours). It serves one connection at a time.
// Not done: several clients at once; any check of what the client sent.
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/net.h"
#include "libnet/socket.h"

#define BUFSIZE 65536

static char buf[BUFSIZE];
static uint64 before[LN_NSTATS];

static void
usage(void)
{
  fprintf(2, "usage: tcpsrc [-S bytes] [-c conns] [-b bufsize] -s port\n");
  exit(1);
}

static long
number(const char *s)
{
  char *end;
  long v = strtol(s, &end, 10);

  if(*s == 0 || *end != 0 || v < 0)
    return -1;
  return v;
}

// The counters that moved since before[], "name=delta", as one line
// in one write, so that another program's output cannot split it.
static void
showstats(void)
{
  static char line[4096];
  int n;

  n = snprintf(line, sizeof(line), "tcpsrc: stats");
  for(int i = 0; i < LN_NSTATS && n < sizeof(line) - 40; i++)
    if(lnstat[i] != before[i])
      n += snprintf(line + n, sizeof(line) - n, " %s=%lu", lnstat_names[i],
                    lnstat[i] - before[i]);
  n += snprintf(line + n, sizeof(line) - n, "\n");
  write(1, line, n);
}

// The client's optional first line, "<MiB>\n", read within a second
// (the peer waits as long). Returns the bytes it asks for, or dflt.
static uint64
request(int fd, uint64 dflt)
{
  struct pollfd pf;
  char line[32];
  long v;
  int n;

  pf.fd = fd;
  pf.events = POLLIN;
  if(poll(&pf, 1, 1000) <= 0 || (n = read(fd, line, sizeof(line) - 1)) <= 0)
    return dflt;
  line[n] = 0;
  for(int i = 0; i < n; i++)
    if(line[i] == '\n' || line[i] == '\r')
      line[i] = 0;
  if((v = number(line)) <= 0 || v > 65536)
    return dflt;
  return (uint64)v << 20;
}

// Write total bytes to fd. Returns the bytes written.
static uint64
source(int fd, uint64 total)
{
  uint64 sent = 0;
  int n, w;

  while(sent < total){
    n = total - sent < BUFSIZE ? total - sent : BUFSIZE;
    if((w = write(fd, buf, n)) <= 0){
      fprintf(2, "tcpsrc: write: %s after %lu bytes\n", strerror(errno), sent);
      break;
    }
    sent += w;
  }
  return sent;
}

// Read fd to its end and answer how much came. Returns the bytes read.
static uint64
sink(int fd)
{
  uint64 got = 0;
  char ok[32];
  int n;

  while((n = read(fd, buf, BUFSIZE)) > 0)
    got += n;
  if(n < 0)
    fprintf(2, "tcpsrc: read: %s after %lu bytes\n", strerror(errno), got);
  n = snprintf(ok, sizeof(ok), "OK %lu\n", got);
  if(write(fd, ok, n) != n)
    fprintf(2, "tcpsrc: write OK: %s\n", strerror(errno));
  return got;
}

// Serve the connection fd, then close it and report.
static void
serve(int fd, uint64 srcbytes)
{
  uint64 n, t0, us;

  memmove(before, lnstat, sizeof(before));
  if(srcbytes){
    n = request(fd, srcbytes);
    t0 = clock();
    n = source(fd, n);
  } else {
    t0 = clock();
    n = sink(fd);
  }
  close(fd);
  us = clock() - t0;
  printf("tcpsrc: %s %lu bytes in %lu us (%lu Mbit/s guest-side)\n",
         srcbytes ? "sent" : "received", n, us, us ? n * 8 / us : 0);
  showstats();
}

// tcpsrc: serve TCP bulk transfers for the benchmark
// usage: tcpsrc [-S bytes] [-c conns] [-b bufsize] -s port
//   -s  the port to listen on
//   -S  be a source: send this many bytes (unless the client's first
//       line asks for a number of MiB), then close; without -S, a sink
//   -c  exit after this many connections (default: serve forever)
//   -b  SO_SNDBUF and SO_RCVBUF of each connection (default libnet's)
// Exit status 1 on a usage error or if the port cannot be had.
int
main(int argc, char *argv[])
{
  struct sockaddr_in a;
  long port = -1, srcbytes = 0, conns = 0, bufsize = 0;
  int ch, ls, fd, one = 1;

  while((ch = getopt(argc, argv, "s:S:c:b:")) != -1){
    switch(ch){
    case 's':
      port = number(optarg);
      break;
    case 'S':
      if((srcbytes = number(optarg)) <= 0)
        usage();
      break;
    case 'c':
      conns = number(optarg);
      break;
    case 'b':
      bufsize = number(optarg);
      break;
    default:
      usage();
    }
  }
  if(optind != argc || port < 1 || port > 65535 || conns < 0 || bufsize < 0)
    usage();
  if((ls = socket(AF_INET, SOCK_STREAM, 0)) < 0){
    fprintf(2, "tcpsrc: socket: %s\n", strerror(errno));
    exit(1);
  }
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if(bufsize){
    setsockopt(ls, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(int));
    setsockopt(ls, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(int));
  }
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  if(bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 4) < 0){
    fprintf(2, "tcpsrc: port %ld: %s\n", port, strerror(errno));
    exit(1);
  }
  printf("tcpsrc: %s on port %ld\n", srcbytes ? "source" : "sink", port);
  for(long i = 0; conns == 0 || i < conns; i++){
    if((fd = accept(ls, 0, 0)) < 0){
      fprintf(2, "tcpsrc: accept: %s\n", strerror(errno));
      continue;
    }
    serve(fd, srcbytes);
  }
  close(ls);
  return 0;
}
