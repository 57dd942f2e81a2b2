// icmp: ICMP for a host (RFC 792, RFC 1122 3.2.2). Answers echo
// requests when this process speaks for the host (netd), hands echo
// replies and errors about our echoes to the raw socket that owns the
// echo id (ping), passes every error about what we sent to
// ipv4_ctlinput, which hands it to the quoted transport, and sends
// rate-limited errors for ipv4.c and udp.c. The error input reads no
// byte of the quoted transport header: only its protocol's ctlinput
// does (for ICMP, icmp_ctlinput below).
// Not done: timestamp, address mask, redirect (we route by our own
// table only), source quench (obsolete, RFC 6633).
#include "net.h"

static int
icmp_isbcast(uint32_t a)
{
  return a == 0xffffffff || net_isbcast(a);
}

static int
icmp_unicast(uint32_t a)
{
  // Not 0, not broadcast, not loopback, multicast or class E.
  return a != 0 && a != 0xffffffff && !net_isbcast(a) &&
         (a >> 24) != 127 && (a >> 28) < 14;
}

// Answer an echo request with the same id, sequence and data (RFC 792;
// RFC 1122 3.2.2.6). p is the request's ICMP message, len bytes.
static void
icmp_echo(const struct ipv4_repr *ip, const struct icmp_repr *ic, const uint8_t *p, int len)
{
  struct icmp_repr r;
  uint8_t *buf, *zc;
  void *cookie;

  r.type = ICMP_ECHOREPLY;
  r.code = 0;
  r.id = ic->id;
  r.seq = ic->seq;
  r.rest = 0;
  // Straight into a TX frame when it fits and the neighbour is known.
  zc = ipv4_txbegin(ip->src, IP_PROTO_ICMP, len, &cookie);
  if(zc){
    memcpy(zc, p, len);
    icmp_emit(zc, len, &r, len - ICMP_HLEN);
    if(ipv4_txfinish(cookie) == 0)
      LNSTAT(icmp_echo_reply_tx);
    return;
  }
  // A reassembled request may need a fragmented reply.
  buf = malloc(len);
  if(buf == 0)
    return;
  memcpy(buf, p, len);
  icmp_emit(buf, len, &r, len - ICMP_HLEN);
  if(ipv4_output(ip->src, IP_PROTO_ICMP, buf, len) == 0)
    LNSTAT(icmp_echo_reply_tx);
  free(buf);
}

// Queue the whole ICMP message, IP header first (p is the message, len
// bytes, ip's header just before it), for the raw socket s, as a BSD raw
// socket would get it; a drop is counted.
static void
icmp_deliver(struct sock *s, const struct ipv4_repr *ip, const uint8_t *p, int len)
{
  int r;

  r = sock_deliver(s, ip->src, 0, ip->ttl, p - ip->hlen, ip->hlen + len);
  if(r == -ENOBUFS)
    LNSTAT(icmp_drop_full);
  else if(r < 0)
    LNSTAT(sock_drop_nomem);
}

// The errno a socket sees for an ICMP error (as BSD and Linux map them).
int
icmp_errno(int type, int code)
{
  if(type == ICMP_UNREACH){
    switch(code){
    case ICMP_UNREACH_NET:
    case ICMP_UNREACH_HOST:
      return EHOSTUNREACH;
    case ICMP_UNREACH_PORT:
      return ECONNREFUSED;
    case ICMP_UNREACH_NEEDFRAG:
      return EMSGSIZE;
    }
  }
  if(type == ICMP_TIMXCEED)
    return EHOSTUNREACH;
  return EPROTO;
}

// An error about a datagram we sent (RFC 1122 3.2.2: it MUST reach the
// transport). p is the ICMP message (len bytes), its IP header ip
// just before it. ipv4_ctlinput reads the quote and counts what it
// cannot use.
static void
icmp_errinput(const struct ipv4_repr *ip, const struct icmp_repr *ic,
              const uint8_t *p, int len)
{
  struct ctlmsg m;

  LNSTAT(icmp_err_rx);
  m.type = ic->type;
  m.code = ic->code;
  m.rest = ic->rest;
  m.err = icmp_errno(ic->type, ic->code);
  m.ip = ip;
  m.msg = p;
  m.msglen = len;
  ipv4_ctlinput(&m, p + ICMP_HLEN, len - ICMP_HLEN);
}

// An error about an ICMP message we sent: qip is its quoted IP header,
// qp its first qlen (>= 8) bytes, as ipv4_ctlinput promises. About one
// of our echoes, ping prints it, so its socket gets the whole error,
// as a BSD raw socket would. When ARP gave up there is no message to
// give: the socket holding the quoted id learns the error instead,
// whatever the quoted type.
void
icmp_ctlinput(const struct ctlmsg *m, const struct ipv4_repr *qip, const uint8_t *qp, int qlen)
{
  struct sock *s;

  if(m->msg == 0){
    sock_error(IP_PROTO_ICMP, get16(qp + 4), qip->dst, 0, m->err);
    return;
  }
  if(qp[0] != ICMP_ECHO){
    LNSTAT(icmp_ignored);
    return;
  }
  if((s = sock_byport(IP_PROTO_ICMP, get16(qp + 4))) == 0){
    LNSTAT(icmp_drop_noport);
    return;
  }
  icmp_deliver(s, m->ip, m->msg, m->msglen);
}

// An ICMP message arrived: ip is its IP header, p the message (len
// bytes, the header ip->hlen bytes before it, as ipv4.c guarantees).
void
icmp_input(const struct ipv4_repr *ip, const uint8_t *p, int len)
{
  struct icmp_repr ic;
  struct sock *s;

  LNSTAT(icmp_rx);
  if(len < 0 || icmp_parse(p, len, &ic) < 0){
    LNSTAT(icmp_drop_bad);
    return;
  }
  switch(ic.type){
  case ICMP_ECHO:
    // Only the host's responder (netd) answers for it. RFC 1122 3.2.2.6
    // lets a host ignore echoes to a broadcast, and we do (smurf), and a
    // reply needs a source that names one host.
    if(!netif.isdefault || icmp_isbcast(ip->dst)){
      LNSTAT(icmp_ignored);
      break;
    }
    if(!icmp_unicast(ip->src)){
      LNSTAT(icmp_drop_bad);
      break;
    }
    icmp_echo(ip, &ic, p, len);
    break;
  case ICMP_ECHOREPLY:
    s = sock_byport(IP_PROTO_ICMP, ic.id);
    if(s)
      icmp_deliver(s, ip, p, len);
    else
      LNSTAT(icmp_drop_noport);
    break;
  case ICMP_UNREACH:
  case ICMP_TIMXCEED:
  case ICMP_PARAMPROB:
    icmp_errinput(ip, &ic, p, len);
    break;
  default:
    LNSTAT(icmp_ignored);
    break;
  }
}

// ---- errors out --------------------------------------------------------------

// RFC 1812 4.3.2.3: quote as much as fits in a 576-byte datagram.
#define ICMP_QUOTEMAX (576 - IPV4_HLEN - ICMP_HLEN)
#define ICMP_ERR_RATE 10     // errors per second, and the burst

static int icmp_tokens = ICMP_ERR_RATE;
static uint64_t icmp_refill;   // ln_now_ms() of the last token added

// A token bucket: RFC 1812 4.3.2.8 and RFC 4443 2.4(f) ask for a limit
// on error rate, so a flood of bad packets does not become a flood of
// errors from us.
static int
icmp_ratelimit(void)
{
  uint64_t now = ln_now_ms();
  uint64_t add;

  add = (now - icmp_refill) * ICMP_ERR_RATE / 1000;
  if(add > 0){
    icmp_tokens = add >= ICMP_ERR_RATE ? ICMP_ERR_RATE : icmp_tokens + add;
    if(icmp_tokens > ICMP_ERR_RATE)
      icmp_tokens = ICMP_ERR_RATE;
    icmp_refill = now;
  }
  if(icmp_tokens == 0)
    return 1;
  icmp_tokens--;
  return 0;
}

// May we send an error about this packet? RFC 1122 3.2.2: never about
// an ICMP error, a datagram to a broadcast or multicast address, a
// fragment but the first, or a source that does not name one host.
static int
icmp_errok(const uint8_t *orig, int olen, const struct ipv4_repr *q)
{
  uint8_t t;

  if(q->frag & IPV4_OFFMASK)
    return 0;
  if(!icmp_unicast(q->src) || icmp_isbcast(q->dst) || (q->dst >> 28) == 14)
    return 0;
  if(q->proto == IP_PROTO_ICMP){
    if(q->hlen >= olen)
      return 0;
    // Only queries may draw an error: echo, timestamp, info, mask
    // (types 0, 8, 13-18); anything else is an error or unknown.
    t = orig[q->hlen];
    if(t != ICMP_ECHOREPLY && t != ICMP_ECHO && (t < 13 || t > 18))
      return 0;
  }
  return 1;
}

// Send an error of type/code (rest: bytes 4..7, e.g. a pointer) about
// orig, a packet we received (its IP header first, olen bytes, maybe
// padded); llcast if it came as a link-layer broadcast or multicast.
// Sends nothing, and counts why, when RFC 1122 forbids the error or the
// rate limit is reached.
void
icmp_error(int type, int code, uint32_t rest, const uint8_t *orig, int olen, int llcast)
{
  uint8_t msg[ICMP_HLEN + ICMP_QUOTEMAX];
  struct icmp_repr r;
  struct ipv4_repr q;
  int n;

  // Our callers hand whole received packets (ipv4.c's reassembly timer
  // the header and 8 bytes), so orig reads as the quote it will be.
  if(olen < 0 || ipv4_parse_quoted(orig, olen, &q) < 0)
    return;
  if(!icmp_errok(orig, olen, &q)){
    LNSTAT(icmp_err_refused);
    return;
  }
  // RFC 1122 3.2.2: "An ICMP error message MUST NOT be sent as the
  // result of receiving ... a datagram sent as a link-layer broadcast",
  // multicast included (3.3.6), whatever its IP destination says.
  if(llcast){
    LNSTAT(icmp_err_llbcast);
    return;
  }
  if(icmp_ratelimit()){
    LNSTAT(icmp_err_ratelimit);
    return;
  }
  // Quote the datagram, not the link's padding after it.
  n = olen;
  if(q.totlen < n)
    n = q.totlen;
  if(n > ICMP_QUOTEMAX)
    n = ICMP_QUOTEMAX;
  memcpy(msg + ICMP_HLEN, orig, n);
  r.type = type;
  r.code = code;
  r.id = r.seq = 0;
  r.rest = rest;
  icmp_emit(msg, sizeof msg, &r, n);
  if(ipv4_output(q.src, IP_PROTO_ICMP, msg, ICMP_HLEN + n) == 0)
    LNSTAT(icmp_err_tx);
}
