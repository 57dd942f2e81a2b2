// echoserver: an echo server (RFC 862) for many clients at once: one
// poll() loop over the listening socket, every client and, with -u, a
// UDP socket on the same port. Every socket is non-blocking, so a slow
// client only ever holds up itself: what it has not yet taken back
// waits in its own buffer, and the server reads nothing more from it
// until that is sent.
// Not done: per-client timeouts (an idle client keeps its slot).
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/net.h"
#include "libnet/socket.h"

#define NCLIENT 128      // clients served at once; one more is refused
#define BUFSIZE 4096     // bytes read from a client at a time

struct client {
  int fd;                // -1: the slot is free
  struct sockaddr_in peer;
  char buf[BUFSIZE];     // read from the client, not yet echoed
  int off, len;          // unsent bytes are buf[off, off+len)
  uint64 echoed;         // bytes written back so far
};

static struct client clients[NCLIENT];
static int nclient;
static int port = 7;
static int statport;     // -s: serve our libnet counters on this UDP port

static void
usage(void)
{
  fprintf(2, "usage: echoserver [-u] [-p port] [-s statport]\n");
  exit(1);
}

// "a.b.c.d:port" for the log, in a buffer of the caller's.
static char *
addrstr(struct sockaddr_in *a, char *buf, int n)
{
  snprintf(buf, n, "%s:%d", inet_ntoa(a->sin_addr), ntohs(a->sin_port));
  return buf;
}

static int
nonblock(int fd)
{
  return fcntl(fd, F_SETFL, O_NONBLOCK);
}

// A socket of type bound to port on every address. Returns it, or
// -1 after saying why (errno kept).
static int
open_sock(int type, int port, const char *what)
{
  struct sockaddr_in a;
  int s, one = 1, err;

  if((s = socket(AF_INET, type, 0)) < 0){
    err = errno;
    fprintf(2, "echoserver: %s socket: %s\n", what, strerror(err));
    errno = err;
    return -1;
  }
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  if(bind(s, (struct sockaddr *)&a, sizeof(a)) < 0){
    err = errno;
    fprintf(2, "echoserver: bind %sport %d: %s\n",
            type == SOCK_DGRAM ? "udp " : "", port, strerror(err));
    close(s);
    errno = err;
    return -1;
  }
  nonblock(s);
  return s;
}

// Log the end of c's connection and free its slot. err is the errno
// that ended it, or 0 for an orderly close by the client.
static void
drop(struct client *c, int err)
{
  char a[24];

  close(c->fd);
  if(err)
    printf("echoserver: %s closed, %lu bytes: %s\n", addrstr(&c->peer, a, sizeof(a)),
           (unsigned long)c->echoed, strerror(err));
  else
    printf("echoserver: %s closed, %lu bytes\n", addrstr(&c->peer, a, sizeof(a)),
           (unsigned long)c->echoed);
  c->fd = -1;
  nclient--;
}

// Take every connection waiting on the listening socket ls. Beyond
// NCLIENT each is accepted and closed at once: a refusal the client
// sees at its first read, rather than a SYN left unanswered. Returns 1
// if accept ran out of descriptors, so the caller stops listening until
// a client leaves; 0 otherwise.
static int
take(int ls)
{
  struct sockaddr_in peer;
  socklen_t len;
  struct client *c;
  char a[24];
  int fd;

  for(;;){
    len = sizeof(peer);
    if((fd = accept(ls, (struct sockaddr *)&peer, &len)) < 0){
      if(errno == EAGAIN || errno == ECONNABORTED || errno == ECONNRESET)
        return 0;
      fprintf(2, "echoserver: accept: %s\n", strerror(errno));
      return errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM;
    }
    if(nclient == NCLIENT){
      printf("echoserver: %s refused: %d clients already\n",
             addrstr(&peer, a, sizeof(a)), NCLIENT);
      close(fd);
      continue;
    }
    for(c = clients; c->fd >= 0; c++)
      ;
    c->fd = fd;
    c->peer = peer;
    c->off = c->len = 0;
    c->echoed = 0;
    nclient++;
    nonblock(fd);
    printf("echoserver: %s connected\n", addrstr(&peer, a, sizeof(a)));
  }
}

// Send what c has waiting. Returns 0, or the errno that ends c.
static int
flush(struct client *c)
{
  int n;

  while(c->len > 0){
    if((n = write(c->fd, c->buf + c->off, c->len)) < 0)
      return errno == EAGAIN ? 0 : errno;
    if(n == 0)
      return 0;
    c->off += n;
    c->len -= n;
    c->echoed += n;
  }
  c->off = 0;
  return 0;
}

// c is readable (or has an error or end of file to report): read what
// it sent and echo it. Returns 0, -1 at end of file, or an errno.
static int
serve(struct client *c)
{
  int n;

  if((n = read(c->fd, c->buf, sizeof(c->buf))) < 0)
    return errno == EAGAIN ? 0 : errno;
  if(n == 0)
    return -1;
  c->off = 0;
  c->len = n;
  return flush(c);
}

// Echo every datagram waiting on us, the UDP socket.
static void
serve_udp(int us)
{
  static char buf[65536];
  struct sockaddr_in from;
  socklen_t fl;
  char a[24];
  int n;

  for(;;){
    fl = sizeof(from);
    if((n = recvfrom(us, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl)) < 0){
      if(errno != EAGAIN)
        fprintf(2, "echoserver: udp recvfrom: %s\n", strerror(errno));
      return;
    }
    if(sendto(us, buf, n, 0, (struct sockaddr *)&from, fl) < 0)
      fprintf(2, "echoserver: udp sendto %s: %s\n", addrstr(&from, a, sizeof(a)),
              strerror(errno));
  }
}

// The loop. pfd[0] is the listener (ls, -1 for none), pfd[1] the UDP
// socket (us, -1 for none), pfd[2] the counter socket (ss, -1 for
// none), then one per client slot in use; who[] names the slot behind
// each. A client waits for POLLIN while its buffer is empty, for
// POLLOUT while it is not.
static void
run(int ls, int us, int ss)
{
  static struct pollfd pfd[NCLIENT + 3];
  static struct client *who[NCLIENT + 3];
  struct client *c;
  int i, n, err, full = 0;

  for(;;){
    pfd[0].fd = full ? -1 : ls;
    pfd[0].events = POLLIN;
    pfd[1].fd = us;
    pfd[1].events = POLLIN;
    pfd[2].fd = ss;
    pfd[2].events = POLLIN;
    n = 3;
    for(c = clients; c < &clients[NCLIENT]; c++){
      if(c->fd < 0)
        continue;
      pfd[n].fd = c->fd;
      pfd[n].events = c->len > 0 ? POLLOUT : POLLIN;
      who[n++] = c;
    }
    if(poll(pfd, n, -1) < 0){
      fprintf(2, "echoserver: poll: %s\n", strerror(errno));
      sleep(100);
      continue;
    }
    for(i = 3; i < n; i++){
      c = who[i];
      if(pfd[i].revents == 0)
        continue;
      // an error or hang-up shows at the read or write it wakes.
      if((err = c->len > 0 ? flush(c) : serve(c)) != 0)
        drop(c, err > 0 ? err : 0);
      if(err && full){
        full = 0;
        printf("echoserver: listening again\n");
      }
    }
    if(pfd[1].revents)
      serve_udp(us);
    if(pfd[2].revents)
      ln_serve_stats(ss);
    if(pfd[0].revents && take(ls)){
      full = 1;
      printf("echoserver: out of descriptors: not listening until a client leaves\n");
    }
  }
}

// echoserver: echo what TCP clients (and with -u, UDP peers) send
// usage: echoserver [-u] [-p port] [-s statport]
//   -u  echo UDP datagrams to the same port too
//   -p  the port to serve (default 7, echo's)
//   -s  tell local programs this process's libnet counters on UDP
//       statport (netstat -l -p statport), as netd tells its own
// Logs each connection and its end to the console. Exit status 1 on a
// usage error or if the port cannot be had; otherwise it runs forever.
int
main(int argc, char *argv[])
{
  struct client *c;
  int ch, udp = 0, ls, us = -1, ss = -1;

  while((ch = getopt(argc, argv, "up:s:")) != -1){
    switch(ch){
    case 'u':
      udp = 1;
      break;
    case 'p':
      if((port = parseport(optarg)) < 0){
        fprintf(2, "echoserver: bad port %s (1 to 65535)\n", optarg);
        usage();
      }
      break;
    case 's':
      if((statport = parseport(optarg)) < 0){
        fprintf(2, "echoserver: bad port %s (1 to 65535)\n", optarg);
        usage();
      }
      break;
    default:
      usage();
    }
  }
  if(optind != argc)
    usage();
  for(c = clients; c < &clients[NCLIENT]; c++)
    c->fd = -1;
  // a stack without stream sockets still gets a UDP echo server from -u.
  if((ls = open_sock(SOCK_STREAM, port, "tcp")) < 0 && !(udp && errno == EPROTONOSUPPORT))
    exit(1);
  if(ls >= 0 && listen(ls, SOMAXCONN) < 0){
    fprintf(2, "echoserver: listen port %d: %s\n", port, strerror(errno));
    exit(1);
  }
  if(udp && (us = open_sock(SOCK_DGRAM, port, "udp")) < 0)
    exit(1);
  if(statport && (ss = open_sock(SOCK_DGRAM, statport, "counters")) < 0)
    exit(1);
  printf("echoserver: listening on port %d (%s)\n", port,
         ls >= 0 && us >= 0 ? "tcp, udp" : ls >= 0 ? "tcp" : "udp");
  run(ls, us, ss);
  return 0;
}
