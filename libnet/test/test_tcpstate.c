// Host tests for TCP's state machine (tcp*.c, stream.c) on loop.c's
// device, driven with reprs, not bytes (smoltcp's send!/recv!): the test
// plays the peer, building each segment from a struct tcp_repr and
// taking back each one the stack sends, parsed; the application side
// uses the BSD calls, non-blocking. One test per rule, named for it:
// RFC 9293's state diagram, the options (RFC 7323, RFC 2018), RTO
// (RFC 6298), fast retransmit and NewReno (RFC 5681, RFC 6582), the
// zero-window probe, delayed ACKs, Nagle, challenge ACKs (RFC 5961),
// the listen queues, and sequence numbers across 2^32.
//
// Time is virtual: this file defines ln_vclock_us (sys.h), so RTTs and
// timers are exact and the tests never sleep.
#include "libnet/test/stack.h"
#include "libnet/tcp.h"

uint64_t ln_vclock_us = 1000ULL * 1000 * 1000;

enum { MSS = TCP_MSS_OURS };

// One connection as the peer sees it.
struct conn {
  int fd, lfd;              // the application's socket, and its listener if passive
  uint16_t lport, rport;    // our port, the peer's
  uint32_t iss, irs;        // our ISS, the peer's
  uint32_t seq, ack;        // the peer's next sequence number; what it acknowledges
  uint16_t win;             // the window field the peer sends
  int ts;                   // the peer sends timestamps
  uint32_t tsval, tsecr;
  // what the peer's SYN offers
  uint16_t synmss;          // 0: no MSS option
  int synws;                // -1: no window scale
  int synsack;
};

// Move the clock on by ms and run the stack. The peer's MAC is
// refreshed first, so what is due goes out rather than behind ARP.
static void
advance(uint64_t ms)
{
  ln_vclock_us += ms * 1000;
  stack_learn(PEER, peermac);
  net_poll(0);
}

// Every test starts with no control blocks: stack_reset closes the
// sockets, and the orphans left are dropped here, whatever their state.
static void
reset(void)
{
  stack_reset();
  while(tcb_list){
    tcb_list->flags |= TF_ORPHAN;
    tcb_list->sock = 0;
    tcp_close(tcb_list);
  }
  stack_learn(PEER, peermac);
  stack_drain();
  memset(lnstat, 0, sizeof(lnstat));
}

static struct tcpcb *
tcb(int fd)
{
  for(struct tcpcb *tp = tcb_list; tp; tp = tp->next)
    if(tp->sock && tp->sock->fd == fd)
      return tp;
  return 0;
}

// The state of fd's connection, or -1 if it has none.
static int
state(int fd)
{
  struct tcpcb *tp = tcb(fd);
  return tp ? tp->state : -1;
}

static struct tcpcb *
lookup(struct conn *c)
{
  return tcp_lookup(ME, c->lport, PEER, c->rport);
}

// Receive segment t with len bytes of data, as if from the peer.
static void
inject(const struct tcp_repr *t, const void *data, int len)
{
  static uint8_t seg[TCP_MAXHLEN + NET_MTU], f[FMAX];
  struct ipv4_repr ip = { .proto = IP_PROTO_TCP, .src = PEER, .dst = ME, .id = 7 };
  int hlen = tcp_hdrlen(t);

  if(len > 0)
    memmove(seg + hlen, data, len);
  CHECKEQ(tcp_emit(seg, hlen + len, PEER, ME, t, len), hlen);
  stack_input(f, stack_ipframe(f, mymac, &ip, seg, hlen + len));
}

// Receive t with raw option bytes o[0..n) (n a multiple of 4) in place
// of those t would have, and len bytes of data; the checksum is right.
static void
injectopts(const struct tcp_repr *t, const uint8_t *o, int n, const void *data, int len)
{
  static uint8_t seg[TCP_MAXHLEN + NET_MTU], f[FMAX];
  struct ipv4_repr ip = { .proto = IP_PROTO_TCP, .src = PEER, .dst = ME, .id = 8 };
  struct tcp_repr r = *t;

  r.mss = 0;
  r.wscale = -1;
  r.sackok = r.tsok = r.nsack = 0;
  tcp_emit(seg, TCP_HLEN, PEER, ME, &r, 0);
  memmove(seg + TCP_HLEN, o, n);
  if(len > 0)
    memmove(seg + TCP_HLEN + n, data, len);
  seg[12] = (TCP_HLEN + n) / 4 << 4;
  put16(seg + 16, 0);
  put16(seg + 16, cksum_fold(cksum_add(cksum_pseudo(PEER, ME, IP_PROTO_TCP, TCP_HLEN + n + len),
                                       seg, TCP_HLEN + n + len)));
  stack_input(f, stack_ipframe(f, mymac, &ip, seg, TCP_HLEN + n + len));
}

// The repr of the peer's next segment on c, with flags.
static struct tcp_repr
mkseg(struct conn *c, int flags)
{
  struct tcp_repr t;

  memset(&t, 0, sizeof t);
  t.sport = c->rport;
  t.dport = c->lport;
  t.seq = c->seq;
  t.ack = (flags & TCP_ACK) ? c->ack : 0;
  t.flags = flags;
  t.win = c->win;
  t.wscale = -1;
  if(flags & TCP_SYN){
    t.mss = c->synmss;
    t.wscale = c->synws;
    t.sackok = c->synsack;
  }
  if(c->ts){
    t.tsok = 1;
    t.tsval = c->tsval;
    t.tsecr = (flags & TCP_ACK) ? c->tsecr : 0;
  }
  return t;
}

// The peer sends flags and len bytes of data on c; its sequence moves on.
static void
psend(struct conn *c, int flags, const void *data, int len)
{
  struct tcp_repr t = mkseg(c, flags);

  inject(&t, data, len);
  c->seq += len + ((flags & TCP_SYN) != 0) + ((flags & TCP_FIN) != 0);
  if(c->ts)
    c->tsval++;
}

// Take the next TCP segment the stack sent: its repr in t, its data in
// data (if not 0). Returns the data length, or -1 if it sent none.
// Anything else it sent (ARP) is passed over.
static int
take(struct tcp_repr *t, uint8_t *data)
{
  uint8_t f[FMAX];
  struct eth_repr e;
  struct ipv4_repr ip;
  int off, hl;

  for(;;){
    if((off = stack_takeip(f, &e, &ip)) < 0){
      if(loop_take(f, sizeof f) > 0)
        continue;
      return -1;
    }
    if(ip.proto != IP_PROTO_TCP)
      continue;
    CHECKEQ(ip.src, ME);
    CHECKEQ(ip.dst, PEER);
    hl = tcp_parse(f + off, ip.totlen - ip.hlen, ip.src, ip.dst, t);
    CHECK(hl >= TCP_HLEN);
    if(hl < TCP_HLEN)
      return -1;
    if(data)
      memmove(data, f + off + hl, ip.totlen - ip.hlen - hl);
    return ip.totlen - ip.hlen - hl;
  }
}

// take, for c: the peer remembers the timestamp to echo.
static int
ptake(struct conn *c, struct tcp_repr *t, uint8_t *data)
{
  int n = take(t, data);

  if(n >= 0 && t->tsok)
    c->tsecr = t->tsval;
  return n;
}

// Nothing more was sent.
static void
quiet(void)
{
  struct tcp_repr t;
  int n = take(&t, 0);

  CHECKEQ(n, -1);
  if(n >= 0)
    printf("%s:   sent flags 0x%x seq 0x%x ack 0x%x len %d\n", test_name, t.flags, t.seq, t.ack, n);
}

static void
conninit(struct conn *c, uint16_t lport, uint16_t rport, uint32_t isn)
{
  memset(c, 0, sizeof(*c));
  c->fd = c->lfd = -1;
  c->lport = lport;
  c->rport = rport;
  c->seq = c->irs = isn;
  c->win = 65535;
  c->synmss = 1460;
  c->synws = -1;
  c->tsval = 1000;
}

static void
nonblock(int fd)
{
  CHECKEQ(ln_fcntl(fd, F_SETFL, O_NONBLOCK), 0);
}

// A listener on c->lport, non-blocking; its descriptor in c->lfd.
static void
listenon(struct conn *c, int backlog)
{
  struct sockaddr_in a;

  c->lfd = ln_socket(AF_INET, SOCK_STREAM, 0);
  CHECK(c->lfd >= SOCK_FDBASE);
  nonblock(c->lfd);
  stack_sin(&a, 0, c->lport);
  CHECKEQ(ln_bind(c->lfd, (struct sockaddr *)&a, sizeof a), 0);
  CHECKEQ(ln_listen(c->lfd, backlog), 0);
  CHECKEQ(state(c->lfd), TCP_LISTEN);
}

// The peer's SYN to the listener, and our SYN-ACK back: SYN-RECEIVED.
static void
synrcvd(struct conn *c, struct tcp_repr *synack)
{
  psend(c, TCP_SYN, 0, 0);
  CHECKEQ(ptake(c, synack, 0), 0);
  CHECKEQ(synack->flags, TCP_SYN | TCP_ACK);
  CHECKEQ(synack->ack, c->irs + 1);
  c->iss = synack->seq;
  c->ack = c->iss + 1;
}

// A passive open to c->lport, the peer's SYN carrying c's options,
// up to ESTABLISHED and accept. The SYN-ACK in synack, if not 0.
static void
passive(struct conn *c, struct tcp_repr *synack)
{
  struct tcp_repr t;

  listenon(c, 8);
  synrcvd(c, synack ? synack : &t);
  CHECKEQ(lookup(c)->state, TCP_SYN_RECEIVED);
  errno = 0;
  CHECKEQ(ln_accept(c->lfd, 0, 0), -1);
  CHECKEQ(errno, EAGAIN);
  psend(c, TCP_ACK, 0, 0);
  c->fd = ln_accept(c->lfd, 0, 0);
  CHECK(c->fd >= SOCK_FDBASE);
  nonblock(c->fd);
  CHECKEQ(state(c->fd), TCP_ESTABLISHED);
  quiet();
}

// An active open from c->lport (bound) to the peer, answered by a
// SYN-ACK with c's options: ESTABLISHED. Our SYN in syn, if not 0.
static void
active(struct conn *c, struct tcp_repr *syn)
{
  struct sockaddr_in a;
  struct tcp_repr t, s;

  c->fd = ln_socket(AF_INET, SOCK_STREAM, 0);
  nonblock(c->fd);
  stack_sin(&a, 0, c->lport);
  CHECKEQ(ln_bind(c->fd, (struct sockaddr *)&a, sizeof a), 0);
  stack_sin(&a, PEER, c->rport);
  errno = 0;
  CHECKEQ(ln_connect(c->fd, (struct sockaddr *)&a, sizeof a), -1);
  CHECKEQ(errno, EINPROGRESS);
  CHECKEQ(state(c->fd), TCP_SYN_SENT);
  CHECKEQ(ptake(c, &s, 0), 0);
  CHECKEQ(s.flags, TCP_SYN);
  c->iss = s.seq;
  c->ack = c->iss + 1;
  if(syn)
    *syn = s;
  psend(c, TCP_SYN | TCP_ACK, 0, 0);
  CHECKEQ(state(c->fd), TCP_ESTABLISHED);
  CHECKEQ(ptake(c, &t, 0), 0);
  CHECKEQ(t.flags, TCP_ACK);
  CHECKEQ(t.seq, c->iss + 1);
  CHECKEQ(t.ack, c->irs + 1);
}

// The application writes n bytes of pattern.
static void
appsend(struct conn *c, int n)
{
  static uint8_t b[65536];

  for(int i = 0; i < n; i++)
    b[i] = 'a' + i % 26;
  CHECKEQ(ln_send(c->fd, b, n, MSG_DONTWAIT), n);
}

static void
setnodelay(int fd)
{
  int one = 1;
  CHECKEQ(ln_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
}

// ---- RFC 9293 3.3.2, the state diagram ----------------------------------------

// CLOSED -> SYN-SENT -> ESTABLISHED: our SYN offers every option, the
// SYN-ACK is acknowledged, connect then reports the connection made.
static void
test_active_open_synsent_to_established(void)
{
  struct conn c;
  struct tcp_repr syn;
  struct sockaddr_in a;

  reset();
  conninit(&c, 5001, 40001, 0x10000000);
  active(&c, &syn);
  CHECKEQ(syn.mss, MSS);
  CHECK(syn.wscale >= 0);
  CHECKEQ(syn.sackok, 1);
  CHECKEQ(syn.tsok, 1);
  CHECKEQ(STAT(tcp_connects), 1);
  stack_sin(&a, PEER, c.rport);
  errno = 0;
  CHECKEQ(ln_connect(c.fd, (struct sockaddr *)&a, sizeof a), -1);
  CHECKEQ(errno, EISCONN);
}

// LISTEN -> SYN-RECEIVED -> ESTABLISHED, and accept hands it over only then.
static void
test_passive_open_listen_synrcvd_established(void)
{
  struct conn c;
  struct tcp_repr sa;

  reset();
  conninit(&c, 5002, 40002, 0x20000000);
  passive(&c, &sa);
  CHECKEQ(sa.mss, MSS);
  CHECKEQ(STAT(tcp_accepts), 1);
  CHECKEQ(STAT(tcp_connects), 1);
  CHECKEQ(state(c.lfd), TCP_LISTEN);
  CHECKEQ(tcb(c.lfd)->qlen, 0);
  CHECKEQ(tcb(c.lfd)->q0len, 0);
}

// RFC 9293 3.5 figure 8: both SYNs cross. SYN-SENT -> SYN-RECEIVED on
// the peer's SYN (our SYN-ACK repeats our ISS), ESTABLISHED on its SYN-ACK.
static void
test_simultaneous_open(void)
{
  struct conn c;
  struct sockaddr_in a;
  struct tcp_repr t;

  reset();
  conninit(&c, 5003, 40003, 0x30000000);
  c.fd = ln_socket(AF_INET, SOCK_STREAM, 0);
  nonblock(c.fd);
  stack_sin(&a, 0, c.lport);
  CHECKEQ(ln_bind(c.fd, (struct sockaddr *)&a, sizeof a), 0);
  stack_sin(&a, PEER, c.rport);
  CHECKEQ(ln_connect(c.fd, (struct sockaddr *)&a, sizeof a), -1);
  CHECKEQ(ptake(&c, &t, 0), 0);
  c.iss = t.seq;
  psend(&c, TCP_SYN, 0, 0);          // crosses ours
  CHECKEQ(state(c.fd), TCP_SYN_RECEIVED);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.flags, TCP_SYN | TCP_ACK);
  CHECKEQ(t.seq, c.iss);
  CHECKEQ(t.ack, c.irs + 1);
  // the peer's SYN-ACK repeats its SYN and acknowledges ours
  c.seq = c.irs;
  c.ack = c.iss + 1;
  psend(&c, TCP_SYN | TCP_ACK, 0, 0);
  CHECKEQ(state(c.fd), TCP_ESTABLISHED);
  CHECKEQ(STAT(tcp_connects), 1);
  CHECKEQ(STAT(tcp_challenge_tx), 0);
}

// RFC 9293 3.10.7.4 second: a reset in SYN-RECEIVED of a passive open
// returns it to LISTEN; the listener serves the next SYN.
static void
test_synrcvd_rst_returns_to_listen(void)
{
  struct conn c;
  struct tcp_repr t;

  reset();
  conninit(&c, 5004, 40004, 0x40000000);
  listenon(&c, 8);
  synrcvd(&c, &t);
  CHECKEQ(tcb(c.lfd)->q0len, 1);
  psend(&c, TCP_RST, 0, 0);
  CHECKEQ(STAT(tcp_rst_rx), 1);
  CHECK(lookup(&c) == tcb(c.lfd));
  CHECKEQ(state(c.lfd), TCP_LISTEN);
  CHECKEQ(tcb(c.lfd)->q0len, 0);
  CHECKEQ(ln_accept(c.lfd, 0, 0), -1);
  quiet();
  c.seq = c.irs = 0x41000000;
  synrcvd(&c, &t);
  CHECKEQ(STAT(tcp_accepts), 2);
}

// A SYN again in SYN-RECEIVED (our SYN-ACK was lost) is answered with
// the SYN-ACK again, so the handshake does not wait for our timer.
static void
test_synrcvd_dup_syn_resends_synack(void)
{
  struct conn c;
  struct tcp_repr t, t2;

  reset();
  conninit(&c, 5005, 40005, 0x50000000);
  listenon(&c, 8);
  synrcvd(&c, &t);
  c.seq = c.irs;
  psend(&c, TCP_SYN, 0, 0);
  CHECKEQ(ptake(&c, &t2, 0), 0);
  CHECKEQ(t2.flags, TCP_SYN | TCP_ACK);
  CHECKEQ(t2.seq, t.seq);
  CHECKEQ(t2.ack, c.irs + 1);
  CHECKEQ(STAT(tcp_rx_dupsyn), 1);
}

// ESTABLISHED -> FIN-WAIT-1 (our FIN) -> FIN-WAIT-2 (acknowledged) ->
// TIME-WAIT (the peer's FIN, acknowledged).
static void
test_active_close_finwait1_finwait2_timewait(void)
{
  struct conn c;
  struct tcp_repr t;
  uint8_t b[8];

  reset();
  conninit(&c, 5006, 40006, 0x60000000);
  passive(&c, 0);
  CHECKEQ(ln_shutdown(c.fd, SHUT_WR), 0);
  CHECKEQ(state(c.fd), TCP_FIN_WAIT_1);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.flags, TCP_FIN | TCP_ACK);
  CHECKEQ(t.seq, c.iss + 1);
  c.ack = t.seq + 1;
  psend(&c, TCP_ACK, 0, 0);
  CHECKEQ(state(c.fd), TCP_FIN_WAIT_2);
  quiet();
  psend(&c, TCP_FIN | TCP_ACK, 0, 0);
  CHECKEQ(state(c.fd), TCP_TIME_WAIT);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.flags, TCP_ACK);
  CHECKEQ(t.ack, c.seq);
  CHECKEQ(ln_recv(c.fd, b, sizeof b, MSG_DONTWAIT), 0);
}

// FIN-WAIT-1 -> CLOSING (the peer's FIN before the ACK of ours) -> TIME-WAIT.
static void
test_simultaneous_close_closing_timewait(void)
{
  struct conn c;
  struct tcp_repr t;

  reset();
  conninit(&c, 5007, 40007, 0x70000000);
  passive(&c, 0);
  CHECKEQ(ln_shutdown(c.fd, SHUT_WR), 0);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.flags, TCP_FIN | TCP_ACK);
  psend(&c, TCP_FIN | TCP_ACK, 0, 0);   // c.ack is still below our FIN
  CHECKEQ(state(c.fd), TCP_CLOSING);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.ack, c.seq);
  c.ack = c.iss + 2;
  psend(&c, TCP_ACK, 0, 0);
  CHECKEQ(state(c.fd), TCP_TIME_WAIT);
}

// ESTABLISHED -> CLOSE-WAIT (the peer's FIN) -> LAST-ACK (our close) ->
// CLOSED (our FIN acknowledged), and the control block is gone.
static void
test_passive_close_closewait_lastack_closed(void)
{
  struct conn c;
  struct tcp_repr t;
  uint8_t b[8];

  reset();
  conninit(&c, 5008, 40008, 0x08000000);
  passive(&c, 0);
  psend(&c, TCP_FIN | TCP_ACK, 0, 0);
  CHECKEQ(state(c.fd), TCP_CLOSE_WAIT);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.ack, c.seq);
  CHECKEQ(ln_recv(c.fd, b, sizeof b, MSG_DONTWAIT), 0);
  CHECKEQ(ln_close(c.fd), 0);
  CHECKEQ(lookup(&c)->state, TCP_LAST_ACK);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.flags, TCP_FIN | TCP_ACK);
  c.ack = t.seq + 1;
  psend(&c, TCP_ACK, 0, 0);
  CHECK(lookup(&c) == tcb(c.lfd));    // only the listener is left on the port
}

// RFC 9293 3.10.7.4: in TIME-WAIT a segment that is not acceptable (an
// old retransmission of data) is answered with an ACK, as in any
// synchronized state; the connection stays in TIME-WAIT.
static void
test_timewait_acks_an_old_segment(void)
{
  struct conn c;
  struct tcp_repr t;

  reset();
  conninit(&c, 5038, 40038, 0x22000000);
  passive(&c, 0);
  psend(&c, TCP_ACK | TCP_PSH, "data", 4);
  CHECKEQ(ln_shutdown(c.fd, SHUT_WR), 0);
  while(ptake(&c, &t, 0) >= 0)
    ;
  c.ack = t.seq + 1;
  psend(&c, TCP_FIN | TCP_ACK, 0, 0);
  CHECKEQ(state(c.fd), TCP_TIME_WAIT);
  while(ptake(&c, &t, 0) >= 0)
    ;
  c.seq -= 5;                         // the data and FIN again, as if our ACK was lost
  psend(&c, TCP_ACK | TCP_PSH, "data", 4);
  c.seq += 1;
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.flags, TCP_ACK);
  CHECKEQ(t.ack, c.seq);
  CHECKEQ(state(c.fd), TCP_TIME_WAIT);
}

// RFC 9293 3.10.7.1: a segment to a closed port at another address of
// ours (127/8) is answered with a reset whose checksum is right for the
// source IP gives it (netif.ip); it was summed over 127.x.
static void
test_reset_for_a_loopback_address_has_a_valid_checksum(void)
{
  static uint8_t seg[TCP_HLEN], f[FMAX];
  struct ipv4_repr ip = { .proto = IP_PROTO_TCP, .src = PEER, .dst = 0x7f000002, .id = 10 };
  struct tcp_repr t, r;

  reset();
  netif.isdefault = 1;            // answer for every port, as netd does (reset() clears it)
  memset(&t, 0, sizeof t);
  t.sport = 40039;
  t.dport = 5039;
  t.seq = 0x23000000;
  t.flags = TCP_SYN;
  t.win = 65535;
  t.wscale = -1;
  tcp_emit(seg, TCP_HLEN, PEER, ip.dst, &t, 0);
  stack_input(f, stack_ipframe(f, mymac, &ip, seg, TCP_HLEN));
  CHECKEQ(take(&r, 0), 0);        // take() parses it, checksum and all
  CHECKEQ(r.flags, TCP_RST | TCP_ACK);
  CHECKEQ(r.ack, t.seq + 1);
}

// RFC 9293 3.10.4 / RFC 2525 2.17: data for a connection the
// application has closed is answered with a reset, which is counted
// as one sent (it was not), and the connection is gone.
static void
test_data_after_close_gets_a_counted_reset(void)
{
  struct conn c;
  struct tcp_repr t;

  reset();
  conninit(&c, 5037, 40037, 0x21000000);
  passive(&c, 0);
  CHECKEQ(ln_close(c.fd), 0);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.flags, TCP_FIN | TCP_ACK);
  c.ack = t.seq + 1;
  psend(&c, TCP_ACK | TCP_PSH, "late", 4);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECK(t.flags & TCP_RST);
  CHECKEQ(STAT(tcp_drop_afterclose), 1);
  CHECKEQ(STAT(tcp_rst_tx), 1);
  CHECK(lookup(&c) == tcb(c.lfd));
}

// RFC 9293 3.10.7.4: TIME-WAIT lasts 2 MSL, then CLOSED; a FIN again
// within it is acknowledged and restarts the wait.
static void
test_timewait_expires_after_2msl(void)
{
  struct conn c;
  struct tcp_repr t;
  int msl = tcp_msl_ms;

  reset();
  tcp_msl_ms = 1000;
  conninit(&c, 5009, 40009, 0x09000000);
  passive(&c, 0);
  CHECKEQ(ln_shutdown(c.fd, SHUT_WR), 0);
  CHECKEQ(ptake(&c, &t, 0), 0);
  c.ack = t.seq + 1;
  psend(&c, TCP_FIN | TCP_ACK, 0, 0);
  CHECKEQ(state(c.fd), TCP_TIME_WAIT);
  CHECKEQ(ptake(&c, &t, 0), 0);
  advance(1500);
  c.seq--;
  psend(&c, TCP_FIN | TCP_ACK, 0, 0);   // the peer did not hear our ACK
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.ack, c.seq);
  advance(1999);
  CHECKEQ(state(c.fd), TCP_TIME_WAIT);
  advance(2);
  CHECKEQ(state(c.fd), TCP_CLOSED);
  tcp_msl_ms = msl;
}

// ---- options -------------------------------------------------------------------------

// RFC 9293 3.7.1: we send our MSS and never send more than the peer's.
static void
test_mss_sent_and_honoured(void)
{
  struct conn c;
  struct tcp_repr t;

  reset();
  conninit(&c, 5010, 40010, 0x0a000000);
  c.synmss = 1000;
  passive(&c, &t);
  CHECKEQ(t.mss, MSS);
  setnodelay(c.fd);
  appsend(&c, 3000);
  for(int i = 0; i < 3; i++){
    CHECKEQ(ptake(&c, &t, 0), 1000);
    CHECKEQ(t.seq, c.iss + 1 + 1000 * i);
  }
}

// RFC 9293 3.7.1 (MUST-15): no MSS option means 536.
static void
test_mss_536_when_absent(void)
{
  struct conn c;
  struct tcp_repr t;

  reset();
  conninit(&c, 5011, 40011, 0x0b000000);
  c.synmss = 0;
  passive(&c, 0);
  setnodelay(c.fd);
  appsend(&c, 1000);
  CHECKEQ(ptake(&c, &t, 0), 536);
  CHECKEQ(ptake(&c, &t, 0), 1000 - 536);
}

// RFC 7323 2.2: window scaling only when both SYNs carry the option;
// our SYN-ACK carries it only if the SYN did.
static void
test_wscale_negotiated_only_when_both_send_it(void)
{
  struct conn c;
  struct tcp_repr t;

  reset();
  conninit(&c, 5012, 40012, 0x0c000000);
  passive(&c, &t);
  CHECKEQ(t.wscale, -1);
  CHECK(!(tcb(c.fd)->flags & TF_WSCALE));
  CHECKEQ(tcb(c.fd)->rcv_scale, 0);
  // the active side: we offer it, the peer does not
  conninit(&c, 5013, 40013, 0x0c100000);
  active(&c, &t);
  CHECK(t.wscale > 0);
  CHECK(!(tcb(c.fd)->flags & TF_WSCALE));
  CHECKEQ(tcb(c.fd)->rcv_scale, 0);
  c.win = 1000;
  psend(&c, TCP_ACK, 0, 0);
  CHECKEQ(tcb(c.fd)->snd_wnd, 1000);
  // and with both
  conninit(&c, 5014, 40014, 0x0c200000);
  c.synws = 3;
  passive(&c, &t);
  CHECK(t.wscale > 0);
  CHECK(tcb(c.fd)->flags & TF_WSCALE);
}

// RFC 7323 2.3: each side's window fields are shifted by its scale,
// except in a SYN.
static void
test_wscale_applied_to_windows(void)
{
  struct conn c;
  struct tcp_repr sa, t;
  uint8_t d[100] = { 0 };

  reset();
  conninit(&c, 5015, 40015, 0x0d000000);
  c.synws = 3;
  passive(&c, &sa);
  CHECKEQ(sa.win, 65535);             // the SYN-ACK's window is never scaled
  c.win = 100;
  psend(&c, TCP_ACK, 0, 0);
  CHECKEQ(tcb(c.fd)->snd_wnd, 800);
  psend(&c, TCP_ACK, d, sizeof d);
  advance(TCP_DELACK_MS);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ((uint32_t)t.win << sa.wscale, TCP_BUF_DEFAULT - sizeof d);
}

// RFC 7323 3, 4.3: timestamps agreed on are sent on every segment, each
// echoing the peer's latest in-sequence TSval.
static void
test_timestamps_echoed(void)
{
  struct conn c;
  struct tcp_repr sa, t;

  reset();
  conninit(&c, 5016, 40016, 0x0e000000);
  c.ts = 1;
  c.tsval = 5000;
  passive(&c, &sa);
  CHECKEQ(sa.tsok, 1);
  CHECKEQ(sa.tsecr, 5000);
  CHECK(tcb(c.fd)->flags & TF_TS);
  c.tsval = 7000;
  psend(&c, TCP_ACK, "x", 1);
  advance(TCP_DELACK_MS);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.tsok, 1);
  CHECKEQ(t.tsecr, 7000);
  CHECK((int32_t)(t.tsval - sa.tsval) >= TCP_DELACK_MS);
  // without timestamps on either side, none
  conninit(&c, 5017, 40017, 0x0e100000);
  passive(&c, &sa);
  CHECKEQ(sa.tsok, 0);
}

// RFC 7323 5.3: a segment whose TSval is older than TS.Recent is
// dropped (PAWS), counted, and answered with an ACK.
static void
test_paws_drops_old_tsval(void)
{
  struct conn c;
  struct tcp_repr t;
  uint8_t b[8];

  reset();
  conninit(&c, 5018, 40018, 0x0f000000);
  c.ts = 1;
  c.tsval = 2000;
  passive(&c, 0);
  c.tsval = 1500;                      // an old duplicate, from before the wrap of its sequence
  psend(&c, TCP_ACK, "old", 3);
  CHECKEQ(STAT(tcp_drop_paws), 1);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.ack, c.irs + 1);
  CHECKEQ(ln_recv(c.fd, b, sizeof b, MSG_DONTWAIT), -1);
  c.seq -= 3;
  c.tsval = 3000;
  psend(&c, TCP_ACK, "new", 3);
  CHECKEQ(ln_recv(c.fd, b, sizeof b, MSG_DONTWAIT), 3);
  CHECKMEM(b, "new", 3);
}

// RFC 2018 2: SACK-permitted is answered only when offered.
static void
test_sack_permitted_negotiated(void)
{
  struct conn c;
  struct tcp_repr sa;

  reset();
  conninit(&c, 5019, 40019, 0x11000000);
  c.synsack = 1;
  passive(&c, &sa);
  CHECKEQ(sa.sackok, 1);
  CHECK(tcb(c.fd)->flags & TF_SACK);
  conninit(&c, 5020, 40020, 0x12000000);
  passive(&c, &sa);
  CHECKEQ(sa.sackok, 0);
  CHECK(!(tcb(c.fd)->flags & TF_SACK));
}

// RFC 2018 4: out-of-order data is acknowledged at once with SACK
// blocks, the block holding the newest segment first.
static void
test_sack_blocks_newest_first(void)
{
  struct conn c;
  struct tcp_repr t;
  uint8_t d[100], b[600];
  uint32_t s;

  reset();
  conninit(&c, 5021, 40021, 0x13000000);
  c.synsack = 1;
  passive(&c, 0);
  memset(d, 'q', sizeof d);
  s = c.seq;
  for(int i = 0; i < 3; i++){
    c.seq = s + 100 + 200 * i;            // 100, 300, 500
    psend(&c, TCP_ACK, d, 100);
    CHECKEQ(ptake(&c, &t, 0), 0);
    CHECKEQ(t.ack, s);
    CHECKEQ(t.nsack, i + 1);
    for(int j = 0; j <= i; j++){
      CHECKEQ(t.sack[j][0], s + 100 + 200 * (i - j));
      CHECKEQ(t.sack[j][1], s + 200 + 200 * (i - j));
    }
  }
  c.seq = s + 200;                         // joins the first two
  psend(&c, TCP_ACK, d, 100);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.nsack, 2);
  CHECKEQ(t.sack[0][0], s + 100);
  CHECKEQ(t.sack[0][1], s + 400);
  CHECKEQ(t.sack[1][0], s + 500);
  c.seq = s;                               // fills the hole
  psend(&c, TCP_ACK, d, 100);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.ack, s + 400);
  CHECKEQ(t.nsack, 1);
  CHECKEQ(t.sack[0][0], s + 500);
  CHECKEQ(ln_recv(c.fd, b, sizeof b, MSG_DONTWAIT), 400);
}

// RFC 9293 3.1 (MUST-6): an option we do not know is skipped by its length.
static void
test_unknown_option_skipped(void)
{
  static const uint8_t o[8] = { 30, 6, 1, 2, 3, 4, 1, 1 };
  struct conn c;
  struct tcp_repr t;
  uint8_t b[8];

  reset();
  conninit(&c, 5022, 40022, 0x14000000);
  passive(&c, 0);
  t = mkseg(&c, TCP_ACK);
  injectopts(&t, o, sizeof o, "data", 4);
  CHECKEQ(ln_recv(c.fd, b, sizeof b, MSG_DONTWAIT), 4);
  CHECKMEM(b, "data", 4);
  CHECKEQ(STAT(tcp_drop_badopt), 0);
}

// RFC 9293 3.1 (MUST-7): a malformed option drops the segment, counted.
static void
test_malformed_option_dropped_and_counted(void)
{
  static const uint8_t o[4] = { 2, 3, 5, 0 };   // MSS of length 3
  struct conn c;
  struct tcp_repr t;
  uint8_t b[8];

  reset();
  conninit(&c, 5023, 40023, 0x15000000);
  passive(&c, 0);
  t = mkseg(&c, TCP_ACK);
  injectopts(&t, o, sizeof o, "data", 4);
  CHECKEQ(STAT(tcp_drop_badopt), 1);
  CHECKEQ(ln_recv(c.fd, b, sizeof b, MSG_DONTWAIT), -1);
  quiet();
}

// ---- retransmission ------------------------------------------------------------------

// RFC 6298 2.1, 5.5, 5.6: the first RTO is 1 s and doubles with each
// retransmission; RFC 1122 4.2.3.5: after the limit, ETIMEDOUT.
static void
test_rto_initial_1s_doubling_then_etimedout(void)
{
  struct conn c;
  struct sockaddr_in a;
  struct tcp_repr t;
  uint64_t rto = TCP_RTO_INIT_MS;
  int err;
  socklen_t el = sizeof err;

  reset();
  conninit(&c, 5024, 40024, 0);
  c.fd = ln_socket(AF_INET, SOCK_STREAM, 0);
  nonblock(c.fd);
  stack_sin(&a, PEER, c.rport);
  CHECKEQ(ln_connect(c.fd, (struct sockaddr *)&a, sizeof a), -1);
  CHECKEQ(ptake(&c, &t, 0), 0);
  c.iss = t.seq;
  CHECKEQ(TCP_RTO_INIT_MS, 1000);
  for(int i = 0; i < TCP_SYNRXT; i++){
    advance(rto - 1);
    quiet();
    advance(1);
    CHECKEQ(ptake(&c, &t, 0), 0);
    CHECKEQ(t.flags, TCP_SYN);
    CHECKEQ(t.seq, c.iss);
    rto = 2 * rto > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : 2 * rto;
  }
  CHECKEQ(STAT(tcp_rexmt_timeout), TCP_SYNRXT);
  CHECKEQ(state(c.fd), TCP_SYN_SENT);
  advance(rto);
  quiet();
  CHECKEQ(state(c.fd), TCP_CLOSED);
  CHECKEQ(STAT(tcp_drop_timeout), 1);
  CHECKEQ(ln_getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &el), 0);
  CHECKEQ(err, ETIMEDOUT);
}

// The same for data: the RTO doubles from what the RTT gave (at least
// TCP_RTO_MIN_MS), up to TCP_MAXRXT retransmissions, then ETIMEDOUT.
static void
test_rto_data_doubling_then_etimedout(void)
{
  struct conn c;
  struct tcp_repr t;
  uint64_t rto;
  uint8_t b[8];

  reset();
  conninit(&c, 5025, 40025, 0x16000000);
  passive(&c, 0);
  rto = tcb(c.fd)->rto_ms;
  CHECKEQ(rto, TCP_RTO_MIN_MS);       // the handshake's RTT was 0
  appsend(&c, 10);
  CHECKEQ(ptake(&c, &t, 0), 10);
  for(int i = 0; i < TCP_MAXRXT; i++){
    advance(rto - 1);
    quiet();
    advance(1);
    CHECKEQ(ptake(&c, &t, 0), 10);
    CHECKEQ(t.seq, c.iss + 1);
    rto = 2 * rto > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : 2 * rto;
  }
  advance(rto);
  CHECKEQ(state(c.fd), TCP_CLOSED);
  errno = 0;
  CHECKEQ(ln_recv(c.fd, b, sizeof b, MSG_DONTWAIT), -1);
  CHECKEQ(errno, ETIMEDOUT);
}

// An orphan (closed by the application) that times out is freed, once,
// and its port let go: tcp_timer must not look at it afterwards (ASan).
static void
test_orphan_dropped_by_rto_is_freed(void)
{
  struct conn c;
  struct tcp_repr t;
  uint64_t rto = TCP_RTO_MIN_MS;

  reset();
  conninit(&c, 5034, 40034, 0x21000000);
  passive(&c, 0);
  appsend(&c, 10);
  CHECKEQ(ptake(&c, &t, 0), 10);
  CHECKEQ(ln_close(c.fd), 0);
  CHECKEQ(lookup(&c)->state, TCP_FIN_WAIT_1);
  for(int i = 0; i <= TCP_MAXRXT && lookup(&c) != tcb(c.lfd); i++){
    advance(rto);
    stack_drain();
    rto = 2 * rto > TCP_RTO_MAX_MS ? TCP_RTO_MAX_MS : 2 * rto;
  }
  CHECK(lookup(&c) == tcb(c.lfd));
  CHECKEQ(STAT(tcp_drop_timeout), 1);
}

// RFC 5827 early retransmit: three segments out and nothing more to
// send, so the second duplicate ACK retransmits the first unacked
// segment (three can never come); RFC 6582 3.2: a partial ACK in
// recovery retransmits the next hole at once, a full one ends recovery.
static void
test_early_rexmt_second_dupack_and_newreno_partial_ack(void)
{
  struct conn c;
  struct tcp_repr t;
  struct tcpcb *tp;
  uint32_t s;

  reset();
  conninit(&c, 5026, 40026, 0x17000000);
  passive(&c, 0);
  setnodelay(c.fd);
  tp = tcb(c.fd);
  CHECK(tp->cwnd >= 10 * MSS && tp->cwnd < 11 * MSS);   // RFC 6928's initial window
  appsend(&c, 3 * MSS);
  s = c.iss + 1;
  for(int i = 0; i < 3; i++)
    CHECKEQ(ptake(&c, &t, 0), MSS);
  // the first segment is lost; the other two draw duplicate ACKs
  psend(&c, TCP_ACK, 0, 0);
  quiet();
  psend(&c, TCP_ACK, 0, 0);
  CHECKEQ(STAT(tcp_dupack), 2);
  CHECKEQ(STAT(tcp_fast_rexmt), 1);
  CHECKEQ(STAT(tcp_early_rexmt), 1);
  CHECKEQ(ptake(&c, &t, 0), MSS);
  CHECKEQ(t.seq, s);
  CHECK(tp->flags & TF_RECOVERY);
  CHECKEQ(tp->ssthresh, 2 * MSS);     // max(FlightSize / 2, 2 * SMSS)
  // the second was lost too: a partial ACK
  c.ack = s + MSS;
  psend(&c, TCP_ACK, 0, 0);
  CHECKEQ(STAT(tcp_partial_ack), 1);
  CHECKEQ(ptake(&c, &t, 0), MSS);
  CHECKEQ(t.seq, s + MSS);
  CHECK(tp->flags & TF_RECOVERY);
  c.ack = s + 3 * MSS;
  psend(&c, TCP_ACK, 0, 0);
  CHECK(!(tp->flags & TF_RECOVERY));
  CHECKEQ(tp->snd_una, s + 3 * MSS);
  CHECK(tp->cwnd <= tp->ssthresh);
  quiet();
}

// RFC 3042 limited transmit: with more to send than cwnd allows (ten
// segments, RFC 6928), each of the first two duplicate ACKs sends one
// new segment; the third retransmits the first unacked one (RFC 5681
// 3.2).
static void
test_limited_transmit_then_third_dupack_fast_rexmt(void)
{
  struct conn c;
  struct tcp_repr t;
  uint32_t s;

  reset();
  conninit(&c, 5036, 40036, 0x20000000);
  passive(&c, 0);
  setnodelay(c.fd);
  appsend(&c, 13 * MSS);
  s = c.iss + 1;
  for(int i = 0; i < 10; i++)
    CHECKEQ(ptake(&c, &t, 0), MSS);
  quiet();
  for(int i = 0; i < 2; i++){
    psend(&c, TCP_ACK, 0, 0);
    CHECKEQ(ptake(&c, &t, 0), MSS);
    CHECKEQ(t.seq, s + (10 + i) * MSS);
    quiet();
  }
  psend(&c, TCP_ACK, 0, 0);
  CHECKEQ(STAT(tcp_fast_rexmt), 1);
  CHECKEQ(STAT(tcp_early_rexmt), 0);
  CHECKEQ(ptake(&c, &t, 0), MSS);
  CHECKEQ(t.seq, s);
}

// RFC 9293 3.8.6.1: a zero window is probed with one byte, the probes
// backing off, and sending resumes when the window opens. Answers to
// probes are not duplicate ACKs: nothing beyond the probe goes.
static void
test_zero_window_probe_backoff_and_resume(void)
{
  struct conn c;
  struct tcp_repr t;
  struct tcpcb *tp;
  uint64_t gap;
  int n;

  reset();
  conninit(&c, 5027, 40027, 0x18000000);
  passive(&c, 0);
  setnodelay(c.fd);
  tp = tcb(c.fd);
  c.win = 0;
  psend(&c, TCP_ACK, 0, 0);
  CHECKEQ(tp->snd_wnd, 0);
  appsend(&c, 100);
  quiet();
  CHECK(tp->flags & TF_PERSIST);
  gap = tp->rto_ms > TCP_PERSIST_MIN_MS ? tp->rto_ms : TCP_PERSIST_MIN_MS;
  for(int i = 0; i < 5; i++){
    advance(gap - 1);
    quiet();
    advance(1);
    CHECKEQ(ptake(&c, &t, 0), 1);
    CHECKEQ(t.seq, c.iss + 1);
    psend(&c, TCP_ACK, 0, 0);           // still shut, the byte not taken
    quiet();
    gap *= 2;
  }
  CHECKEQ(STAT(tcp_persist_probe), 5);
  CHECKEQ(STAT(tcp_fast_rexmt), 0);
  CHECK(tp->state == TCP_ESTABLISHED);
  c.win = 65535;
  psend(&c, TCP_ACK, 0, 0);
  CHECK(!(tp->flags & TF_PERSIST));
  n = ptake(&c, &t, 0);
  CHECKEQ(n, 100);
  CHECKEQ(t.seq, c.iss + 1);
}

// RFC 5681 4.2 / RFC 9293 3.8.6.3: an ACK for at least every second
// full-sized segment; a single one acknowledged within 200 ms (500 is
// the MUST; ours is TCP_DELACK_MS).
static void
test_delayed_ack_every_second_segment_and_within_200ms(void)
{
  struct conn c;
  struct tcp_repr t;
  static uint8_t d[MSS];

  reset();
  conninit(&c, 5028, 40028, 0x19000000);
  passive(&c, 0);
  psend(&c, TCP_ACK, d, MSS);
  quiet();
  psend(&c, TCP_ACK, d, MSS);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.ack, c.seq);
  quiet();
  psend(&c, TCP_ACK, d, MSS);
  quiet();
  CHECK(TCP_DELACK_MS <= 200);
  advance(TCP_DELACK_MS - 1);
  quiet();
  advance(1);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.ack, c.seq);
}

// A burst handed over in one turn of the loop gets one ACK at the turn's
// end (tcp_ackturn), as Linux acknowledges what GRO merged. With no
// window scaling the window sits at its 65535 cap, so every second
// segment slid its right edge two segments on: that used to count as a
// window update worth an ACK of its own, one ACK per two segments.
static void
test_burst_in_one_turn_gets_one_ack(void)
{
  struct conn c;
  struct tcp_repr t;
  static uint8_t d[MSS], f[FMAX], seg[TCP_MAXHLEN + MSS];
  struct ipv4_repr ip = { .proto = IP_PROTO_TCP, .src = PEER, .dst = ME, .id = 9 };

  reset();
  conninit(&c, 5035, 40035, 0x1f000000);
  passive(&c, 0);
  for(int i = 0; i < 8; i++){
    struct tcp_repr r = mkseg(&c, TCP_ACK);
    int hlen = tcp_hdrlen(&r);
    memmove(seg + hlen, d, MSS);
    tcp_emit(seg, hlen + MSS, PEER, ME, &r, MSS);
    CHECKEQ(loop_inject(f, stack_ipframe(f, mymac, &ip, seg, hlen + MSS)), 0);
    c.seq += MSS;
  }
  net_poll(0);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.ack, c.seq);
  quiet();
}

// RFC 896 / RFC 1122 4.2.3.4: a small write waits while data is
// unacknowledged; TCP_NODELAY sends it at once.
static void
test_nagle_holds_small_write_nodelay_sends_it(void)
{
  struct conn c;
  struct tcp_repr t;

  reset();
  conninit(&c, 5029, 40029, 0x1a000000);
  passive(&c, 0);
  appsend(&c, 10);
  CHECKEQ(ptake(&c, &t, 0), 10);
  appsend(&c, 10);
  quiet();
  c.ack += 10;
  psend(&c, TCP_ACK, 0, 0);
  CHECKEQ(ptake(&c, &t, 0), 10);
  CHECKEQ(t.seq, c.ack);
  setnodelay(c.fd);
  appsend(&c, 10);
  CHECKEQ(ptake(&c, &t, 0), 10);
  CHECKEQ(t.seq, c.ack + 10);
}

// RFC 5961 3.2, 4.2, 5.2: a reset in the window but not at RCV.NXT, a
// SYN on a synchronized connection, an ACK older than the window: each
// draws a challenge ACK and changes nothing. The exact reset resets.
static void
test_challenge_acks(void)
{
  struct conn c;
  struct tcp_repr t;
  uint8_t b[8];
  uint32_t s;

  reset();
  conninit(&c, 5030, 40030, 0x1b000000);
  passive(&c, 0);
  s = c.seq;
  c.seq = s + 1000;
  psend(&c, TCP_RST, 0, 0);
  CHECKEQ(STAT(tcp_drop_rstinwin), 1);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.flags, TCP_ACK);
  CHECKEQ(t.seq, c.iss + 1);
  CHECKEQ(t.ack, s);
  c.seq = s + 5;
  psend(&c, TCP_SYN, 0, 0);
  CHECKEQ(STAT(tcp_drop_syninwin), 1);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.ack, s);
  c.seq = s;
  c.ack = c.iss + 1 - 200000;
  psend(&c, TCP_ACK, "zz", 2);
  CHECKEQ(STAT(tcp_drop_ackold), 1);
  CHECKEQ(ptake(&c, &t, 0), 0);
  CHECKEQ(t.ack, s);
  CHECKEQ(STAT(tcp_challenge_tx), 3);
  CHECKEQ(state(c.fd), TCP_ESTABLISHED);
  CHECKEQ(ln_recv(c.fd, b, sizeof b, MSG_DONTWAIT), -1);
  c.seq = s;
  psend(&c, TCP_RST, 0, 0);
  CHECKEQ(state(c.fd), TCP_CLOSED);
  errno = 0;
  CHECKEQ(ln_recv(c.fd, b, sizeof b, MSG_DONTWAIT), -1);
  CHECKEQ(errno, ECONNRESET);
}

// A SYN beyond the accept queue (backlog) or the SYN queue
// (TCP_SYNQ_MAX) is dropped unanswered and counted.
static void
test_listen_backlog_full_drops_syn(void)
{
  struct conn c, d;
  struct tcp_repr t;
  int i;

  reset();
  conninit(&c, 5031, 40031, 0x1c000000);
  listenon(&c, 1);
  synrcvd(&c, &t);
  psend(&c, TCP_ACK, 0, 0);
  CHECKEQ(tcb(c.lfd)->qlen, 1);
  conninit(&d, 5031, 40032, 0x1d000000);
  psend(&d, TCP_SYN, 0, 0);
  CHECKEQ(STAT(tcp_drop_synqfull), 1);
  quiet();
  c.fd = ln_accept(c.lfd, 0, 0);
  CHECK(c.fd >= SOCK_FDBASE);
  // the SYN queue: half-open connections, never completed
  CHECKEQ(ln_listen(c.lfd, 1000), 0);
  for(i = 0; i < TCP_SYNQ_MAX; i++){
    conninit(&d, 5031, 41000 + i, 0x1e000000);
    psend(&d, TCP_SYN, 0, 0);
    stack_drain();
  }
  CHECKEQ(tcb(c.lfd)->q0len, TCP_SYNQ_MAX);
  conninit(&d, 5031, 41000 + i, 0x1e000000);
  psend(&d, TCP_SYN, 0, 0);
  CHECKEQ(STAT(tcp_drop_synqfull), 2);
  quiet();
}

// RFC 9293 3.4.1: sequence numbers wrap. The peer's ISN just below 2^32:
// its data across the wrap arrives in order, out of order too.
static void
test_seq_wrap_receive(void)
{
  struct conn c;
  uint8_t d[300], b[300];

  reset();
  conninit(&c, 5032, 40032, 0xffffff00);
  passive(&c, 0);
  for(int i = 0; i < 300; i++)
    d[i] = i;
  // [0xffffff01, +100) then [+200, +300) out of order, then the middle
  psend(&c, TCP_ACK, d, 100);
  c.seq += 100;
  psend(&c, TCP_ACK, d + 200, 100);
  c.seq -= 200;
  psend(&c, TCP_ACK, d + 100, 100);
  c.seq += 100;
  stack_drain();
  CHECKEQ(tcb(c.fd)->rcv_nxt, 0xffffff01u + 300);
  CHECKEQ(ln_recv(c.fd, b, sizeof b, MSG_DONTWAIT), 300);
  CHECKMEM(b, d, 300);
}

// Our ISS just below 2^32 (tcp_newiss's clock part is ours to move on
// the virtual clock): data we send across the wrap is acknowledged and
// leaves the send queue.
static void
test_seq_wrap_send(void)
{
  struct conn c;
  struct sockaddr_in a;
  struct tcp_repr t;
  uint32_t iss;
  int n, sent;

  reset();
  // learn the ISN's keyed part for this 4-tuple
  ln_vclock_us &= ~3ULL;
  conninit(&c, 5033, 40033, 0x1f000000);
  c.fd = ln_socket(AF_INET, SOCK_STREAM, 0);
  nonblock(c.fd);
  stack_sin(&a, 0, c.lport);
  CHECKEQ(ln_bind(c.fd, (struct sockaddr *)&a, sizeof a), 0);
  stack_sin(&a, PEER, c.rport);
  CHECKEQ(ln_connect(c.fd, (struct sockaddr *)&a, sizeof a), -1);
  CHECKEQ(take(&t, 0), 0);
  iss = t.seq;
  CHECKEQ(ln_close(c.fd), 0);
  reset();
  ln_vclock_us += 4ULL * (uint32_t)(0xfffffc00u - iss);
  stack_learn(PEER, peermac);          // hours went by: the neighbour again
  active(&c, 0);
  CHECKEQ(c.iss, 0xfffffc00u);
  setnodelay(c.fd);
  appsend(&c, 3000);
  for(sent = 0; sent < 3000; sent += n){
    n = ptake(&c, &t, 0);
    CHECK(n > 0);
    if(n <= 0)
      break;
    CHECKEQ(t.seq, c.iss + 1 + sent);
    c.ack = t.seq + n;
    psend(&c, TCP_ACK, 0, 0);
  }
  CHECKEQ(tcb(c.fd)->snd_una, (uint32_t)(0xfffffc01u + 3000));
  CHECKEQ(tcb(c.fd)->sndq.len, 0);
  CHECKEQ(tcb(c.fd)->t_rexmt, 0);
}

static const struct test tests[] = {
  { test_active_open_synsent_to_established, "active_open_synsent_to_established" },
  { test_passive_open_listen_synrcvd_established, "passive_open_listen_synrcvd_established" },
  { test_simultaneous_open, "simultaneous_open" },
  { test_synrcvd_rst_returns_to_listen, "synrcvd_rst_returns_to_listen" },
  { test_synrcvd_dup_syn_resends_synack, "synrcvd_dup_syn_resends_synack" },
  { test_active_close_finwait1_finwait2_timewait, "active_close_finwait1_finwait2_timewait" },
  { test_simultaneous_close_closing_timewait, "simultaneous_close_closing_timewait" },
  { test_passive_close_closewait_lastack_closed, "passive_close_closewait_lastack_closed" },
  { test_timewait_expires_after_2msl, "timewait_expires_after_2msl" },
  { test_mss_sent_and_honoured, "mss_sent_and_honoured" },
  { test_mss_536_when_absent, "mss_536_when_absent" },
  { test_wscale_negotiated_only_when_both_send_it, "wscale_negotiated_only_when_both_send_it" },
  { test_wscale_applied_to_windows, "wscale_applied_to_windows" },
  { test_timestamps_echoed, "timestamps_echoed" },
  { test_paws_drops_old_tsval, "paws_drops_old_tsval" },
  { test_sack_permitted_negotiated, "sack_permitted_negotiated" },
  { test_sack_blocks_newest_first, "sack_blocks_newest_first" },
  { test_unknown_option_skipped, "unknown_option_skipped" },
  { test_malformed_option_dropped_and_counted, "malformed_option_dropped_and_counted" },
  { test_rto_initial_1s_doubling_then_etimedout, "rto_initial_1s_doubling_then_etimedout" },
  { test_rto_data_doubling_then_etimedout, "rto_data_doubling_then_etimedout" },
  { test_orphan_dropped_by_rto_is_freed, "orphan_dropped_by_rto_is_freed" },
  { test_early_rexmt_second_dupack_and_newreno_partial_ack, "early_rexmt_second_dupack_and_newreno_partial_ack" },
  { test_limited_transmit_then_third_dupack_fast_rexmt, "limited_transmit_then_third_dupack_fast_rexmt" },
  { test_data_after_close_gets_a_counted_reset, "data_after_close_gets_a_counted_reset" },
  { test_timewait_acks_an_old_segment, "timewait_acks_an_old_segment" },
  { test_reset_for_a_loopback_address_has_a_valid_checksum, "reset_for_a_loopback_address_has_a_valid_checksum" },
  { test_zero_window_probe_backoff_and_resume, "zero_window_probe_backoff_and_resume" },
  { test_delayed_ack_every_second_segment_and_within_200ms, "delayed_ack_every_second_segment_and_within_200ms" },
  { test_burst_in_one_turn_gets_one_ack, "burst_in_one_turn_gets_one_ack" },
  { test_nagle_holds_small_write_nodelay_sends_it, "nagle_holds_small_write_nodelay_sends_it" },
  { test_challenge_acks, "challenge_acks" },
  { test_listen_backlog_full_drops_syn, "listen_backlog_full_drops_syn" },
  { test_seq_wrap_receive, "seq_wrap_receive" },
  { test_seq_wrap_send, "seq_wrap_send" },
};

int
main(int argc, char **argv)
{
  setvbuf(stdout, 0, _IONBF, 0);   // a sanitizer's abort loses nothing said before it
  return test_main(tests, NELEM(tests), argc, argv);
}
