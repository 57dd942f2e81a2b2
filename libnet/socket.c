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


static struct sock socks[NSOCK];



static int
fail(int err)
{
  errno = err;
  return -1;
}

static struct sock *
getsock(int fd)
{
  if(fd < SOCK_FDBASE || fd >= SOCK_FDBASE + NSOCK || !socks[fd - SOCK_FDBASE].used)
    return 0;
  return &socks[fd - SOCK_FDBASE];
}

int
ln_issock(int fd)
{
  return getsock(fd) != 0;
}

struct sock *
sock_byport(int proto, uint16_t lport)
{
  for(struct sock *s = socks; s < &socks[NSOCK]; s++)
    if(s->used && s->proto == proto && s->lport == lport && lport != 0)
      return s;
  return 0;
}

// Queue a copy of a datagram for s. Returns 0, -ENOBUFS if s's queue
// is full, -ENOMEM if no memory: the caller counts the drop, as udp.c
// and icmp.c each name their own.
int
sock_deliver(struct sock *s, uint32_t src, uint16_t sport, uint8_t ttl,
             const uint8_t *data, int len)
{
  struct dgram *d;

  if(s->rqcount >= SOCK_RQMAX || s->rqbytes + len > SOCK_RQBYTES)
    return -ENOBUFS;
  if((d = malloc(sizeof(*d) + len)) == 0)
    return -ENOMEM;
  d->next = 0;
  d->src = src;
  d->sport = sport;
  d->ttl = ttl;
  d->len = len;
  memmove(d->data, data, len);
  if(s->rqtail)
    s->rqtail->next = d;
  else
    s->rqhead = d;
  s->rqtail = d;
  s->rqcount++;
  s->rqbytes += len;
  return 0;
}

// An error about traffic from lport (an ICMP error, or a neighbour that
// never answered ARP). A UDP socket hears it only when connected to the
// peer concerned (RFC 1122 4.1.3.3, as BSD does); a raw ICMP socket
// always. Its next call reports it.
void
sock_error(int proto, uint16_t lport, uint32_t raddr, uint16_t rport, int err)
{
  struct sock *s = sock_byport(proto, lport);

  if(s == 0)
    return;
  if(proto == IP_PROTO_UDP && (s->raddr != raddr || s->rport != rport))
    return;
  s->error = err;
}

int
ln_socket(int domain, int type, int protocol)
{
  int proto;

  if(domain != AF_INET)
    return fail(EAFNOSUPPORT);
  if(type == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP))
    proto = IP_PROTO_UDP;
  else if(type == SOCK_RAW && protocol == IPPROTO_ICMP)
    proto = IP_PROTO_ICMP;
  else if(type == SOCK_STREAM || type == SOCK_DGRAM || type == SOCK_RAW)
    return fail(EPROTONOSUPPORT);
  else
    return fail(EINVAL);
  if(net_autoinit() < 0)
    return fail(ENETDOWN);
  for(struct sock *s = socks; s < &socks[NSOCK]; s++)
    if(!s->used){
      memset(s, 0, sizeof(*s));
      s->used = 1;
      s->type = type;
      s->proto = proto;
      s->rcvtimeo_ms = -1;
      return SOCK_FDBASE + (s - socks);
    }
  return fail(EMFILE);
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

// Claim port (0: any) from the kernel's filters. Returns 0 or an errno.
static int
claim(struct sock *s, uint16_t port)
{
  int r = netif.dev->claim(netif.dev, s->proto, port);

  if(r < 0)
    return -r;
  s->lport = r;
  return 0;
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
  if((err = claim(s, port)) != 0)
    return fail(err);
  s->laddr = ip;
  return 0;
}

int
ln_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
  struct sock *s = getsock(fd);
  uint32_t ip, nexthop;
  uint16_t port;
  int err;

  if(s == 0)
    return fail(ENOTSOCK);
  if(addr && len >= sizeof(sa_family_t) && addr->sa_family == 0){
    s->raddr = 0;    // AF_UNSPEC: dissolve the association
    s->rport = 0;
    return 0;
  }
  if((err = getaddr(addr, len, &ip, &port)) != 0)
    return fail(err);
  if(net_route(ip, &nexthop) < 0)
    return fail(ENETUNREACH);
  if(s->lport == 0 && (err = claim(s, 0)) != 0)
    return fail(err);
  s->raddr = ip;
  s->rport = port;
  s->error = 0;
  return 0;
}

// Send what the stack queued now, rather than at the next call.
static void
flush(void)
{
  netif.dev->sync(netif.dev, 0);
}

ssize_t
ln_sendto(int fd, const void *buf, size_t len, int flags,
          const struct sockaddr *to, socklen_t tolen)
{
  struct sock *s = getsock(fd);
  uint32_t dst = 0;
  uint16_t dport = 0;
  int err, r;

  (void)flags;
  if(s == 0)
    return fail(ENOTSOCK);
  if(to){
    if((err = getaddr(to, tolen, &dst, &dport)) != 0)
      return fail(err);
  } else if(s->raddr){
    dst = s->raddr;
    dport = s->rport;
  } else {
    return fail(EDESTADDRREQ);
  }
  if(s->error){
    err = s->error;
    s->error = 0;
    return fail(err);
  }
  if(s->proto == IP_PROTO_ICMP){
    // a raw ICMP socket sends a whole ICMP message; echo requests must
    // carry the identifier this socket holds.
    if(len < ICMP_HLEN)
      return fail(EINVAL);
    uint16_t id = get16((const uint8_t *)buf + 4);
    if(s->lport == 0 && (err = claim(s, id)) != 0)
      return fail(err);
    if(id != s->lport)
      return fail(EINVAL);
    r = ipv4_output(dst, IP_PROTO_ICMP, buf, len);
  } else {
    if(s->lport == 0 && (err = claim(s, 0)) != 0)
      return fail(err);
    r = udp_output(s->lport, dst, dport, buf, len);
  }
  if(r < 0)
    return fail(-r);
  flush();
  return len;
}

ssize_t
ln_send(int fd, const void *buf, size_t len, int flags)
{
  return ln_sendto(fd, buf, len, flags, 0, 0);
}

ssize_t
ln_recvfrom(int fd, void *buf, size_t len, int flags,
            struct sockaddr *from, socklen_t *fromlen)
{
  struct sock *s = getsock(fd);
  uint64_t deadline;
  int err;

  if(s == 0)
    return fail(ENOTSOCK);
  deadline = s->rcvtimeo_ms > 0 ? ln_now_ms() + s->rcvtimeo_ms : ~0ULL;
  for(;;){
    struct dgram *d = s->rqhead;
    if(d){
      int n = (size_t)d->len < len ? d->len : (int)len;   // the rest is lost, as in BSD
      memmove(buf, d->data, n);
      putaddr(from, fromlen, d->src, d->sport);
      if(!(flags & MSG_PEEK)){
        s->rqhead = d->next;
        if(s->rqhead == 0)
          s->rqtail = 0;
        s->rqcount--;
        s->rqbytes -= d->len;
        free(d);
      }
      return n;
    }
    if(s->error){
      err = s->error;
      s->error = 0;
      return fail(err);
    }
    if(s->nonblock || (flags & MSG_DONTWAIT)){
      // run the stack once: what arrived since the last call counts.
      if(net_poll(0) > 0)
        continue;
      return fail(EAGAIN);
    }
    uint64_t now = ln_now_ms();
    if(now >= deadline)
      return fail(EAGAIN);
    net_poll(deadline == ~0ULL ? -1 : (int)(deadline - now));
  }
}

ssize_t
ln_recv(int fd, void *buf, size_t len, int flags)
{
  return ln_recvfrom(fd, buf, len, flags, 0, 0);
}

int
ln_close(int fd)
{
  struct sock *s = getsock(fd);

  if(s == 0)
    return close(fd);
  if(s->lport)
    netif.dev->claim(netif.dev, s->proto | NC_RELEASE, s->lport);
  while(s->rqhead){
    struct dgram *d = s->rqhead;
    s->rqhead = d->next;
    free(d);
  }
  s->used = 0;
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
  if(level != SOL_SOCKET)
    return fail(ENOPROTOOPT);
  switch(opt){
  case SO_RCVTIMEO: {
    const struct timeval *tv = val;
    if(len < sizeof(*tv) || tv->tv_sec < 0 || tv->tv_usec < 0)
      return fail(EINVAL);
    long ms = tv->tv_sec * 1000 + tv->tv_usec / 1000;
    s->rcvtimeo_ms = ms == 0 ? -1 : ms;   // zero means no timeout
    return 0;
  }
  case SO_REUSEADDR:
  case SO_BROADCAST:
    if(len < sizeof(int))
      return fail(EINVAL);
    if(opt == SO_REUSEADDR)
      s->reuseaddr = *(const int *)val != 0;
    return 0;   // broadcasts are always allowed
  default:
    return fail(ENOPROTOOPT);
  }
}

int
ln_getsockopt(int fd, int level, int opt, void *val, socklen_t *len)
{
  struct sock *s = getsock(fd);

  if(s == 0)
    return fail(ENOTSOCK);
  if(level != SOL_SOCKET || val == 0 || len == 0 || *len < sizeof(int))
    return fail(level != SOL_SOCKET ? ENOPROTOOPT : EINVAL);
  switch(opt){
  case SO_ERROR:
    *(int *)val = s->error;
    s->error = 0;
    break;
  case SO_REUSEADDR:
    *(int *)val = s->reuseaddr;
    break;
  default:
    return fail(ENOPROTOOPT);
  }
  *len = sizeof(int);
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
  int r = POLLOUT;

  if(s->rqhead || s->error)
    r |= POLLIN;
  if(s->error)
    r |= POLLERR;
  return r & (events | POLLERR | POLLHUP);
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
  int map[NKPOLL + 1], nk, n, r;
  uint64_t deadline = timeout_ms < 0 ? ~0ULL : ln_now_ms() + timeout_ms;

  if(nfds < 0)
    return fail(EINVAL);
  for(;;){
    if(netif.dev)
      net_poll(0);
    n = nk = 0;
    for(int i = 0; i < nfds; i++){
      struct sock *s = getsock(fds[i].fd);
      fds[i].revents = 0;
      if(fds[i].fd < 0)
        continue;
      if(s){
        fds[i].revents = sockready(s, fds[i].events);
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
    if(netif.dev && netif.dev->fd >= 0){
      k[nk].fd = netif.dev->fd;
      k[nk].events = POLLIN;
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
