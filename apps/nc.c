// nc: netcat. Opens a TCP connection, or sends UDP datagrams, to a
// host, or listens for one; then copies standard input to the socket
// and the socket to standard output at the same time, through one
// poll() over both (libnet's poll serves sockets and kernel descriptors
// alike). It behaves as OpenBSD's nc (Debian's netcat-openbsd): the
// same options, messages and exit statuses, for the options it has.
//
// Not done: IPv6, Unix sockets, proxies, TLS, telnet, -q and the
// service names of /etc/services ("[tcp/*]" always). Names go through
// libnet's resolver (lookup() below). With -u -l, replies
// go to whoever sent the last datagram, with or without -k; OpenBSD's
// without -k goes on answering the first sender only. -z -u reports
// every port open: OpenBSD's probe writes stray "X"s to it.
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/socket.h"
#include "libnet/netdb.h"

#define BUFSIZE 16384    // bytes held in each direction, as OpenBSD's

static int dflag;        // -d: do not read standard input
static int kflag;        // -k: keep listening after a connection ends
static int lflag;        // -l: listen
static int Nflag;        // -N: shutdown(SHUT_WR) at the end of input
static int nflag;        // -n: numeric addresses only
static int uflag;        // -u: UDP
static int vflag;        // -v: say what happens on stderr
static int zflag;        // -z: connect and close at once (scan)
static int timeout = -1; // -w: ms to connect, and idle, -1 for ever
static int sport;        // -p: source port (client), or the port (listener)

// -u -l: where the last datagram came from, where replies go.
static struct sockaddr_in peer;
static int havepeer;

static void
usage(void)
{
  fprintf(2, "usage: nc [-dklNnuvz] [-p source_port] [-w timeout] [destination] [port]\n");
  exit(1);
}

static void
fatal(const char *msg, const char *arg)
{
  fprintf(2, "nc: %s%s\n", msg, arg);
  exit(1);
}

static const char*
proto(void)
{
  return uflag ? "udp" : "tcp";
}

// Host names become addresses here: getaddrinfo (literals, /etc/hosts,
// localhost, then DNS); with -n, literals only (AI_NUMERICHOST).
// Returns 0, or getaddrinfo's error for gai_strerror.
static int
lookup(const char *host, struct in_addr *a)
{
  struct addrinfo hints, *res;
  int r;

  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_INET;
  hints.ai_flags = nflag ? AI_NUMERICHOST : 0;
  if((r = getaddrinfo(host, 0, &hints, &res)) != 0)
    return r;
  *a = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
  freeaddrinfo(res);
  return 0;
}

// Port s, exiting with OpenBSD's words (strtonum's) if it is not one.
static int
portnum(const char *s)
{
  char *end;
  long v = strtol(s, &end, 10);

  if(*s == 0 || *end != 0)
    fatal("port number invalid: ", s);
  if(v < 1)
    fatal("port number too small: ", s);
  if(v > 65535)
    fatal("port number too large: ", s);
  return v;
}

static void
sockaddr(struct sockaddr_in *sa, struct in_addr ip, int port)
{
  memset(sa, 0, sizeof(*sa));
  sa->sin_family = AF_INET;
  sa->sin_port = htons(port);
  sa->sin_addr = ip;
}

// "Listening on 0.0.0.0 7777", "Connection received on 10.0.2.2 4000":
// Debian's report_sock(), numeric always as there is no reverse DNS.
static void
report(const char *what, struct sockaddr_in *a)
{
  fprintf(2, "%s %s %d\n", what, inet_ntoa(a->sin_addr), ntohs(a->sin_port));
}

// Connects s to a within the -w timeout. Returns 0, or an errno;
// ETIMEDOUT if the timeout passed first.
static int
timedconnect(int s, struct sockaddr_in *a)
{
  struct pollfd p;
  socklen_t len = sizeof(int);
  int err, n;

  if(connect(s, (struct sockaddr *)a, sizeof(*a)) == 0)
    return 0;
  if(errno != EINPROGRESS)
    return errno;
  p.fd = s;
  p.events = POLLOUT;
  if((n = poll(&p, 1, timeout)) < 0)
    return errno;
  if(n == 0)
    return ETIMEDOUT;
  if(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
    return errno;
  return err;
}

// A non-blocking socket connected to ip:port, or -1 after saying why
// with -v ("nc: connect to HOST port P (tcp) failed: why"). via is
// " (ADDRESS)" when host is a name, else "".
static int
dial(const char *host, const char *via, struct in_addr ip, int port)
{
  struct sockaddr_in a;
  int s, err;

  if((s = socket(AF_INET, uflag ? SOCK_DGRAM : SOCK_STREAM, 0)) < 0){
    fprintf(2, "nc: socket: %s\n", strerror(errno));
    return -1;
  }
  fcntl(s, F_SETFL, O_NONBLOCK);
  if(sport){
    sockaddr(&a, (struct in_addr){ htonl(INADDR_ANY) }, sport);
    if(bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
      fatal("bind failed: ", strerror(errno));
  }
  sockaddr(&a, ip, port);
  if((err = timedconnect(s, &a)) == 0)
    return s;
  // OpenBSD's warn() shows errno, which a timeout leaves EINPROGRESS.
  if(vflag)
    fprintf(2, "nc: connect to %s%s port %d (%s) %s: %s\n", host, via, port, proto(),
            err == ETIMEDOUT ? "timed out" : "failed",
            strerror(err == ETIMEDOUT ? EINPROGRESS : err));
  close(s);
  return -1;
}

// One direction of the copy: what was read from in waits in buf
// until out takes it. A side that has ended is -1.
struct flow {
  int in, out;
  char buf[BUFSIZE];
  int len;
};

static struct flow up;     // standard input to the socket
static struct flow down;   // the socket to standard output

// Reads into f's buffer. Returns bytes read, 0 at the end, -1 on an
// error, -2 if nothing was there after all.
static int
fill(struct flow *f, int net)
{
  struct sockaddr_in from;
  socklen_t len = sizeof(from);
  int n;

  if(net && uflag && lflag){
    n = recvfrom(f->in, f->buf + f->len, BUFSIZE - f->len, 0, (struct sockaddr *)&from, &len);
    if(n >= 0 && (!havepeer || from.sin_addr.s_addr != peer.sin_addr.s_addr ||
                  from.sin_port != peer.sin_port)){
      peer = from;
      havepeer = 1;
      if(vflag)
        report("Connection received on", &peer);
    }
  } else {
    n = read(f->in, f->buf + f->len, BUFSIZE - f->len);
  }
  if(n < 0)
    return errno == EAGAIN ? -2 : -1;
  f->len += n;
  return n;
}

// Writes what f holds. Returns -1 if out failed, else 0.
static int
drain(struct flow *f, int net)
{
  int n;

  if(net && uflag && lflag)
    n = sendto(f->out, f->buf, f->len, 0, (struct sockaddr *)&peer, sizeof(peer));
  else
    n = write(f->out, f->buf, f->len);
  if(n < 0)
    return errno == EAGAIN ? 0 : -1;
  memmove(f->buf, f->buf + n, f->len - n);
  f->len -= n;
  return 0;
}

// Whether readwrite is finished: OpenBSD's three conditions.
static int
finished(void)
{
  int empty = up.len == 0 && down.len == 0;

  if(up.in < 0 && down.in < 0 && empty)
    return 1;    // both inputs ended and all is written
  if(up.out < 0 && down.out < 0)
    return 1;    // nowhere left to write
  // a listener is done when its client is, whatever its input does;
  // a client keeps sending its input after the server has closed.
  return lflag && down.in < 0 && empty;
}

// Ends sides that can no longer do anything: an output whose input
// ended and whose buffer is empty (sending the FIN with -N), an input
// whose output is gone.
static void
settle(int net)
{
  if(up.in < 0 && up.len == 0 && up.out >= 0){
    if(Nflag)
      shutdown(net, SHUT_WR);
    up.out = -1;
  }
  if(down.in < 0 && down.len == 0)
    down.out = -1;
  if(up.out < 0)
    up.in = -1;
  if(down.out < 0 && down.in >= 0){
    shutdown(net, SHUT_RD);
    down.in = -1;
  }
}

// Watches fd for events if there is one and it wants any; -1 otherwise,
// so that an idle side's POLLHUP does not spin the loop.
static void
watch(struct pollfd *p, int fd, int events)
{
  p->fd = events ? fd : -1;
  p->events = events;
  p->revents = 0;
}

// Copies standard input to net and net to standard output until both
// are done, or nothing moved for the -w timeout.
static void
readwrite(int net)
{
  struct pollfd p[4];
  int n;

  up.in = dflag ? -1 : 0;
  up.out = net;
  down.in = net;
  down.out = 1;
  up.len = down.len = 0;
  for(;;){
    settle(net);
    if(finished())
      return;
    watch(&p[0], up.in, up.len < BUFSIZE ? POLLIN : 0);
    watch(&p[1], up.out, up.len > 0 ? POLLOUT : 0);
    watch(&p[2], down.in, down.len < BUFSIZE ? POLLIN : 0);
    watch(&p[3], down.out, down.len > 0 ? POLLOUT : 0);
    if((n = poll(p, 4, timeout)) < 0)
      fatal("polling error: ", strerror(errno));
    if(n == 0)
      return;
    // a read that would block, after a wakeup with POLLHUP or POLLERR,
    // is left for the next turn; 0 or an error ends the input.
    if(p[0].revents && (n = fill(&up, 0)) != -2 && n <= 0)
      up.in = -1;
    if(p[1].revents && drain(&up, 1) < 0)
      up.out = -1;
    if(p[2].revents && (n = fill(&down, 1)) != -2 && n <= 0)
      down.in = -1;
    if(p[3].revents && drain(&down, 0) < 0)
      down.out = -1;
  }
}

// The socket listening (TCP) or bound (UDP) on addr:port, or exits.
static int
announce(struct in_addr addr, int port)
{
  struct sockaddr_in a;
  socklen_t len = sizeof(a);
  int s, one = 1;

  if((s = socket(AF_INET, uflag ? SOCK_DGRAM : SOCK_STREAM, 0)) < 0)
    fatal("socket: ", strerror(errno));
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr(&a, addr, port);
  if(bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
    fatal("bind: ", strerror(errno));
  if(!uflag && listen(s, 1) < 0)
    fatal("listen: ", strerror(errno));
  if(vflag && getsockname(s, (struct sockaddr *)&a, &len) == 0)
    report(uflag ? "Bound on" : "Listening on", &a);
  return s;
}

// -u -l: waits for a datagram, whose sender replies go to, then
// copies as a client would. Returns when readwrite does. s is
// non-blocking, so the wait is a poll (with no timeout, as OpenBSD's).
static void
serveudp(int s)
{
  struct pollfd p;
  socklen_t len = sizeof(peer);
  char c;

  p.fd = s;
  p.events = POLLIN;
  if(poll(&p, 1, -1) < 0)
    fatal("polling error: ", strerror(errno));
  if(recvfrom(s, &c, 1, MSG_PEEK, (struct sockaddr *)&peer, &len) < 0)
    fatal("recvfrom: ", strerror(errno));
  havepeer = 1;
  if(vflag)
    report("Connection received on", &peer);
  readwrite(s);
}

// -l: serves one client, or with -k one after another for ever.
static int
serve(char *host, int port)
{
  struct sockaddr_in a;
  struct in_addr addr;
  socklen_t len;
  int s, c;

  addr.s_addr = htonl(INADDR_ANY);
  if(host && (c = lookup(host, &addr)) != 0)
    fatal("getaddrinfo: ", gai_strerror(c));
  s = announce(addr, port);
  if(uflag)
    fcntl(s, F_SETFL, O_NONBLOCK);   // for readwrite; serveudp polls
  do {
    if(uflag){
      serveudp(s);
      continue;
    }
    len = sizeof(a);
    if((c = accept(s, (struct sockaddr *)&a, &len)) < 0)
      fatal("accept: ", strerror(errno));
    if(vflag)
      report("Connection received on", &a);
    fcntl(c, F_SETFL, O_NONBLOCK);
    readwrite(c);
    close(c);
  } while(kflag);
  close(s);
  return 0;
}

// Connects to host at each port in turn (a range "lo-hi" is every port
// in it): with -z only to see that it can, else to copy. Returns 0 if
// any connection was made, as OpenBSD's, 1 if none.
static int
client(char *host, char **ports, int nports)
{
  struct in_addr ip;
  char via[24] = "", *dash;
  int i, lo, hi, port, s, ret = 1;

  if((s = lookup(host, &ip)) != 0){
    fprintf(2, "nc: getaddrinfo for host \"%s\" port %s: %s\n", host, ports[0], gai_strerror(s));
    return 1;
  }
  if(!nflag && strcmp(host, inet_ntoa(ip)) != 0)
    snprintf(via, sizeof(via), " (%s)", inet_ntoa(ip));
  for(i = 0; i < nports; i++){
    if(isdigit(ports[i][0]) && (dash = strchr(ports[i], '-')) != 0){
      *dash = 0;
      lo = portnum(ports[i]);
      hi = portnum(dash + 1);
      if(lo > hi){
        port = lo;
        lo = hi;
        hi = port;
      }
    } else {
      lo = hi = portnum(ports[i]);
    }
    for(port = lo; port <= hi; port++){
      if((s = dial(host, via, ip, port)) < 0)
        continue;
      ret = 0;
      if(vflag)
        fprintf(2, "Connection to %s%s %d port [%s/*] succeeded!\n", host, via, port, proto());
      if(!zflag)
        readwrite(s);
      close(s);
    }
  }
  return ret;
}

// nc: arbitrary TCP and UDP connections and listens
// usage: nc [-dklNnuvz] [-p source_port] [-w timeout] [destination] [port]
//   nc host port          connect; nc -l [host] port (or -l -p port) listen
//   -d  do not read standard input    -k  keep listening (with -l)
//   -N  shutdown(SHUT_WR) at the end of input
//   -n  numeric addresses only        -u  UDP
//   -v  say what happens              -w  seconds to connect, and idle
//   -z  scan: connect and close at once; ports may be ranges, "20-30"
// Exit status 0, or 1 on an error or when no connection was made.
int
main(int argc, char *argv[])
{
  char *end;
  long v;
  int c;

  while((c = getopt(argc, argv, "46dklNnp:uvw:z")) != -1){
    switch(c){
    case '4':
      break;       // IPv4 is all there is
    case 'd': dflag = 1; break;
    case 'k': kflag = 1; break;
    case 'l': lflag = 1; break;
    case 'N': Nflag = 1; break;
    case 'n': nflag = 1; break;
    case 'u': uflag = 1; break;
    case 'v': vflag = 1; break;
    case 'z': zflag = 1; break;
    case 'p':
      sport = portnum(optarg);
      break;
    case 'w':
      v = strtol(optarg, &end, 10);
      if(*optarg == 0 || *end != 0 || v < 0 || v > 2147483)
        fatal("timeout invalid: ", optarg);
      timeout = v * 1000;
      break;
    default:
      usage();
    }
  }
  argc -= optind;
  argv += optind;
  if(kflag && !lflag)
    fatal("must use -l with -k", "");
  if(lflag && zflag)
    fatal("cannot use -z and -l", "");
  if(lflag){
    if(sport && argc <= 1)
      return serve(argc ? argv[0] : 0, sport);
    if(!sport && (argc == 1 || argc == 2))
      return serve(argc == 2 ? argv[0] : 0, portnum(argv[argc - 1]));
    usage();
  }
  if(argc == 1)
    fatal("missing port number", "");
  if(argc < 1)
    usage();
  return client(argv[0], argv + 1, argc - 1);
}
