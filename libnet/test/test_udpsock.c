// Host tests for udp.c and socket.c on loop.c's device: checksums on
// input, the BSD calls end to end (bind, connect, sendto, recvfrom,
// getsockname, poll), bounded receive queues, nonblocking and timed
// receives, and each error as -1 and errno.
#include "libnet/test/stack.h"

enum { IP = ETH_HLEN, UDP = ETH_HLEN + IPV4_HLEN };

static uint64_t
realms(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// A bad checksum is dropped and counted; zero means "none" (RFC 768)
// and is accepted.
static void
test_checksum(void)
{
  uint8_t f[FMAX], b[16];
  int fd, n;

  stack_reset();
  fd = stack_udpsock(7000);
  n = stack_udpframe(f, PEER, 4000, ME, 7000, "abc", 3);
  f[UDP + 6] ^= 0x01;
  stack_input(f, n);
  CHECKEQ(STAT(udp_drop_cksum), 1);
  errno = 0;
  CHECKEQ(ln_recv(fd, b, sizeof b, MSG_DONTWAIT), -1);
  CHECKEQ(errno, EAGAIN);
  put16(f + UDP + 6, 0);
  stack_input(f, n);
  CHECKEQ(ln_recv(fd, b, sizeof b, MSG_DONTWAIT), 3);
  CHECKMEM(b, "abc", 3);
  // A length field longer than the datagram.
  n = stack_udpframe(f, PEER, 4000, ME, 7000, "abc", 3);
  put16(f + UDP + 4, 40);
  stack_input(f, n);
  CHECKEQ(STAT(udp_drop_bad), 1);
  CHECKEQ(STAT(udp_rx), 3);
}

// bind, recvfrom with the sender's address, sendto back; the datagram
// on the wire is right down to its checksum.
static void
test_bind_sendto_recvfrom(void)
{
  uint8_t f[FMAX], b[64];
  struct sockaddr_in from, to;
  socklen_t fl = sizeof from;
  struct eth_repr e;
  struct ipv4_repr ip;
  struct udp_repr u;
  int fd, off;

  stack_reset();
  stack_learn(PEER, peermac);
  fd = stack_udpsock(7000);
  stack_input(f, stack_udpframe(f, PEER, 4000, ME, 7000, "question", 8));
  CHECKEQ(ln_recvfrom(fd, b, sizeof b, 0, (struct sockaddr *)&from, &fl), 8);
  CHECKMEM(b, "question", 8);
  CHECKEQ(fl, sizeof from);
  CHECKEQ(from.sin_family, AF_INET);
  CHECKEQ(ln_htonl(from.sin_addr.s_addr), PEER);
  CHECKEQ(ln_htons(from.sin_port), 4000);
  CHECKEQ(ln_sendto(fd, "answer", 6, 0, (struct sockaddr *)&from, fl), 6);
  off = stack_takeip(f, &e, &ip);
  CHECK(off > 0);
  if(off < 0)
    return;
  CHECKMEM(e.dst, peermac, 6);
  CHECKEQ(ip.proto, IP_PROTO_UDP);
  CHECKEQ(ip.src, ME);
  CHECKEQ(ip.dst, PEER);
  CHECKEQ(udp_parse(f + off, ip.totlen - ip.hlen, ME, PEER, &u), UDP_HLEN);
  CHECKEQ(u.sport, 7000);
  CHECKEQ(u.dport, 4000);
  CHECKEQ(u.len, UDP_HLEN + 6);
  CHECK(get16(f + off + 6) != 0);      // we always checksum
  CHECKMEM(f + off + UDP_HLEN, "answer", 6);
  CHECKEQ(STAT(udp_tx), 1);
  // To a host beyond the gateway: the gateway's MAC.
  stack_learn(GW, gwmac);
  stack_sin(&to, FAR, 53);
  CHECKEQ(ln_sendto(fd, "q", 1, 0, (struct sockaddr *)&to, sizeof to), 1);
  CHECK(stack_takeip(f, &e, &ip) > 0);
  CHECKMEM(e.dst, gwmac, 6);
  CHECKEQ(ip.dst, FAR);
}

// connect: send and recv without addresses; only the peer is heard.
static void
test_connect(void)
{
  uint8_t f[FMAX], b[64];
  struct sockaddr_in to, a;
  socklen_t al = sizeof a;
  struct eth_repr e;
  struct ipv4_repr ip;
  int fd, off;

  stack_reset();
  stack_learn(PEER, peermac);
  fd = ln_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  stack_sin(&to, PEER, 4000);
  CHECKEQ(ln_connect(fd, (struct sockaddr *)&to, sizeof to), 0);
  CHECKEQ(ln_getsockname(fd, (struct sockaddr *)&a, &al), 0);
  CHECKEQ(ln_htons(a.sin_port), 49152);   // loop.c's first ephemeral port
  CHECKEQ(ln_getpeername(fd, (struct sockaddr *)&a, &al), 0);
  CHECKEQ(ln_htonl(a.sin_addr.s_addr), PEER);
  CHECKEQ(ln_htons(a.sin_port), 4000);
  CHECKEQ(ln_send(fd, "ping", 4, 0), 4);
  CHECKEQ(ln_write(fd, "pong", 4), 4);
  off = stack_takeip(f, &e, &ip);
  CHECK(off > 0);
  CHECKEQ(get16(f + off), 49152);
  CHECKEQ(get16(f + off + 2), 4000);
  CHECK(stack_takeip(f, &e, &ip) > 0);
  // From the peer, from its other port, from another host.
  stack_input(f, stack_udpframe(f, PEER, 4000, ME, 49152, "yes", 3));
  stack_input(f, stack_udpframe(f, PEER, 4001, ME, 49152, "no1", 3));
  stack_input(f, stack_udpframe(f, PEER2, 4000, ME, 49152, "no2", 3));
  CHECKEQ(ln_recv(fd, b, sizeof b, 0), 3);
  CHECKMEM(b, "yes", 3);
  errno = 0;
  CHECKEQ(ln_recv(fd, b, sizeof b, MSG_DONTWAIT), -1);
  CHECKEQ(errno, EAGAIN);
  CHECKEQ(STAT(udp_drop_noport), 2);
  // AF_UNSPEC dissolves the association: everyone is heard again.
  memset(&a, 0, sizeof a);
  CHECKEQ(ln_connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  stack_input(f, stack_udpframe(f, PEER2, 4000, ME, 49152, "hi", 2));
  CHECKEQ(ln_recv(fd, b, sizeof b, MSG_DONTWAIT), 2);
}

// The queue holds SOCK_RQMAX datagrams; more are dropped and counted,
// and the queue works again once read.
static void
test_queue_bound(void)
{
  uint8_t f[FMAX], b[64];
  int fd, i, n;

  stack_reset();
  fd = stack_udpsock(7000);
  for(i = 0; i < SOCK_RQMAX + 6; i++)
    stack_input(f, stack_udpframe(f, PEER, 4000, ME, 7000, &i, sizeof i));
  CHECKEQ(STAT(udp_drop_full), 6);
  for(i = 0; ln_recv(fd, b, sizeof b, MSG_DONTWAIT) == sizeof i; i++){
    memcpy(&n, b, sizeof n);
    CHECKEQ(n, i);                        // in order, the first ones kept
  }
  CHECKEQ(i, SOCK_RQMAX);
  stack_input(f, stack_udpframe(f, PEER, 4000, ME, 7000, "again", 5));
  CHECKEQ(ln_recv(fd, b, sizeof b, MSG_DONTWAIT), 5);
}

// The byte bound: two 60000-byte datagrams fit in SOCK_RQBYTES, a
// third does not.
static void
test_queue_bytes(void)
{
  static uint8_t dg[UDP_HLEN + 60000], b[65536];
  uint8_t f[FMAX];
  struct udp_repr u = { .sport = 4000, .dport = 7000, .len = sizeof dg };
  int fd, k, o, len;

  stack_reset();
  fd = stack_udpsock(7000);
  memset(dg + UDP_HLEN, 'z', 60000);
  udp_emit(dg, sizeof dg, PEER, ME, &u);
  for(k = 0; k < 3; k++)
    for(o = 0; o < (int)sizeof dg; o += 1480){
      struct ipv4_repr ip = { .proto = IP_PROTO_UDP, .src = PEER, .dst = ME, .id = 50 + k };
      len = (int)sizeof dg - o < 1480 ? (int)sizeof dg - o : 1480;
      ip.frag = o / 8 | (o + len < (int)sizeof dg ? IPV4_MF : 0);
      stack_input(f, stack_ipframe(f, mymac, &ip, dg + o, len));
    }
  CHECKEQ(STAT(ip_reasm_ok), 3);
  CHECKEQ(STAT(udp_drop_full), 1);
  CHECKEQ(ln_recv(fd, b, sizeof b, MSG_DONTWAIT), 60000);
  CHECKEQ(ln_recv(fd, b, sizeof b, MSG_DONTWAIT), 60000);
  errno = 0;
  CHECKEQ(ln_recv(fd, b, sizeof b, MSG_DONTWAIT), -1);
  CHECKEQ(errno, EAGAIN);
}

// Reading less than a datagram loses the rest (BSD); MSG_PEEK leaves it.
static void
test_peek_truncate(void)
{
  uint8_t f[FMAX], b[64];
  int fd;

  stack_reset();
  fd = stack_udpsock(7000);
  stack_input(f, stack_udpframe(f, PEER, 4000, ME, 7000, "0123456789", 10));
  stack_input(f, stack_udpframe(f, PEER, 4000, ME, 7000, "next", 4));
  CHECKEQ(ln_recv(fd, b, 4, MSG_PEEK), 4);
  CHECKMEM(b, "0123", 4);
  CHECKEQ(ln_recv(fd, b, 4, 0), 4);
  CHECKMEM(b, "0123", 4);
  CHECKEQ(ln_recv(fd, b, sizeof b, 0), 4);
  CHECKMEM(b, "next", 4);
}

// O_NONBLOCK and MSG_DONTWAIT: EAGAIN at once when nothing waits.
static void
test_nonblock(void)
{
  uint8_t f[FMAX], b[16];
  int fd;

  stack_reset();
  fd = stack_udpsock(7000);
  CHECKEQ(ln_fcntl(fd, F_GETFL, 0), 0);
  errno = 0;
  CHECKEQ(ln_recv(fd, b, sizeof b, MSG_DONTWAIT), -1);
  CHECKEQ(errno, EAGAIN);
  CHECKEQ(ln_fcntl(fd, F_SETFL, O_NONBLOCK), 0);
  CHECKEQ(ln_fcntl(fd, F_GETFL, 0), O_NONBLOCK);
  errno = 0;
  CHECKEQ(ln_recv(fd, b, sizeof b, 0), -1);
  CHECKEQ(errno, EAGAIN);
  // A datagram the device already holds but the stack has not read in:
  // a nonblocking recv must run the stack once before it says EAGAIN,
  // or a program that only ever polls with MSG_DONTWAIT never hears
  // anything (the kernel's ring fills while libnet never syncs).
  CHECKEQ(loop_inject(f, stack_udpframe(f, PEER, 4000, ME, 7000, "late", 4)), 0);
  CHECKEQ(ln_recv(fd, b, sizeof b, 0), 4);
  CHECKEQ(loop_inject(f, stack_udpframe(f, PEER, 4000, ME, 7000, "late", 4)), 0);
  CHECKEQ(ln_fcntl(fd, F_SETFL, 0), 0);
  CHECKEQ(ln_recv(fd, b, sizeof b, MSG_DONTWAIT), 4);
}

// A blocking recv runs the stack until a datagram comes: one the device
// holds is read in by the call itself.
static void
test_blocking_runs_stack(void)
{
  uint8_t f[FMAX], b[16];
  int fd;

  stack_reset();
  fd = stack_udpsock(7000);
  CHECKEQ(loop_inject(f, stack_udpframe(f, PEER, 4000, ME, 7000, "wake", 4)), 0);
  CHECKEQ(ln_recv(fd, b, sizeof b, 0), 4);
  CHECKMEM(b, "wake", 4);
}

// SO_RCVTIMEO: EAGAIN once the time is up, not before, not much after.
static void
test_rcvtimeo(void)
{
  struct timeval tv = { .tv_sec = 0, .tv_usec = 50000 };
  uint8_t b[16];
  uint64_t t0, dt;
  int fd;

  stack_reset();
  fd = stack_udpsock(7000);
  CHECKEQ(ln_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  t0 = realms();
  errno = 0;
  CHECKEQ(ln_recv(fd, b, sizeof b, 0), -1);
  dt = realms() - t0;
  CHECKEQ(errno, EAGAIN);
  CHECK(dt >= 49);
  CHECK(dt < 1000);
  tv.tv_usec = -1;
  errno = 0;
  CHECKEQ(ln_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), -1);
  CHECKEQ(errno, EINVAL);
}

static void
test_getsockname(void)
{
  struct sockaddr_in a, to;
  socklen_t al = sizeof a;
  int fd;

  stack_reset();
  stack_learn(PEER, peermac);
  fd = stack_udpsock(7001);
  CHECKEQ(ln_getsockname(fd, (struct sockaddr *)&a, &al), 0);
  CHECKEQ(al, sizeof a);
  CHECKEQ(a.sin_family, AF_INET);
  CHECKEQ(ln_htons(a.sin_port), 7001);
  CHECKEQ(a.sin_addr.s_addr, 0);
  ln_close(fd);
  // Bound to our address; and an unbound socket takes a port at its first send.
  fd = ln_socket(AF_INET, SOCK_DGRAM, 0);
  stack_sin(&a, ME, 7002);
  CHECKEQ(ln_bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  al = sizeof a;
  CHECKEQ(ln_getsockname(fd, (struct sockaddr *)&a, &al), 0);
  CHECKEQ(ln_htonl(a.sin_addr.s_addr), ME);
  fd = ln_socket(AF_INET, SOCK_DGRAM, 0);
  al = sizeof a;
  CHECKEQ(ln_getsockname(fd, (struct sockaddr *)&a, &al), 0);
  CHECKEQ(a.sin_port, 0);
  stack_sin(&to, PEER, 9);
  CHECKEQ(ln_sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof to), 1);
  CHECKEQ(ln_getsockname(fd, (struct sockaddr *)&a, &al), 0);
  CHECK(ln_htons(a.sin_port) >= 49152);
  stack_drain();
}

// Readiness through ln_poll: nothing, then POLLIN once a datagram came.
static void
test_poll(void)
{
  uint8_t f[FMAX];
  struct pollfd p;
  int fd;

  stack_reset();
  fd = stack_udpsock(7000);
  p.fd = fd;
  p.events = POLLIN;
  CHECKEQ(ln_poll(&p, 1, 0), 0);
  CHECKEQ(loop_inject(f, stack_udpframe(f, PEER, 4000, ME, 7000, "x", 1)), 0);
  CHECKEQ(ln_poll(&p, 1, 0), 1);
  CHECKEQ(p.revents, POLLIN);
  p.fd = SOCK_FDBASE + NSOCK - 1;        // not open
  CHECKEQ(ln_poll(&p, 1, 0), 1);
  CHECKEQ(p.revents, POLLNVAL);
}

static void
test_errors(void)
{
  struct sockaddr_in a;
  uint8_t b[8];
  int fd, fd2, i, fds[NSOCK];

  stack_reset();
  stack_sin(&a, 0, 7000);
  errno = 0;
  CHECKEQ(ln_socket(10, SOCK_DGRAM, 0), -1);             // AF_INET6
  CHECKEQ(errno, EAFNOSUPPORT);
  errno = 0;
  CHECKEQ(ln_socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), -1);
  CHECKEQ(errno, EPROTONOSUPPORT);
  errno = 0;
  CHECKEQ(ln_bind(3, (struct sockaddr *)&a, sizeof a), -1);
  CHECKEQ(errno, ENOTSOCK);
  errno = 0;
  CHECKEQ(ln_recvfrom(SOCK_FDBASE + 5, b, sizeof b, 0, 0, 0), -1);
  CHECKEQ(errno, ENOTSOCK);
  errno = 0;
  CHECKEQ(ln_fcntl(SOCK_FDBASE + 5, F_GETFL, 0), -1);
  CHECKEQ(errno, EBADF);
  errno = 0;
  CHECKEQ(ln_close(1000), -1);                          // libc's close
  CHECKEQ(errno, EBADF);
  fd = ln_socket(AF_INET, SOCK_DGRAM, 0);
  fd2 = ln_socket(AF_INET, SOCK_DGRAM, 0);
  CHECKEQ(ln_bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  errno = 0;
  CHECKEQ(ln_bind(fd2, (struct sockaddr *)&a, sizeof a), -1);
  CHECKEQ(errno, EADDRINUSE);
  errno = 0;
  CHECKEQ(ln_bind(fd, (struct sockaddr *)&a, sizeof a), -1);
  CHECKEQ(errno, EINVAL);                               // bound already
  errno = 0;
  CHECKEQ(ln_send(fd, "x", 1, 0), -1);
  CHECKEQ(errno, EDESTADDRREQ);
  errno = 0;
  CHECKEQ(ln_getpeername(fd, (struct sockaddr *)&a, 0), -1);
  CHECKEQ(errno, ENOTCONN);
  stack_sin(&a, PEER, 7001);
  errno = 0;
  CHECKEQ(ln_bind(fd2, (struct sockaddr *)&a, sizeof a), -1);
  CHECKEQ(errno, EADDRNOTAVAIL);
  a.sin_family = 10;
  errno = 0;
  CHECKEQ(ln_bind(fd2, (struct sockaddr *)&a, sizeof a), -1);
  CHECKEQ(errno, EAFNOSUPPORT);
  errno = 0;
  CHECKEQ(ln_sendto(fd2, "x", 1, 0, (struct sockaddr *)&a, sizeof a), -1);
  CHECKEQ(errno, EAFNOSUPPORT);
  a.sin_family = AF_INET;
  errno = 0;
  CHECKEQ(ln_bind(fd2, (struct sockaddr *)&a, 4), -1);
  CHECKEQ(errno, EINVAL);
  errno = 0;
  CHECKEQ(ln_setsockopt(fd, SOL_SOCKET, 99, &i, sizeof i), -1);
  CHECKEQ(errno, ENOPROTOOPT);
  // Closing gives the port back.
  CHECKEQ(ln_close(fd), 0);
  stack_sin(&a, 0, 7000);
  CHECKEQ(ln_bind(fd2, (struct sockaddr *)&a, sizeof a), 0);
  errno = 0;
  CHECKEQ(ln_close(fd), -1);
  CHECKEQ(errno, EBADF);
  // NSOCK sockets, then EMFILE.
  stack_reset();
  for(i = 0; i < NSOCK; i++)
    fds[i] = ln_socket(AF_INET, SOCK_DGRAM, 0);
  CHECKEQ(fds[NSOCK - 1], SOCK_FDBASE + NSOCK - 1);
  errno = 0;
  CHECKEQ(ln_socket(AF_INET, SOCK_DGRAM, 0), -1);
  CHECKEQ(errno, EMFILE);
}

static const struct test tests[] = {
  { test_checksum, "checksum" },
  { test_bind_sendto_recvfrom, "bind_sendto_recvfrom" },
  { test_connect, "connect" },
  { test_queue_bound, "queue_bound" },
  { test_queue_bytes, "queue_bytes" },
  { test_peek_truncate, "peek_truncate" },
  { test_nonblock, "nonblock" },
  { test_blocking_runs_stack, "blocking_runs_stack" },
  { test_rcvtimeo, "rcvtimeo" },
  { test_getsockname, "getsockname" },
  { test_poll, "poll" },
  { test_errors, "errors" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
