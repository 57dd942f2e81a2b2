// libnettests: in-guest tests of libnet's socket interface, in the
// shape of usertests: each test runs in a forked child that exits 0 if
// it passed; a failing check prints one line saying what returned what.
//
// The tests talk to other processes over loopback (our own address),
// so they pass with any -netdev; two of them need netd, the default
// responder init starts (ping to ourselves, port unreachable).
//
// A process's stack is its own: a channel is not inherited by fork, so
// every process here forks before it opens its first socket.
#include "kernel/types.h"
#include "apps/user.h"
#include "libnet/socket.h"
#include "apps/testlib.h"

#define PORTBASE 7100       // each test uses its own ports from here

static struct sockaddr_in ouraddr;   // our address, port 0

// --- helpers ------------------------------------------------------------

// A socket call's result: -1 with errno on failure.
static int
ok(char *s, char *what, int r)
{
  if(r < 0){
    printf("%s: %s returned %d (%s), wanted success\n", s, what, r, strerror(errno));
    exit(1);
  }
  return r;
}

// A socket call that must fail with errno err.
static void
wanterrno(char *s, char *what, int r, int err)
{
  if(r >= 0){
    printf("%s: %s returned %d, wanted -1 (%s)\n", s, what, r, strerror(err));
    exit(1);
  }
  if(errno != err){
    printf("%s: %s failed with %s, wanted %s\n", s, what, strerror(errno), strerror(err));
    exit(1);
  }
}

static void
wantexit0(char *s, char *who, int pid)
{
  int st = 0, w = wait(&st);

  if(w != pid){
    printf("%s: wait returned %d, wanted pid %d\n", s, w, pid);
    exit(1);
  }
  if(st != 0){
    printf("%s: %s exited with status %d\n", s, who, st);
    exit(1);
  }
}

// One byte through a pipe: "ready", "go".
static void
tell(int fd)
{
  write(fd, "x", 1);
}

static void
hear(char *s, int fd)
{
  char c;

  if(read(fd, &c, 1) != 1)
    fail(s, "read from pipe: the other side went away");
}

static struct sockaddr_in
at(int port)
{
  struct sockaddr_in a = ouraddr;

  a.sin_port = htons(port);
  return a;
}

// A UDP socket bound to port on any address.
static int
udpbound(char *s, int port)
{
  struct sockaddr_in a;
  int fd = ok(s, "socket", socket(AF_INET, SOCK_DGRAM, 0));

  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ok(s, "bind", bind(fd, (struct sockaddr *)&a, sizeof(a)));
  return fd;
}

static void
settimeo(char *s, int fd, int ms)
{
  struct timeval tv;

  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  ok(s, "setsockopt SO_RCVTIMEO", setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
}

// --- the tests ------------------------------------------------------------

// A server process echoes; the client sends datagrams of several sizes
// and checks each echo byte for byte. 1472 fills one frame exactly;
// 4000 goes as three fragments each way and is reassembled.
static int udpsizes[] = { 1, 18, 64, 512, 1000, 1472, 1473, 4000 };
#define NSIZES (sizeof(udpsizes) / sizeof(udpsizes[0]))

static void
udpecho(char *s)
{
  static char out[4096], in[4096 + 1];
  struct sockaddr_in a = at(PORTBASE), from;
  socklen_t fl;
  int p[2], pid, fd, n, i, j;

  ok(s, "pipe", pipe(p));
  pid = xfork(s);
  if(pid == 0){
    fd = udpbound(s, PORTBASE);
    settimeo(s, fd, 10000);
    tell(p[1]);
    for(i = 0; i < NSIZES; i++){
      fl = sizeof(from);
      n = ok(s, "server recvfrom", recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl));
      ok(s, "server sendto", sendto(fd, in, n, 0, (struct sockaddr *)&from, fl));
    }
    exit(0);
  }
  hear(s, p[0]);
  fd = ok(s, "socket", socket(AF_INET, SOCK_DGRAM, 0));
  settimeo(s, fd, 5000);
  for(i = 0; i < NSIZES; i++){
    int len = udpsizes[i];
    for(j = 0; j < len; j++)
      out[j] = j * 7 + len;
    n = sendto(fd, out, len, 0, (struct sockaddr *)&a, sizeof(a));
    if(n != len){
      printf("%s: sendto %d bytes returned %d (%s)\n", s, len, n, strerror(errno));
      exit(1);
    }
    fl = sizeof(from);
    n = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
    if(n != len){
      printf("%s: echo of %d bytes: recvfrom returned %d (%s)\n", s, len, n,
             n < 0 ? strerror(errno) : "short");
      exit(1);
    }
    if(memcmp(in, out, len) != 0){
      printf("%s: echo of %d bytes differs from what was sent\n", s, len);
      exit(1);
    }
    if(from.sin_port != htons(PORTBASE) || from.sin_addr.s_addr != ouraddr.sin_addr.s_addr){
      printf("%s: echo from %s:%d, wanted port %d\n", s, inet_ntoa(from.sin_addr),
             ntohs(from.sin_port), PORTBASE);
      exit(1);
    }
  }
  close(fd);
  wantexit0(s, "server", pid);
}

// ping to our own address: netd answers, over loopback.
static void
pingself(char *s)
{
  char *argv[] = { "ping", "-c", "2", "-i", "0.2", "-W", "3", 0, 0 };
  int pid;

  argv[7] = inet_ntoa(ouraddr.sin_addr);
  pid = xfork(s);
  if(pid == 0){
    exec("ping", argv);
    printf("%s: exec ping failed\n", s);
    exit(3);
  }
  wantexit0(s, "ping -c 2 to our own address", pid);
}

// A connected UDP socket learns that nobody listens: netd answers our
// datagram with port unreachable, and the next recv says ECONNREFUSED.
static void
connrefused(char *s)
{
  struct sockaddr_in a = at(PORTBASE + 10);
  char buf[16];
  int fd;

  fd = ok(s, "socket", socket(AF_INET, SOCK_DGRAM, 0));
  ok(s, "connect", connect(fd, (struct sockaddr *)&a, sizeof(a)));
  settimeo(s, fd, 3000);
  ok(s, "send", send(fd, "anyone?", 7, 0));
  wanterrno(s, "recv after port unreachable", recv(fd, buf, sizeof(buf), 0), ECONNREFUSED);
  // the error is reported once.
  settimeo(s, fd, 200);
  wanterrno(s, "second recv", recv(fd, buf, sizeof(buf), 0), EAGAIN);
  close(fd);
}

// SO_RCVTIMEO: recv gives up with EAGAIN after about the time asked.
static void
rcvtimeo(char *s)
{
  char buf[16];
  uint64 t0;
  int fd, ms;

  fd = udpbound(s, PORTBASE + 20);
  settimeo(s, fd, 300);
  t0 = clock();
  wanterrno(s, "recv with SO_RCVTIMEO 300 ms", recv(fd, buf, sizeof(buf), 0), EAGAIN);
  ms = msince(t0);
  if(ms < 280 || ms > 2000){
    printf("%s: recv timed out after %d ms, wanted 300\n", s, ms);
    exit(1);
  }
  close(fd);
}

// Non-blocking recv, by O_NONBLOCK and by MSG_DONTWAIT: EAGAIN at once.
static void
nonblock(char *s)
{
  char buf[16];
  uint64 t0;
  int fd;

  fd = udpbound(s, PORTBASE + 30);
  t0 = clock();
  wanterrno(s, "recv MSG_DONTWAIT", recv(fd, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
  ok(s, "fcntl F_SETFL O_NONBLOCK", fcntl(fd, F_SETFL, O_NONBLOCK));
  if(fcntl(fd, F_GETFL, 0) != O_NONBLOCK)
    fail(s, "F_GETFL does not show O_NONBLOCK");
  wanterrno(s, "recv O_NONBLOCK", recv(fd, buf, sizeof(buf), 0), EAGAIN);
  if(msince(t0) > 500){
    printf("%s: non-blocking calls took %d ms\n", s, msince(t0));
    exit(1);
  }
  // and it does get a datagram that is there.
  struct sockaddr_in a = at(PORTBASE + 30);
  ok(s, "sendto self", sendto(fd, "hi", 2, 0, (struct sockaddr *)&a, sizeof(a)));
  for(int i = 0; i < 100; i++){
    int n = recv(fd, buf, sizeof(buf), 0);
    if(n == 2)
      break;
    if(n >= 0 || errno != EAGAIN || i == 99)
      fail(s, "non-blocking recv never got the datagram sent to ourselves");
    sleep(10);
  }
  close(fd);
}

// poll over a pipe and a socket at once: the pipe is written first and
// poll shows only it; then a datagram comes and poll shows the socket.
static void
pollmix(char *s)
{
  struct sockaddr_in a = at(PORTBASE + 40);
  struct pollfd pf[2];
  int data[2], go[2], pid, fd, n;
  char buf[16];

  ok(s, "pipe", pipe(data));
  ok(s, "pipe", pipe(go));
  pid = xfork(s);
  if(pid == 0){
    hear(s, go[0]);
    sleep(100);
    tell(data[1]);
    sleep(300);
    fd = ok(s, "child socket", socket(AF_INET, SOCK_DGRAM, 0));
    ok(s, "child sendto", sendto(fd, "late", 4, 0, (struct sockaddr *)&a, sizeof(a)));
    close(fd);
    exit(0);
  }
  fd = udpbound(s, PORTBASE + 40);
  pf[0].fd = data[0];
  pf[0].events = POLLIN;
  pf[1].fd = fd;
  pf[1].events = POLLIN;
  tell(go[1]);
  n = ok(s, "poll", poll(pf, 2, 5000));
  if(n != 1 || !(pf[0].revents & POLLIN) || (pf[1].revents & POLLIN)){
    printf("%s: first poll returned %d, revents pipe %x socket %x; wanted the pipe alone\n",
           s, n, pf[0].revents, pf[1].revents);
    exit(1);
  }
  hear(s, data[0]);
  n = ok(s, "poll", poll(pf, 2, 5000));
  if(n != 1 || (pf[0].revents & POLLIN) || !(pf[1].revents & POLLIN)){
    printf("%s: second poll returned %d, revents pipe %x socket %x; wanted the socket alone\n",
           s, n, pf[0].revents, pf[1].revents);
    exit(1);
  }
  n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
  if(n != 4 || memcmp(buf, "late", 4) != 0)
    fail(s, "poll said readable, recv did not give the datagram");
  close(fd);
  wantexit0(s, "sender", pid);
}

// A port another process holds cannot be bound: EADDRINUSE. It can be
// once that process is gone.
static void
addrinuse(char *s)
{
  struct sockaddr_in a;
  int ready[2], done[2], pid, fd;

  ok(s, "pipe", pipe(ready));
  ok(s, "pipe", pipe(done));
  pid = xfork(s);
  if(pid == 0){
    udpbound(s, PORTBASE + 50);
    tell(ready[1]);
    hear(s, done[0]);
    exit(0);
  }
  hear(s, ready[0]);
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(PORTBASE + 50);
  fd = ok(s, "socket", socket(AF_INET, SOCK_DGRAM, 0));
  wanterrno(s, "bind to a port another process holds", bind(fd, (struct sockaddr *)&a, sizeof(a)),
          EADDRINUSE);
  tell(done[1]);
  wantexit0(s, "holder", pid);
  ok(s, "bind after the holder exited", bind(fd, (struct sockaddr *)&a, sizeof(a)));
  close(fd);
}

// --- the runner ----------------------------------------------------------

struct test tests[] = {
  {udpecho, "udpecho", QUICK},
  {pingself, "pingself", QUICK},
  {connrefused, "connrefused", QUICK},
  {rcvtimeo, "rcvtimeo", QUICK},
  {nonblock, "nonblock", QUICK},
  {pollmix, "pollmix", QUICK},
  {addrinuse, "addrinuse", QUICK},
  {0, 0, 0},
};

// libnettests: test libnet's sockets between processes
// usage: libnettests [-q | -a] [name ...]
int
main(int argc, char *argv[])
{
  uint32 ip;
  int r;

  if((r = getipaddr(&ip, 0, 0)) < 0){
    printf("libnettests: getipaddr: %s\n", strerror(-r));
    exit(1);
  }
  memset(&ouraddr, 0, sizeof(ouraddr));
  ouraddr.sin_family = AF_INET;
  ouraddr.sin_addr.s_addr = htonl(ip);
  testmain("libnettests", tests, argc, argv);
}
