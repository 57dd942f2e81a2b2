// twostack.h: two libnet stacks in one test process, talking to each
// other over an emulated link, on a virtual clock. For tests of what
// takes two ends: TCP's handshake, retransmission, windows and close.
//
//   stack A 10.0.2.15          link (twostack.c)            stack B 10.0.2.16
//   loop_take() --> AB: hook, loss, dup, reorder, delay --> loop_inject()
//   loop_inject() <-- BA: hook, loss, dup, reorder, delay <-- loop_take()
//
// Two stacks. libnet keeps its state in globals, one stack per process
// (net.h), so the Makefile links the stateful layers (LSTACK) into one
// object with ld -r and makes two copies of it with objcopy, every
// global symbol the copy defines renamed A_... or B_... (nm lists them).
// What they only use stays shared: libc and the wire layer, whose
// functions are pure. Each copy thus has its own sockets, counters,
// ARP cache and loop device, and ASan sees two sets of distinct globals.
// This was chosen over processes or threads because it keeps one
// address space, one clock and one sequence of events: a failure
// replays the same way every run, under a debugger too. The price is
// that a test names the stack it calls: A->ln_socket(...) goes through
// struct stack, a table of the renamed functions. They are weak
// references, so the harness links before libnet has all of them.
//
// One clock. sys.h reads ln_vclock_us when a program defines it;
// twostack.c does, so both copies see the one time the harness moves.
// Nothing moves it but pump(): no call blocks, so tests use
// non-blocking sockets (O_NONBLOCK or MSG_DONTWAIT), poll with timeout
// 0, and pump_until() a condition holds. A blocking call, or ln_poll
// with a timeout, would spin for ever on a clock that never moves.
//
// One link, per direction: loss, duplication and reordering rates (in
// percent, drawn from a seeded PRNG, so a run replays exactly as far as
// libnet is itself deterministic), a fixed delay, and a hook that sees
// every frame first and may drop or rewrite it (drop exactly the 3rd
// data segment). No bandwidth limit: at delay 0 a window's worth of
// frames crosses in one instant. Each pump step delivers due frames,
// runs both stacks (net_poll(0)) and takes what they sent, until nothing
// moves; then the clock jumps to the next event (a frame due, a timer).
// The link takes frames between calls into a stack, so one call that
// sends more than loop.c's queue holds loses the rest in that stack
// (eth_tx_nobuf), as a full device ring would.
//
// Host only. In the environment, TWO_SEED=n replays with another seed,
// TWO_TRACE=1 prints a line per frame entering the link and what became
// of it, TWO_PCAP=file writes those frames for tcpdump or Wireshark,
// stamped with the virtual clock.
#ifndef LIBNET_TEST_TWOSTACK_H
#define LIBNET_TEST_TWOSTACK_H
#define LIBNET_NO_MACROS
#include "libnet/net.h"
#include "libnet/socket.h"

enum {
  TWO_IPA = 0x0a00020f,     // 10.0.2.15
  TWO_IPB = 0x0a000210,     // 10.0.2.16
  TWO_MASK = 0xffffff00,
  TWO_GW = 0x0a000202,      // nobody: tests stay on the link
};

// The calls a test makes on one stack, by their libnet names.
#define TWO_CALLS(X) \
  X(int, ln_socket, (int domain, int type, int protocol)) \
  X(int, ln_bind, (int fd, const struct sockaddr *addr, socklen_t len)) \
  X(int, ln_connect, (int fd, const struct sockaddr *addr, socklen_t len)) \
  X(int, ln_listen, (int fd, int backlog)) \
  X(int, ln_accept, (int fd, struct sockaddr *addr, socklen_t *len)) \
  X(int, ln_shutdown, (int fd, int how)) \
  X(ssize_t, ln_sendto, (int fd, const void *buf, size_t len, int flags, \
                         const struct sockaddr *to, socklen_t tolen)) \
  X(ssize_t, ln_recvfrom, (int fd, void *buf, size_t len, int flags, \
                           struct sockaddr *from, socklen_t *fromlen)) \
  X(ssize_t, ln_send, (int fd, const void *buf, size_t len, int flags)) \
  X(ssize_t, ln_recv, (int fd, void *buf, size_t len, int flags)) \
  X(int, ln_close, (int fd)) \
  X(int, ln_getsockname, (int fd, struct sockaddr *addr, socklen_t *len)) \
  X(int, ln_getpeername, (int fd, struct sockaddr *addr, socklen_t *len)) \
  X(int, ln_setsockopt, (int fd, int level, int opt, const void *val, socklen_t len)) \
  X(int, ln_getsockopt, (int fd, int level, int opt, void *val, socklen_t *len)) \
  X(int, ln_fcntl, (int fd, int cmd, int arg)) \
  X(int, ln_poll, (struct pollfd *fds, int nfds, int timeout_ms)) \
  X(int, ln_issock, (int fd)) \
  X(int, net_init, (struct netdev *dev)) \
  X(void, net_setaddr, (uint32_t ip, uint32_t mask, uint32_t gw)) \
  X(int, net_become_default, (void)) \
  X(int, net_poll, (int timeout_ms)) \
  X(uint64_t, net_nexttimer, (void)) \
  X(int, arp_lookup, (uint32_t ip, uint8_t mac[6])) \
  X(void, arp_flush, (void)) \
  X(struct netdev *, loop_netdev, (void)) \
  X(int, loop_inject, (const uint8_t *f, int len)) \
  X(int, loop_take, (uint8_t *buf, int max)) \
  X(void, loop_reset, (void)) \
  X(void, loop_setcache, (uint32_t size)) \
  X(int, loop_splits, (void)) \
  X(uint8_t *, ln_cache, (uint32_t *size)) \
  X(long, ln_sendref, (int fd, struct netref *r, uint32_t off, uint32_t len))

struct stack {
  const char *name;         // "A" or "B", for failure lines
  uint32_t ip;              // host order
  uint8_t mac[6];
  uint64_t *stat;           // its lnstat[]; TWOSTAT(A, udp_rx)
  struct netif *netif;
#define TWO_FIELD(ret, fn, args) ret (*fn) args;
  TWO_CALLS(TWO_FIELD)
#undef TWO_FIELD
};
extern struct stack *A, *B;

#define TWOSTAT(s, name) ((long long)(s)->stat[LN_##name])

// ---- the link ----------------------------------------------------------------
#define LINK_QMAX 2048           // frames in flight one way; more are dropped, counted
#define LINK_HOLDMS 10           // longest a reordered frame waits to be overtaken

struct linkframe {
  uint64_t due;             // virtual us at which it reaches the peer
  int len;
  uint8_t f[NET_FRAMEMAX];
};

// A hook sees each frame as it enters the link, before loss and the
// rest: l->in is its number (1 for the first since two_reset). It may
// rewrite f and *len in place; it returns LINK_PASS or LINK_DROP.
enum { LINK_PASS = 0, LINK_DROP = 1 };
struct link;
typedef int linkhook(struct link *l, uint8_t *f, int *len);

struct link {
  const char *name;         // "A->B" or "B->A"
  struct stack *from, *to;
  // knobs, set by tests; two_reset clears them
  int loss;                 // percent of frames lost
  int dup;                  // percent of frames delivered twice
  int reorder;              // percent of frames held until the next one has passed
  int delay_ms;             // every frame, this long on the wire
  linkhook *hook;
  void *arg;                // the hook's
  // what happened, by cause
  long in;                  // frames the sender handed over
  long hooked;              // dropped by the hook
  long lost;                // dropped by the loss rate
  long duped;               // extra copies made
  long reordered;           // frames that were overtaken
  long full;                // dropped: LINK_QMAX in flight
  long delivered;           // frames handed to the receiver
  // the frames in flight, oldest first, and one held to be overtaken
  struct linkframe q[LINK_QMAX];
  int qr, qw;
  int held;                 // hold has a frame
  uint64_t holdtill;        // when it goes anyway, virtual us
  struct linkframe hold;
};
extern struct link *AB, *BA;

// ---- running -----------------------------------------------------------------
// Bring both stacks up (the first call) or back to a known state: every
// socket closed, the clock run on until no timer is left (connections
// finish closing over a clean link), neighbours, counters and the link
// forgotten, knobs cleared, the PRNG seeded again.
void two_reset(void);
// The first call of TWO_CALLS the linked libnet does not have, or 0.
const char *two_missing(void);
uint64_t two_now_ms(void);
// Run both stacks and the link for ms of virtual time.
void pump(int ms);
// One step: move what can move at this instant; if nothing could,
// advance the clock to the next event, but not past until_ms, and move
// what that brings. Returns the time in ms.
uint64_t two_step(uint64_t until_ms);
// Pump until cond (any expression, evaluated after each step) holds, at
// most max_ms of virtual time. 1 if it held, 0 if time ran out.
#define pump_until(cond, max_ms) __extension__ ({ \
  uint64_t end_ = two_now_ms() + (max_ms); \
  int ok_; \
  while(!(ok_ = (cond) != 0) && two_now_ms() < end_) \
    two_step(end_); \
  ok_; \
})

// ---- helpers -----------------------------------------------------------------
void two_sin(struct sockaddr_in *a, uint32_t ip, uint16_t port);
// A non-blocking socket of type on s, bound to port if not 0; its
// descriptor, or -1 with errno set.
int two_socket(struct stack *s, int type, uint16_t port);
// If f is an IPv4 TCP segment, parse it into t and return the length
// of its payload; else -1. For hooks.
int two_tcpseg(const uint8_t *f, int len, struct ipv4_repr *ip, struct tcp_repr *t);
// A stock hook: drop one TCP segment carrying data, the n-th from now.
// l->arg points to n, an int the hook counts down; the segment that
// brings it to 0 is dropped, and no other.
linkhook hook_dropnthdata;
// A uniform random number in [0, n), from the harness's seeded PRNG.
uint32_t two_random(uint32_t n);
#endif
