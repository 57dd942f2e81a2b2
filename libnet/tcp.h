// tcp.h: TCP's control block and what its files share (OpenBSD's
// tcp_var.h). RFC 9293 with RFC 7323 (window scale, timestamps, PAWS),
// RFC 2018 (SACK), RFC 6298 (RTO), RFC 5681/6582/6675 (congestion
// control, NewReno, SACK recovery) and RFC 5961 (blind attacks).
//
//   tcp.c      control blocks, lookup, ports, ISNs, timers, the user calls
//   tcp_in.c   segment arrival, state by state (RFC 9293 3.10.7)
//   tcp_out.c  what to send and building segments; resets and ACKs
//   tcp_cc.c   congestion control behind struct tcp_ccops (NewReno)
//   tcp_seq.h  sequence arithmetic modulo 2^32
//
// The stream socket (stream.c) owns a control block while the
// application holds it; once closed, the block lives on, orphaned,
// until the connection ends (TIME-WAIT included) and then frees itself.
#ifndef LIBNET_TCP_H
#define LIBNET_TCP_H
#include "net.h"
#include "tcp_seq.h"
#include "netref.h"

// RFC 9293 3.3.2. Must correspond to tcp_statenames[] in tcp.c.
enum {
  TCP_CLOSED, TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RECEIVED, TCP_ESTABLISHED,
  TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT, TCP_CLOSING, TCP_LAST_ACK,
  TCP_TIME_WAIT, TCP_NSTATES
};
extern const char *tcp_statenames[TCP_NSTATES];

enum {
  TCP_MSS_DEFAULT = 536,          // RFC 9293 3.7.1 (MUST-15): when no MSS option came
  TCP_MSS_OURS = NET_MTU - IPV4_HLEN - TCP_HLEN,
  TCP_BUF_DEFAULT = 128 * 1024,   // SO_SNDBUF and SO_RCVBUF unless set
  TCP_RINGMIN = 512,              // fewer payload bytes of a ring in ring room are copied: a split frame costs more
  TCP_BUF_MAX = 4 * 1024 * 1024,
  TCP_BUF_MIN = 2048,
  TCP_NOOO = 8,                   // out-of-order ranges held (bounded queue)
  TCP_NSACKHOLE = 16,             // SACKed ranges the sender remembers
  TCP_RTO_INIT_MS = 1000,         // RFC 6298 2.1
  TCP_RTO_MIN_MS = 200,           // below RFC 6298's 1 s, as Linux and BSD do (2.4 allows it: "MAY")
  TCP_RTO_MAX_MS = 60000,         // RFC 6298 2.5
  TCP_MAXRXT = 12,                // retransmissions before giving up (R2, RFC 1122 4.2.3.5)
  TCP_SYNRXT = 6,                 // SYN retransmissions before ETIMEDOUT
  TCP_DELACK_MS = 40,             // RFC 9293 3.8.6.3: under 500 ms; RFC 5681 4.2: at most 200
  TCP_PERSIST_MIN_MS = 200,
  TCP_PERSIST_MAX_MS = 60000,
  TCP_KEEPIDLE_MS = 2 * 3600 * 1000,   // RFC 1122 4.2.3.6: no less than two hours
  TCP_KEEPINTVL_MS = 75 * 1000,
  TCP_KEEPCNT = 9,
  TCP_SYNQ_MAX = 128,             // half-open connections per listener
  TCP_CHALLENGE_PER_S = 100,      // RFC 5961 7: challenge ACKs a second, plus a random part
  TCP_EXIT_LINGER_MS = 5000,      // how long exit() waits for data and FIN to be acknowledged
  TCP_NSX = 32,                   // extents in a send queue holding references (ln_sendref)
};
extern int tcp_msl_ms;            // RFC 9293 3.4.2: 2 minutes; 30 s here (Linux's TIME-WAIT is 60 s)

// Control block flags.
enum {
  TF_ACKNOW    = 1 << 0,   // send an ACK at the next output
  TF_DELACK    = 1 << 1,   // an ACK is owed, delayed
  TF_NODELAY   = 1 << 2,   // TCP_NODELAY: no Nagle
  TF_SENTFIN   = 1 << 3,   // our FIN has a sequence number (snd_max counts it)
  TF_FINQUEUED = 1 << 4,   // the application is done sending: FIN after the queue
  TF_RCVDFIN   = 1 << 5,   // the peer's FIN is in (rcv_nxt counts it)
  TF_WSCALE    = 1 << 6,   // both sides sent window scale
  TF_TS        = 1 << 7,   // both sides sent timestamps
  TF_SACK      = 1 << 8,   // both sides sent SACK-permitted
  TF_RECOVERY  = 1 << 9,   // in fast recovery (snd_recover marks its end)
  TF_BLOCKED   = 1 << 10,  // output stopped for want of a TX buffer
  TF_KEEPALIVE = 1 << 11,  // SO_KEEPALIVE
  TF_SHUTRD    = 1 << 12,  // SHUT_RD: data that arrives is dropped
  TF_RTTING    = 1 << 13,  // timing rtt_seq (no timestamps)
  TF_PERSIST   = 1 << 14,  // the persist timer runs instead of the retransmit timer
  TF_ORPHAN    = 1 << 15,  // no socket holds it any more
  TF_ACCEPTED  = 1 << 16,  // handed to the application by accept
  TF_ACKTURN   = 1 << 17,  // an ACK is owed at the end of this turn of the loop
};

// A byte ring. The send ring starts at snd_una; the receive ring at
// the first byte the application has not read.
struct tcpbuf {
  uint8_t *b;
  int cap, off, len;       // bytes [off, off+len) modulo cap
  int slot;                // a send ring in the device's ring room: its slot + 1 (tcp_sndbufinit); 0: from malloc
};

// One extent of a send stream that holds references: len bytes of the
// send ring (ref 0; the ring's bytes are the ring extents' in order),
// or of ref's range from off.
struct tcpsx {
  struct netref *ref;
  uint32_t off, len;
};

struct tcp_ccops;

struct tcpcb {
  struct tcpcb *next;      // every control block
  struct tcpcb *hnext;     // hash chain, by 4-tuple (listeners: by port)
  struct sock *sock;       // the socket, 0 once closed or while on an accept queue
  struct tcpcb *parent;    // the listener, while on its SYN or accept queue
  struct tcpcb *qnext;     // the listener's accept queue
  int state, flags;
  int error;               // pending error (positive errno), for SO_ERROR and calls
  int softerror;           // last ICMP soft error, reported on timeout (RFC 1122 4.2.3.9)
  uint32_t laddr, raddr;
  uint16_t lport, rport;

  // send sequence space (RFC 9293 3.3.1)
  uint32_t iss, snd_una, snd_nxt, snd_max;   // snd_max: highest sent
  uint32_t snd_wnd, snd_wl1, snd_wl2;
  uint32_t max_sndwnd;     // largest window the peer offered (SWS, RFC 9293 3.8.6.2.1)
  uint32_t snd_recover;    // NewReno's "recover" (RFC 6582)
  uint32_t snd_high_rxt;   // RFC 6675 HighRxt
  int mss;                 // what we put in a segment (peer's MSS, our MTU)
  uint8_t snd_scale, rcv_scale;
  struct tcpbuf sndq;      // unacknowledged and unsent data, from snd_una
  // While the stream holds references (tcp_sndref), it is the nsx
  // extents from sx[sxhead]; else (nsx 0) sndq alone. tcp_sndq.c.
  struct tcpsx sx[TCP_NSX];
  int sxhead, nsx;
  uint32_t sxbytes;        // stream bytes held as references

  // receive sequence space
  uint32_t irs, rcv_nxt, rcv_adv;            // rcv_adv: right edge we advertised
  struct tcpbuf rcvq;      // in order, unread; out-of-order bytes are placed past it
  uint32_t ooo[TCP_NOOO][2];                 // out-of-order ranges held, most recent first
  int nooo;
  int segs_unacked;        // full segments received since our last ACK

  // SACK scoreboard: ranges above snd_una the peer holds, sorted
  uint32_t sacked[TCP_NSACKHOLE][2];
  int nsacked;

  // timestamps (RFC 7323)
  uint32_t ts_recent, ts_offset;
  uint64_t ts_recent_ms;   // when ts_recent was set (PAWS's 24-day rule)
  uint32_t last_ack_sent;

  // RTT and RTO (RFC 6298), in microseconds
  int64_t srtt_us, rttvar_us;
  int rto_ms, rxtshift;
  uint32_t rtt_seq;
  uint64_t rtt_start_us;

  // congestion control
  const struct tcp_ccops *cc;
  uint32_t cwnd, ssthresh;
  int dupacks;
  uint32_t cc_acked;       // bytes acked toward the next increase in congestion avoidance

  // timers: absolute ms, 0 when off
  uint64_t t_rexmt, t_delack, t_keep, t_2msl;
  int persist_shift, keep_probes;
  uint64_t idle_ms;        // when the peer was last heard

  // listener
  int backlog, qlen, q0len;      // accept queue limit and length; half-open count

  int sndbufsize, rcvbufsize;
  int linger, linger_s;    // SO_LINGER
};

// Congestion control (RFC 5681), one table per algorithm, chosen at
// connection start (Linux's tcp_congestion_ops).
struct tcp_ccops {
  const char *name;
  void (*init)(struct tcpcb *tp);                    // initial window (RFC 5681 3.1)
  void (*acked)(struct tcpcb *tp, uint32_t acked);   // new data acknowledged, not in recovery
  void (*recovery)(struct tcpcb *tp);                // three duplicate ACKs: set ssthresh, cwnd
  void (*recovered)(struct tcpcb *tp);               // a full ACK ends recovery
  void (*timeout)(struct tcpcb *tp);                 // the retransmit timer fired
};
extern const struct tcp_ccops tcp_newreno;

// tcp.c
extern struct tcpcb *tcb_list;
struct tcpcb *tcp_alloc(void);
void tcp_free(struct tcpcb *tp);
void tcp_hash(struct tcpcb *tp);
void tcp_unhash(struct tcpcb *tp);
struct tcpcb *tcp_lookup(uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport);
uint32_t tcp_newiss(struct tcpcb *tp);
uint32_t tcp_random(void);
int tcp_port_hold(uint16_t port, int reuse);   // 0 or -E*: a claim of the kernel's filter, counted
void tcp_port_drop(uint16_t port);
void tcp_port_ref(uint16_t port);
int tcp_port_held(uint16_t port);
void tcp_settimer(uint64_t *t, uint64_t when);
void tcp_setstate(struct tcpcb *tp, int state);
void tcp_drop(struct tcpcb *tp, int err);       // the connection is over: tell the socket, free if orphan
void tcp_close(struct tcpcb *tp);               // back to CLOSED; frees an orphan
void tcp_timewait(struct tcpcb *tp);
void tcp_rtt_sample(struct tcpcb *tp, int64_t us);
int tcp_rcvwin(struct tcpcb *tp);
int tcp_bufinit(struct tcpbuf *b, int cap);
int tcp_sndbufinit(struct tcpbuf *b, int cap);
uint8_t *tcp_bufinplace(struct tcpbuf *b, int at, int n, uint32_t *payoff);
void tcp_buffree(struct tcpbuf *b);
void tcp_setrexmt(struct tcpcb *tp);
uint64_t tcp_now(void);
extern int tcp_nblocked;          // control blocks with TF_BLOCKED
void tcp_turnq(struct tcpcb *tp);
void tcp_ackturn(struct tcpcb *tp);
void tcp_mss_set(struct tcpcb *tp, int peer_mss);

// tcp_in.c
int tcp_challenge_ok(void);

// tcp_sndq.c: the send stream, ring bytes and references
static inline int tcp_sndlen(struct tcpcb *tp) { return tp->sndq.len + (int)tp->sxbytes; }
int tcp_sndput(struct tcpcb *tp, const uint8_t *buf, int len);      // bytes taken
int tcp_sndref(struct tcpcb *tp, struct netref *r, uint32_t off, uint32_t len);  // 0 or -EAGAIN
void tcp_snddrop(struct tcpcb *tp, int n);                           // acknowledged: off the front
void tcp_sndfree(struct tcpcb *tp);
int tcp_sndclip(struct tcpcb *tp, uint32_t data, int len, struct netref **rp, uint32_t *at);

// tcp_out.c
int tcp_output(struct tcpcb *tp);               // 0, or -ENOBUFS if it stopped for a TX buffer
int tcp_send_seg(struct tcpcb *tp, uint32_t seq, int len, int flags);   // data bytes sent, or -E*
int tcp_segsize(struct tcpcb *tp);              // most data a segment carries (MSS less options)
int tcp_rexmtlen(struct tcpcb *tp);             // what a retransmission from snd_una carries
void tcp_respond(uint32_t raddr, const struct tcp_repr *t, uint32_t seq, uint32_t ack, int flags);
void tcp_reset_for(const struct ipv4_repr *ip, const struct tcp_repr *t, int seglen);
void tcp_ack_now(struct tcpcb *tp);
int tcp_sack_holes(struct tcpcb *tp, uint32_t *seq, int *len);
uint32_t tcp_sacked_bytes(struct tcpcb *tp);
void tcp_sack_update(struct tcpcb *tp, const struct tcp_repr *t);

// ring helpers
int tcpbuf_put(struct tcpbuf *b, int at, const uint8_t *p, int n);  // write at offset at past off
int tcpbuf_get(struct tcpbuf *b, int at, uint8_t *p, int n);        // read at offset at past off
void tcpbuf_consume(struct tcpbuf *b, int n);
#endif
