// dgram.c: the datagram socket kinds, UDP and raw ICMP (for ping),
// behind struct sockops. Received datagrams wait in a per-socket queue
// (sock_deliver, from udp.c and icmp.c); sends go straight down.
#define LIBNET_NO_MACROS
#include "net.h"
#include "socket.h"
#include "kernel/netchan.h"

static struct sock *dlist;    // every datagram socket

struct sock *
sock_byport(int proto, uint16_t lport)
{
  for(struct sock *s = dlist; s; s = s->dnext)
    if(s->proto == proto && s->lport == lport && lport != 0)
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

// Claim port (0: any) from the kernel's filters.
static int
claim(struct sock *s, uint16_t port)
{
  int r = netif.dev->claim(netif.dev, s->proto, port);

  if(r < 0)
    return r;
  s->lport = r;
  for(struct sock *o = dlist; o; o = o->dnext)
    if(o == s)
      return 0;
  s->dnext = dlist;
  dlist = s;
  return 0;
}

static int
d_bind(struct sock *s, uint32_t ip, uint16_t port)
{
  return claim(s, port);
}

static int
d_connect(struct sock *s, uint32_t ip, uint16_t port)
{
  uint32_t nexthop;
  int err;

  if(ip == 0 && port == 0){
    s->raddr = 0;    // AF_UNSPEC: dissolve the association
    s->rport = 0;
    return 0;
  }
  if(net_route(ip, &nexthop) < 0)
    return -ENETUNREACH;
  if(s->lport == 0 && (err = claim(s, 0)) < 0)
    return err;
  s->raddr = ip;
  s->rport = port;
  s->error = 0;
  return 0;
}

static int
d_send(struct sock *s, const uint8_t *buf, int len, int flags, const uint32_t *dstp, uint16_t dport)
{
  uint32_t dst;
  int err, r;

  if(dstp){
    dst = *dstp;
  } else if(s->raddr){
    dst = s->raddr;
    dport = s->rport;
  } else {
    return -EDESTADDRREQ;
  }
  if(s->error){
    err = s->error;
    s->error = 0;
    return -err;
  }
  if(s->proto == IP_PROTO_ICMP){
    // a raw ICMP socket sends a whole ICMP message; echo requests must
    // carry the identifier this socket holds.
    if(len < ICMP_HLEN)
      return -EINVAL;
    uint16_t id = get16(buf + 4);
    if(s->lport == 0 && (err = claim(s, id)) < 0)
      return err;
    if(id != s->lport)
      return -EINVAL;
    r = ipv4_output(dst, IP_PROTO_ICMP, buf, len);
  } else {
    if(s->lport == 0 && (err = claim(s, 0)) < 0)
      return err;
    r = udp_output(s->lport, dst, dport, buf, len);
  }
  if(r == -ENOBUFS && !net_txroom())
    return -EAGAIN;   // no TX buffer now: socket.c waits for one, or says EAGAIN
  if(r < 0)
    return r;
  return len;
}

static int
d_recv(struct sock *s, uint8_t *buf, int len, int flags, uint32_t *src, uint16_t *sport)
{
  struct dgram *d = s->rqhead;
  int n, err;

  if(d == 0){
    if(s->error){
      err = s->error;
      s->error = 0;
      return -err;
    }
    return -EAGAIN;
  }
  n = d->len < len ? d->len : len;   // the rest is lost, as in BSD
  memmove(buf, d->data, n);
  *src = d->src;
  *sport = d->sport;
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

static int
d_ready(struct sock *s)
{
  int r = 0;

  if(net_txroom())
    r |= POLLOUT;
  if(s->rqhead || s->error)
    r |= POLLIN;
  if(s->error)
    r |= POLLERR;
  return r;
}

static int
d_listen(struct sock *s, int backlog)
{
  return -EOPNOTSUPP;
}

static int
d_accept(struct sock *s, struct sock *ns)
{
  return -EOPNOTSUPP;
}

static int
d_shutdown(struct sock *s, int how)
{
  return s->raddr ? 0 : -ENOTCONN;
}

static int
d_setopt(struct sock *s, int level, int opt, const void *val, int len)
{
  return -ENOPROTOOPT;
}

static int
d_getopt(struct sock *s, int level, int opt, void *val, int *len)
{
  return -ENOPROTOOPT;
}

static void
d_close(struct sock *s)
{
  struct sock **pp;

  if(s->lport)
    netif.dev->claim(netif.dev, s->proto | NC_RELEASE, s->lport);
  for(pp = &dlist; *pp; pp = &(*pp)->dnext)
    if(*pp == s){
      *pp = s->dnext;
      break;
    }
  while(s->rqhead){
    struct dgram *d = s->rqhead;
    s->rqhead = d->next;
    free(d);
  }
}

static int
d_lingering(struct sock *s)
{
  return 0;
}

const struct sockops dgram_ops = {
  .bind = d_bind,
  .connect = d_connect,
  .listen = d_listen,
  .accept = d_accept,
  .send = d_send,
  .recv = d_recv,
  .shutdown = d_shutdown,
  .ready = d_ready,
  .setopt = d_setopt,
  .getopt = d_getopt,
  .close = d_close,
  .lingering = d_lingering,
};
