// test_twotcp.c: TCP between two libnet stacks (twostack.h), through
// the BSD calls socket.h declares, over a clean link and a bad one.
// Each test is named for the behaviour it checks. Sockets are
// non-blocking throughout: only pump() moves the clock.
//
// Not in make host-test until TCP lands: make host-tcp runs it.
#include <stddef.h>
size_t __sanitizer_get_current_allocated_bytes(void);   // ASan's (these tests always run under it)
#include "libnet/test/twostack.h"
#include "libnet/test/test.h"

enum {
  PORT = 5000,              // B's listener
  APORT = 40000,            // A's port, where a test fixes it
  NBIG = 1 << 20,           // a megabyte
  TRACEMAX = 4096,
  MSLMAX_MS = 2 * 60 * 1000,  // RFC 9293 3.4.2's MSL; ours may be shorter
};

static uint8_t src1[NBIG], src2[NBIG], dst1[NBIG], dst2[NBIG];

// Bring the stacks back; 0, or -1 (the test failed) if libnet has no TCP yet.
static int
setup(void)
{
  const char *m;

  two_reset();
  if((m = two_missing()) != 0){
    printf("%s: libnet has no %s yet\n", test_name, m);
    test_failed = 1;
    return -1;
  }
  return 0;
}

// Bytes that show a shift, a repeat or a hole wherever it happens.
static void
fill(uint8_t *p, int n, uint32_t seed)
{
  for(int i = 0; i < n; i++){
    seed = seed * 1103515245 + 12345;
    p[i] = seed >> 16;
  }
}

// A listening socket on s at port, or -1.
static int
listener(struct stack *s, uint16_t port)
{
  int fd = two_socket(s, SOCK_STREAM, port);

  CHECK(fd >= 0);
  if(fd < 0)
    return -1;
  CHECKEQ(s->ln_listen(fd, 8), 0);
  return fd;
}

// A non-blocking connect from fd on s to ip:port, started: the
// handshake goes on in pump().
static void
connect_start(struct stack *s, int fd, uint32_t ip, uint16_t port)
{
  struct sockaddr_in to;

  two_sin(&to, ip, port);
  CHECKEQ(s->ln_connect(fd, (struct sockaddr *)&to, sizeof to), -1);
  CHECKEQ(errno, EINPROGRESS);
}

// What poll says of fd on s now, for events ev.
static int
events(struct stack *s, int fd, int ev)
{
  struct pollfd p = { .fd = fd, .events = ev };

  if(s->ln_poll(&p, 1, 0) != 1)
    return 0;
  return p.revents;
}

static int
soerror(struct stack *s, int fd)
{
  socklen_t len = sizeof(int);
  int err = -1;

  CHECKEQ(s->ln_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
  return err;
}

// Accept on listener l of s, within ms; the non-blocking socket or -1.
static int
accept_within(struct stack *s, int l, int ms)
{
  int fd = -1;

  if(!pump_until((fd = s->ln_accept(l, 0, 0)) >= 0, ms))
    return -1;
  CHECKEQ(s->ln_fcntl(fd, F_SETFL, O_NONBLOCK), 0);
  return fd;
}

// A connection: *ca on A (from aport, 0: any) to B's listener, *cb on B.
// Returns 0, or -1 (the test failed) if it did not come up within ms.
static int
connpair_within(int *ca, int *cb, uint16_t aport, int ms)
{
  int l;

  *ca = *cb = -1;
  if((l = listener(B, PORT)) < 0)
    return -1;
  *ca = two_socket(A, SOCK_STREAM, aport);
  CHECK(*ca >= 0);
  if(*ca < 0)
    return -1;
  connect_start(A, *ca, TWO_IPB, PORT);
  CHECK(pump_until(events(A, *ca, POLLOUT), ms));
  CHECKEQ(soerror(A, *ca), 0);
  *cb = accept_within(B, l, ms);
  CHECK(*cb >= 0);
  return *cb >= 0 && !test_failed ? 0 : -1;
}

static int
connpair(int *ca, int *cb)
{
  return connpair_within(ca, cb, 0, 5000);
}

// ---- moving bytes ------------------------------------------------------------------

// len bytes from src, sent on sfd of one stack, received into dst on
// rfd of the other.
struct xfer {
  struct stack *from, *to;
  int sfd, rfd;
  const uint8_t *src;
  uint8_t *dst;
  int len, sent, got;
  int err;                  // errno of a call that failed other than EAGAIN
};

static void
xfer_init(struct xfer *x, struct stack *from, int sfd, struct stack *to, int rfd,
          const uint8_t *src, uint8_t *dst, int len)
{
  memset(x, 0, sizeof(*x));
  x->from = from;
  x->to = to;
  x->sfd = sfd;
  x->rfd = rfd;
  x->src = src;
  x->dst = dst;
  x->len = len;
  memset(dst, 0, len);
}

// Send what the socket takes now. Returns bytes sent.
static int
xfer_send(struct xfer *x)
{
  ssize_t n;
  int sent = 0;

  while(x->sent < x->len && x->err == 0){
    n = x->from->ln_send(x->sfd, x->src + x->sent, x->len - x->sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if(n <= 0){
      if(n < 0 && errno != EAGAIN)
        x->err = errno;
      break;
    }
    x->sent += n;
    sent += n;
  }
  return sent;
}

// Receive what has come.
static void
xfer_recv(struct xfer *x)
{
  ssize_t n;

  while(x->got < x->len && x->err == 0){
    n = x->to->ln_recv(x->rfd, x->dst + x->got, x->len - x->got, MSG_DONTWAIT);
    if(n <= 0){
      if(n == 0)
        x->err = -1;        // EOF before the end
      else if(errno != EAGAIN)
        x->err = errno;
      break;
    }
    x->got += n;
  }
}

// Move what can move without waiting. 1 when all has arrived or a call failed.
static int
xfer_run(struct xfer *x)
{
  xfer_send(x);
  xfer_recv(x);
  return x->got == x->len || x->err != 0;
}

static void
xfer_check(struct xfer *x)
{
  CHECKEQ(x->err, 0);
  CHECKEQ(x->got, x->len);
  CHECKMEM(x->dst, x->src, x->len);
}

extern const char *A_lnstat_names[LN_NSTATS];   // the A copy of lnstat_names

// A megabyte each way at once, within ms. TWO_STATS=1 prints both
// stacks' counters after it.
static void
both_ways(int ca, int cb, int ms)
{
  struct xfer ab, ba;
  uint64_t t0 = two_now_ms();

  fill(src1, NBIG, 1);
  fill(src2, NBIG, 2);
  xfer_init(&ab, A, ca, B, cb, src1, dst1, NBIG);
  xfer_init(&ba, B, cb, A, ca, src2, dst2, NBIG);
  CHECK(pump_until(xfer_run(&ab) + xfer_run(&ba) == 2, ms));
  if(getenv("TWO_STATS"))
    for(int i = 0; i < LN_NSTATS; i++)
      if(A->stat[i] || B->stat[i])
        printf("  %-22s A %8llu  B %8llu\n", A_lnstat_names[i], (unsigned long long)A->stat[i], (unsigned long long)B->stat[i]);
  xfer_check(&ab);
  xfer_check(&ba);
  printf("%s: %llu ms; A->B %ld frames, %ld lost, %ld duplicated, %ld reordered\n", test_name,
         (unsigned long long)(two_now_ms() - t0), AB->in, AB->lost, AB->duped, AB->reordered);
}

// recv on fd of s until it answers other than EAGAIN, within ms.
// Returns its result; errno is its errno.
static int
recv_within(struct stack *s, int fd, void *buf, int len, int ms)
{
  int n = -1;

  pump_until((n = s->ln_recv(fd, buf, len, MSG_DONTWAIT)) >= 0 || errno != EAGAIN, ms);
  return n;
}

// ---- a trace of the segments one way ---------------------------------------------

struct seg {
  uint64_t t;               // ms
  uint32_t seq, ack;
  uint16_t win;
  uint8_t flags;
  int len;
};

struct trace {
  long nseg;                // segments seen; the first TRACEMAX are in s[]
  long ndata;               // of which carrying data
  int minwin;               // the smallest window advertised after the handshake
  int dropdata;             // drop every segment carrying data
  struct seg s[TRACEMAX];
};

static struct trace trab, trba;

// A hook that records each TCP segment in its trace (l->arg).
static int
hook_trace(struct link *l, uint8_t *f, int *len)
{
  struct trace *tr = l->arg;
  struct ipv4_repr ip;
  struct tcp_repr t;
  int n;

  if((n = two_tcpseg(f, *len, &ip, &t)) < 0)
    return LINK_PASS;
  if(tr->nseg < TRACEMAX)
    tr->s[tr->nseg] = (struct seg){ two_now_ms(), t.seq, t.ack, t.win, t.flags, n };
  tr->nseg++;
  if(!(t.flags & TCP_SYN) && t.win < tr->minwin)
    tr->minwin = t.win;
  if(n > 0)
    tr->ndata++;
  return tr->dropdata && n > 0 ? LINK_DROP : LINK_PASS;
}

static void
trace(struct link *l, struct trace *tr)
{
  memset(tr, 0, sizeof(*tr));
  tr->minwin = 0x10000;
  l->hook = hook_trace;
  l->arg = tr;
}

// ---- the tests ------------------------------------------------------------------

static void
handshake_connects_and_accepts(void)
{
  struct sockaddr_in sa, pa;
  socklen_t len;
  int l, ca, cb;

  if(setup() < 0 || (l = listener(B, PORT)) < 0)
    return;
  ca = two_socket(A, SOCK_STREAM, 0);
  connect_start(A, ca, TWO_IPB, PORT);
  CHECKEQ(B->ln_accept(l, 0, 0), -1);
  CHECKEQ(errno, EAGAIN);
  CHECK(pump_until(events(A, ca, POLLOUT), 1000));
  CHECKEQ(soerror(A, ca), 0);
  len = sizeof pa;
  CHECK(pump_until((cb = B->ln_accept(l, (struct sockaddr *)&pa, &len)) >= 0, 1000));
  CHECKEQ(pa.sin_addr.s_addr, ln_htonl(TWO_IPA));
  len = sizeof sa;
  CHECKEQ(A->ln_getsockname(ca, (struct sockaddr *)&sa, &len), 0);
  CHECKEQ(pa.sin_port, sa.sin_port);
  len = sizeof pa;
  CHECKEQ(A->ln_getpeername(ca, (struct sockaddr *)&pa, &len), 0);
  CHECKEQ(pa.sin_addr.s_addr, ln_htonl(TWO_IPB));
  CHECKEQ(pa.sin_port, ln_htons(PORT));
}

static void
megabyte_each_way_on_clean_link(void)
{
  int ca, cb;

  if(setup() < 0 || connpair(&ca, &cb) < 0)
    return;
  both_ways(ca, cb, 60 * 1000);
  CHECKEQ(AB->lost + BA->lost + AB->full + BA->full, 0);
}

static void
megabyte_each_way_through_loss_reordering_duplication_delay(void)
{
  int ca, cb;

  if(setup() < 0)
    return;
  AB->loss = BA->loss = 10;
  AB->reorder = BA->reorder = 25;
  AB->dup = BA->dup = 5;
  AB->delay_ms = BA->delay_ms = 20;
  if(connpair_within(&ca, &cb, 0, 60 * 1000) < 0)
    return;
  both_ways(ca, cb, 900 * 1000);
  CHECK(AB->lost > 0 && AB->reordered > 0 && AB->duped > 0);
}

static void
lost_third_data_segment_is_retransmitted(void)
{
  struct xfer x;
  int ca, cb, n = 3;

  if(setup() < 0 || connpair(&ca, &cb) < 0)
    return;
  AB->hook = hook_dropnthdata;
  AB->arg = &n;
  fill(src1, 64 * 1024, 3);
  xfer_init(&x, A, ca, B, cb, src1, dst1, 64 * 1024);
  CHECK(pump_until(xfer_run(&x), 30 * 1000));
  xfer_check(&x);
  CHECKEQ(AB->hooked, 1);
}

// Drop the first SYN that crosses the link.
static int
hook_dropsyn(struct link *l, uint8_t *f, int *len)
{
  struct ipv4_repr ip;
  struct tcp_repr t;
  int *n = l->arg;

  if(*n > 0 && two_tcpseg(f, *len, &ip, &t) >= 0 && t.flags == TCP_SYN){
    --*n;
    return LINK_DROP;
  }
  return LINK_PASS;
}

// A SYN lost: the handshake finishes on its retransmission, and data
// flows after it. (The timeout had left a congestion window of 536
// bytes, below one segment once the MSS was known, so nothing was sent.)
static void
data_flows_after_a_lost_syn(void)
{
  struct xfer x;
  int ca, cb, n = 1;

  if(setup() < 0)
    return;
  AB->hook = hook_dropsyn;
  AB->arg = &n;
  if(connpair_within(&ca, &cb, 0, 5000) < 0)
    return;
  CHECKEQ(AB->hooked, 1);
  fill(src1, 64 * 1024, 5);
  xfer_init(&x, A, ca, B, cb, src1, dst1, 64 * 1024);
  CHECK(pump_until(xfer_run(&x), 30 * 1000));
  xfer_check(&x);
}

static void
half_close_delivers_eof_and_the_other_way_flows(void)
{
  char buf[64];
  int ca, cb;

  if(setup() < 0 || connpair(&ca, &cb) < 0)
    return;
  CHECKEQ(A->ln_send(ca, "request", 7, MSG_DONTWAIT), 7);
  CHECKEQ(A->ln_shutdown(ca, SHUT_WR), 0);
  CHECKEQ(recv_within(B, cb, buf, sizeof buf, 1000), 7);
  CHECKMEM(buf, "request", 7);
  CHECKEQ(recv_within(B, cb, buf, sizeof buf, 1000), 0);
  CHECKEQ(A->ln_send(ca, "more", 4, MSG_DONTWAIT | MSG_NOSIGNAL), -1);
  CHECKEQ(errno, EPIPE);
  CHECKEQ(B->ln_send(cb, "answer after eof", 16, MSG_DONTWAIT), 16);
  CHECKEQ(recv_within(A, ca, buf, sizeof buf, 1000), 16);
  CHECKMEM(buf, "answer after eof", 16);
  CHECKEQ(B->ln_close(cb), 0);
  CHECKEQ(recv_within(A, ca, buf, sizeof buf, 1000), 0);
}

static void
connect_to_closed_port_is_refused(void)
{
  int ca;

  if(setup() < 0 || (ca = two_socket(A, SOCK_STREAM, 0)) < 0)
    return;
  connect_start(A, ca, TWO_IPB, PORT + 1);
  CHECK(pump_until(events(A, ca, POLLOUT | POLLERR), 1000));
  CHECKEQ(soerror(A, ca), ECONNREFUSED);
}

static void
abortive_close_resets_the_peer(void)
{
  struct linger lg = { .l_onoff = 1, .l_linger = 0 };
  char buf[64];
  int ca, cb;

  if(setup() < 0 || connpair(&ca, &cb) < 0)
    return;
  CHECKEQ(B->ln_setsockopt(cb, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
  CHECKEQ(B->ln_close(cb), 0);
  CHECKEQ(recv_within(A, ca, buf, sizeof buf, 1000), -1);
  CHECKEQ(errno, ECONNRESET);
}

// B's application reads nothing until A's sends stall on B's zero
// window; A keeps probing it (RFC 9293 3.8.6.1); then B reads all.
static void
zero_window_stalls_then_recovers(void)
{
  struct xfer x;
  long before;
  int ca, cb, rounds;

  if(setup() < 0 || connpair(&ca, &cb) < 0)
    return;
  trace(BA, &trba);
  fill(src1, NBIG, 4);
  xfer_init(&x, A, ca, B, cb, src1, dst1, NBIG);
  for(rounds = 0; rounds < 100 && xfer_send(&x) > 0; rounds++)
    pump(1000);
  CHECK(x.sent < NBIG);
  CHECKEQ(trba.minwin, 0);
  before = AB->in;
  pump(30 * 1000);
  CHECK(AB->in > before);     // window probes
  CHECK(pump_until(xfer_run(&x), 60 * 1000));
  xfer_check(&x);
}

// The retransmission timer doubles on each expiry (RFC 6298 5.5), up
// to its ceiling; the data arrives once the link heals.
static void
rto_backs_off_exponentially(void)
{
  uint64_t t[64];
  char buf[64];
  int ca, cb, i, n;

  if(setup() < 0 || connpair(&ca, &cb) < 0)
    return;
  trace(AB, &trab);
  trab.dropdata = 1;
  CHECKEQ(A->ln_send(ca, "hello", 5, MSG_DONTWAIT), 5);
  pump(120 * 1000);
  // when each copy of the data was sent
  for(i = n = 0; i < trab.nseg && i < TRACEMAX && n < (int)NELEM(t); i++)
    if(trab.s[i].len > 0)
      t[n++] = trab.s[i].t;
  CHECK(n >= 4);
  for(i = 2; i < n && t[i] - t[i - 1] < 60 * 1000; i++)
    CHECK(t[i] - t[i - 1] >= 2 * (t[i - 1] - t[i - 2]) - 1);
  trab.dropdata = 0;
  CHECKEQ(recv_within(B, cb, buf, sizeof buf, 130 * 1000), 5);
}

// RFC 1122 4.2.3.2: an ACK MUST NOT be delayed by more than 0.5 s.
static void
lone_segment_is_acked_within_half_a_second(void)
{
  uint64_t t0;
  int ca, cb;
  long i;

  if(setup() < 0 || connpair(&ca, &cb) < 0)
    return;
  pump(1000);
  trace(BA, &trba);
  t0 = two_now_ms();
  CHECKEQ(A->ln_send(ca, "x", 1, MSG_DONTWAIT), 1);
  CHECK(pump_until(trba.nseg > 0, 1000));
  for(i = 0; i < trba.nseg && i < TRACEMAX; i++)
    if(trba.s[i].flags & TCP_ACK)
      break;
  CHECK(i < trba.nseg);
  if(i < trba.nseg)
    CHECK(trba.s[i].t - t0 <= 500);
}

// Whether a new stream socket on s binds port (with SO_REUSEADDR if
// reuse): 0, or the errno.
static int
bindport(struct stack *s, uint16_t port, int reuse)
{
  struct sockaddr_in a;
  int fd, r;

  if((fd = s->ln_socket(AF_INET, SOCK_STREAM, 0)) < 0)
    return errno;
  if(reuse)
    s->ln_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
  two_sin(&a, 0, port);
  r = s->ln_bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ? errno : 0;
  s->ln_close(fd);
  return r;
}

// The active closer waits in TIME-WAIT for 2 MSL (RFC 9293 3.6), and
// its port with it; SO_REUSEADDR binds it all the same.
static void
time_wait_holds_port_for_two_msl(void)
{
  char buf[64];
  uint64_t t0;
  int ca, cb;

  if(setup() < 0 || connpair_within(&ca, &cb, APORT, 5000) < 0)
    return;
  CHECKEQ(A->ln_close(ca), 0);
  CHECKEQ(recv_within(B, cb, buf, sizeof buf, 1000), 0);
  CHECKEQ(B->ln_close(cb), 0);
  pump(100);
  t0 = two_now_ms();
  CHECKEQ(bindport(A, APORT, 0), EADDRINUSE);
  CHECKEQ(bindport(A, APORT, 1), 0);
  pump(1000);
  CHECKEQ(bindport(A, APORT, 0), EADDRINUSE);
  CHECK(pump_until(bindport(A, APORT, 0) == 0, 2 * MSLMAX_MS + 1000));
  printf("%s: port free after %llu ms\n", test_name, (unsigned long long)(two_now_ms() - t0));
}

// Connections one after another, half closed by the side that
// connected and half by the side that accepted, each with a byte each
// way: once every TIME-WAIT is over, the second hundred leaves the heap
// exactly as the first did (ASan's count of bytes allocated), so nothing
// a connection allocates (control block, rings, socket, port hold) stays.
static void
sequential_connections_return_their_memory(void)
{
  size_t inuse[2];
  char buf[8];
  int l, ca, cb;

  if(setup() < 0 || (l = listener(B, PORT)) < 0)
    return;
  for(int round = 0; round < 2; round++){
    for(int i = 0; i < 100 && !test_failed; i++){
      ca = two_socket(A, SOCK_STREAM, 0);
      connect_start(A, ca, TWO_IPB, PORT);
      CHECK(pump_until(events(A, ca, POLLOUT), 5000));
      if((cb = accept_within(B, l, 5000)) < 0)
        return;
      CHECKEQ(A->ln_send(ca, "a", 1, MSG_DONTWAIT), 1);
      CHECKEQ(recv_within(B, cb, buf, 1, 1000), 1);
      CHECKEQ(B->ln_send(cb, "b", 1, MSG_DONTWAIT), 1);
      CHECKEQ(recv_within(A, ca, buf, 1, 1000), 1);
      if(i % 2){
        CHECKEQ(A->ln_close(ca), 0);
        CHECKEQ(recv_within(B, cb, buf, sizeof buf, 1000), 0);
        CHECKEQ(B->ln_close(cb), 0);
      } else {
        CHECKEQ(B->ln_close(cb), 0);
        CHECKEQ(recv_within(A, ca, buf, sizeof buf, 1000), 0);
        CHECKEQ(A->ln_close(ca), 0);
      }
    }
    pump(2 * MSLMAX_MS + 1000);
    inuse[round] = __sanitizer_get_current_allocated_bytes();
    CHECK(inuse[round] > 0);
  }
  CHECKEQ(inuse[1], inuse[0]);
}


// A server that closes first, as httpd does (shutdown, read to the
// client's FIN, close), leaves its side in TIME-WAIT: the connection's
// rings must go at the close, not 2 MSL later. 100 such connections held
// 100 x (send + receive ring) until then, and httpd ran out of memory.
static void
closing_in_time_wait_frees_the_rings(void)
{
  enum { N = 100 };
  int ca, cb, l;
  size_t before, after;
  char buf[64];

  if(setup() < 0 || (l = listener(B, PORT)) < 0)
    return;
  before = __sanitizer_get_current_allocated_bytes();
  for(int i = 0; i < N && !test_failed; i++){
    ca = two_socket(A, SOCK_STREAM, 0);
    connect_start(A, ca, TWO_IPB, PORT);
    CHECK(pump_until(events(A, ca, POLLOUT), 1000));
    if((cb = accept_within(B, l, 1000)) < 0)
      return;
    CHECKEQ(A->ln_send(ca, "GET", 3, MSG_DONTWAIT), 3);
    CHECKEQ(recv_within(B, cb, buf, sizeof buf, 1000), 3);
    CHECKEQ(B->ln_send(cb, "200", 3, MSG_DONTWAIT), 3);
    CHECKEQ(B->ln_shutdown(cb, SHUT_WR), 0);
    CHECKEQ(recv_within(A, ca, buf, sizeof buf, 1000), 3);
    CHECKEQ(recv_within(A, ca, buf, sizeof buf, 1000), 0);
    CHECKEQ(A->ln_close(ca), 0);
    CHECKEQ(recv_within(B, cb, buf, sizeof buf, 1000), 0);   // the client's FIN: TIME-WAIT
    CHECKEQ(B->ln_close(cb), 0);
  }
  pump(1000);
  after = __sanitizer_get_current_allocated_bytes();
  printf("%s: %zu bytes held by %d connections in TIME-WAIT\n", test_name, after - before, N);
  CHECK(after - before < N * 4096);
}

// ---- sending from the payload cache (netref.h) --------------------------------

// A to B loses 10% of frames, reorders 25%, duplicates 5%, and both ways
// delay 20 ms: a sender's bytes go out again, and again out of order.
static void
bad_link_ab(void)
{
  AB->loss = 10;
  AB->reorder = 25;
  AB->dup = 5;
  AB->delay_ms = 20;
  BA->delay_ms = 20;
}

enum { ZCOFF = 4096, ZCLEN = NBIG, ZCCHUNK = 1448 };
static uint32_t zcsums[ZCLEN / 1000 + 1];
static uint8_t zcdst[ZCLEN + 8192];

// A's payload cache holds src1 at ZCOFF, described by *r in chunks of
// chunk bytes with their sums. 0, or -1 (the test failed).
static int
zc_setup(struct netref *r, uint32_t chunk)
{
  uint32_t size;
  uint8_t *cache;

  A->loop_setcache(2 << 20);
  if((cache = A->ln_cache(&size)) == 0 || size < ZCOFF + ZCLEN){
    CHECK(!"A has a payload cache");
    return -1;
  }
  fill(src1, NBIG, 7);
  memmove(cache + ZCOFF, src1, ZCLEN);
  memset(r, 0, sizeof(*r));
  r->off = ZCOFF;
  r->len = ZCLEN;
  r->chunk = chunk;
  r->sums = zcsums;
  for(uint32_t i = 0; i * chunk < ZCLEN; i++)
    zcsums[i] = cksum_add(0, cache + ZCOFF + i * chunk, ZCLEN - i * chunk < chunk ? ZCLEN - i * chunk : chunk);
  return 0;
}

// Receive exactly n bytes on fd of s into buf within ms; bytes received.
static int
recv_all(struct stack *s, int fd, uint8_t *buf, int n, int ms)
{
  int got = 0, k;

  pump_until((k = s->ln_recv(fd, buf + got, n - got, MSG_DONTWAIT)) > 0 ?
             (got += k) == n : (k == 0 || errno != EAGAIN), ms);
  return got;
}

// A response as httpd sends one: a head copied in, a body by reference
// (the whole megabyte, then an unaligned part of it), through loss,
// reordering, duplication and delay. Every byte arrives, every checksum
// holds (B drops a bad one, and the transfer would stall), no byte of a
// reference is copied by libnet, and the references are let go of.
static void
cache_bytes_go_by_reference_through_a_bad_link(void)
{
  static const char head[] = "HTTP/1.1 200 OK\r\n\r\n", mid[] = "--";
  enum { POFF = 1001, PLEN = 5003 };
  struct netref r;
  int ca, cb, hl = sizeof head - 1, ml = sizeof mid - 1;
  int total = hl + ZCLEN + ml + PLEN;

  if(setup() < 0 || zc_setup(&r, ZCCHUNK) < 0 || connpair(&ca, &cb) < 0)
    return;
  bad_link_ab();
  CHECKEQ(A->ln_send(ca, head, hl, MSG_DONTWAIT), hl);
  CHECKEQ(A->ln_sendref(ca, &r, 0, ZCLEN), ZCLEN);
  CHECKEQ(A->ln_send(ca, mid, ml, MSG_DONTWAIT), ml);
  CHECKEQ(A->ln_sendref(ca, &r, POFF, PLEN), PLEN);
  CHECKEQ(r.refs, 2);
  CHECKEQ(recv_all(B, cb, zcdst, total, 600000), total);
  CHECKMEM(zcdst, head, hl);
  CHECKMEM(zcdst + hl, src1, ZCLEN);
  CHECKMEM(zcdst + hl + ZCLEN, mid, ml);
  CHECKMEM(zcdst + hl + ZCLEN + ml, src1 + POFF, PLEN);
  CHECK(pump_until(r.refs == 0, 60000));
  CHECKEQ(TWOSTAT(B, tcp_drop_bad), 0);
  CHECKEQ(TWOSTAT(A, tcp_tx_refcopy_bytes), 0);
  CHECK(TWOSTAT(A, tcp_tx_ref_bytes) >= ZCLEN + PLEN);
  CHECK(TWOSTAT(A, tcp_tx_rexmt_bytes) > 0);
  // the ring's bytes only: head and mid, each sent a few times at most
  CHECK(TWOSTAT(A, tcp_tx_copy_bytes) >= hl + ml);
  CHECK(TWOSTAT(A, tcp_tx_copy_bytes) <= 8 * (hl + ml));
  CHECK(A->loop_splits() >= ZCLEN / ZCCHUNK);
  printf("%s: %lld by reference, %lld again, %lld copied, %d split frames\n", test_name,
         TWOSTAT(A, tcp_tx_ref_bytes), TWOSTAT(A, tcp_tx_rexmt_bytes),
         TWOSTAT(A, tcp_tx_copy_bytes), A->loop_splits());
}

// A data segment of a reference never crosses one of its chunks, so a
// whole chunk goes with its stored sum; chunks smaller than a segment
// are sent whole, each one segment, without waiting (no Nagle on a cut).
static void
segments_end_where_chunks_do(void)
{
  struct netref r;
  int ca, cb, n = 0, bad = 0;

  if(setup() < 0 || zc_setup(&r, 1000) < 0 || connpair(&ca, &cb) < 0)
    return;
  trace(AB, &trab);
  CHECKEQ(A->ln_sendref(ca, &r, 0, 20500), 20500);
  CHECKEQ(recv_all(B, cb, dst1, 20500, 5000), 20500);
  CHECKMEM(dst1, src1, 20500);
  for(long i = 0; i < trab.nseg && i < TRACEMAX; i++)
    if(trab.s[i].len > 0){
      n++;
      if(trab.s[i].len != 1000 && trab.s[i].len != 500)
        bad++;
    }
  CHECKEQ(n, 21);
  CHECKEQ(bad, 0);
  CHECKEQ(TWOSTAT(A, tcp_tx_refcopy_bytes), 0);
}

// Without a payload cache there is nothing to refer to.
static void
sendref_without_a_cache_is_refused(void)
{
  struct netref r = { .off = 0, .len = 100 };
  int ca, cb;

  if(setup() < 0 || connpair(&ca, &cb) < 0)
    return;
  CHECKEQ(A->ln_sendref(ca, &r, 0, 100), -1);
  CHECKEQ(errno, EINVAL);
  CHECKEQ(r.refs, 0);
}

// ---- send rings the device reads in place (tcp_sndbufinit) ------------------------

// Bytes written with send() go from the send ring, which is in the
// device's ring room, as split frames: libnet copies only the segments
// that wrap around the ring's end. Through loss, reordering, duplication
// and delay every byte arrives and every checksum holds (B drops a bad
// one, and the transfer would stall), retransmissions included.
static void
ring_bytes_go_in_place_through_a_bad_link(void)
{
  struct xfer x;
  int ca, cb;

  if(setup() < 0 || connpair(&ca, &cb) < 0)
    return;
  bad_link_ab();
  fill(src1, NBIG, 11);
  xfer_init(&x, A, ca, B, cb, src1, dst1, NBIG);
  CHECK(pump_until(xfer_run(&x), 600 * 1000));
  xfer_check(&x);
  CHECKEQ(TWOSTAT(B, tcp_drop_bad), 0);
  CHECK(TWOSTAT(A, tcp_tx_rexmt_bytes) > 0);
  CHECK(TWOSTAT(A, tcp_tx_ring_bytes) >= NBIG * 9 / 10);
  // a segment across the ring's end (one per 128 KiB sent, or sent again)
  CHECK(TWOSTAT(A, tcp_tx_copy_bytes) < NBIG / 10);
  CHECK(A->loop_splits() >= NBIG / 1448 * 9 / 10);
  printf("%s: %lld in place, %lld copied, %lld again\n", test_name, TWOSTAT(A, tcp_tx_ring_bytes),
         TWOSTAT(A, tcp_tx_copy_bytes), TWOSTAT(A, tcp_tx_rexmt_bytes));
}

// A connection from A to B's listener l: *ca on A, *cb on B. 0 or -1.
static int
connect_to(int l, int *ca, int *cb)
{
  *ca = two_socket(A, SOCK_STREAM, 0);
  connect_start(A, *ca, TWO_IPB, PORT);
  CHECK(pump_until(events(A, *ca, POLLOUT), 1000));
  *cb = accept_within(B, l, 1000);
  return *cb >= 0 && !test_failed ? 0 : -1;
}

// The ring room holds two send rings: a third connection's ring comes
// from malloc and its bytes are copied; a slot is free again once its
// connection is gone.
static void
ring_slots_run_out_and_come_back(void)
{
  struct xfer x;
  int ca[4], cb[4], l;
  int64_t ring, copy;

  if(setup() < 0 || (l = listener(B, PORT)) < 0)
    return;
  for(int i = 0; i < 4; i++)
    if(connect_to(l, &ca[i], &cb[i]) < 0)
      return;
  fill(src1, NBIG, 12);
  for(int i = 0; i < 4; i++){
    ring = TWOSTAT(A, tcp_tx_ring_bytes);
    copy = TWOSTAT(A, tcp_tx_copy_bytes);
    xfer_init(&x, A, ca[i], B, cb[i], src1, dst1, 100000);
    CHECK(pump_until(xfer_run(&x), 10000));
    xfer_check(&x);
    if(i < 2){
      CHECK(TWOSTAT(A, tcp_tx_ring_bytes) - ring >= 90000);
    } else {
      CHECKEQ(TWOSTAT(A, tcp_tx_ring_bytes) - ring, 0);
      CHECK(TWOSTAT(A, tcp_tx_copy_bytes) - copy >= 100000);
    }
  }
  // the first connection goes: the next one to send has its slot
  CHECKEQ(A->ln_close(ca[0]), 0);
  CHECKEQ(B->ln_close(cb[0]), 0);
  pump(10000);
  if(connect_to(l, &ca[0], &cb[0]) < 0)
    return;
  ring = TWOSTAT(A, tcp_tx_ring_bytes);
  xfer_init(&x, A, ca[0], B, cb[0], src1, dst1, 100000);
  CHECK(pump_until(xfer_run(&x), 10000));
  xfer_check(&x);
  CHECK(TWOSTAT(A, tcp_tx_ring_bytes) - ring >= 90000);
}

// With timestamps a segment carries 12 bytes less than the MSS; a
// retransmission (fast, or of a SACK hole) was cut at the MSS and went
// in two IPv4 fragments.
static void
retransmission_fits_the_mtu_with_timestamps(void)
{
  int ca, cb, nth = 5;
  struct xfer x;

  if(setup() < 0 || connpair(&ca, &cb) < 0)
    return;
  AB->hook = hook_dropnthdata;
  AB->arg = &nth;
  fill(src1, 100000, 3);
  xfer_init(&x, A, ca, B, cb, src1, dst1, 100000);
  CHECK(pump_until(xfer_run(&x), 10000));
  xfer_check(&x);
  CHECK(TWOSTAT(A, tcp_tx_rexmt) > 0);
  CHECKEQ(TWOSTAT(A, ip_frag_out), 0);
}

static const struct test tests[] = {
  { handshake_connects_and_accepts, "handshake_connects_and_accepts" },
  { megabyte_each_way_on_clean_link, "megabyte_each_way_on_clean_link" },
  { megabyte_each_way_through_loss_reordering_duplication_delay,
    "megabyte_each_way_through_loss_reordering_duplication_delay" },
  { lost_third_data_segment_is_retransmitted, "lost_third_data_segment_is_retransmitted" },
  { half_close_delivers_eof_and_the_other_way_flows, "half_close_delivers_eof_and_the_other_way_flows" },
  { connect_to_closed_port_is_refused, "connect_to_closed_port_is_refused" },
  { abortive_close_resets_the_peer, "abortive_close_resets_the_peer" },
  { zero_window_stalls_then_recovers, "zero_window_stalls_then_recovers" },
  { rto_backs_off_exponentially, "rto_backs_off_exponentially" },
  { lone_segment_is_acked_within_half_a_second, "lone_segment_is_acked_within_half_a_second" },
  { time_wait_holds_port_for_two_msl, "time_wait_holds_port_for_two_msl" },
  { data_flows_after_a_lost_syn, "data_flows_after_a_lost_syn" },
  { sequential_connections_return_their_memory, "sequential_connections_return_their_memory" },
  { closing_in_time_wait_frees_the_rings, "closing_in_time_wait_frees_the_rings" },
  { cache_bytes_go_by_reference_through_a_bad_link, "cache_bytes_go_by_reference_through_a_bad_link" },
  { segments_end_where_chunks_do, "segments_end_where_chunks_do" },
  { sendref_without_a_cache_is_refused, "sendref_without_a_cache_is_refused" },
  { retransmission_fits_the_mtu_with_timestamps, "retransmission_fits_the_mtu_with_timestamps" },
  { ring_bytes_go_in_place_through_a_bad_link, "ring_bytes_go_in_place_through_a_bad_link" },
  { ring_slots_run_out_and_come_back, "ring_slots_run_out_and_come_back" },
};

int
main(int argc, char **argv)
{
  return test_main(tests, NELEM(tests), argc, argv);
}
