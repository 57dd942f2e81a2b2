// stream.c: the stream socket kind, TCP, behind struct sockops: the
// application's calls (RFC 9293 3.10.1-3.10.6: OPEN, SEND, RECEIVE,
// CLOSE, ABORT) on a control block. Every call is non-blocking;
// socket.c waits. Also what happens at exit (tcp_exit).
#define LIBNET_NO_MACROS
#include "tcp.h"
#include "socket.h"

static int
isconn(struct tcpcb *tp)
{
  return tp && tp->state >= TCP_ESTABLISHED;
}

static struct tcpcb *
newtcb(struct sock *s)
{
  struct tcpcb *tp;

  if(s->tp)
    return s->tp;
  if((tp = tcp_alloc()) == 0)
    return 0;
  tp->sock = s;
  tp->lport = s->lport;
  tp->laddr = s->laddr;
  s->tp = tp;
  return tp;
}

static int
s_bind(struct sock *s, uint32_t ip, uint16_t port)
{
  int r;

  if((r = tcp_port_hold(port, s->reuseaddr)) < 0)
    return r;
  s->lport = r;
  if(s->tp)
    s->tp->lport = r;
  return 0;
}

// An active OPEN (RFC 9293 3.10.1): SYN-SENT, and the SYN goes.
static int
s_connect(struct sock *s, uint32_t ip, uint16_t port)
{
  struct tcpcb *tp = s->tp;
  uint32_t nexthop;
  int r;

  if(tp && tp->state == TCP_SYN_SENT)
    return -EALREADY;
  if(tp && tp->state == TCP_LISTEN)
    return -EISCONN;
  if(tp && tp->state != TCP_CLOSED)
    return -EISCONN;
  if(tp && tp->error){
    // a connect that failed: report it once, as Linux does
    r = tp->error;
    tp->error = 0;
    return -r;
  }
  if(tp && tp->raddr)
    return -EISCONN;   // it was connected, and is over
  if(ip == 0 || port == 0)
    return -EINVAL;
  // 127/8 is this host: the kernel checks that every frame we send
  // comes from the interface's address, so loopback traffic uses it
  // (getpeername then shows that address, not 127.0.0.1).
  if((ip >> 24) == 127)
    ip = netif.ip;
  if(net_route(ip, &nexthop) < 0)
    return -ENETUNREACH;
  if(s->lport == 0 && (r = s_bind(s, 0, 0)) < 0)
    return r;
  if((tp = tcp_lookup(netif.ip, s->lport, ip, port)) != 0 && tp->state != TCP_LISTEN)
    return -EADDRINUSE;
  if((tp = newtcb(s)) == 0)
    return -ENOMEM;
  tp->laddr = netif.ip;
  s->laddr = tp->laddr;
  tp->raddr = ip;
  tp->rport = port;
  tp->iss = tcp_newiss(tp);
  tp->snd_una = tp->snd_nxt = tp->snd_max = tp->iss;
  tp->snd_recover = tp->snd_high_rxt = tp->snd_wl2 = tp->iss;
  for(tp->rcv_scale = 0; tp->rcv_scale < 14 && (tp->rcvbufsize >> tp->rcv_scale) > 65535; tp->rcv_scale++)
    ;
  tp->cc->init(tp);
  tp->state = TCP_SYN_SENT;
  tp->idle_ms = tcp_now();
  tcp_hash(tp);
  s->raddr = ip;
  s->rport = port;
  tcp_output(tp);
  return -EINPROGRESS;
}

// A passive OPEN (RFC 9293 3.10.1): LISTEN.
static int
s_listen(struct sock *s, int backlog)
{
  struct tcpcb *tp = s->tp;
  int r;

  if(backlog < 1)
    backlog = 1;
  if(backlog > SOMAXCONN)
    backlog = SOMAXCONN;
  if(tp && tp->state == TCP_LISTEN){
    tp->backlog = backlog;
    return 0;
  }
  if(tp && tp->state != TCP_CLOSED)
    return -EISCONN;
  if(s->lport == 0 && (r = s_bind(s, 0, 0)) < 0)
    return r;
  // a port held by other connections (SO_REUSEADDR over TIME-WAIT) may listen only alone
  if((tp = newtcb(s)) == 0)
    return -ENOMEM;
  tp->lport = s->lport;
  tp->laddr = s->laddr;
  tp->backlog = backlog;
  tp->state = TCP_LISTEN;
  tcp_hash(tp);
  return 0;
}

static int
s_accept(struct sock *s, struct sock *ns)
{
  struct tcpcb *l = s->tp, **pp, *tp;

  if(l == 0 || l->state != TCP_LISTEN)
    return -EINVAL;
  for(pp = &l->qnext; (tp = *pp) != 0; pp = &tp->qnext)
    if(tp->state != TCP_SYN_RECEIVED)
      break;
  if(tp == 0)
    return -EAGAIN;
  *pp = tp->qnext;
  tp->qnext = 0;
  tp->parent = 0;
  l->qlen--;
  tp->flags |= TF_ACCEPTED | (l->flags & (TF_NODELAY | TF_KEEPALIVE));
  tp->sock = ns;
  ns->tp = tp;
  ns->laddr = tp->laddr;
  ns->lport = tp->lport;
  ns->raddr = tp->raddr;
  ns->rport = tp->rport;
  if(tp->flags & TF_KEEPALIVE)
    tcp_settimer(&tp->t_keep, tcp_now() + TCP_KEEPIDLE_MS);
  return 0;
}

// May the application add to the stream now? 0, or the send's -E*.
static int
sendable(struct tcpcb *tp, const uint32_t *dst)
{
  int r;

  if(tp && tp->error){
    r = tp->error;
    tp->error = 0;
    return -r;
  }
  if(tp == 0 || tp->state == TCP_LISTEN || (tp->state == TCP_CLOSED && tp->raddr == 0))
    return -ENOTCONN;
  if(dst)
    return -EISCONN;
  if(tp->state == TCP_SYN_SENT || tp->state == TCP_SYN_RECEIVED)
    return -EAGAIN;
  if(tp->state == TCP_CLOSED || (tp->flags & TF_FINQUEUED))
    return -EPIPE;
  if(tcp_sndbufinit(&tp->sndq, tp->sndbufsize) < 0)
    return -ENOMEM;
  return 0;
}

// SEND (RFC 9293 3.10.2): what fits in the send ring, copied in.
static int
s_send(struct sock *s, const uint8_t *buf, int len, int flags, const uint32_t *dst, uint16_t dport)
{
  struct tcpcb *tp = s->tp;
  int n;

  if((n = sendable(tp, dst)) < 0)
    return n;
  if((n = tcp_sndput(tp, buf, len)) == 0)
    return -EAGAIN;
  tcp_output(tp);
  return n;
}

// SEND of bytes the application keeps in the payload cache (netref.h):
// the queue takes a reference to them, all or none.
static int
s_sendref(struct sock *s, struct netref *r, uint32_t off, uint32_t len)
{
  struct tcpcb *tp = s->tp;
  int n;

  if(netif.dev->cache == 0 || off > r->len || len > r->len - off ||
     r->off > netif.dev->cachesize || r->len > netif.dev->cachesize - r->off)
    return -EINVAL;
  if((n = sendable(tp, 0)) < 0)
    return n;
  if(tcp_sndref(tp, r, off, len) < 0)
    return -EAGAIN;
  tcp_output(tp);
  return len;
}

// RECEIVE (RFC 9293 3.10.3): what is in order; 0 once the FIN is in.
static int
s_recv(struct sock *s, uint8_t *buf, int len, int flags, uint32_t *src, uint16_t *sport)
{
  struct tcpcb *tp = s->tp;
  int n, r;

  if(tp == 0 || tp->state == TCP_LISTEN)
    return -ENOTCONN;
  *src = tp->raddr;
  *sport = tp->rport;
  if(tp->rcvq.len > 0 && len > 0){
    n = tp->rcvq.len < len ? tp->rcvq.len : len;
    tcpbuf_get(&tp->rcvq, 0, buf, n);
    if(!(flags & MSG_PEEK)){
      tcpbuf_consume(&tp->rcvq, n);
      tcp_output(tp);    // the window may have opened enough to say so
    }
    return n;
  }
  if(tp->error){
    r = tp->error;
    tp->error = 0;
    return -r;
  }
  if((tp->flags & (TF_RCVDFIN | TF_SHUTRD)) || tp->state == TCP_CLOSED || tp->state == TCP_TIME_WAIT)
    return tp->raddr || (tp->flags & TF_SHUTRD) ? 0 : -ENOTCONN;
  return -EAGAIN;
}

// CLOSE of one direction (RFC 9293 3.10.4): the FIN follows the queue.
static void
usrclosed(struct tcpcb *tp)
{
  switch(tp->state){
  case TCP_SYN_SENT:
    tcp_close(tp);
    return;
  case TCP_SYN_RECEIVED:
  case TCP_ESTABLISHED:
    tcp_setstate(tp, TCP_FIN_WAIT_1);
    break;
  case TCP_CLOSE_WAIT:
    tcp_setstate(tp, TCP_LAST_ACK);
    break;
  default:
    return;
  }
  tp->flags |= TF_FINQUEUED;
  tcp_output(tp);
}

static int
s_shutdown(struct sock *s, int how)
{
  struct tcpcb *tp = s->tp;

  if(how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
    return -EINVAL;
  if(!isconn(tp) && !(tp && tp->state == TCP_SYN_RECEIVED))
    return -ENOTCONN;
  if(how != SHUT_WR){
    tp->flags |= TF_SHUTRD;
    if(tp->rcvq.b)
      tcpbuf_consume(&tp->rcvq, tp->rcvq.len);
  }
  if(how != SHUT_RD)
    usrclosed(tp);
  return 0;
}

static int
s_ready(struct sock *s)
{
  struct tcpcb *tp = s->tp;
  int r = 0;

  if(tp == 0)
    return POLLOUT | POLLHUP;   // Linux says so of a socket never connected
  if(tp->state == TCP_LISTEN){
    for(struct tcpcb *c = tp->qnext; c; c = c->qnext)
      if(c->state != TCP_SYN_RECEIVED)
        return POLLIN;
    return 0;
  }
  if(tp->error)
    r |= POLLERR;
  if(tp->rcvq.len > 0 || (tp->flags & (TF_RCVDFIN | TF_SHUTRD)) || tp->error)
    r |= POLLIN;
  if(tp->state == TCP_CLOSED || tp->state == TCP_TIME_WAIT){
    r |= POLLIN | POLLHUP;
    if(tp->raddr)
      r |= POLLOUT;    // a write now fails at once (EPIPE), so it is "ready"
  } else if((tp->flags & TF_RCVDFIN) && (tp->flags & TF_FINQUEUED)){
    r |= POLLHUP;
  }
  if((tp->state == TCP_ESTABLISHED || tp->state == TCP_CLOSE_WAIT) && !(tp->flags & TF_FINQUEUED)){
    int cap = tp->sndq.b ? tp->sndq.cap : tp->sndbufsize;
    if(cap - tp->sndq.len >= cap / 4 && tp->nsx <= TCP_NSX - 2)
      r |= POLLOUT;
  } else if(tp->flags & TF_FINQUEUED){
    r |= POLLOUT;      // EPIPE waits for no one
  }
  return r;
}

static int
intval(const void *val, int len)
{
  return len >= (int)sizeof(int) ? *(const int *)val : 0;
}

static int
s_setopt(struct sock *s, int level, int opt, const void *val, int len)
{
  struct tcpcb *tp;
  int v;

  if(len < (int)sizeof(int))
    return -EINVAL;
  v = intval(val, len);
  if((tp = newtcb(s)) == 0)
    return -ENOMEM;
  if(level == IPPROTO_TCP && opt == TCP_NODELAY){
    if(v)
      tp->flags |= TF_NODELAY;
    else
      tp->flags &= ~TF_NODELAY;
    tcp_output(tp);
    return 0;
  }
  if(level != SOL_SOCKET)
    return -ENOPROTOOPT;
  switch(opt){
  case SO_SNDBUF:
  case SO_RCVBUF:
    // as Linux: the size asked for, within bounds; a ring in use keeps its size
    if(v < TCP_BUF_MIN)
      v = TCP_BUF_MIN;
    if(v > TCP_BUF_MAX)
      v = TCP_BUF_MAX;
    if(opt == SO_SNDBUF && tp->sndq.b == 0)
      tp->sndbufsize = v;
    if(opt == SO_RCVBUF && tp->rcvq.b == 0 && tp->state <= TCP_LISTEN)
      tp->rcvbufsize = v;
    return 0;
  case SO_KEEPALIVE:
    if(v){
      tp->flags |= TF_KEEPALIVE;
      if(isconn(tp))
        tcp_settimer(&tp->t_keep, tcp_now() + TCP_KEEPIDLE_MS);
    } else {
      tp->flags &= ~TF_KEEPALIVE;
      tp->t_keep = 0;
    }
    return 0;
  case SO_LINGER: {
    const struct linger *l = val;
    if(len < (int)sizeof(*l))
      return -EINVAL;
    tp->linger = l->l_onoff != 0;
    tp->linger_s = l->l_linger < 0 ? 0 : l->l_linger;
    return 0;
  }
  }
  return -ENOPROTOOPT;
}

static int
s_getopt(struct sock *s, int level, int opt, void *val, int *len)
{
  struct tcpcb *tp = s->tp;
  int v;

  if(level == IPPROTO_TCP && opt == TCP_NODELAY)
    v = tp && (tp->flags & TF_NODELAY);
  else if(level != SOL_SOCKET)
    return -ENOPROTOOPT;
  else switch(opt){
  case SO_ERROR:
    v = tp ? tp->error : 0;
    if(tp)
      tp->error = 0;
    break;
  case SO_SNDBUF:
    v = tp ? tp->sndbufsize : TCP_BUF_DEFAULT;
    break;
  case SO_RCVBUF:
    v = tp ? tp->rcvbufsize : TCP_BUF_DEFAULT;
    break;
  case SO_KEEPALIVE:
    v = tp && (tp->flags & TF_KEEPALIVE);
    break;
  case SO_LINGER: {
    struct linger l = { tp ? tp->linger : 0, tp ? tp->linger_s : 0 };
    if(*len < (int)sizeof(l))
      return -EINVAL;
    memmove(val, &l, sizeof(l));
    *len = sizeof(l);
    return 0;
  }
  default:
    return -ENOPROTOOPT;
  }
  *(int *)val = v;
  *len = sizeof(int);
  return 0;
}

// ABORT (RFC 9293 3.10.5): a reset, and the block goes.
static void
abort_conn(struct tcpcb *tp)
{
  if(tp->state >= TCP_SYN_RECEIVED && tp->state != TCP_TIME_WAIT &&
     tcp_send_seg(tp, tp->snd_max, 0, TCP_RST | TCP_ACK) == 0)
    LNSTAT(tcp_rst_tx);
  tcp_close(tp);
}

// close(): a listener resets what it had not accepted; a connection
// with unread data, or SO_LINGER of 0, is reset (RFC 9293 3.10.4,
// RFC 2525 2.17); any other closes gracefully, orphaned: its block
// lives on until the FIN exchange and TIME-WAIT are over.
static void
s_close(struct sock *s)
{
  struct tcpcb *tp = s->tp, *c;

  if(tp == 0){
    if(s->lport)
      tcp_port_drop(s->lport);
    return;
  }
  s->tp = 0;
  tp->sock = 0;
  if(tp->state == TCP_LISTEN){
    while((c = tp->qnext) != 0)
      abort_conn(c);   // tcp_close takes it off the queue, and frees it
    tcp_free(tp);
    return;
  }
  tp->flags |= TF_ORPHAN;
  if(tp->state == TCP_CLOSED){
    tcp_free(tp);
    return;
  }
  if((tp->linger && tp->linger_s == 0) || tp->rcvq.len > 0){
    abort_conn(tp);
    return;
  }
  if(tp->state == TCP_FIN_WAIT_2 || tp->state == TCP_TIME_WAIT){
    // all we sent is acknowledged: the send ring goes now, and in
    // TIME-WAIT (nothing more arrives) the receive ring too, not 2 MSL
    // later (a server that closes first holds thousands there). In
    // FIN-WAIT-2 out-of-order data may still sit in the receive ring.
    tcp_sndfree(tp);
    if(tp->state == TCP_TIME_WAIT)
      tcp_buffree(&tp->rcvq);
    return;
  }
  usrclosed(tp);
}

// Should close() wait, and how long? With SO_LINGER on, until the FIN
// is acknowledged, or the seconds run out (socket.c sends the FIN first).
static int
s_lingering(struct sock *s)
{
  struct tcpcb *tp = s->tp;

  if(!(tp && tp->linger && tp->linger_s > 0 && tp->rcvq.len == 0))
    return 0;
  return (tp->state == TCP_ESTABLISHED || tp->state == TCP_CLOSE_WAIT || tp->state == TCP_FIN_WAIT_1 ||
          tp->state == TCP_CLOSING || tp->state == TCP_LAST_ACK || tp->state == TCP_SYN_RECEIVED) ? tp->linger_s : 0;
}

const struct sockops stream_ops = {
  .bind = s_bind,
  .connect = s_connect,
  .listen = s_listen,
  .accept = s_accept,
  .send = s_send,
  .sendref = s_sendref,
  .recv = s_recv,
  .shutdown = s_shutdown,
  .ready = s_ready,
  .setopt = s_setopt,
  .getopt = s_getopt,
  .close = s_close,
  .lingering = s_lingering,
};

// The process is ending (exit() runs this, registered by net_autoinit).
// A kernel stack would go on delivering what was written, then FIN; we
// do that here, for at most TCP_EXIT_LINGER_MS: every open connection
// is closed as close() would, and the stack runs until each one's data
// and FIN are acknowledged. What is left in TIME-WAIT or FIN-WAIT-2
// goes to netd (tcp_orphan.c); a connection still busy at the bound
// dies with the process, and netd answers its next segment with a reset.
void
tcp_exit(void)
{
  struct tcpcb *tp, *next;
  uint64_t until = ln_now_ms() + TCP_EXIT_LINGER_MS;
  int busy;

  for(tp = tcb_list; tp; tp = next){
    next = tp->next;
    if(tp->sock)
      s_close(tp->sock);   // the socket itself goes with the process
  }
  for(;;){
    busy = 0;
    for(tp = tcb_list; tp; tp = tp->next)
      if(tp->state == TCP_SYN_RECEIVED || tp->state == TCP_FIN_WAIT_1 ||
         tp->state == TCP_CLOSING || tp->state == TCP_LAST_ACK)
        busy = 1;
    if(!busy || ln_now_ms() >= until)
      break;
    net_poll((int)(until - ln_now_ms()));
  }
  tcp_handoff();
}
