// socket.c: the BSD socket shim, for datagram sockets: UDP, and raw
// ICMP for ping. The only file in libnet that knows errno and struct
// sockaddr: every layer below returns -E* codes, and this file turns
// them into -1 and errno.
//
// Blocking calls run the stack (net_poll) until they can answer, so an
// application that only ever calls recvfrom() still answers ARP and
// gets its timers run.
#define LIBNET_NO_MACROS
#include "net.h"
#include "socket.h"
#include "kernel/netchan.h"


static struct sock *socks[NSOCK];

static int
fail(int err)
{
  errno = err;
  return -1;
}

// -E* to -1 and errno; anything else passes.
static int
ret(int r)
{
  return r < 0 ? fail(-r) : r;
}

static struct sock *
getsock(int fd)
{
  if(fd < SOCK_FDBASE || fd >= SOCK_FDBASE + NSOCK)
    return 0;
  return socks[fd - SOCK_FDBASE];
}

int
ln_issock(int fd)
{
  return getsock(fd) != 0;
}

static struct sock *
sockalloc(int type, int proto, const struct sockops *ops)
{
  for(int i = 0; i < NSOCK; i++)
    if(socks[i] == 0){
      struct sock *s = malloc(sizeof(*s));
      if(s == 0)
        return 0;
      memset(s, 0, sizeof(*s));
      s->fd = SOCK_FDBASE + i;
      s->type = type;
      s->proto = proto;
      s->ops = ops;
      s->rcvtimeo_ms = -1;
      s->sndtimeo_ms = -1;
      socks[i] = s;
      return s;
    }
  return 0;
}

static void
sockfree(struct sock *s)
{
  socks[s->fd - SOCK_FDBASE] = 0;
  free(s);
}

static uint64_t
deadline(int ms)
{
  return ms < 0 ? ~0ULL : ln_now_ms() + ms;
}

// Run the stack until s is ready for one of events (or has an error
// or hang-up), or until the deadline. 0 if ready, -EAGAIN if not.
static int
sockwait(struct sock *s, int events, uint64_t until)
{
  for(;;){
    if(s->ops->ready(s) & (events | POLLERR | POLLHUP))
      return 0;
    uint64_t now = ln_now_ms();
    if(now >= until)
      return -EAGAIN;
    net_poll(until == ~0ULL ? -1 : (int)(until - now));
  }
}

int
ln_socket(int domain, int type, int protocol)
{
  const struct sockops *ops;
  struct sock *s;
  int proto;

  if(domain != AF_INET)
    return fail(EAFNOSUPPORT);
  if(type == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP)){
    proto = IP_PROTO_TCP;
    ops = &stream_ops;
  } else if(type == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP)){
    proto = IP_PROTO_UDP;
    ops = &dgram_ops;
  } else if(type == SOCK_RAW && protocol == IPPROTO_ICMP){
    proto = IP_PROTO_ICMP;
    ops = &dgram_ops;
  } else if(type == SOCK_STREAM || type == SOCK_DGRAM || type == SOCK_RAW){
    return fail(EPROTONOSUPPORT);
  } else {
    return fail(EINVAL);
  }
  if(net_autoinit() < 0)
    return fail(ENETDOWN);
  if((s = sockalloc(type, proto, ops)) == 0)
    return fail(EMFILE);
  return s->fd;
}

static int
getaddr(const struct sockaddr *a, socklen_t len, uint32_t *ip, uint16_t *port)
{
  const struct sockaddr_in *in = (const struct sockaddr_in *)a;

  if(a == 0 || len < sizeof(struct sockaddr_in))
    return EINVAL;
  if(in->sin_family != AF_INET)
    return EAFNOSUPPORT;
  *ip = ln_htonl(in->sin_addr.s_addr);
  *port = ln_htons(in->sin_port);
  return 0;
}

static void
putaddr(struct sockaddr *a, socklen_t *len, uint32_t ip, uint16_t port)
{
  struct sockaddr_in in;

  if(a == 0 || len == 0)
    return;
  memset(&in, 0, sizeof(in));
  in.sin_family = AF_INET;
  in.sin_port = ln_htons(port);
  in.sin_addr.s_addr = ln_htonl(ip);
  memmove(a, &in, *len < sizeof(in) ? *len : sizeof(in));
  *len = sizeof(in);
}

int
ln_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
  struct sock *s = getsock(fd);
  uint32_t ip;
  uint16_t port;
  int err;

  if(s == 0)
    return fail(ENOTSOCK);
  if((err = getaddr(addr, len, &ip, &port)) != 0)
    return fail(err);
  if(s->lport)
    return fail(EINVAL);
  if(ip != INADDR_ANY && ip != netif.ip && (ip >> 24) != 127)
    return fail(EADDRNOTAVAIL);
  if((err = s->ops->bind(s, ip, port)) < 0)
    return fail(-err);
  s->laddr = ip;
  return 0;
}

int
ln_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
  struct sock *s = getsock(fd);
  uint32_t ip;
  uint16_t port;
  int err, r;

  if(s == 0)
    return fail(ENOTSOCK);
  if(addr && len >= sizeof(sa_family_t) && addr->sa_family == 0)
    return ret(s->ops->connect(s, 0, 0));   // AF_UNSPEC
  if((err = getaddr(addr, len, &ip, &port)) != 0)
    return fail(err);
  r = s->ops->connect(s, ip, port);
  if(r != -EINPROGRESS || s->nonblock)
    return ret(r);
  // a blocking connect waits for the handshake, then says how it went
  if(sockwait(s, POLLOUT, deadline(s->sndtimeo_ms)) < 0)
    return fail(ETIMEDOUT);
  r = s->ops->connect(s, ip, port);
  return r == -EISCONN ? 0 : ret(r);
}

int
ln_listen(int fd, int backlog)
{
  struct sock *s = getsock(fd);

  if(s == 0)
    return fail(ENOTSOCK);
  return ret(s->ops->listen(s, backlog));
}

int
ln_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
  struct sock *s = getsock(fd), *ns;
  uint64_t until;
  int r;

  if(s == 0)
    return fail(ENOTSOCK);
  until = deadline(s->rcvtimeo_ms);
  if((ns = sockalloc(s->type, s->proto, s->ops)) == 0)
    return fail(EMFILE);
  for(;;){
    r = s->ops->accept(s, ns);
    if(r != -EAGAIN || s->nonblock || sockwait(s, POLLIN, until) < 0)
      break;
  }
  if(r < 0){
    sockfree(ns);
    return fail(-r);
  }
  putaddr(addr, len, ns->raddr, ns->rport);
  return ns->fd;
}

// Send len bytes: a datagram whole, or a stream's bytes, all of them
// unless non-blocking (then what fits) or the send timeout passes.
ssize_t
ln_sendto(int fd, const void *buf, size_t len, int flags,
          const struct sockaddr *to, socklen_t tolen)
{
  struct sock *s = getsock(fd);
  uint32_t dst = 0;
  uint16_t dport = 0;
  uint64_t until;
  size_t done = 0;
  int err, r;

  if(s == 0)
    return fail(ENOTSOCK);
  if(to && (err = getaddr(to, tolen, &dst, &dport)) != 0)
    return fail(err);
  if(len > 0x7fffffff)
    len = 0x7fffffff;
  until = deadline(s->sndtimeo_ms);
  for(;;){
    r = s->ops->send(s, (const uint8_t *)buf + done, len - done, flags, to ? &dst : 0, dport);
    if(r > 0)
      done += r;
    if(r >= 0 && (done == len || s->type != SOCK_STREAM))
      break;
    if(r < 0 && r != -EAGAIN)
      break;
    if(s->nonblock || (flags & MSG_DONTWAIT) || sockwait(s, POLLOUT, until) < 0)
      break;
  }
  if(done > 0 || (len == 0 && r >= 0)){
    netif.dev->sync(netif.dev, 0);   // what the stack queued goes now, not at the next call
    return done;
  }
  return fail(-r);
}

ssize_t
ln_send(int fd, const void *buf, size_t len, int flags)
{
  return ln_sendto(fd, buf, len, flags, 0, 0);
}

// The payload cache, for the application to fill (netref.h). The stack
// comes up here if it is not yet: chan_wantcache() must come first.
uint8_t *
ln_cache(uint32_t *size)
{
  if(net_autoinit() < 0 || netif.dev->cache == 0){
    *size = 0;
    return 0;
  }
  *size = netif.dev->cachesize;
  return netif.dev->cache;
}

uint32_t
ln_cksum(const void *p, uint32_t len)
{
  return cksum_add(0, p, len);
}

// Queue a reference to bytes of the payload cache, as send() queues a
// copy: all of them, waiting as a blocking send would for room.
long
ln_sendref(int fd, struct netref *r, uint32_t off, uint32_t len)
{
  struct sock *s = getsock(fd);
  uint64_t until;
  int n;

  if(s == 0)
    return fail(ENOTSOCK);
  if(s->ops->sendref == 0)
    return fail(EOPNOTSUPP);
  until = deadline(s->sndtimeo_ms);
  while((n = s->ops->sendref(s, r, off, len)) == -EAGAIN)
    if(s->nonblock || sockwait(s, POLLOUT, until) < 0)
      break;
  if(n < 0)
    return fail(-n);
  netif.dev->sync(netif.dev, 0);   // as ln_sendto: what was queued goes now
  return n;
}

// Receive: a datagram, or what a stream has (with MSG_WAITALL, len
// bytes unless the stream ends or fails first).
ssize_t
ln_recvfrom(int fd, void *buf, size_t len, int flags,
            struct sockaddr *from, socklen_t *fromlen)
{
  struct sock *s = getsock(fd);
  uint64_t until;
  uint32_t src = 0;
  uint16_t sport = 0;
  size_t done = 0;
  int r;

  if(s == 0)
    return fail(ENOTSOCK);
  if(len > 0x7fffffff)
    len = 0x7fffffff;
  until = deadline(s->rcvtimeo_ms);
  for(;;){
    r = s->ops->recv(s, (uint8_t *)buf + done, len - done, flags, &src, &sport);
    if(r > 0)
      done += r;
    if(r > 0 && (!(flags & MSG_WAITALL) || (flags & MSG_PEEK) || done == len || s->type != SOCK_STREAM))
      break;
    if(r == 0 || (r < 0 && r != -EAGAIN))
      break;
    if(s->nonblock || (flags & MSG_DONTWAIT)){
      // run the stack once: what arrived since the last call counts.
      if(net_poll(0) > 0)
        continue;
      break;
    }
    if(sockwait(s, POLLIN, until) < 0)
      break;
  }
  if(done > 0 || r == 0){
    putaddr(from, fromlen, src, sport);
    return done;
  }
  return fail(-r);
}

ssize_t
ln_recv(int fd, void *buf, size_t len, int flags)
{
  return ln_recvfrom(fd, buf, len, flags, 0, 0);
}

int
ln_shutdown(int fd, int how)
{
  struct sock *s = getsock(fd);

  if(s == 0)
    return fail(ENOTSOCK);
  return ret(s->ops->shutdown(s, how));
}

int
ln_close(int fd)
{
  struct sock *s = getsock(fd);
  int secs;

  if(s == 0)
    return close(fd);
  if(!s->nonblock && (secs = s->ops->lingering(s)) > 0){
    // SO_LINGER: the FIN goes now, and close waits for its ACK
    uint64_t until = ln_now_ms() + secs * 1000ULL;
    s->ops->shutdown(s, SHUT_WR);
    while(s->ops->lingering(s) && ln_now_ms() < until)
      net_poll((int)(until - ln_now_ms()));
  }
  s->ops->close(s);
  sockfree(s);
  if(netif.dev)
    netif.dev->sync(netif.dev, 0);
  return 0;
}

int
ln_read(int fd, void *buf, int n)
{
  if(getsock(fd))
    return ln_recvfrom(fd, buf, n, 0, 0, 0);
  return read(fd, buf, n);
}

int
ln_write(int fd, const void *buf, int n)
{
  if(getsock(fd))
    return ln_sendto(fd, buf, n, 0, 0, 0);
  return write(fd, buf, n);
}

int
ln_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
  struct sock *s = getsock(fd);

  if(s == 0)
    return fail(ENOTSOCK);
  putaddr(addr, len, s->laddr, s->lport);
  return 0;
}

int
ln_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
  struct sock *s = getsock(fd);

  if(s == 0)
    return fail(ENOTSOCK);
  if(s->raddr == 0)
    return fail(ENOTCONN);
  putaddr(addr, len, s->raddr, s->rport);
  return 0;
}

int
ln_setsockopt(int fd, int level, int opt, const void *val, socklen_t len)
{
  struct sock *s = getsock(fd);

  if(s == 0)
    return fail(ENOTSOCK);
  if(val == 0)
    return fail(EFAULT);
  if(level == SOL_SOCKET && (opt == SO_RCVTIMEO || opt == SO_SNDTIMEO)){
    const struct timeval *tv = val;
    if(len < sizeof(*tv) || tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
      return fail(EINVAL);
    long ms = tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000;
    ms = ms == 0 ? -1 : ms;   // zero means no timeout
    if(opt == SO_RCVTIMEO)
      s->rcvtimeo_ms = ms;
    else
      s->sndtimeo_ms = ms;
    return 0;
  }
  if(level == SOL_SOCKET && (opt == SO_REUSEADDR || opt == SO_BROADCAST)){
    if(len < sizeof(int))
      return fail(EINVAL);
    if(opt == SO_REUSEADDR)
      s->reuseaddr = *(const int *)val != 0;
    return 0;   // broadcasts are always allowed
  }
  return ret(s->ops->setopt(s, level, opt, val, len));
}

int
ln_getsockopt(int fd, int level, int opt, void *val, socklen_t *len)
{
  struct sock *s = getsock(fd);
  int n, r;

  if(s == 0)
    return fail(ENOTSOCK);
  if(val == 0 || len == 0 || *len < sizeof(int))
    return fail(EINVAL);
  if(level == SOL_SOCKET && (opt == SO_REUSEADDR || (opt == SO_ERROR && s->type != SOCK_STREAM))){
    if(opt == SO_ERROR){
      *(int *)val = s->error;
      s->error = 0;
    } else {
      *(int *)val = s->reuseaddr;
    }
    *len = sizeof(int);
    return 0;
  }
  n = *len;
  if((r = s->ops->getopt(s, level, opt, val, &n)) < 0)
    return fail(-r);
  *len = n;
  return 0;
}

int
ln_fcntl(int fd, int cmd, int arg)
{
  struct sock *s = getsock(fd);

  if(s == 0)
    return fail(EBADF);
  if(cmd == F_GETFL)
    return s->nonblock ? O_NONBLOCK : 0;
  if(cmd == F_SETFL){
    s->nonblock = (arg & O_NONBLOCK) != 0;
    return 0;
  }
  return fail(EINVAL);
}

// A socket's readiness, as poll() reports it.
static int
sockready(struct sock *s, int events)
{
  return s->ops->ready(s) & (events | POLLERR | POLLHUP);
}

#define NKPOLL 16   // kernel descriptors one ln_poll can watch (kernel/param.h NPOLL)

// poll() over sockets and kernel descriptors together. Sockets are
// served by running the stack; while nothing is ready, one kernel
// poll() waits on the kernel descriptors and the network channel at
// once, so no one spins.
int
ln_poll(struct pollfd *fds, int nfds, int timeout_ms)
{
  struct pollfd k[NKPOLL + 1];
  int map[NKPOLL + 1], nk, n, r, wantout;
  uint64_t deadline = timeout_ms < 0 ? ~0ULL : ln_now_ms() + timeout_ms;

  int kfds = 0, waited = 0;

  if(nfds < 0)
    return fail(EINVAL);
  for(int i = 0; i < nfds; i++)
    if(fds[i].fd >= 0 && fds[i].fd < SOCK_FDBASE && !getsock(fds[i].fd))
      kfds = 1;
  for(;;){
    // Sockets only, and allowed to wait: look at the ring as the last
    // sync left it, and if nothing is ready, wait below in one sync
    // that also takes in what came (one system call per wake, not
    // three). Otherwise ask the kernel now.
    if(netif.dev && !waited){
      if(timeout_ms != 0 && !kfds)
        net_poll_ring();
      else
        net_poll(0);
    }
    waited = 0;
    n = nk = wantout = 0;
    for(int i = 0; i < nfds; i++){
      struct sock *s = getsock(fds[i].fd);
      fds[i].revents = 0;
      if(fds[i].fd < 0)
        continue;
      if(s){
        fds[i].revents = sockready(s, fds[i].events);
        if((fds[i].events & POLLOUT) && !fds[i].revents && s->type != SOCK_STREAM)
          wantout = 1;   // a datagram waits for a TX buffer
      } else if(fds[i].fd >= SOCK_FDBASE){
        fds[i].revents = POLLNVAL;
      } else {
        if(nk == NKPOLL)
          return fail(EINVAL);
        k[nk] = fds[i];
        map[nk++] = i;
      }
      if(fds[i].revents)
        n++;
    }
    // the kernel's descriptors, without waiting.
    if(nk > 0 && (r = poll(k, nk, 0)) > 0){
      for(int j = 0; j < nk; j++)
        if(k[j].revents){
          fds[map[j]].revents = k[j].revents;
          n++;
        }
    }
    if(n > 0 || timeout_ms == 0)
      return n;
    uint64_t now = ln_now_ms();
    if(now >= deadline)
      return 0;
    uint64_t until = netif.dev ? net_nexttimer() : ~0ULL;
    if(deadline < until)
      until = deadline;
    if(netif.dev && nk == 0 && !wantout && !net_txblocked()){
      // sockets only, waiting for input (or a timer): the sync waits
      net_poll(until == ~0ULL ? -1 : (int)(until > now ? until - now : 0));
      waited = 1;
      continue;
    }
    if(netif.dev && netif.dev->fd >= 0){
      // TX completions wake us too when output waits for a buffer
      k[nk].fd = netif.dev->fd;
      k[nk].events = POLLIN | (wantout || net_txblocked() ? POLLOUT : 0);
      nk++;
    }
    poll(k, nk, until == ~0ULL ? -1 : (int)(until > now ? until - now : 0));
  }
}

int
ln_select(int nfds, ln_fd_set *rs, ln_fd_set *ws, ln_fd_set *es, struct timeval *tv)
{
  struct pollfd p[NKPOLL + NSOCK];
  int n = 0, r, timeout = -1;

  (void)es;
  if(nfds < 0 || nfds > LN_FD_SETSIZE)
    return fail(EINVAL);
  for(int fd = 0; fd < nfds; fd++){
    int ev = 0;
    if(rs && ((rs->bits[fd / 64] >> (fd % 64)) & 1))
      ev |= POLLIN;
    if(ws && ((ws->bits[fd / 64] >> (fd % 64)) & 1))
      ev |= POLLOUT;
    if(ev == 0)
      continue;
    if(n == (int)(sizeof(p) / sizeof(p[0])))
      return fail(EINVAL);
    p[n].fd = fd;
    p[n].events = ev;
    n++;
  }
  if(tv)
    timeout = tv->tv_sec * 1000 + tv->tv_usec / 1000;
  if((r = ln_poll(p, n, timeout)) < 0)
    return r;
  if(rs)
    memset(rs, 0, sizeof(*rs));
  if(ws)
    memset(ws, 0, sizeof(*ws));
  r = 0;
  for(int i = 0; i < n; i++){
    int fd = p[i].fd;
    if(rs && (p[i].revents & (POLLIN | POLLERR | POLLHUP))){
      rs->bits[fd / 64] |= 1ULL << (fd % 64);
      r++;
    }
    if(ws && (p[i].revents & POLLOUT)){
      ws->bits[fd / 64] |= 1ULL << (fd % 64);
      r++;
    }
  }
  return r;
}

int
ln_inet_aton(const char *s, struct in_addr *a)
{
  uint32_t ip;

  if(!ip_aton(s, &ip))
    return 0;
  a->s_addr = ln_htonl(ip);
  return 1;
}

in_addr_t
ln_inet_addr(const char *s)
{
  struct in_addr a;

  if(!ln_inet_aton(s, &a))
    return INADDR_NONE;
  return a.s_addr;
}

char *
ln_inet_ntoa(struct in_addr a)
{
  static char buf[16];
  return ip_ntoa(ln_htonl(a.s_addr), buf);
}

// Answer each request waiting on the UDP socket fd with this process's
// libnet counters, as netd answers `netstat -l`: a uint32 LN_NSTATS,
// then lnstat[], host order. Only a program on this host may ask. For
// servers' -s statport (echoserver, httpd); fd is non-blocking.
void
ln_serve_stats(int fd)
{
  static uint8_t out[4 + sizeof(lnstat)];
  struct sockaddr_in from;
  socklen_t fl;
  uint32_t n = LN_NSTATS;
  char q[16];

  for(;;){
    fl = sizeof(from);
    if(ln_recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl) < 0)
      return;
    if(ln_htonl(from.sin_addr.s_addr) != netif.ip)
      continue;
    memmove(out, &n, 4);
    memmove(out + 4, lnstat, sizeof(lnstat));
    ln_sendto(fd, out, sizeof(out), 0, (struct sockaddr *)&from, fl);
  }
}
